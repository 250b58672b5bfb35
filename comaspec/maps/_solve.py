"""Batched weighted linear least squares: one design matrix, many spectra, per-spectrum σ and masks.

For spectrum s with data y_s, weights w_s = 1/σ_s² (0 where masked) and the shared design A
(n pixels × k columns), the normal equations are ``M_s c_s = b_s`` with
``M_s = Aᵀ diag(w_s) A`` and ``b_s = Aᵀ (w_s y_s)``. All M_s come from one matrix product:
the k(k+1)/2 column products ``A_i A_j`` (n × k(k+1)/2) times the weights (n × m). Each M_s
is scaled to unit diagonal (the columns differ by ~1e20 in W m^-2 units) before it is
inverted, so the solve is as accurate as the per-spectrum SVD of `comaspec.fit.linear_solve`
for the well-conditioned systems a coma fit gives (cond(M) = cond(A)², checked per spectrum).

Plain float64 arrays; no astropy here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BatchSolution", "batched_wls"]

#: Smallest eigenvalue of the unit-diagonal normal matrix, relative to its largest, below
#: which a spectrum's system is called degenerate (cond(A) > 1e6).
_RCOND = 1e-12


@dataclass
class BatchSolution:
    """Solutions of m weighted least-squares problems sharing one design.

    Attributes
    ----------
    coef : ndarray, shape (m, k)
        Coefficients (NaN where ``ok`` is False).
    covariance : ndarray, shape (m, k, k)
        (Aᵀ W A)⁻¹, not rescaled by χ².
    chi2 : ndarray, shape (m,)
    dof : ndarray of int, shape (m,)
        Number of pixels with weight > 0 minus k.
    ok : ndarray of bool, shape (m,)
        False where a column has no weight or the system is degenerate.
    group_chi2 : ndarray, shape (m, g) or None
        Mean (w r²) over the pixels of each group with weight > 0 (1 where a group has none).
    """

    coef: np.ndarray
    covariance: np.ndarray
    chi2: np.ndarray
    dof: np.ndarray
    ok: np.ndarray
    group_chi2: np.ndarray | None = None


def batched_wls(design, y, weights, *, with_chi2=True, groups=None) -> BatchSolution:
    """Solve m weighted linear least-squares problems with one shared design matrix.

    Parameters
    ----------
    design : ndarray, shape (n, k)
        Model columns.
    y : ndarray, shape (n, m)
        Data, one column per spectrum (any value where the weight is 0).
    weights : ndarray, shape (n, m)
        1/σ², 0 for masked pixels.
    with_chi2 : bool
        Compute χ² (one more n × k × m product).
    groups : ndarray of bool, shape (g, n), optional
        Pixel groups (e.g. each band's pixels) whose mean squared normalised residual is
        returned in ``group_chi2`` (needs ``with_chi2``).

    Returns
    -------
    BatchSolution
    """
    a = np.asarray(design, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    y = np.where(w > 0, np.asarray(y, dtype=np.float64), 0.0)
    n, k = a.shape
    m = w.shape[1]
    iu, ju = np.triu_indices(k)
    products = a[:, iu] * a[:, ju]                       # (n, k(k+1)/2)
    mflat = w.T @ products                               # (m, k(k+1)/2): one GEMM for all spectra
    normal = np.empty((m, k, k))
    normal[:, iu, ju] = mflat
    normal[:, ju, iu] = mflat
    rhs = (w * y).T @ a                                  # (m, k)
    diag = np.einsum("mii->mi", normal).copy()
    ok = np.all(diag > 0, axis=1) & np.all(np.isfinite(diag), axis=1)
    d = np.sqrt(np.where(diag > 0, diag, 1.0))
    scaled = normal / (d[:, :, None] * d[:, None, :])
    scaled[~ok] = np.eye(k)
    eig = np.linalg.eigvalsh(scaled)
    ok &= eig[:, 0] > _RCOND * eig[:, -1]
    scaled[~ok] = np.eye(k)
    cov_scaled = np.linalg.inv(scaled)
    coef = np.einsum("mij,mj->mi", cov_scaled, rhs / d) / d
    cov = cov_scaled / (d[:, :, None] * d[:, None, :])
    coef[~ok] = np.nan
    cov[~ok] = np.nan
    dof = (w > 0).sum(axis=0) - k
    chi2 = np.full(m, np.nan)
    group_chi2 = None
    if with_chi2:
        resid = y - a @ np.where(ok[:, None], coef, 0.0).T
        wr2 = w * resid * resid
        chi2 = np.where(ok, wr2.sum(axis=0), np.nan)
        if groups is not None:
            g = np.asarray(groups, dtype=float)
            count = g @ (w > 0)
            group_chi2 = np.where(count > 0, (g @ wr2) / np.where(count > 0, count, 1.0), 1.0).T
    return BatchSolution(coef, cov, chi2, dof, ok, group_chi2)
