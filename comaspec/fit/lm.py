"""Levenberg-Marquardt as lmfit's ``Minimizer.leastsq`` runs it, without its per-call bookkeeping.

lmfit's ``leastsq`` maps each bounded parameter to an unbounded internal one (the MINUIT
transformations of `lmfit.Parameter.setup_bounds`), calls `scipy.optimize.leastsq` (MINPACK
``lmdif``, forward-difference Jacobian) and turns MINPACK's covariance back to the external
parameters. Around each of a fit's ~60-80 residual calls it also updates every `Parameter`
object, re-evaluates constraint expressions and checks the output (~50 µs a call, more than
the residual itself at a known design), and it deep-copies the parameters and builds
``uncertainties`` objects once per fit. `leastsq` here does the same arithmetic in the same
order (the same transformations, taken from the `Parameter` objects themselves, the same
MINPACK call and options, the same covariance algebra), so that the fit, its errors, its
messages and its ``nfev`` are lmfit's to the last bit (``tests/test_fit_lm.py``), and leaves
the rest out. Anything it does not reproduce (constraint expressions, a non-finite residual,
lmfit's limit on evaluations) is handed to lmfit itself, from the start.
"""

from __future__ import annotations

import numpy as np

__all__ = ["leastsq", "LeastsqResult"]

#: lmfit's options of `scipy.optimize.leastsq` (``Minimizer.leastsq``, lmfit 1.3).
_LSQ_OPTIONS = dict(Dfun=None, full_output=1, col_deriv=0, ftol=1.5e-8, xtol=1.5e-8, gtol=0.0, epsfcn=1.e-10,
                    factor=100, diag=None)


class _HandOver(Exception):
    """A case lmfit handles itself (a non-finite residual, too many evaluations)."""


class LeastsqResult:
    """What lmfit's ``MinimizerResult`` of ``leastsq`` holds and comaspec reads.

    Attributes
    ----------
    params : lmfit.Parameters
        The fitted parameters (values, ``stderr``, ``correl``), as lmfit's ``result.params``.
    var_names : list of str
        The varied parameters, in order.
    nvarys, nfev : int
        Their number; residual evaluations as lmfit counts them.
    success : bool
    message, lmdif_message : str
        lmfit's and MINPACK's words on the convergence.
    ier : int
        MINPACK's exit code.
    covar : ndarray or None
        Covariance of the varied parameters (external units), rescaled by ``redchi`` when
        ``scale_covar``.
    errorbars : bool
    residual : ndarray
        The residual at the best fit.
    chisqr, redchi : float
    ndata, nfree : int
    init_vals : list of float
        Start values of the varied parameters.
    """

    method = "leastsq"
    aborted = False
    uvars = None   # lmfit's ``uncertainties`` objects: comaspec does not read them


def leastsq(residual, params, scale_covar=False):
    """Fit ``params`` (in place) by Levenberg-Marquardt exactly as lmfit's ``Minimizer.leastsq``.

    Parameters
    ----------
    residual : callable
        ``residual(values)`` -> 1-d float64 array, ``values`` a dict name -> value of every
        parameter (what ``params.valuesdict()`` gives).
    params : lmfit.Parameters
        Start values and bounds. They are fitted in place and become the result's ``params``
        (lmfit fits a copy).
    scale_covar : bool
        Rescale the covariance by the reduced χ² (lmfit's ``scale_covar``).

    Returns
    -------
    LeastsqResult or lmfit.MinimizerResult
        The latter when lmfit itself ran (see the module docstring).

    Raises
    ------
    ValueError, numpy.linalg.LinAlgError
        As lmfit raises them (e.g. a residual that is not finite).
    """
    if any(par.expr is not None for par in params.values()):
        return _lmfit(residual, params, scale_covar)
    start = {name: par.value for name, par in params.items()}
    try:
        return _run(residual, params, scale_covar)
    except _HandOver:
        for name, value in start.items():   # lmfit starts again from the same values
            params[name].value = value
        return _lmfit(residual, params, scale_covar)


def _lmfit(residual, params, scale_covar):
    """lmfit's own ``leastsq`` (the reference path)."""
    import lmfit

    return lmfit.Minimizer(lambda p: residual(p.valuesdict()), params, scale_covar=scale_covar,
                           nan_policy="raise").minimize(method="leastsq")


def _run(residual, params, scale_covar):
    from scipy.optimize import leastsq as scipy_leastsq

    result = LeastsqResult()
    result.params = params
    for par in params.values():   # as lmfit's prepare_fit
        par.stderr = par.correl = None
    varied = [par for par in params.values() if par.vary]
    result.var_names = [par.name for par in varied]
    start = [par.setup_bounds() for par in varied]
    result.init_vals = [par.value for par in varied]
    for par in params.values():
        par.init_value = par.value
    result.nvarys = len(varied)
    max_nfev = 2000 * (result.nvarys + 1)
    values = params.valuesdict()
    # what lmfit's value setter does: the transformation, then the bounds as a clip
    limits = [(par.name, par.from_internal, par.min, par.max) for par in varied]
    calls = [0]

    def internal_residual(fvars):
        if fvars.shape == ():
            fvars = fvars.reshape((1,))
        for (name, from_internal, lo, hi), x in zip(limits, fvars):
            v = float(from_internal(x))
            values[name] = hi if v > hi else lo if v < lo else v
        calls[0] += 1
        if calls[0] - 2 > max_nfev:   # lmfit aborts here; it says so itself
            raise _HandOver
        out = np.asarray(residual(values), dtype=np.float64).ravel()
        if not np.isfinite(out).all():
            raise _HandOver
        return out

    with np.errstate(all="ignore"):   # as lmfit: no warnings from the fit or its error analysis
        best, cov, _info, errmsg, ier = scipy_leastsq(internal_residual, start, maxfev=2 * max_nfev,
                                                      **_LSQ_OPTIONS)
        if ier == 5:   # MINPACK's own limit (lmfit stops at half of it first): lmfit's words
            raise _HandOver
        result.nfev = min(calls[0] - 3, max_nfev - 1) + 1   # lmfit's count, its last call included
        for (name, *_), x in zip(limits, np.atleast_1d(best)):
            params[name].value = float(params[name].from_internal(x))
        result.residual = internal_residual(np.asarray(best))
        _statistics(result)
        _outcome(result, ier, errmsg, cov, best, scale_covar)
    return result


def _statistics(result):
    """lmfit's ``MinimizerResult._calculate_statistics`` (the part comaspec reads)."""
    result.chisqr = (result.residual ** 2).sum()
    result.ndata = len(result.residual)
    result.nfree = result.ndata - result.nvarys
    result.redchi = result.chisqr / max(1, result.nfree)
    result.chisqr = max(result.chisqr, 1.e-250 * result.ndata)


def _outcome(result, ier, errmsg, cov, best, scale_covar):
    """lmfit's messages, covariance in external units, errors and correlations."""
    result.ier, result.lmdif_message = ier, errmsg
    result.success = ier in (1, 2, 3, 4)
    result.message = {0: "Invalid Input Parameters. I.e. more variables than data points given, tolerance < 0.0, "
                         "or no data provided.",
                      1: "Fit succeeded.", 2: "Fit succeeded.", 3: "Fit succeeded.",
                      4: "One or more variable did not affect the fit."}.get(ier, "Tolerance seems to be too small.")
    result.errorbars = cov is not None
    result.covar = None
    if not result.errorbars:
        result.message = f"{result.message} Could not estimate error-bars."
        return
    params = result.params
    g = [params[name].scale_gradient(best[i]) for i, name in enumerate(result.var_names)]
    grad2d = np.atleast_2d(g)
    result.covar = cov * np.dot(grad2d.T, grad2d)
    if scale_covar:
        result.covar *= result.redchi
    for par in params.values():
        par.stderr, par.correl = 0, None
    covar = result.covar
    for i, name in enumerate(result.var_names):
        par = params[name]
        par.stderr = float(np.sqrt(covar[i, i]))
        par.correl = {}
        result.errorbars = result.errorbars and (par.stderr > 0.0)
        for j, other in enumerate(result.var_names):
            if j != i:
                par.correl[other] = float(covar[i, j] / (par.stderr * np.sqrt(covar[j, j])))
