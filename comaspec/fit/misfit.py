"""No detections from a model that does not fit: errors inflated by the residuals.

When the best fit's χ² is improbable for its degrees of freedom (tail probability below
`P_IMPROBABLE`), the data's σ do not describe the scatter about the model: the spectrum is
not a coma spectrum (a galaxy, a nebula's emission lines), or its errors are
under-stated. Band significances computed from σ alone are then meaningless — a galaxy's
emission line at 4.67 µm becomes "CO detected at 100σ".

Each species' band-flux error is therefore multiplied by

    f = sqrt(max(1, χ²_ν,window, χ²_local)),

χ²_ν,window being the reduced χ² of the fit window(s) that hold the species' bands (its
residuals over the window's pixels, over the window's share of the degrees of freedom,
n_window · dof / n), and χ²_local the mean squared normalised residual over the pixels
where that species' bands are (where its unit template exceeds a tenth of its peak). The
window term is the usual rescaling by χ²_ν, taken window by window: a continuum misfit at
4–5 µm (a thermal dust continuum under a polynomial) inflates CO2 and CO there, not H2O at
2.7 µm. The local term catches a misfit concentrated on the band itself. Continuum
coefficients take the factor of the windows they span. Detections, upper limits and ratio
intervals all follow from the inflated errors, and a warning says that the spectrum is not
described by a coma model. A fit whose χ² is probable is left exactly as it was.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from ..errors import ComaspecWarning

__all__ = ["P_IMPROBABLE", "inflate_errors", "window_groups"]

#: χ² tail probability below which the fit counts as improbable
P_IMPROBABLE = 1e-3
#: a species' band pixels: where its unit template exceeds this fraction of its peak
_BAND_FRACTION = 0.1


def _local_chi2(resid, column):
    col = np.abs(column)
    peak = col.max() if col.size else 0.0
    if not peak > 0:
        return 1.0
    pix = col > _BAND_FRACTION * peak
    return float(np.mean(resid[pix] ** 2)) if pix.any() else 1.0


def window_groups(coverage):
    """Each fit window's pixels as indices into the concatenated fitted pixels.

    Parameters
    ----------
    coverage : `comaspec.model.coverage.Coverage`

    Returns
    -------
    list of (str, ndarray)
        Window name (spectrum index first when there are several spectra) and indices.
    """
    groups, offset = [], 0
    several = len(coverage.used) > 1
    for i, (used, per_win) in enumerate(zip(coverage.used, coverage.win_pix)):
        kept = np.flatnonzero(used)
        for w, idx in per_win:
            groups.append((f"{i}:{w.name}" if several else w.name, offset + np.searchsorted(kept, idx)))
        offset += kept.size
    return groups


def _window_chi2(resid, dof, groups):
    """{window: reduced χ² over its pixels, with its share n_window · dof / n of the dof}."""
    n = resid.size
    return {name: float(np.sum(resid[idx] ** 2) / max(idx.size * dof / n, 1.0)) for name, idx in groups}


def _factors(resid, design, n_sp, groups, chi2_w):
    """Inflation factor of each design column: its windows' χ²_ν (and, for a species, the
    local χ² of its band pixels)."""
    factors = np.ones(design.shape[1])
    for j in range(design.shape[1]):
        col = np.abs(design[:, j])
        peak = col.max() if col.size else 0.0
        pix = col > (_BAND_FRACTION * peak if j < n_sp else 0.0)
        touched = [chi2_w[name] for name, idx in groups if pix[idx].any()] or list(chi2_w.values())
        terms = [1.0, max(touched)] + ([_local_chi2(resid, design[:, j])] if j < n_sp else [])
        factors[j] = np.sqrt(max(terms))
    return factors


def inflate_errors(chi2, dof, scale_covar, design, y, sigma, coef, covariance, species, notes,
                   samples=None, groups=None):
    """Inflate the covariance (and MC/MCMC samples) of an improbable fit; note and warn.

    Parameters
    ----------
    chi2 : float
        χ² of the best fit.
    dof : int
        Its degrees of freedom.
    scale_covar : bool
        True when the covariance was already rescaled by χ²_ν (then nothing is changed:
        the user chose the global rescaling).
    design : ndarray, shape (n, k)
        Model columns at the best fit; the first ``len(species)`` are the species' unit
        band templates.
    y, sigma : ndarray, shape (n,)
        Data and 1σ errors of the fitted pixels.
    coef : ndarray, shape (k,)
        Best-fit linear coefficients.
    covariance : ndarray, shape (k, k)
        Their covariance.
    species : sequence of str
        Fitted species, in column order.
    notes : list of str
        The fit's notes; one is appended when the fit is improbable.
    samples : ndarray, shape (m, len(species)), optional
        Band-flux draws (MC refits or MCMC), spread about their mean by the same factors.
    groups : list of (str, ndarray), optional
        The fit windows' pixels (`window_groups`); default one window of every pixel (the
        global χ²_ν).

    Returns
    -------
    covariance : ndarray
        Inflated (or the input when the fit is probable).
    samples : ndarray or None
        Likewise.
    inflation : dict or None
        Species -> factor applied to its band-flux error; None when nothing was changed.
    """
    if dof <= 0 or scale_covar or not special.chdtrc(dof, chi2) < P_IMPROBABLE:
        return covariance, samples, None
    chi2_nu = chi2 / dof
    resid = (y - design @ coef) / sigma
    n_sp = len(species)
    groups = groups or [("all", np.arange(resid.size))]
    chi2_w = _window_chi2(resid, dof, groups)
    factors = np.ones(covariance.shape[0])
    factors[:design.shape[1]] = _factors(resid, design, n_sp, groups, chi2_w)
    factors[design.shape[1]:] = np.sqrt(max(1.0, chi2_nu))  # nonlinear parameters: the global term
    covariance = covariance * np.outer(factors, factors)
    if samples is not None:
        mean = samples.mean(axis=0)
        samples = mean + (samples - mean) * factors[:n_sp]
    inflation = {s: float(factors[j]) for j, s in enumerate(species)}
    worst = ", ".join(f"{s} x{f:.3g}" for s, f in inflation.items())
    per_window = ", ".join(f"{name} {c:.3g}" for name, c in chi2_w.items()) if len(groups) > 1 else ""
    message = ("the spectrum is not described by a coma model (or its errors are under-stated): "
               f"chi2_nu = {chi2_nu:.2f} over {dof} degrees of "
               f"freedom is improbable (p < {P_IMPROBABLE:g}), so band significances, limits and ratios use errors "
               f"inflated by the residuals of their own window ({worst}"
               + (f"; chi2_nu by window: {per_window}" if per_window else "") + "); inspect the residuals (--plot); "
               "a continuum rising steeply through 4-5 um (thermal dust) is fitted by --continuum physical; "
               "--scale-covar gives a plain chi2_nu rescaling")
    notes.append(message)
    warnings.warn(message, ComaspecWarning, stacklevel=_user_stacklevel())
    return covariance, samples, inflation


def _user_stacklevel():
    """``stacklevel`` of the first caller outside comaspec, for the function that calls this one."""
    import os
    import sys

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # comaspec/
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level
