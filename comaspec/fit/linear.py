"""Weighted linear least squares at fixed nonlinear parameters: the fit's start values and its floor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FitError

__all__ = ["LinearSolution", "linear_solve"]


@dataclass
class LinearSolution:
    """Result of a weighted linear least-squares solve.

    Attributes
    ----------
    coef : ndarray
        Best-fit coefficients.
    covariance : ndarray
        Their covariance (AᵀWA)⁻¹, not rescaled.
    chi2 : float
        Σ ((y − A coef)/σ)².
    dof : int
        Number of points minus number of coefficients.
    """

    coef: np.ndarray
    covariance: np.ndarray
    chi2: float
    dof: int


def linear_solve(design, y, sigma) -> LinearSolution:
    """Weighted linear least squares with column scaling (numerically safe for W m^-2 units).

    Parameters
    ----------
    design : ndarray, shape (n, k)
        Model columns.
    y : ndarray, shape (n,) or (n, m)
        Data; with m columns, m data sets are solved at once (e.g. noise realisations).
    sigma : ndarray, shape (n,)
        1σ errors.

    Returns
    -------
    LinearSolution
        ``coef`` has shape (k,) or (k, m), ``chi2`` is a float or an (m,) array.

    Raises
    ------
    FitError
        When the system is singular (a parameter the data do not constrain).
    """
    sigma = np.asarray(sigma, dtype=float)
    a = np.asarray(design, dtype=float) / sigma[:, None]
    y = np.asarray(y, dtype=float)
    b = y / (sigma if y.ndim == 1 else sigma[:, None])
    norms = np.sqrt((a * a).sum(axis=0))
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise FitError("a model component is zero over all fitted pixels (nothing constrains it)")
    a = a / norms
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    if s[-1] <= s[0] * 1e-12:
        raise FitError("the fit is degenerate: two model components cannot be told apart in these data")
    proj = u.T @ b
    coef_scaled = vt.T @ (proj / (s if b.ndim == 1 else s[:, None]))
    cov_scaled = (vt.T / s**2) @ vt
    coef = coef_scaled / (norms if b.ndim == 1 else norms[:, None])
    cov = cov_scaled / np.outer(norms, norms)
    resid = b - a @ coef_scaled
    chi2 = (resid * resid).sum(axis=0)
    return LinearSolution(coef, cov, float(chi2) if b.ndim == 1 else chi2, int(b.shape[0] - coef.shape[0]))


def _chi2_only(design, y, sigma):
    """χ² of the weighted least-squares solution, for ranking start points (normal equations).

    Cheaper than `linear_solve` (no SVD); a system it cannot factor goes to `linear_solve`,
    which says what is wrong. Its cancellation error (~1e-14 of yᵀWy) is far below the χ²
    differences between start points.
    """
    a = design / sigma[:, None]
    b = y / sigma
    # the columns scaled to unit norm in the Gram matrix (k x k), not in the design (n x k)
    gram, rhs = a.T @ a, a.T @ b
    norms = np.sqrt(np.diag(gram))
    try:
        if np.any(norms == 0) or not np.all(np.isfinite(norms)):
            raise np.linalg.LinAlgError
        chol = np.linalg.cholesky(gram / np.outer(norms, norms))
    except np.linalg.LinAlgError:
        return linear_solve(design, y, sigma).chi2
    z = np.linalg.solve(chol, rhs / norms)
    return float(b @ b - z @ z)
