"""Figures for papers: one style (`comaspec.plotting.style`), comparison figures
(`comaspec.plotting.compare`), one comet in time (`comaspec.plotting.timeseries`), the
two-ratio diagram (`comaspec.plotting.diagram`) and the fit figure (`comaspec.plotting.fit`).

Names are imported on first use so that ``import comaspec.plotting`` does not import
matplotlib.
"""

from .._lazy import lazy_exports

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
    "maps_panel": "maps",
    "profiles_figure": "maps",
    "q_curve_figure": "maps",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
