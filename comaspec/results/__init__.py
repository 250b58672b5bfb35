"""Fit results (numbers, ratios, limits) and their writers (JSON, ECSV, text).

* ``values``: detection, limit and ratio rules on plain numbers (`Ratio`);
* ``core``: `ComaFit`, `SpeciesResult`, `SpectrumComponents`;
* ``systematics``: the systematic error of a ratio from the stored elasticities;
* ``writers``: JSON, ECSV and the text summary of a `ComaFit`.
"""

from .core import ComaFit, SpeciesResult, SpectrumComponents
from .values import DEFAULT_DETECT_SIGMA, DEFAULT_LIMIT_SIGMA, Ratio, is_detected, ratio_from_values, upper_limit

__all__ = ["DEFAULT_DETECT_SIGMA", "DEFAULT_LIMIT_SIGMA", "is_detected", "upper_limit", "Ratio", "ratio_from_values",
           "SpeciesResult", "SpectrumComponents", "ComaFit"]


def _lazy_submodules():
    from .._lazy import lazy_exports

    return lazy_exports(__name__, globals(), {})


# every public module of the package is an attribute too, imported on first use
__getattr__, __dir__ = _lazy_submodules()
