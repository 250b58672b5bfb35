"""Where a new measurement stands: against the trend and among the catalog's values and limits."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .._validate import distance_au
from ..errors import InputError
from .table import load, ratio_columns, trend_sample
from .trend import TrendFit, fit_trend


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
        from ..ratios import format_value

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
    from ..ratios import as_number, parse_name

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
