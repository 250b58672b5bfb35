"""The bundled catalog of published comet CO2, CO and H2O measurements, and where a new one stands.

``load()`` reads ``comaspec/data/comets.ecsv`` (one row per published measurement, with
units, limit flags and references; see :doc:`catalog`) and filters it. ``fit_trend()``
fits log10(ratio) against log10(rh) with an intrinsic scatter for any of CO2/H2O, CO/H2O,
CO2/CO (or their inverses); ``compare()`` places a new measurement against that trend and
among the catalog's measurements and limits; ``time_series()`` joins the measurements of one
comet. Ratios are plain numbers (7.6, not 760 %): see `comaspec.ratios`.
"""

from .compare import Comparison, compare
from .perihelia import Perihelion, perihelion, time_series
from .table import (DYNAMICAL_CLASSES, FLAGS, LIMITS, METHODS, ORIGINS, TREND_EXCLUDED_CLASSES, TREND_EXCLUDED_FLAGS,
                    VERIFIED, catalog_path, load, ratio_columns, select, trend_sample)
from .table import _values  # noqa: F401  (the figures read values with their units through it)
from .trend import TrendFit, fit_trend


__all__ = [
    "DYNAMICAL_CLASSES", "METHODS", "LIMITS", "VERIFIED", "FLAGS", "TREND_EXCLUDED_CLASSES",
    "TREND_EXCLUDED_FLAGS", "catalog_path", "load", "select", "trend_sample", "TrendFit", "Comparison",
    "fit_trend", "compare", "ratio_columns", "time_series", "perihelion", "Perihelion",
    "ORIGINS",
]


def _lazy_submodules():
    from .._lazy import lazy_exports

    return lazy_exports(__name__, globals(), {})


# every public module of the package is an attribute too, imported on first use
__getattr__, __dir__ = _lazy_submodules()
