"""Figures for papers: one style (`comaspec.plotting.style`), comparison figures
(`comaspec.plotting.compare`), one comet in time (`comaspec.plotting.timeseries`), the
two-ratio diagram (`comaspec.plotting.diagram`) and the fit figure (`comaspec.plotting.fit`).

Names are imported on first use so that ``import comaspec.plotting`` does not import
matplotlib.
"""

from importlib import import_module

# public name -> submodule that defines it
_EXPORTS = {
    "use_style": "style",
    "save_figure": "style",
    "figure_size": "style",
    "COLUMN_WIDTH_IN": "style",
    "TWO_COLUMN_WIDTH_IN": "style",
    "CLASS_COLOURS": "style",
    "CLASS_MARKERS": "style",
    "ratio_vs_rh": "compare",
    "ratio_by_class": "compare",
    "fit_comparison": "compare",
    "comet_track": "timeseries",
    "two_ratio_diagram": "diagram",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in ("style", "compare", "fit", "timeseries", "diagram"):
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'comaspec.plotting' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | {"style", "compare", "fit", "timeseries", "diagram"})
