"""The bundled catalog of published comet CO2/H2O measurements, and where a new one stands.

``load()`` reads ``comaspec/data/comets.ecsv`` (one row per published measurement, with
units, limit flags and references; see :doc:`catalog`) and filters it. ``fit_trend()``
fits log10(CO2/H2O) against log10(rh) with an intrinsic scatter; ``compare()`` places a
new measurement against that trend and among the direct measurements.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ._paths import data_dir
from .errors import InputError

__all__ = [
    "DYNAMICAL_CLASSES", "METHODS", "LIMITS", "VERIFIED", "FLAGS", "TREND_EXCLUDED_CLASSES",
    "TREND_EXCLUDED_FLAGS", "catalog_path", "load", "select", "trend_sample", "TrendFit", "Comparison",
    "fit_trend", "compare",
]

#: Dynamical classes. "OCC" is an Oort-cloud comet whose new/returning status the source
#: did not give.
DYNAMICAL_CLASSES = ("JFC", "Halley-type", "OCC-new", "OCC-returning", "OCC", "main-belt",
                     "Centaur", "interstellar")
#: How CO2 was measured: "direct" (the CO2 band itself, or in situ) or "indirect" (a proxy).
METHODS = ("direct", "indirect")
#: Values of the ``*_limit`` columns: "" for a measurement.
LIMITS = ("", "upper", "lower")
#: Where a row's numbers were checked, best first: "original" (the measurement's own paper),
#: "compilation" (a published compilation, e.g. the HP22 table itself), "transcription" (a
#: third-party machine-readable transcription of a compilation), "secondary" (news or
#: review summaries), "unverified" (not found in any retrieved text).
VERIFIED = ("original", "compilation", "transcription", "secondary", "unverified")
#: Row flags: "superseded" (a preprint value replaced by the published one), "outlier"
#: (CO-dominated C/2016 R2, left out of trends as in Cordiner et al. 2025),
#: "non_simultaneous" (H2O and CO2 from different dates), "representative" (a value the
#: compilation chose to represent a time series).
FLAGS = ("superseded", "outlier", "non_simultaneous", "representative")

#: Classes left out of the trend fit by default: the trend of Cordiner et al. (2025) is for
#: long-period and Jupiter-family comets.
TREND_EXCLUDED_CLASSES = ("interstellar", "main-belt", "Centaur")
#: Flags whose rows are left out of the trend fit and percentiles by default.
TREND_EXCLUDED_FLAGS = ("outlier", "superseded")

_CATALOG_NAME = "comets.ecsv"


def catalog_path():
    """Return the path of the bundled catalog file.

    Returns
    -------
    pathlib.Path
        ``comaspec/data/comets.ecsv``.
    """
    return data_dir() / _CATALOG_NAME


def load(*, dyn_class=None, method=None, rh_range=None, limits="include", with_ratio=False,
         exclude_flags=()):
    """Load the catalog of published measurements, optionally filtered.

    Parameters
    ----------
    dyn_class : str or sequence of str, optional
        Keep only these dynamical classes (see `DYNAMICAL_CLASSES`).
    method : {"direct", "indirect"}, optional
        Keep only rows whose CO2 was measured this way.
    rh_range : (Quantity, Quantity) or (float, float), optional
        Inclusive heliocentric-distance range (floats are au); rows without rh are dropped.
    limits : {"include", "exclude", "only"}
        What to do with rows whose CO2/H2O is an upper or lower limit.
    with_ratio : bool
        Keep only rows with a CO2/H2O value (measurement or limit).
    exclude_flags : sequence of str
        Drop rows carrying any of these flags (see `FLAGS`).

    Returns
    -------
    astropy.table.QTable
        One row per measurement; ``rh`` in au, production rates in s^-1, ratios in %.
        Missing values are masked.
    """
    from astropy.table import QTable

    table = QTable.read(catalog_path(), format="ascii.ecsv")
    for name in table.colnames:
        # ECSV reads empty strings as masked; text columns hold "" for "none" instead
        if table[name].dtype.kind == "U" and hasattr(table[name], "filled"):
            table[name] = table[name].filled("")
    return select(table, dyn_class=dyn_class, method=method, rh_range=rh_range,
                  limits=limits, with_ratio=with_ratio, exclude_flags=exclude_flags)


def select(table, *, dyn_class=None, method=None, rh_range=None, limits="include",
           with_ratio=False, exclude_flags=()):
    """Filter a catalog table (the same filters as `load`).

    Parameters
    ----------
    table : astropy.table.QTable
        A table as returned by `load`.
    dyn_class, method, rh_range, limits, with_ratio, exclude_flags
        See `load`.

    Returns
    -------
    astropy.table.QTable
        The selected rows (a copy).
    """
    import astropy.units as u

    keep = np.ones(len(table), dtype=bool)
    if dyn_class is not None:
        classes = (dyn_class,) if isinstance(dyn_class, str) else tuple(dyn_class)
        unknown = [c for c in classes if c not in DYNAMICAL_CLASSES]
        if unknown:
            raise InputError("dyn_class", f"unknown dynamical class {unknown[0]!r}; "
                             f"choose from {', '.join(DYNAMICAL_CLASSES)}")
        keep &= np.isin(np.asarray(table["dyn_class"]), classes)
    if method is not None:
        if method not in METHODS:
            raise InputError("method", f"unknown method {method!r}; choose direct or indirect")
        keep &= np.asarray(table["method"]) == method
    if rh_range is not None:
        lo, hi = (u.Quantity(v, u.au).to_value(u.au) for v in rh_range)
        if not lo <= hi:
            raise InputError("rh_range", f"empty range {lo} to {hi} au")
        rh, has_rh = _values(table["rh"], u.au)
        keep &= has_rh & (rh >= lo) & (rh <= hi)
    if limits not in ("include", "exclude", "only"):
        raise InputError("limits", f"{limits!r} is not one of include, exclude, only")
    is_limit = np.asarray(table["co2_h2o_limit"]) != ""
    if limits == "exclude":
        keep &= ~is_limit
    elif limits == "only":
        keep &= is_limit
    if with_ratio:
        keep &= _values(table["co2_h2o"], u.percent)[1]
    for flag in exclude_flags:
        if flag not in FLAGS:
            raise InputError("exclude_flags", f"unknown flag {flag!r}; choose from {', '.join(FLAGS)}")
        keep &= np.array([flag not in str(f).split() for f in table["flags"]])
    return table[keep]


def _values(column, unit):
    """Return (float64 values in ``unit`` with NaN where masked, has-value mask)."""
    mask = np.asarray(getattr(column, "mask", np.zeros(len(column), dtype=bool)), dtype=bool)
    values = np.asarray(column.to_value(unit) if hasattr(column, "to_value") else column,
                        dtype=float)
    values = np.where(mask, np.nan, values)
    return values, ~mask & np.isfinite(values)


def trend_sample(table=None, *, exclude_classes=TREND_EXCLUDED_CLASSES,
                 exclude_flags=TREND_EXCLUDED_FLAGS, direct_only=True):
    """Rows used for the trend and the percentiles: measured (not limit) CO2/H2O values.

    Parameters
    ----------
    table : astropy.table.QTable, optional
        Catalog (default: `load()`).
    exclude_classes : sequence of str
        Dynamical classes to leave out (default `TREND_EXCLUDED_CLASSES`).
    exclude_flags : sequence of str
        Flags whose rows are left out (default `TREND_EXCLUDED_FLAGS`).
    direct_only : bool
        Keep only direct CO2 measurements.

    Returns
    -------
    astropy.table.QTable
    """
    table = load() if table is None else table
    classes = [c for c in DYNAMICAL_CLASSES if c not in tuple(exclude_classes)]
    return select(table, dyn_class=classes, method="direct" if direct_only else None,
                  limits="exclude", with_ratio=True, exclude_flags=tuple(exclude_flags))


@dataclass(frozen=True)
class TrendFit:
    """log10(CO2/H2O [%]) = intercept + slope * log10(rh [au]), with intrinsic scatter.

    Attributes
    ----------
    slope, slope_err : float
        Power-law index in rh and its 1-sigma error.
    intercept, intercept_err : float
        log10 of CO2/H2O [%] at 1 au and its 1-sigma error.
    covariance : float
        Covariance of intercept and slope.
    scatter_dex : float
        Intrinsic scatter of the trend (dex), on top of the measurement errors.
    rms_dex : float
        Root-mean-square residual of the sample about the fit (dex).
    n : int
        Number of measurements fitted.
    rh_min, rh_max : float
        Range of heliocentric distance (au) covered by the fitted measurements.
    """

    slope: float
    slope_err: float
    intercept: float
    intercept_err: float
    covariance: float
    scatter_dex: float
    rms_dex: float
    n: int
    rh_min: float
    rh_max: float

    def predict(self, rh_au):
        """Return (log10 ratio [%], its 1-sigma fit error) at ``rh_au``.

        Parameters
        ----------
        rh_au : float or ndarray
            Heliocentric distance in au.

        Returns
        -------
        (ndarray, ndarray)
        """
        x = np.log10(np.asarray(rh_au, dtype=float))
        y = self.intercept + self.slope * x
        var = (self.intercept_err**2 + (x * self.slope_err) ** 2 + 2 * x * self.covariance)
        return y, np.sqrt(np.maximum(var, 0.0))

    def to_dict(self):
        """Return the fit as a plain dict (JSON-ready).

        Returns
        -------
        dict
        """
        return asdict(self)


def _log_errors(ratio, err_lo, err_hi):
    """1-sigma error of log10(ratio) from (possibly asymmetric, possibly missing) errors."""
    both = np.vstack([err_lo, err_hi])
    count = np.sum(np.isfinite(both), axis=0)
    err = np.where(count > 0, np.nansum(both, axis=0) / np.maximum(count, 1), 0.0)
    return err / (ratio * np.log(10.0))


def _wls(x, y, var):
    """Weighted straight-line fit; returns (intercept, slope, covariance matrix, chi2)."""
    w = 1.0 / var
    design = np.vstack([np.ones_like(x), x]).T
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    beta = cov @ (design.T @ (w * y))
    chi2 = float(np.sum(w * (y - design @ beta) ** 2))
    return beta[0], beta[1], cov, chi2


def fit_trend(table=None, **sample_options):
    """Fit log10(CO2/H2O) against log10(rh) for the trend sample.

    Each point has variance ``s**2 + e_i**2``, where ``e_i`` is its measurement error in dex
    (zero where the source gives none) and ``s`` the intrinsic scatter, chosen so that the
    reduced chi-square is one (``s = 0`` if the errors alone already explain the scatter).
    Intercept and slope are the weighted least-squares solution at that ``s``.

    Parameters
    ----------
    table : astropy.table.QTable, optional
        Catalog (default `load()`); `trend_sample` selects the rows.
    **sample_options
        Passed to `trend_sample` (``exclude_classes``, ``exclude_flags``, ``direct_only``).

    Returns
    -------
    TrendFit
    """
    import astropy.units as u
    from scipy.optimize import brentq

    sample = trend_sample(table, **sample_options)
    rh, has_rh = _values(sample["rh"], u.au)
    ratio = _values(sample["co2_h2o"], u.percent)[0]
    lo = _values(sample["co2_h2o_err_lo"], u.percent)[0]
    hi = _values(sample["co2_h2o_err_hi"], u.percent)[0]
    good = has_rh & (ratio > 0)
    x, y = np.log10(rh[good]), np.log10(ratio[good])
    e = _log_errors(ratio[good], lo[good], hi[good])
    n = int(x.size)
    if n < 3:
        raise InputError("catalog", f"only {n} measurements in the trend sample; need 3")
    dof = n - 2

    def excess(scatter):
        var = scatter**2 + e**2
        return _wls(x, y, np.maximum(var, 1e-12))[3] - dof

    scatter = 0.0
    if excess(0.0) > 0:
        hi_s = float(np.std(y)) + 1.0
        scatter = brentq(excess, 0.0, hi_s, xtol=1e-8)
    a, b, cov, _ = _wls(x, y, np.maximum(scatter**2 + e**2, 1e-12))
    rms = float(np.sqrt(np.mean((y - a - b * x) ** 2)))
    return TrendFit(slope=float(b), slope_err=float(np.sqrt(cov[1, 1])), intercept=float(a),
                    intercept_err=float(np.sqrt(cov[0, 0])), covariance=float(cov[0, 1]),
                    scatter_dex=float(scatter), rms_dex=rms, n=n,
                    rh_min=float(10 ** x.min()), rh_max=float(10 ** x.max()))


@dataclass(frozen=True)
class Comparison:
    """Where one CO2/H2O measurement stands against the catalog.

    Attributes
    ----------
    ratio, ratio_err : float
        The measurement and its 1-sigma error (%).
    rh : float
        Heliocentric distance (au).
    percentile : float
        Percentage of the comparison sample (direct, measured values; see `trend_sample`)
        below the measurement (ties count half).
    n_sample : int
        Size of that sample.
    trend_ratio : float
        CO2/H2O (%) the trend predicts at ``rh``.
    offset_dex : float
        log10(ratio) minus the trend at ``rh``.
    sigma_total_dex : float
        The denominator of `n_sigma`: quadrature sum of the trend's intrinsic scatter, the
        measurement error in dex and the fit's own error at ``rh``.
    n_sigma : float
        ``offset_dex / sigma_total_dex``: positive above the trend.
    n_sigma_measurement : float
        ``offset_dex`` divided by the measurement error alone (infinite if none given;
        ``None`` in `to_dict`).
    extrapolated : bool
        True if ``rh`` lies outside the distances covered by the trend sample.
    fit : TrendFit
        The trend used.
    """

    ratio: float
    ratio_err: float
    rh: float
    percentile: float
    n_sample: int
    trend_ratio: float
    offset_dex: float
    sigma_total_dex: float
    n_sigma: float
    n_sigma_measurement: float
    extrapolated: bool
    fit: TrendFit

    def to_dict(self):
        """Return the comparison as a plain dict (JSON-ready).

        Returns
        -------
        dict
        """
        out = asdict(self)
        out["fit"] = self.fit.to_dict()
        # strict JSON has no infinities: a ratio without error has no measurement-only sigma
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in out.items()}

    def summary(self):
        """Return a few human-readable lines.

        Returns
        -------
        str
        """
        f = self.fit
        return "\n".join([
            f"CO2/H2O = {self.ratio:.4g} +- {self.ratio_err:.2g} % at rh = {self.rh:.3g} au",
            f"percentile among the {self.n_sample} comparison measurements: {self.percentile:.1f}",
            f"trend: log10(CO2/H2O/%) = ({f.intercept:.3f} +- {f.intercept_err:.3f}) + "
            f"({f.slope:.3f} +- {f.slope_err:.3f}) log10(rh/au); intrinsic scatter "
            f"{f.scatter_dex:.3f} dex; N = {f.n}",
            f"trend at rh: {self.trend_ratio:.3g} %; offset {self.offset_dex:+.3f} dex = "
            f"{self.n_sigma:+.1f} sigma (scatter + errors), "
            + (f"{self.n_sigma_measurement:+.1f} sigma (measurement error only)"
               if np.isfinite(self.n_sigma_measurement) else "no measurement error given"),
        ] + ([f"warning: rh = {self.rh:.3g} au is outside the trend sample's "
              f"{f.rh_min:.3g}-{f.rh_max:.3g} au; the trend is extrapolated"]
             if self.extrapolated else []))


def compare(ratio, rh, ratio_err=0.0, *, table=None, **sample_options):
    """Place a CO2/H2O measurement against the catalog.

    Parameters
    ----------
    ratio : float or Quantity
        CO2/H2O in percent (a dimensionless Quantity is converted to percent).
    rh : float or Quantity
        Heliocentric distance (floats are au).
    ratio_err : float or Quantity
        1-sigma error of ``ratio`` (percent).
    table : astropy.table.QTable, optional
        Catalog (default `load()`).
    **sample_options
        Passed to `trend_sample` (``exclude_classes``, ``exclude_flags``, ``direct_only``).

    Returns
    -------
    Comparison
    """
    import astropy.units as u

    ratio = _as_percent(ratio, "ratio")
    ratio_err = _as_percent(ratio_err, "ratio_err")
    rh = u.Quantity(rh, u.au).to_value(u.au) if not isinstance(rh, (int, float)) else float(rh)
    if not (np.isfinite(ratio) and ratio > 0):
        raise InputError("ratio", f"CO2/H2O must be a positive number of percent, got {ratio}")
    if not (np.isfinite(ratio_err) and ratio_err >= 0):
        raise InputError("ratio_err", f"must be >= 0 percent, got {ratio_err}")
    if not (np.isfinite(rh) and rh > 0):
        raise InputError("rh", f"must be a positive distance in au, got {rh}")

    table = load() if table is None else table
    fit = fit_trend(table, **sample_options)
    sample = trend_sample(table, **sample_options)
    values = _values(sample["co2_h2o"], u.percent)[0]
    values = values[np.isfinite(values)]
    percentile = 100.0 * (np.sum(values < ratio) + 0.5 * np.sum(values == ratio)) / values.size

    trend_log, trend_err = fit.predict(rh)
    offset = float(np.log10(ratio) - trend_log)
    meas_dex = ratio_err / (ratio * np.log(10.0))
    total = float(np.sqrt(fit.scatter_dex**2 + meas_dex**2 + trend_err**2))
    n_sigma = offset / total if total > 0 else np.copysign(np.inf, offset)
    n_sigma_meas = offset / meas_dex if meas_dex > 0 else np.copysign(np.inf, offset)
    return Comparison(ratio=float(ratio), ratio_err=float(ratio_err), rh=float(rh),
                      percentile=float(percentile), n_sample=int(values.size),
                      trend_ratio=float(10**trend_log), offset_dex=offset,
                      sigma_total_dex=total, n_sigma=float(n_sigma),
                      n_sigma_measurement=float(n_sigma_meas),
                      extrapolated=bool(not fit.rh_min <= rh <= fit.rh_max), fit=fit)


def _as_percent(value, name):
    import astropy.units as u

    if isinstance(value, u.Quantity):
        try:
            return float(value.to_value(u.percent))
        except u.UnitConversionError:
            raise InputError(name, f"{value} is not a dimensionless ratio") from None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(name, f"{value!r} is not a number") from None
