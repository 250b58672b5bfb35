"""Batched weighted linear least squares: one design matrix, many spectra, per-spectrum σ and masks.

For spectrum s with data y_s, weights w_s = 1/σ_s² (0 where masked) and the shared design A
(n pixels × k columns), the normal equations are ``M_s c_s = b_s`` with
``M_s = Aᵀ diag(w_s) A`` and ``b_s = Aᵀ (w_s y_s)``. All M_s come from one matrix product:
the k(k+1)/2 column products ``A_i A_j`` (n × k(k+1)/2) times the weights (n × m). Each M_s
is scaled to unit diagonal (the columns differ by ~1e20 in W m^-2 units) before it is
inverted (all with one BLAS thread, threadpoolctl), so the solve is as accurate as the
per-spectrum SVD of `comaspec.fit.linear_solve` for the well-conditioned systems a coma fit gives
(cond(M) = cond(A)², checked per spectrum).

Plain float64 arrays; no astropy here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BatchSolution", "batched_wls", "group_chi2"]

#: Condition number of the unit-diagonal normal matrix above which a spectrum's system is
#: called degenerate (cond(A) > 1e6). It is taken in the 1-norm, from the inverse the solve
#: needs anyway (k × k eigenvalues cost three times the inversion): cond₁ is at least the
#: 2-norm condition number and at most k times it.
_MAX_COND = 1e12


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


def batched_wls(design, y, weights, *, with_chi2=True, work=None) -> BatchSolution:
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
    work : ndarray, shape (n, m), optional
        Scratch array for w·y (overwritten), to spare a large temporary per call.

    Returns
    -------
    BatchSolution
    """
    # one BLAS thread: the products are thin (k(k+1)/2 columns) and the m k x k inversions
    # tiny; on a loaded 2-core machine threads made the solve 2-3 times slower
    with _one_blas_thread():
        return _solve(np.asarray(design, dtype=np.float64), np.asarray(y, dtype=np.float64),
                      np.asarray(weights, dtype=np.float64), with_chi2, work)


def _solve(a, y, w, with_chi2, work):
    """`batched_wls` on float64 arrays."""
    n, k = a.shape
    m = w.shape[1]
    iu, ju = np.triu_indices(k)
    wy = np.multiply(w, y, out=work)
    if not np.isfinite(wy).all():                        # NaN/inf data where the weight is 0
        y = np.where(w > 0, y, 0.0)
        wy = np.multiply(w, y, out=work)
    mflat = np.zeros((m, iu.size))                       # the k(k+1)/2 distinct entries of each M_s
    rhs = np.zeros((m, k))
    for rows, cols, pairs, a_cols, products in _blocks(a):
        # one GEMM per block for all spectra, over the columns nonzero there
        mflat[:, pairs] += w[rows].T @ products
        rhs[:, cols] += wy[rows].T @ a_cols
    normal = np.empty((m, k, k))
    normal[:, iu, ju] = mflat
    normal[:, ju, iu] = mflat
    diag = np.einsum("mii->mi", normal).copy()
    ok = np.all(diag > 0, axis=1) & np.all(np.isfinite(diag), axis=1)
    d = np.sqrt(np.where(diag > 0, diag, 1.0))
    scaled = normal / (d[:, :, None] * d[:, None, :])
    scaled[~ok] = np.eye(k)
    try:
        cov_scaled = np.linalg.inv(scaled)
    except np.linalg.LinAlgError:                        # an exactly singular system: find it
        eig = np.linalg.eigvalsh(scaled)
        ok &= eig[:, 0] * _MAX_COND > eig[:, -1]
        scaled[~ok] = np.eye(k)
        cov_scaled = np.linalg.inv(scaled)
    cond = _norm1(scaled) * _norm1(cov_scaled)
    ok &= cond < _MAX_COND                                # False for NaN too
    cov_scaled[~ok] = np.eye(k)
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


#: A block's fixed cost (a GEMM call, scattering its result) in units of rows × column pairs.
_BLOCK_OVERHEAD = 256


def _blocks(a):
    """Row blocks of the design: (rows, columns, column pairs, A[rows, columns], their products).

    A coma design is sparse by wavelength: each continuum window's terms vanish outside it
    and each band's template outside the band, so ~70 % of the k(k+1)/2 column products are
    zero. Runs of rows with one pattern of nonzero columns are merged greedily while that
    costs less than a separate product (``_BLOCK_OVERHEAD``). The last design's blocks are
    kept: a map solves many chunks of spectra with one design.
    """
    global _LAST_BLOCKS
    key = (a.shape, a.tobytes())
    last = _LAST_BLOCKS                     # one read: another thread may replace it
    if last is None or last[0] != key:
        last = _LAST_BLOCKS = (key, _make_blocks(a))
    return last[1]


_LAST_BLOCKS = None


def _pair_cost(cols, rows):
    c = int(cols.sum())
    return rows * c * (c + 1) // 2


def _make_blocks(a):
    iu, ju = np.triu_indices(a.shape[1])
    nz = a != 0
    key = np.packbits(nz, axis=1)
    change = np.flatnonzero(np.any(key[1:] != key[:-1], axis=1)) + 1
    bounds = np.r_[0, change, a.shape[0]]
    spans = []
    start, cols = 0, nz[0]
    for r0, r1 in zip(bounds[1:-1], bounds[2:]):
        run = nz[r0]
        union = cols | run
        if (_pair_cost(union, r1 - start)
                <= _pair_cost(cols, r0 - start) + _pair_cost(run, r1 - r0) + _BLOCK_OVERHEAD):
            cols = union
        else:
            spans.append((start, r0, cols))
            start, cols = r0, run
    spans.append((start, a.shape[0], cols))
    blocks = []
    for r0, r1, c in spans:
        if c.any():
            rows, cols, pairs = slice(int(r0), int(r1)), np.flatnonzero(c), np.flatnonzero(c[iu] & c[ju])
            blocks.append((rows, cols, pairs, np.ascontiguousarray(a[rows][:, cols]),
                           a[rows][:, iu[pairs]] * a[rows][:, ju[pairs]]))
    return blocks


def _norm1(matrices):
    """1-norm (largest column sum of |entries|) of each matrix in a stack."""
    return np.abs(matrices).sum(axis=1).max(axis=1)


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
