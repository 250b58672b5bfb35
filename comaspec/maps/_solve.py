"""Batched weighted linear least squares: one design matrix, many spectra, per-spectrum σ and masks.

For spectrum s with data y_s, weights w_s = 1/σ_s² (0 where masked) and the shared design A
(n pixels × k columns), the normal equations are ``M_s c_s = b_s`` with
``M_s = Aᵀ diag(w_s) A`` and ``b_s = Aᵀ (w_s y_s)``. All M_s come from one matrix product:
the k(k+1)/2 column products ``A_i A_j`` (n × k(k+1)/2) times the weights (n × m). Each M_s
is scaled to unit diagonal (the columns differ by ~1e20 in W m^-2 units) before it is
inverted (the many small inversions with one BLAS thread, threadpoolctl; the large products
with all of them), so the solve is as accurate as the per-spectrum SVD of `comaspec.fit.linear_solve`
for the well-conditioned systems a coma fit gives (cond(M) = cond(A)², checked per spectrum).

Plain float64 arrays; no astropy here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BatchSolution", "batched_wls", "group_chi2"]

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
    """

    coef: np.ndarray
    covariance: np.ndarray
    chi2: np.ndarray
    dof: np.ndarray
    ok: np.ndarray


def _one_blas_thread():
    # one controller for the session (finding the BLAS libraries costs ~2 ms a call)
    from .._threads import single_threaded_blas

    return single_threaded_blas()


def batched_wls(design, y, weights, *, with_chi2=True) -> BatchSolution:
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
        Compute χ² = Σ w y² − cᵀ b (the normal-equation identity at the solution: no
        residual array; its rounding error, ~1e-16 Σ w y², stays far below 1 for any SNR a
        spectrum has).

    Returns
    -------
    BatchSolution
    """
    a = np.asarray(design, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if not np.isfinite(y).all():
        y = np.where(w > 0, y, 0.0)
    n, k = a.shape
    m = w.shape[1]
    iu, ju = np.triu_indices(k)
    products = a[:, iu] * a[:, ju]                       # (n, k(k+1)/2)
    mflat = w.T @ products                               # (m, k(k+1)/2): one GEMM for all spectra
    normal = np.empty((m, k, k))
    normal[:, iu, ju] = mflat
    normal[:, ju, iu] = mflat
    wy = w * y
    rhs = wy.T @ a                                       # (m, k)
    diag = np.einsum("mii->mi", normal).copy()
    ok = np.all(diag > 0, axis=1) & np.all(np.isfinite(diag), axis=1)
    d = np.sqrt(np.where(diag > 0, diag, 1.0))
    scaled = normal / (d[:, :, None] * d[:, None, :])
    scaled[~ok] = np.eye(k)
    # m tiny k x k problems: one BLAS thread each (threads only add overhead there)
    with _one_blas_thread():
        eig = np.linalg.eigvalsh(scaled)
        ok &= eig[:, 0] > _RCOND * eig[:, -1]
        scaled[~ok] = np.eye(k)
        cov_scaled = np.linalg.inv(scaled)
    coef = np.einsum("mij,mj->mi", cov_scaled, rhs / d) / d
    cov = cov_scaled / (d[:, :, None] * d[:, None, :])
    dof = (w > 0).sum(axis=0) - k
    chi2 = np.full(m, np.nan)
    if with_chi2:
        swy2 = np.einsum("nm,nm->m", wy, y)
        chi2 = np.where(ok, np.clip(swy2 - np.einsum("mi,mi->m", coef, rhs), 0.0, None), np.nan)
    coef[~ok] = np.nan
    cov[~ok] = np.nan
    return BatchSolution(coef, cov, chi2, dof, ok)


def group_chi2(design, y, weights, coef, groups):
    """Mean squared normalised residual over each pixel group, for a few spectra.

    Parameters
    ----------
    design : ndarray, shape (n, k)
    y, weights : ndarray, shape (n, m)
    coef : ndarray, shape (m, k)
        The solutions (`batched_wls`).
    groups : ndarray of bool, shape (g, n)
        E.g. each species' band pixels.

    Returns
    -------
    ndarray, shape (m, g)
        Σ_group w r² / (pixels of the group with w > 0); 1 where a group has none.
    """
    w = np.asarray(weights, dtype=np.float64)
    resid = np.where(w > 0, np.asarray(y, dtype=np.float64) - design @ np.nan_to_num(coef).T, 0.0)
    wr2 = w * resid * resid
    g = np.asarray(groups, dtype=float)
    count = g @ (w > 0)
    return np.where(count > 0, (g @ wr2) / np.where(count > 0, count, 1.0), 1.0).T
