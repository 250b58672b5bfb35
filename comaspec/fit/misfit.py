"""No detections from a model that does not fit: errors inflated by the residuals.

When the best fit's χ² is improbable for its degrees of freedom (tail probability below
`P_IMPROBABLE`), the data's σ do not describe the scatter about the model: the spectrum is
not a coma spectrum (a galaxy, a nebula's emission lines), or its errors are
under-stated. Band significances computed from σ alone are then meaningless — a galaxy's
emission line at 4.67 µm becomes "CO detected at 100σ".

Each species' band-flux error is therefore multiplied by

    f = sqrt(max(1, χ²_ν, χ²_local)),

χ²_local being the mean squared normalised residual over the pixels where that species'
bands are (where its unit template exceeds a tenth of its peak): the global term is
the usual rescaling by χ²_ν, the local one catches a misfit concentrated on the band
itself. Detections, upper limits and ratio intervals all follow from the inflated errors,
and a warning says that the spectrum is not described by a coma model. A fit whose χ² is
probable is left exactly as it was.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from ..errors import ComaspecWarning

__all__ = ["P_IMPROBABLE", "inflate_errors"]

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


def inflate_errors(chi2, dof, scale_covar, design, y, sigma, coef, covariance, species, notes,
                   samples=None):
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
    factors = np.full(covariance.shape[0], np.sqrt(max(1.0, chi2_nu)))
    for j in range(n_sp):
        factors[j] = np.sqrt(max(1.0, chi2_nu, _local_chi2(resid, design[:, j])))
    covariance = covariance * np.outer(factors, factors)
    if samples is not None:
        mean = samples.mean(axis=0)
        samples = mean + (samples - mean) * factors[:n_sp]
    inflation = {s: float(factors[j]) for j, s in enumerate(species)}
    worst = ", ".join(f"{s} x{f:.3g}" for s, f in inflation.items())
    message = (f"the spectrum is not described by a coma model (or its errors are under-stated): chi2_nu = {chi2_nu:.2f} over {dof} degrees of "
               f"freedom is improbable (p < {P_IMPROBABLE:g}), so band significances, limits and ratios use errors "
               f"inflated by the residuals ({worst}); inspect the residuals (--plot), and use --scale-covar for "
               "a plain chi2_nu rescaling")
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
