"""Cube pixels gathered into bins and solved together, at fixed or gridded nonlinear parameters.

`CubePixels` holds the cube's fitted pixels as (pixels, spaxels) views and gathers the
spectra of bins; `solve_bins` solves chunks of bins with one design
(`comaspec.maps._solve.batched_wls`) and inflates the band-flux errors of improbable fits as
`comaspec.fit_coma` does; `fit_nonlinear` finds each bin's T_rot and shift on a grid of
designs. Plain float64 arrays.
"""

from __future__ import annotations

import math

import numpy as np

from ..model.parameters import SHARED_T_ROT, shift_name

__all__ = ["CubePixels", "band_pixels", "solve_bins", "fit_nonlinear", "DEFAULT_NONLINEAR_GRID"]

#: Grids searched for per-bin nonlinear parameters: T_rot (K, geometric) and the shift as a
#: fraction of half the median resolution element.
DEFAULT_NONLINEAR_GRID = (np.geomspace(10.0, 300.0, 25), np.linspace(-1.0, 1.0, 9))


class CubePixels:
    """The cube's fitted pixels as (pixels, spaxels) views, gathered into bin spectra on demand.

    Single-spaxel bins (the unbinned map) are gathered into work arrays kept between chunks:
    a fresh 30 MB temporary per step costs as much in page faults as the arithmetic on it.
    """

    def __init__(self, flux2d, err2d, mask2d, pix, factor, max_masked_fraction):
        self.flux2d, self.err2d, self.mask2d = flux2d, err2d, mask2d
        self.pix, self.factor = pix, factor
        self.max_masked_fraction = float(max_masked_fraction)
        self._work = {}
        # the fitted pixels as runs of consecutive channels: slice copies, no fancy-index temporaries
        breaks = np.flatnonzero(np.diff(pix) != 1) + 1
        starts, stops = np.r_[0, breaks], np.r_[breaks, pix.size]
        self._runs = [(int(i), int(j), slice(int(pix[i]), int(pix[j - 1]) + 1)) for i, j in zip(starts, stops)]

    def _buffers(self, m):
        """Contiguous (pixels, m) work arrays: flux, error, weight, w·y, mask, two boolean scratch."""
        n = self.pix.size
        if self._work.get("m", 0) < m:
            self._work = {"m": m, **{k: np.empty(n * m) for k in ("f", "e", "w", "wy")},
                          **{k: np.empty(n * m, dtype=bool) for k in ("g", "t")}}
        return [self._work[k][:n * m].reshape(n, m) for k in ("f", "e", "w", "wy", "g", "t")]

    def scratch(self, shape):
        """A work array of ``shape`` (pixels, bins) for `batched_wls` (w·y)."""
        return self._buffers(shape[1])[3]

    def _take(self, cols, with_flux=True):
        """Rows ``pix`` of columns ``cols`` (a slice) times the unit factor (positive) into the
        work arrays, copied and scaled in one pass; ``good`` marks the voxels that enter a fit."""
        m = cols.stop - cols.start
        f, e, w, _, g, t = self._buffers(m)
        for i, j, rows in self._runs:
            fac = self.factor[i:j, None]
            np.multiply(self.err2d[rows, cols], fac, out=e[i:j])
            np.logical_not(self.mask2d[rows, cols], out=g[i:j])
            if with_flux:
                np.multiply(self.flux2d[rows, cols], fac, out=f[i:j])
        np.greater(e, 0.0, out=t)          # False for NaN
        g &= t
        np.isfinite(e, out=t)
        g &= t
        if with_flux:
            np.isfinite(f, out=t)
            g &= t
        return f, e, w, g, t

    def usable_spaxels(self):
        """Spaxels with at least one voxel with a valid error (not masked) among the fitted pixels."""
        good = np.zeros(self.flux2d.shape[1], dtype=bool)
        for start in range(0, good.size, 2048):
            sl = slice(start, min(start + 2048, good.size))
            g = self._take(sl, with_flux=False)[3]
            good[sl] = g.any(axis=0)
        return good

    def _gather_spaxels(self, flat):
        """(y, weights) of single spaxels ``flat`` (increasing flat indices)."""
        cols = slice(int(flat[0]), int(flat[-1]) + 1)
        if cols.stop - cols.start > max(2 * flat.size, _MAX_SPAN):
            return self._gather_scattered(flat)
        f, e, w, g, t = self._take(cols)
        e *= e
        w.fill(0.0)
        np.divide(1.0, e, out=w, where=g)
        np.logical_not(g, out=t)
        np.copyto(f, 0.0, where=t)
        if flat.size != cols.stop - cols.start:     # spaxels skipped (unusable): pick the columns
            keep = flat - cols.start
            return f[:, keep], w[:, keep]
        return f, w

    def _gather_scattered(self, flat):
        """`_gather_spaxels` of spaxels spread over the cube (e.g. the bins of a per-bin T_rot
        fit), a stretch of at most `_MAX_SPAN` columns at a time: the work arrays of every
        column between the first and the last took 1.8 GB on a 200 x 200 G395H cube."""
        y, w = np.empty((self.pix.size, flat.size)), np.empty((self.pix.size, flat.size))
        start = 0
        for i in range(1, flat.size + 1):
            if i == flat.size or flat[i] - flat[start] >= _MAX_SPAN:
                y[:, start:i], w[:, start:i] = self._gather_spaxels(flat[start:i])
                start = i
        return y, w

    def gather(self, members):
        """(y, weights) of the bins ``members`` (lists of flat spaxel indices): (pixels, bins).

        The arrays of single-spaxel bins are work arrays, valid until the next call. Larger
        bins are gathered a group of bins at a time (`_GATHER_VOXELS`; each bin's sums are
        the same): 512 bins of 10 x 10 spaxels took 3 GB of float64 temporaries at once.
        """
        flat = np.concatenate(members)
        if flat.size == len(members) and np.all(np.diff(flat) > 0):
            return self._gather_spaxels(flat)
        y, w = np.empty((self.pix.size, len(members))), np.empty((self.pix.size, len(members)))
        for group in _groups(members, max(1, _GATHER_VOXELS // self.pix.size)):
            y[:, group], w[:, group] = self._gather_bins(members[group])
        return y, w

    def _gather_bins(self, members):
        """`gather` of bins of several spaxels, all at once."""
        flat = np.concatenate(members)
        # float64 from the cube's float32: e * e of small errors underflows in float32
        f = self.flux2d[np.ix_(self.pix, flat)].astype(float)
        e = self.err2d[np.ix_(self.pix, flat)].astype(float)
        bad = self.mask2d[np.ix_(self.pix, flat)]
        good = ~bad & np.isfinite(f) & (e > 0) & np.isfinite(e)
        starts = np.cumsum([0] + [m.size for m in members[:-1]])
        count = np.add.reduceat(good, starts, axis=1).astype(float)
        total = np.add.reduceat(np.where(good, f, 0.0), starts, axis=1)
        var = np.add.reduceat(np.where(good, e * e, 0.0), starts, axis=1)
        n = np.array([m.size for m in members], dtype=float)[None, :]
        usable = (count >= n * (1.0 - self.max_masked_fraction) - 1e-9) & (count > 0)
        scale = np.where(usable, n / np.where(count > 0, count, 1.0), 0.0)
        y = total * scale * self.factor[:, None]
        sig2 = var * scale**2 * self.factor[:, None] ** 2
        return y, np.where(usable & (sig2 > 0), 1.0 / np.where(sig2 > 0, sig2, 1.0), 0.0)


#: Widest stretch of spaxel columns taken into the work arrays for single-spaxel bins.
_MAX_SPAN = 1024

#: Voxels (fitted pixels x spaxels) of multi-spaxel bins gathered at a time (float64
#: temporaries of 8 MB each).
_GATHER_VOXELS = 1_000_000


def _groups(members, max_spaxels):
    """Slices of consecutive bins holding at most ``max_spaxels`` spaxels (at least one bin each)."""
    start, count = 0, 0
    for i, m in enumerate(members):
        if count and count + m.size > max_spaxels:
            yield slice(start, i)
            start, count = i, 0
        count += m.size
    yield slice(start, len(members))


def band_pixels(design, n_species):
    """Each species' band pixels: where its unit template exceeds a tenth of its peak (as fit_coma)."""
    from ..fit.misfit import _BAND_FRACTION

    col = np.abs(design[:, :n_species]).T
    return col > _BAND_FRACTION * col.max(axis=1, keepdims=True)


def solve_bins(design, data, members, chunk, n_species, progress_desc="map"):
    """Batched solve of every bin at one design; per-bin coef, variances, chi2, dof, ok.

    As `comaspec.fit_coma` does for one spectrum (`comaspec._misfit`), a bin whose χ² is
    improbable (p < P_IMPROBABLE) has each band-flux error multiplied by
    sqrt(max(1, χ²_ν, χ²_local)); ``inflation`` holds the factors (1 elsewhere).
    """
    from scipy import special

    from ..fit.misfit import P_IMPROBABLE
    from .._progress import progress
    from ._solve import batched_wls, group_chi2

    n, k = len(members), design.shape[1]
    out = {"coef": np.full((n, k), np.nan), "var": np.full((n, k), np.nan), "cov01": np.full(n, np.nan),
           "chi2": np.full(n, np.nan), "dof": np.zeros(n, dtype=int), "ok": np.zeros(n, dtype=bool),
           "inflation": np.ones((n, n_species))}
    groups = band_pixels(design, n_species)
    starts = range(0, n, chunk)
    if len(starts) > 1:
        starts = progress(starts, desc=progress_desc, total=len(starts))
    for start in starts:
        sl = slice(start, min(start + chunk, n))
        y, w = data.gather(members[sl])
        res = batched_wls(design, y, w, work=data.scratch(y.shape))
        dof = np.maximum(res.dof, 1)
        with np.errstate(invalid="ignore"):
            improbable = res.ok & (res.dof > 0) & (special.chdtrc(dof, np.nan_to_num(res.chi2)) < P_IMPROBABLE)
        f = np.ones((improbable.size, n_species))
        if improbable.any():
            local = group_chi2(design, y[:, improbable], w[:, improbable], res.coef[improbable], groups)
            f[improbable] = np.sqrt(np.maximum(np.maximum(1.0, (res.chi2 / dof)[improbable, None]), local))
        out["inflation"][sl] = f
        out["coef"][sl] = res.coef
        var = np.einsum("mii->mi", res.covariance).copy()
        var[:, :n_species] *= f**2
        out["var"][sl] = var
        if n_species > 1:
            out["cov01"][sl] = res.covariance[:, 0, 1] * f[:, 0] * f[:, 1]
        out["chi2"][sl], out["dof"][sl], out["ok"][sl] = res.chi2, res.dof, res.ok
    return out


def fit_nonlinear(sd, data, members, T_fixed, T0, shift0, max_shift, chunk):
    """Per-bin T_rot (unless fixed) and shift: χ² on a grid of designs, parabola at the minimum."""
    t_grid = np.array([T_fixed]) if T_fixed is not None else DEFAULT_NONLINEAR_GRID[0]
    s_grid = shift0 + max_shift * DEFAULT_NONLINEAR_GRID[1] if max_shift > 0 else np.array([shift0])
    out = {"T": np.full(len(members), T0), "T_err": np.full(len(members), np.nan),
           "shift": np.full(len(members), shift0)}
    # two passes: the coarse grid, then a fine one spanning the bins' minima (parabolas
    # through coarse steps are biased when χ² is not quadratic over a step)
    for fine in (False, True):
        if fine:
            t_grid = _refined(t_grid, np.log(out["T"]), log=True)
            s_grid = _refined(s_grid, out["shift"], log=False)
        chi2 = np.full((len(members), t_grid.size, s_grid.size), np.inf)
        for a_i, t in enumerate(t_grid):
            for b_i, s in enumerate(s_grid):
                a = sd.design({SHARED_T_ROT: t, shift_name(0): s})
                res = solve_bins(a, data, members, chunk, len(sd.species), progress_desc="T_rot grid")
                chi2[:, a_i, b_i] = np.where(res["ok"], res["chi2"], np.inf)
        for m in range(len(members)):
            ia, ib = np.unravel_index(np.argmin(chi2[m]), chi2[m].shape)
            if not np.isfinite(chi2[m, ia, ib]):
                continue
            t_best, t_curv = _parabola(np.log(t_grid), chi2[m, :, ib], ia)
            s_best, _ = _parabola(s_grid, chi2[m, ia, :], ib)
            out["T"][m] = math.exp(t_best)
            out["shift"][m] = s_best
            if T_fixed is None and t_curv and t_curv > 0:
                # Δχ² = 1 in ln T: σ_lnT = sqrt(2 / χ²''), σ_T = T σ_lnT
                out["T_err"][m] = out["T"][m] * math.sqrt(2.0 / t_curv)
    return out


def _refined(grid, best, log):
    """A finer grid (11 points) from one coarse step below the lowest minimum to one above the highest."""
    if grid.size < 3:
        return grid
    x = np.log(grid) if log else grid
    step = float(np.max(np.diff(x)))
    lo, hi = max(x[0], np.min(best) - step), min(x[-1], np.max(best) + step)
    fine = np.linspace(lo, hi, 11)
    return np.exp(fine) if log else fine


def _parabola(x, y, i):
    """Vertex (and second derivative) of the parabola through points i-1, i, i+1; the grid
    point itself at an edge."""
    if x.size < 3 or i == 0 or i == x.size - 1 or not np.all(np.isfinite(y[i - 1:i + 2])):
        return float(x[i]), None
    x0, x1, x2 = x[i - 1:i + 2]
    y0, y1, y2 = y[i - 1:i + 2]
    d1, d2 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
    curv = 2 * (d2 - d1) / (x2 - x0)
    if curv <= 0:
        return float(x1), None
    vertex = 0.5 * (x0 + x1) - d1 / curv
    return float(np.clip(vertex, x0, x2)), float(curv)
