"""Fit results (numbers, ratios, limits) and their writers (JSON, ECSV, text).

* ``core``: `ComaFit`, `SpeciesResult`, `Ratio`, detection and limit rules;
* ``writers``: JSON, ECSV and the text summary of a `ComaFit`.
"""

from .core import (DEFAULT_DETECT_SIGMA, DEFAULT_LIMIT_SIGMA, ComaFit, Ratio, SpeciesResult, SpectrumComponents,
                   is_detected, ratio_from_values, upper_limit)

__all__ = ["DEFAULT_DETECT_SIGMA", "DEFAULT_LIMIT_SIGMA", "is_detected", "upper_limit", "Ratio", "ratio_from_values",
           "SpeciesResult", "SpectrumComponents", "ComaFit"]
