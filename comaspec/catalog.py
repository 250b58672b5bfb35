"""The bundled catalog of published comet CO2, CO and H2O measurements, and where a new one stands.

``load()`` reads ``comaspec/data/comets.ecsv`` (one row per published measurement, with
units, limit flags and references; see :doc:`catalog`) and filters it. ``fit_trend()``
fits log10(ratio) against log10(rh) with an intrinsic scatter for any of CO2/H2O, CO/H2O,
CO2/CO (or their inverses); ``compare()`` places a new measurement against that trend and
among the catalog's measurements and limits; ``time_series()`` joins the measurements of one
comet. Ratios are plain numbers (7.6, not 760 %): see `comaspec.ratios`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ._paths import data_dir
from ._validate import distance_au, names
from .errors import InputError

__all__ = [
    "DYNAMICAL_CLASSES", "METHODS", "LIMITS", "VERIFIED", "FLAGS", "TREND_EXCLUDED_CLASSES",
    "TREND_EXCLUDED_FLAGS", "catalog_path", "load", "select", "trend_sample", "TrendFit", "Comparison",
    "fit_trend", "compare", "ratio_columns", "time_series", "perihelion", "Perihelion",
    "ORIGINS",
]

#: Dynamical classes. "OCC" is an Oort-cloud comet whose new/returning status the source
#: did not give.
DYNAMICAL_CLASSES = ("JFC", "Halley-type", "OCC-new", "OCC-returning", "OCC", "main-belt",
                     "Centaur", "interstellar")
#: How CO2 was measured: "direct" (the CO2 band itself, or in situ) or "indirect" (a proxy).
METHODS = ("direct", "indirect")
#: Values of the ``*_limit`` columns: "" for a measurement.
LIMITS = ("", "upper", "lower")
#: Values of the ``*_origin`` columns of the ratios: "published" (as printed), "inverted"
#: (reciprocal of the published inverse ratio), "computed" (from the row's production rates)
#: or "derived" (from two published ratios); "" where the row has no value.
ORIGINS = ("", "published", "inverted", "computed", "derived")
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
         exclude_flags=(), ratio="CO2/H2O"):
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
        What to do with rows whose ``ratio`` is an upper or lower limit.
    with_ratio : bool
        Keep only rows with a value of ``ratio`` (measurement or limit).
    exclude_flags : sequence of str
        Drop rows carrying any of these flags (see `FLAGS`).
    ratio : str
        The ratio ``limits`` and ``with_ratio`` refer to: CO2/H2O (default), CO/H2O, CO2/CO
        or an inverse (see `comaspec.ratios`).

    Returns
    -------
    astropy.table.QTable
        One row per measurement; ``rh`` in au, production rates in s^-1, ratios as plain
        (dimensionless) numbers. Missing values are masked.
    """
    from astropy.table import QTable

    table = QTable.read(catalog_path(), format="ascii.ecsv")
    for name in table.colnames:
        # ECSV reads empty strings as masked; text columns hold "" for "none" instead
        if table[name].dtype.kind == "U" and hasattr(table[name], "filled"):
            table[name] = table[name].filled("")
    return select(table, dyn_class=dyn_class, method=method, rh_range=rh_range,
                  limits=limits, with_ratio=with_ratio, exclude_flags=exclude_flags, ratio=ratio)


def select(table, *, dyn_class=None, method=None, rh_range=None, limits="include",
           with_ratio=False, exclude_flags=(), ratio="CO2/H2O"):
    """Filter a catalog table (the same filters as `load`).

    Parameters
    ----------
    table : astropy.table.QTable
        A table as returned by `load`.
    dyn_class, method, rh_range, limits, with_ratio, exclude_flags, ratio
        See `load`.

    Returns
    -------
    astropy.table.QTable
        The selected rows (a copy).
    """
    import astropy.units as u

    keep = np.ones(len(table), dtype=bool)
    if dyn_class is not None:
        classes = names(dyn_class, "dyn_class")
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
        if isinstance(rh_range, str) or np.ndim(rh_range) != 1 or len(rh_range) != 2:
            raise InputError("rh_range", f"must be (low, high) in au (got {rh_range!r:.60})")
        lo, hi = (distance_au(v, "rh_range") for v in rh_range)
        if not lo <= hi:
            raise InputError("rh_range", f"empty range {lo} to {hi} au")
        rh, has_rh = _values(table["rh"], u.au)
        keep &= has_rh & (rh >= lo) & (rh <= hi)
    if limits not in ("include", "exclude", "only"):
        raise InputError("limits", f"{limits!r} is not one of include, exclude, only")
    columns = ratio_columns(table, ratio)
    is_limit = columns["limit"] != ""
    if limits == "exclude":
        keep &= ~is_limit
    elif limits == "only":
        keep &= is_limit
    if with_ratio:
        keep &= np.isfinite(columns["value"])
    for flag in exclude_flags:
        if flag not in FLAGS:
            raise InputError("exclude_flags", f"unknown flag {flag!r}; choose from {', '.join(FLAGS)}")
        keep &= np.array([flag not in str(f).split() for f in table["flags"]], dtype=bool)
    return table[keep]


def _values(column, unit):
    """Return (float64 values in ``unit`` with NaN where masked, has-value mask)."""
    mask = np.asarray(getattr(column, "mask", np.zeros(len(column), dtype=bool)), dtype=bool)
    values = np.asarray(column.to_value(unit) if hasattr(column, "to_value") else column,
                        dtype=float)
    values = np.where(mask, np.nan, values)
    return values, ~mask & np.isfinite(values)


def ratio_columns(table, ratio="CO2/H2O"):
    """One ratio of every row as plain arrays, inverses computed from the stored ratio.

    Parameters
    ----------
    table : astropy.table.QTable
        Catalog rows.
    ratio : str
        CO2/H2O, CO/H2O, CO2/CO or an inverse (H2O/CO2, H2O/CO, CO/CO2).

    Returns
    -------
    dict of ndarray
        ``value``, ``err_lo``, ``err_hi`` (plain numbers, NaN where missing), ``limit``
        ("", "upper", "lower") and ``origin`` (see `ORIGINS`). For an inverse ratio the
        values are reciprocals, the error interval is mapped exactly (its upper end is
        infinite when the stored lower error reaches zero) and upper and lower limits swap.
    """
    import astropy.units as u

    from .ratios import parse_name

    name = parse_name(ratio)
    prefix = name.column
    one = u.dimensionless_unscaled
    value = _values(table[prefix], one)[0]
    lo = _values(table[f"{prefix}_err_lo"], one)[0]
    hi = _values(table[f"{prefix}_err_hi"], one)[0]
    limit = np.asarray(table[f"{prefix}_limit"], dtype=str)
    origin = (np.asarray(table[f"{prefix}_origin"], dtype=str) if f"{prefix}_origin" in table.colnames
              else np.full(len(table), "", dtype=str))
    limit = np.where(np.isfinite(value), limit, "")
    if name.inverted:
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / value
            new_lo = inv - 1.0 / (value + hi)
            new_hi = np.where(value - lo > 0, 1.0 / (value - lo) - inv, np.inf)
        new_hi = np.where(np.isfinite(lo), new_hi, np.nan)
        value, lo, hi = inv, new_lo, new_hi
        limit = np.select([limit == "upper", limit == "lower"], ["lower", "upper"], "")
    return {"value": value, "err_lo": lo, "err_hi": hi, "limit": limit, "origin": origin}


def trend_sample(table=None, *, ratio="CO2/H2O", exclude_classes=TREND_EXCLUDED_CLASSES,
                 exclude_flags=TREND_EXCLUDED_FLAGS, direct_only=True, limits="exclude"):
    """Rows used for the trend and the percentiles of one ratio.

    Parameters
    ----------
    table : astropy.table.QTable, optional
        Catalog (default: `load()`).
    ratio : str
        Which ratio (see `ratio_columns`).
    exclude_classes : sequence of str
        Dynamical classes to leave out (default `TREND_EXCLUDED_CLASSES`).
    exclude_flags : sequence of str
        Flags whose rows are left out (default `TREND_EXCLUDED_FLAGS`).
    direct_only : bool
        Keep only direct CO2 measurements. The ``method`` column describes the CO2
        measurement, so this applies only to ratios involving CO2; CO is measured from its
        own bands in every catalog row.
    limits : {"exclude", "include", "only"}
        Measurements only (the trend fit, default), or with the limits (percentile ranges).

    Returns
    -------
    astropy.table.QTable
    """
    from .ratios import parse_name

    name = parse_name(ratio)
    table = load() if table is None else table
    classes = [c for c in DYNAMICAL_CLASSES if c not in tuple(exclude_classes)]
    uses_co2 = "CO2" in (name.numerator, name.denominator)
    return select(table, dyn_class=classes,
                  method="direct" if (direct_only and uses_co2) else None,
                  limits=limits, with_ratio=True, exclude_flags=tuple(exclude_flags),
                  ratio=name.name)


@dataclass(frozen=True)
class TrendFit:
    """log10(ratio) = intercept + slope * log10(rh [au]), with intrinsic scatter.

    Attributes
    ----------
    slope, slope_err : float
        Power-law index in rh and its 1-sigma error.
    intercept, intercept_err : float
        log10 of the ratio (a plain number) at 1 au and its 1-sigma error.
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
    ratio_name : str
        The ratio fitted (e.g. "CO2/H2O").
    n_limits : int
        Upper and lower limits in the same selection, left out of the fit.
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
    ratio_name: str = "CO2/H2O"
    n_limits: int = 0

    def predict(self, rh_au):
        """Return (log10 ratio, its 1-sigma fit error) at ``rh_au``.

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

    def equation(self):
        """The fitted relation as one line of text.

        Returns
        -------
        str
        """
        return (f"log10({self.ratio_name}) = ({self.intercept:.3f} +- {self.intercept_err:.3f}) "
                f"+ ({self.slope:.3f} +- {self.slope_err:.3f}) log10(rh/au); intrinsic scatter "
                f"{self.scatter_dex:.3f} dex; N = {self.n}"
                + (f" ({self.n_limits} limits not fitted)" if self.n_limits else ""))


def _log_errors(ratio, err_lo, err_hi):
    """1-sigma error of log10(ratio) from (possibly asymmetric, possibly missing) errors."""
    both = np.vstack([err_lo, err_hi])
    both = np.where(np.isfinite(both), both, np.nan)
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


def fit_trend(table=None, *, ratio="CO2/H2O", **sample_options):
    """Fit log10(ratio) against log10(rh) for the trend sample of one ratio.

    Each point has variance ``s**2 + e_i**2``, where ``e_i`` is its measurement error in dex
    (zero where the source gives none) and ``s`` the intrinsic scatter, chosen so that the
    reduced chi-square is one (``s = 0`` if the errors alone already explain the scatter).
    Intercept and slope are the weighted least-squares solution at that ``s``. Limits are
    not fitted (their number is reported in `TrendFit.n_limits`).

    Parameters
    ----------
    table : astropy.table.QTable, optional
        Catalog (default `load()`); `trend_sample` selects the rows.
    ratio : str
        CO2/H2O (default), CO/H2O, CO2/CO or an inverse.
    **sample_options
        Passed to `trend_sample` (``exclude_classes``, ``exclude_flags``, ``direct_only``).

    Returns
    -------
    TrendFit
    """
    import astropy.units as u
    from scipy.optimize import brentq

    from .ratios import parse_name

    name = parse_name(ratio).name
    table = load() if table is None else table
    sample = trend_sample(table, ratio=name, **sample_options)
    n_limits = len(trend_sample(table, ratio=name, limits="only", **sample_options))
    rh, has_rh = _values(sample["rh"], u.au)
    cols = ratio_columns(sample, name)
    good = has_rh & (cols["value"] > 0)
    x, y = np.log10(rh[good]), np.log10(cols["value"][good])
    e = _log_errors(cols["value"][good], cols["err_lo"][good], cols["err_hi"][good])
    n = int(x.size)
    if n < 3:
        raise InputError("catalog", f"only {n} {name} measurements with rh in the trend "
                                    "sample; need 3")
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
                    rh_min=float(10 ** x.min()), rh_max=float(10 ** x.max()),
                    ratio_name=name, n_limits=n_limits)


@dataclass(frozen=True)
class Comparison:
    """Where one ratio measurement stands against the catalog.

    Attributes
    ----------
    ratio, ratio_err : float
        The measurement and its 1-sigma error (plain numbers: 7.6 means 760 %).
    rh : float
        Heliocentric distance (au).
    percentile : float
        Percentage of the measured values of the comparison sample (see `trend_sample`)
        below the measurement (ties count half).
    n_sample : int
        Number of those measured values.
    percentile_range : (float, float)
        The percentile among measurements *and* limits of the same selection: its lowest
        value counts an upper limit as below only if it lies at or below the measurement and
        a lower limit as above only if it lies at or above it; its highest value counts every
        limit that could be either side as below. Equal to ``(percentile, percentile)`` when
        the selection holds no limits.
    n_limits : int
        Number of limits in that selection.
    trend_ratio : float
        The ratio the trend predicts at ``rh``.
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
    ratio_name : str
        Which ratio ("CO2/H2O", "CO/H2O", ...).
    """

    ratio: float
    ratio_err: float
    rh: float
    percentile: float
    n_sample: int
    percentile_range: tuple
    n_limits: int
    trend_ratio: float
    offset_dex: float
    sigma_total_dex: float
    n_sigma: float
    n_sigma_measurement: float
    extrapolated: bool
    fit: TrendFit
    ratio_name: str = "CO2/H2O"

    def to_dict(self):
        """Return the comparison as a plain dict (JSON-ready; ratios are plain numbers).

        Returns
        -------
        dict
        """
        out = asdict(self)
        out["fit"] = self.fit.to_dict()
        out["percentile_range"] = list(self.percentile_range)
        # strict JSON has no infinities: a ratio without error has no measurement-only sigma
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in out.items()}

    def summary(self):
        """Return a few human-readable lines.

        Returns
        -------
        str
        """
        from .ratios import format_value

        f = self.fit
        lo, hi = self.percentile_range
        limits = (f"; with the {self.n_limits} limits of the same selection: "
                  f"{lo:.1f} to {hi:.1f}" if self.n_limits else "")
        return "\n".join([
            f"{self.ratio_name} = {format_value(self.ratio, self.ratio_err or None)} "
            f"at rh = {self.rh:.3g} au",
            f"percentile among the {self.n_sample} comparison measurements: "
            f"{self.percentile:.1f}{limits}",
            f"trend: {f.equation()}",
            f"trend at rh: {self.ratio_name} = {self.trend_ratio:.3g}; offset "
            f"{self.offset_dex:+.3f} dex = "
            f"{self.n_sigma:+.1f} sigma (scatter + errors), "
            + (f"{self.n_sigma_measurement:+.1f} sigma (measurement error only)"
               if np.isfinite(self.n_sigma_measurement) else "no measurement error given"),
        ] + ([f"warning: rh = {self.rh:.3g} au is outside the trend sample's "
              f"{f.rh_min:.3g}-{f.rh_max:.3g} au; the trend is extrapolated"]
             if self.extrapolated else []))


def _percentiles(value, sample_values, limit_values, limit_kinds):
    """(percentile among measurements, (low, high) percentile with limits)."""
    below = np.sum(sample_values < value) + 0.5 * np.sum(sample_values == value)
    percentile = 100.0 * below / sample_values.size
    upper = limit_values[limit_kinds == "upper"]
    lower = limit_values[limit_kinds == "lower"]
    total = sample_values.size + upper.size + lower.size
    # an upper limit at or below the value is surely below it; a lower limit at or above
    # it surely above; the others could lie either side
    sure_below = below + np.sum(upper <= value)
    either = np.sum(upper > value) + np.sum(lower < value)
    return percentile, (100.0 * sure_below / total, 100.0 * (sure_below + either) / total)


def compare(value, rh, err=0.0, *, ratio="CO2/H2O", table=None, **sample_options):
    """Place a ratio measurement against the catalog.

    Parameters
    ----------
    value : float or Quantity
        The ratio as a plain number (7.6 means Q(CO2) = 7.6 Q(H2O)); a dimensionless
        Quantity such as ``760 * u.percent`` is converted.
    rh : float or Quantity
        Heliocentric distance (floats are au).
    err : float or Quantity
        1-sigma error of ``value`` (same convention).
    ratio : str
        Which ratio: CO2/H2O (default), CO/H2O, CO2/CO or an inverse.
    table : astropy.table.QTable, optional
        Catalog (default `load()`).
    **sample_options
        Passed to `trend_sample` (``exclude_classes``, ``exclude_flags``, ``direct_only``).

    Returns
    -------
    Comparison
    """
    import astropy.units as u

    from .ratios import as_number, parse_name

    name = parse_name(ratio).name
    value = as_number(value, "value")
    err = as_number(err, "err")
    rh = distance_au(rh, "rh")
    if not (np.isfinite(value) and value > 0):
        raise InputError("value", f"{name} must be a positive number, got {value}")
    if not (np.isfinite(err) and err >= 0):
        raise InputError("err", f"must be >= 0, got {err}")
    if not (np.isfinite(rh) and rh > 0):
        raise InputError("rh", f"must be a positive distance in au, got {rh}")

    table = load() if table is None else table
    fit = fit_trend(table, ratio=name, **sample_options)
    measured = ratio_columns(trend_sample(table, ratio=name, **sample_options), name)["value"]
    limits = ratio_columns(trend_sample(table, ratio=name, limits="only", **sample_options), name)
    percentile, p_range = _percentiles(value, measured, limits["value"], limits["limit"])

    trend_log, trend_err = fit.predict(rh)
    offset = float(np.log10(value) - trend_log)
    meas_dex = err / (value * np.log(10.0))
    total = float(np.sqrt(fit.scatter_dex**2 + meas_dex**2 + trend_err**2))
    n_sigma = offset / total if total > 0 else np.copysign(np.inf, offset)
    n_sigma_meas = offset / meas_dex if meas_dex > 0 else np.copysign(np.inf, offset)
    return Comparison(ratio=float(value), ratio_err=float(err), rh=float(rh),
                      percentile=float(percentile), n_sample=int(measured.size),
                      percentile_range=tuple(float(p) for p in p_range),
                      n_limits=int(limits["value"].size),
                      trend_ratio=float(10**trend_log), offset_dex=offset,
                      sigma_total_dex=total, n_sigma=float(n_sigma),
                      n_sigma_measurement=float(n_sigma_meas),
                      extrapolated=bool(not fit.rh_min <= rh <= fit.rh_max), fit=fit,
                      ratio_name=name)


_PERIHELIA_NAME = "perihelia.ecsv"


@dataclass(frozen=True)
class Perihelion:
    """Perihelion of a comet, where the package knows it (``comaspec/data/perihelia.ecsv``).

    Attributes
    ----------
    designation : str
        IAU designation.
    q : float
        Perihelion distance (au).
    date : str
        UT date of perihelion (ISO).
    reference : str
        Where the values were read.
    verified : str
        Verification level of ``q`` and of ``date`` (see `VERIFIED`), space-separated.
    """

    designation: str
    q: float
    date: str
    reference: str
    verified: str


def perihelion(designation):
    """Return the perihelion of a comet, or None if the package does not know it.

    Parameters
    ----------
    designation : str
        IAU designation as in the catalog (e.g. "3I").

    Returns
    -------
    Perihelion or None
    """
    import astropy.units as u
    from astropy.table import Table

    table = Table.read(data_dir() / _PERIHELIA_NAME, format="ascii.ecsv")
    for row in table:
        if row["designation"] == designation:
            return Perihelion(designation=str(row["designation"]),
                              q=float(u.Quantity(row["q"], table["q"].unit).to_value(u.au)),
                              date=str(row["date"]), reference=str(row["reference"]),
                              verified=str(row["verified"]))
    return None


def time_series(designation, *, order="date", table=None, exclude_flags=("superseded",)):
    """All catalog measurements of one comet, in order of date or of heliocentric distance.

    Parameters
    ----------
    designation : str
        IAU designation as in the catalog (e.g. "3I", "67P", "C/1995 O1").
    order : {"date", "rh"}
        Sort by the (start) date of each measurement, or by rh. Rows without the sort key
        come last.
    table : astropy.table.QTable, optional
        Catalog (default `load()`).
    exclude_flags : sequence of str
        Flags whose rows are dropped (default: superseded preprint values).

    Returns
    -------
    astropy.table.QTable
        The comet's rows, with the three ratios in their columns; an added ``epoch`` column
        holds the start date as an astropy Time (masked where the source gives no date).

    Raises
    ------
    InputError
        If the comet is not in the catalog, or ``order`` is unknown.
    """
    import astropy.units as u
    from astropy.time import Time

    if order not in ("date", "rh"):
        raise InputError("order", f"{order!r} is not one of date, rh")
    table = load() if table is None else table
    rows = select(table, exclude_flags=tuple(exclude_flags))
    rows = rows[np.asarray(rows["designation"], dtype=str) == designation]
    if len(rows) == 0:
        known = sorted(set(np.asarray(table["designation"], dtype=str)))
        raise InputError("designation", f"{designation!r} is not in the catalog "
                                         f"({len(known)} comets, e.g. {', '.join(known[:5])})")
    starts = [str(d).split("/")[0] for d in rows["date"]]
    has_date = np.array([bool(s) for s in starts])
    epoch = Time([s if s else "2000-01-01" for s in starts], format="iso", scale="utc")
    if not has_date.all():
        epoch[~has_date] = np.ma.masked
    rows["epoch"] = epoch
    if order == "date":
        key = np.where(has_date, epoch.jd, np.inf)
    else:
        key = np.nan_to_num(_values(rows["rh"], u.au)[0], nan=np.inf)
    return rows[np.argsort(key, kind="stable")]
