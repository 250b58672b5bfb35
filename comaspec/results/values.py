"""Detections, limits and ratios of fitted values: the rules every result follows.

Plain numbers in, plain numbers out; no fitting and no physics. Conventions (see ``docs/uncertainties.rst``):

- a species is *detected* when its band flux is at least ``detect_sigma`` (default 3)
  times its 1σ uncertainty;
- a non-detected species gets an upper limit ``max(Q, 0) + limit_sigma · σ_Q`` and no
  measured Q (never a negative or insignificant value reported as a measurement);
- a ratio of two detected species carries the linear (delta-method) error that uses their
  correlation, and an asymmetric 68 % interval from Monte Carlo draws of the two fitted
  values (or from the MC/MCMC samples when those were made);
- a ratio with an undetected denominator is a lower limit, with an undetected numerator an
  upper limit; when neither is detected, or a band is not covered, the value is missing and
  ``reason`` says why.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np


__all__ = ["DEFAULT_DETECT_SIGMA", "DEFAULT_LIMIT_SIGMA", "REPORTED_RATIOS", "is_detected", "upper_limit", "Ratio",
           "ratio_from_values", "gaussian_draws"]

#: The ratios between the main volatiles that a fit reports when both species were fitted
#: (text and JSON ``ratios``): the three the catalog stores (`comaspec.ratios.STORED`, a floor
#: above; tests/test_user_loose_ends.py checks that the two lists agree).
REPORTED_RATIOS = (("CO2", "H2O"), ("CO", "H2O"), ("CO2", "CO"))

#: Default detection threshold: band flux / uncertainty.
DEFAULT_DETECT_SIGMA = 3.0
#: Default significance of upper limits.
DEFAULT_LIMIT_SIGMA = 3.0
#: Central 68 % interval as percentiles.
_PCT_LO, _PCT_HI = 15.865525393145708, 84.13447460685429


def is_detected(value, err, nsigma=DEFAULT_DETECT_SIGMA) -> bool:
    """Whether ``value`` is at least ``nsigma`` times its uncertainty.

    Parameters
    ----------
    value, err : float
        Measured value and its 1σ uncertainty (``err > 0``).
    nsigma : float
        Threshold.

    Returns
    -------
    bool
    """
    if err is None or not np.isfinite(err) or err <= 0 or not np.isfinite(value):
        return False
    return bool(value / err >= nsigma)


def upper_limit(value, err, nsigma=DEFAULT_LIMIT_SIGMA) -> float:
    """Upper limit ``max(value, 0) + nsigma · err``.

    A negative fluctuation does not make the limit tighter than the noise alone allows.

    Parameters
    ----------
    value, err : float or ndarray
        Measured value and its 1σ uncertainty (element-wise for arrays, e.g. map bins).
    nsigma : float
        Significance of the limit.

    Returns
    -------
    float or ndarray
        A float for scalar inputs. NaN where the value is NaN.
    """
    limit = np.maximum(value, 0.0) + nsigma * np.asarray(err, dtype=float)
    return float(limit) if np.ndim(limit) == 0 else limit


@dataclass(frozen=True)
class Ratio:
    """A ratio of two production rates (e.g. CO2/H2O), a limit on it, or why it is missing.

    Attributes
    ----------
    numerator, denominator : str
        Species names.
    value : float or None
        Best-fit ratio, or the limit when ``limit`` is set; None when missing.
    err_lo, err_hi : float or None
        Distances from ``value`` to the lower and upper ends of the 68 % interval.
    err_linear : float or None
        Symmetric 1σ error from the covariance (delta method, with the correlation).
    limit : {None, "lower", "upper"}
        Set when ``value`` is a limit.
    limit_sigma : float or None
        Significance of the limit.
    reason : str or None
        Why the value is missing or only a limit.
    method : str
        How the interval was computed (``"covariance draws"``, ``"mc refits"``, ``"mcmc"``).
    """

    numerator: str
    denominator: str
    value: float | None = None
    err_lo: float | None = None
    err_hi: float | None = None
    err_linear: float | None = None
    limit: str | None = None
    limit_sigma: float | None = None
    reason: str | None = None
    method: str | None = None

    def to_dict(self) -> dict:
        """Plain-number dict (the ``ratio`` block of the JSON output).

        Returns
        -------
        dict
        """
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": _num(self.value),
            "err_lo": _num(self.err_lo),
            "err_hi": _num(self.err_hi),
            "err_linear": _num(self.err_linear),
            "limit": self.limit,
            "limit_sigma": _num(self.limit_sigma),
            "reason": self.reason,
            "method": self.method,
        }

    def __str__(self) -> str:
        name = f"{self.numerator}/{self.denominator}"
        if self.value is None:
            return f"{name}: not measured ({self.reason})"
        if self.limit == "lower":
            return f"{name} > {_fmt(self.value)} ({self.limit_sigma:g}σ lower limit: {self.reason})"
        if self.limit == "upper":
            return f"{name} < {_fmt(self.value)} ({self.limit_sigma:g}σ upper limit: {self.reason})"
        d = _decimals(self.err_lo, self.err_hi)
        return (f"{name} = {self.value:.{d}f} -{self.err_lo:.{d}f} +{self.err_hi:.{d}f} "
                f"(68 % interval, {self.method}; linear ±{self.err_linear:.{d}f})")


def ratio_from_values(numerator, denominator, values, covariance, *, detected, covered=(True, True),
                      samples=None, method="covariance draws", limit_sigma=DEFAULT_LIMIT_SIGMA,
                      n_draws=20000, seed=12345) -> Ratio:
    """Ratio ``values[0] / values[1]`` with correlated errors, an interval, or a limit.

    Parameters
    ----------
    numerator, denominator : str
        Species names (labels only).
    values : (2,) array_like
        Best-fit numerator and denominator.
    covariance : (2, 2) array_like
        Their covariance.
    detected : (bool, bool)
        Whether each is detected.
    covered : (bool, bool)
        Whether each band is covered by the data at all.
    samples : (n, 2) array_like, optional
        Draws of (numerator, denominator) from MC refits or MCMC; used for the interval
        instead of Gaussian draws from ``covariance``.
    method : str
        Label of how ``samples`` were made.
    limit_sigma : float
        Significance of limits.
    n_draws : int
        Gaussian draws when ``samples`` is None.
    seed : int
        Seed of those draws (results are reproducible).

    Returns
    -------
    Ratio
    """
    base = dict(numerator=numerator, denominator=denominator)
    missing = [n for n, c in zip((numerator, denominator), covered) if not c]
    if missing:
        what = " and ".join(missing)
        return Ratio(**base, reason=f"{what} band not covered by the spectrum")
    n, d = (float(v) for v in values)
    cov = np.asarray(covariance, dtype=float)
    sn, sd = math.sqrt(max(cov[0, 0], 0.0)), math.sqrt(max(cov[1, 1], 0.0))
    det_n, det_d = detected
    if not det_n and not det_d:
        return Ratio(**base, reason=f"neither {numerator} nor {denominator} detected")
    if not det_d:
        lim = upper_limit(d, sd, limit_sigma)
        return Ratio(**base, value=n / lim, limit="lower", limit_sigma=limit_sigma,
                     reason=f"{denominator} not detected; "
                            f"{numerator} / ({limit_sigma:g}σ upper limit of {denominator})")
    if not det_n:
        lim = upper_limit(n, sn, limit_sigma)
        return Ratio(**base, value=lim / d, limit="upper", limit_sigma=limit_sigma,
                     reason=f"{numerator} not detected; ({limit_sigma:g}σ upper limit of {numerator}) / {denominator}")
    value = n / d
    # delta method with the correlation term
    var = value**2 * (cov[0, 0] / n**2 + cov[1, 1] / d**2 - 2 * cov[0, 1] / (n * d))
    err_linear = math.sqrt(max(var, 0.0))
    if samples is None:
        samples = gaussian_draws([n, d], cov, n_draws, seed)
    samples = np.asarray(samples, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = samples[:, 0] / samples[:, 1]
    finite = np.isfinite(r)
    if not finite.all():
        r = r[finite]
    lo, hi = np.percentile(r, [_PCT_LO, _PCT_HI], overwrite_input=True)  # r is ours: no copy
    return Ratio(**base, value=value, err_lo=max(value - lo, 0.0), err_hi=max(hi - value, 0.0),
                 err_linear=err_linear, method=method)


def gaussian_draws(mean, covariance, n_draws, seed):
    """``np.random.default_rng(seed).multivariate_normal(mean, covariance, n_draws, method="eigh")``,
    bit for bit, the standard normals of a seed drawn once per process.

    Every ratio of every fit draws with the same seed: the standard normals (about half of a
    ratio's time) are the same each time, and only numpy's transformation of them
    (``mean + x @ factor.T``, ``factor = u · sqrt(|s|)`` from ``eigh``) is done per ratio. A
    covariance that is not positive semi-definite (an eigenvalue below -1e-8, numpy's test)
    goes to numpy's own call, which warns. ``tests/test_gaussian_draws.py`` compares the two
    over random, singular, near-singular and non-PSD covariances.

    Parameters
    ----------
    mean : (k,) array_like
    covariance : (k, k) array_like
    n_draws : int
    seed : int
        Other seeds (None, a Generator) are passed to numpy's call as they are.

    Returns
    -------
    (n_draws, k) ndarray
    """
    mean, cov = np.array(mean), np.array(covariance)
    plain = mean.dtype.kind in "fiu" and cov.dtype.kind in "fiu" and isinstance(seed, (int, np.integer))
    if plain and mean.ndim == 1 and len(mean) and cov.shape == (len(mean), len(mean)):
        s, u = np.linalg.eigh(cov.astype(np.double))
        if not np.any(s < -1e-8):
            factor = u * np.sqrt(abs(s))
            draws = _standard_normals(seed, n_draws, len(mean)) @ factor.T
            # numpy's `mean + x @ factor.T`, the same sums in place, a column at a time (a
            # broadcast over rows of 2 takes 6 times as long)
            for column, value in zip(draws.T, mean):
                column += value
            return draws
    # not positive semi-definite, not a plain mean and covariance, or a seed that is not a
    # number (None: new draws each time): numpy's own call, its warning and error messages
    return np.random.default_rng(seed).multivariate_normal(mean, cov, size=n_draws, method="eigh")


@functools.lru_cache(maxsize=4)
def _standard_normals(seed, n_draws, k):
    """The (n_draws, k) standard normals numpy's multivariate_normal starts from (read-only)."""
    x = np.random.default_rng(seed).standard_normal((n_draws, k))
    x.flags.writeable = False
    return x


def _num(x):
    """float or None, with non-finite values as None (JSON has no NaN)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _decimals(*errors):
    """Decimal places that show the smallest positive error with two significant digits."""
    positive = [e for e in errors if e is not None and e > 0 and math.isfinite(e)]
    if not positive:
        return 3
    return int(min(max(0, 1 - math.floor(math.log10(min(positive)))), 12))


def _fmt(x):
    if x is None:
        return "?"
    return f"{x:.3g}"
