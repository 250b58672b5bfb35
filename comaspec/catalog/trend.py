"""The rh trend of a ratio in the catalog: log10(ratio) against log10(rh) with intrinsic scatter."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InputError
from .table import _values, load, ratio_columns, trend_sample


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

    from ..ratios import parse_name

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
