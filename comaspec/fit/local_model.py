"""The design matrix near the best fit, as a polynomial in the nonlinear parameters.

The model is linear in the band fluxes and continuum amplitudes c once the nonlinear
parameters θ (T_rot, wavelength shifts, ortho/para, continuum shape, band origins) are
fixed. Near the best fit θ0, with δ = θ − θ0,

    A(θ0 + δ) ≈ A0 + Σ_k δ_k G_k + ½ Σ_kl δ_k δ_l H_kl + ⅙ Σ_k δ_k³ T_k,

G, H and the cubic terms T_k along each axis from designs on a central stencil of steps h_k:
five points ±h, ±2h along each axis and the four corners (±h, ±h) of each pair
(1 + 4d + 2d(d−1) designs for d nonlinear parameters: the only template builds). Weighted by 1/σ, A(δ) = Σ_m γ_m(δ) B_m
with fixed blocks B_m and polynomial coefficients γ_m(δ), so every inner product the
samplers need — AᵀWA, AᵀWy, and their derivatives — is a small contraction of the Gram
tensor B_mᵀB_n (formed once) with γ(δ): nothing per sample is of the size of the data.

`LocalDesign.check` compares the expansion with exact designs at given points (the error
of the expansion, in χ² units); the samplers report it.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["LocalDesign", "nonlinear_names"]


def nonlinear_names(problem, result):
    """The fitted nonlinear parameters of a fit (lmfit's varied ones that are not linear)."""
    return [n for n in result.var_names if n not in problem.lin_names]


class LocalDesign:
    """Polynomial expansion of a `Problem`'s design about ``values`` (see the module docstring).

    Parameters
    ----------
    problem : `comaspec.fit.problem.Problem`
    values : dict
        Best-fit lmfit values by name.
    names : sequence of str
        Nonlinear parameters to expand in (d of them; may be empty).
    steps : sequence of float
        Stencil step h_k of each (e.g. its 1σ error); θ0 ± 2h_k must lie within its bounds.

    Attributes
    ----------
    n_designs : int
        Designs evaluated for the stencil.
    gram : ndarray, shape (M, M, k, k)
        B_mᵀ B_n of the weighted blocks.
    """

    def __init__(self, problem, values, names, steps):
        self.problem, self.values = problem, dict(values)
        self.names, self.steps = list(names), np.asarray(steps, dtype=float)
        d = len(self.names)
        self.pairs = [(k, k) for k in range(d)] + list(itertools.combinations(range(d), 2))
        a0 = self._design(np.zeros(d))
        # five points along each axis: slope, curvature and the cubic term to O(h²)
        p1, m1, p2, m2 = ([self._design(self._unit(k, f)) for k in range(d)] for f in (1.0, -1.0, 2.0, -2.0))
        h = self.steps
        blocks = [a0]
        blocks += [(-p2[k] + 8 * p1[k] - 8 * m1[k] + m2[k]) / (12 * h[k]) for k in range(d)]
        for k, l in self.pairs:
            if k == l:
                blocks.append((-p2[k] + 16 * p1[k] - 30 * a0 + 16 * m1[k] - m2[k]) / (12 * h[k] ** 2))
            else:
                corners = [self._design(self._unit(k, sk) + self._unit(l, sl)) for sk, sl in
                           ((1, 1), (1, -1), (-1, 1), (-1, -1))]
                blocks.append((corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h[k] * h[l]))
        blocks += [(p2[k] - 2 * p1[k] + 2 * m1[k] - m2[k]) / (2 * h[k] ** 3) for k in range(d)]
        self.n_designs = 1 + 4 * d + 4 * (len(self.pairs) - d)
        sigma = problem.sigma
        self.blocks = np.stack([b / sigma[:, None] for b in blocks])     # (M, n, k)
        m, n, k = self.blocks.shape
        flat = self.blocks.transpose(1, 0, 2).reshape(n, m * k)
        self.gram = (flat.T @ flat).reshape(m, k, m, k).transpose(0, 2, 1, 3)
        self.n_linear = k

    def _unit(self, k, sign):
        e = np.zeros(len(self.names))
        e[k] = sign * self.steps[k]
        return e

    def values_at(self, delta):
        """lmfit values at θ0 + δ."""
        v = dict(self.values)
        for name, dk in zip(self.names, delta):
            v[name] = self.values[name] + float(dk)
        return v

    def _design(self, delta):
        return self.problem.design(self.problem.state(self.values_at(delta)))

    # ------------------------------------------------------------------ coefficients
    def gamma(self, delta):
        """γ_m(δ) for a batch of δ, shape (D, d) → (D, M)."""
        delta = np.atleast_2d(delta)
        cols = [np.ones(delta.shape[0])] + [delta[:, k] for k in range(len(self.names))]
        cols += [(0.5 if k == l else 1.0) * delta[:, k] * delta[:, l] for k, l in self.pairs]
        cols += [delta[:, k] ** 3 / 6.0 for k in range(len(self.names))]
        return np.stack(cols, axis=1)

    def dgamma(self, delta):
        """∂γ_m/∂δ_j for a batch, shape (D, d, M)."""
        delta = np.atleast_2d(delta)
        n_draw, d = delta.shape
        out = np.zeros((n_draw, d, 1 + 2 * d + len(self.pairs)))
        for j in range(d):
            out[:, j, 1 + j] = 1.0
            out[:, j, 1 + d + len(self.pairs) + j] = 0.5 * delta[:, j] ** 2
        for m, (k, l) in enumerate(self.pairs):
            col = 1 + d + m
            if k == l:
                out[:, k, col] = delta[:, k]
            else:
                out[:, k, col] = delta[:, l]
                out[:, l, col] = delta[:, k]
        return out

    def projections(self, y_weighted):
        """B_mᵀ y for data weighted by 1/σ: (n,) or (n, D) → (D, M, k)."""
        y = np.asarray(y_weighted, dtype=float)
        y = y[:, None] if y.ndim == 1 else y
        m, n, k = self.blocks.shape
        flat = self.blocks.transpose(1, 0, 2).reshape(n, m * k)
        return (flat.T @ y).T.reshape(y.shape[1], m, k)

    def normal_equations(self, delta, proj):
        """(AᵀWA, AᵀWy) at each δ of a batch: (D, k, k) and (D, k)."""
        g = self.gamma(delta)
        c = np.einsum("dm,dp,mpab->dab", g, g, self.gram, optimize=True)
        b = np.einsum("dm,dma->da", g, proj)
        return c, b

    # ------------------------------------------------------------------ accuracy
    def check(self, deltas, y):
        """Largest |χ²| difference between exact and expanded designs at points δ (best c each).

        Parameters
        ----------
        deltas : ndarray, shape (P, d)
        y : ndarray
            The data on the fitted pixels.

        Returns
        -------
        float
        """
        worst = 0.0
        sigma = self.problem.sigma
        for delta in np.atleast_2d(deltas):
            approx = np.tensordot(self.gamma(delta)[0], self.blocks, axes=1) * sigma[:, None]
            worst = max(worst, abs(_chi2(self._design(delta), y, sigma) - _chi2(approx, y, sigma)))
        return worst


def _chi2(design, y, sigma):
    """χ² of the weighted least-squares solution (numpy's lstsq on column-scaled weighted data)."""
    a = design / sigma[:, None]
    norms = np.sqrt((a * a).sum(axis=0))
    b = y / sigma
    x = np.linalg.lstsq(a / norms, b, rcond=None)[0]
    r = b - (a / norms) @ x
    return float(r @ r)
