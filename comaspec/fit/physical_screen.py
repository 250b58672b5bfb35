"""The best χ² of the physical continuum on its bounded shape, without its full fit.

The continuum choice (`comaspec.fit.continuum_choice`) fits the physical continuum as a
trial whenever a window's polynomial degree was raised. Where that continuum cannot follow
the data (a narrow window at 3.3 µm whose curvature is not dust emission), its best slope and
dust temperature lie on the bounds of their box, and Levenberg-Marquardt under lmfit's
bound transformation (x = lo + (hi − lo)(sin u + 1)/2) only halves its distance to a bound
each step: ~200 evaluations for a fit that loses by thousands in χ².

`screened_chi2` finds the same optimum directly: the linear parameters solved at each
evaluation (variable projection, Golub & Pereyra 1973, SIAM J. Numer. Anal. 10, 413: the
model is linear in them), the nonlinear ones by a projected Levenberg-Marquardt with an
active set (the gradient projection idea of Nocedal & Wright 2006, *Numerical
Optimization*, 2nd ed., ch. 16): a parameter on its bound whose gradient points out of the
box is held there, the others take a damped Gauss-Newton step, clipped to the box. It stops
where that step predicts a χ² decrease below `CHI2_TOLERANCE` with the held gradients still
pointing outward: a Karush-Kuhn-Tucker point of the bounded problem, to that accuracy. The
shape goes first, alone, at the start's T_rot and shifts (a species column depends on T_rot,
shift and ortho/para only, a continuum column on the shape only, and the design is their
sum, so these steps reuse the species columns); then the rest with the shape held where it
went to a bound.

The screen only answers whether the physical continuum can win. It is conclusive only when
a shape parameter is on its bound at the optimum (the case the trial spends its
evaluations on); otherwise, or when the model frees band origins in a second minimisation,
or when the iteration does not settle, it returns None and the trial is fitted as before.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import ComaspecError
from ..model.columns import fitted_rows

__all__ = ["screened_chi2", "bounded_minimum", "Minimum", "CHI2_TOLERANCE"]

#: Predicted χ² decrease below which the screen has converged: 1 % of the BIC margin the
#: choice asks for (`comaspec.fit.continuum_choice.DECISIVE_BIC` = 10).
CHI2_TOLERANCE = 0.1
#: Most iterations (each a Jacobian and one or more trial steps).
MAX_ITERATIONS = 60
#: Forward-difference step, as a fraction of each parameter's box.
_STEP = 1e-6


class _Projected:
    """Weighted residual of the physical model with its linear parameters solved.

    Parameters
    ----------
    model : `comaspec.model.ForwardModel`
        A model with the physical continuum.
    held : dict
        Nonlinear values held (by name) under the varied ones.
    names, shape_names : list of str
        The varied parameters; those of them that shape the continuum.
    species_model : `comaspec.model.ForwardModel`
        A model of the same spectra, species and windows (the same pixels and species
        columns, another continuum) whose species columns are used: those it has computed
        are not computed again.
    """

    def __init__(self, model, held, names, shape_names, species_model):
        self.model, self.held, self.names = model, dict(held), list(names)
        self._species_model = species_model
        y, sigma = model.data()
        self._weight, self._b = 1.0 / sigma, y / sigma
        self._band = np.array([n not in shape_names for n in names])
        self._shape_names = [n for n in names if n in shape_names]
        self._n_species = len(model.fitted_species)
        self._species = self._continuum = (None, None)
        # each spectrum's continuum block: its rows, its columns, its fitted wavelengths
        # (what `comaspec.model.columns.continuum_design` fills)
        offsets = np.cumsum([self._n_species] + list(model.cont_sizes))
        self._blocks = [(slice(first, first + rows.size), slice(offsets[i], offsets[i + 1]), i,
                         model.spectra[i].wavelength_um[rows], self._weight[first:first + rows.size, None])
                        for i, (rows, first) in enumerate(fitted_rows(model)) if rows.size]

    def _species_part(self, values, key):
        """The weighted design with the species columns filled, kept for the last band state."""
        if self._species[0] != key:
            a = np.zeros((self.model.n_points, self.model.n_linear))
            a[:, :self._n_species] = self._species_model.design(values)[:, :self._n_species] * self._weight[:, None]
            self._species = (key, a)
        return self._species[1]

    def _continuum_part(self, shape):
        """The weighted continuum blocks of each spectrum, kept for the last shape."""
        key = tuple(shape.values())
        if self._continuum[0] != key:
            self._continuum = (key, [self.model.continuum.columns(self.model.coverage, i, wavelength, shape) * weight
                                     for _, _, i, wavelength, weight in self._blocks])
        return self._continuum[1]

    def residual(self, x):
        """(y − A c)/σ at the nonlinear values ``x`` (in ``names`` order), c the best linear ones."""
        values = dict(self.held, **dict(zip(self.names, x.tolist())))
        a = self._species_part(values, tuple(x[self._band].tolist())).copy()
        blocks = self._continuum_part({n: values[n] for n in self._shape_names})
        for (rows, columns, *_), block in zip(self._blocks, blocks):
            a[rows, columns] = block
        norms = np.sqrt(np.einsum("ij,ij->j", a, a))
        if not (norms.min() > 0 and math.isfinite(norms.sum())):
            raise FloatingPointError("a column of the physical model is zero or not finite")
        a /= norms
        return self._b - a @ np.linalg.lstsq(a, self._b, rcond=None)[0]


def _jacobian(fun, x, r, lo, hi):
    """Forward differences, each step into the box."""
    jac = np.empty((r.size, x.size))
    for j in range(x.size):
        h = _STEP * (hi[j] - lo[j])
        if x[j] + h > hi[j]:
            h = -h
        step = x.copy()
        step[j] += h
        jac[:, j] = (fun(step) - r) / h
    return jac


def _held(x, grad, lo, hi):
    """Parameters on a bound whose χ² gradient points out of the box (held there)."""
    return ((x <= lo) & (grad > 0)) | ((x >= hi) & (grad < 0))


def _predicted_decrease(jac, r, x, free, damping, lo, hi, scale):
    """(χ² decrease the linearised model predicts, the step's end) of the Gauss-Newton step
    of the ``free`` parameters (damped by ``damping``), clipped to the box."""
    step = np.zeros(x.size)
    if free.any():
        jf = jac[:, free]
        if damping == 0.0:
            step[free] = -np.linalg.lstsq(jf, r, rcond=None)[0]
        else:
            normal = jf.T @ jf
            step[free] = -np.linalg.solve(normal + damping * np.diag(np.diag(normal)), jf.T @ r)
    trial = np.clip(x + step * scale, lo, hi)
    return float(r @ r) - float(np.sum((r + jac @ ((trial - x) / scale)) ** 2)), trial


class Minimum(NamedTuple):
    """Where `bounded_minimum` stopped: χ², the parameters, which of them are held on a
    bound, and the residual there."""

    chi2: float
    x: np.ndarray
    held: np.ndarray
    residual: np.ndarray


def bounded_minimum(fun, x0, lo, hi, r0=None, stop_on_bounds=False):
    """Minimise ‖fun(x)‖² on the box [lo, hi] by projected Levenberg-Marquardt (active set).

    Parameters
    ----------
    fun : callable
        ``fun(x)`` -> residual vector.
    x0, lo, hi : ndarray
        Start (clipped into the box) and bounds.
    r0 : ndarray, optional
        ``fun(x0)``, when known.
    stop_on_bounds : bool
        Stop as soon as a step puts every parameter on a bound (all of them then count as
        held, unchecked: the caller checks their gradients).

    Returns
    -------
    Minimum or None
        The point where the Gauss-Newton step (the held parameters left out) predicts a χ²
        decrease below `CHI2_TOLERANCE`; None when the iteration does not get there in
        `MAX_ITERATIONS`.
    """
    scale = hi - lo
    x = np.clip(np.asarray(x0, dtype=float), lo, hi)
    r = fun(x) if r0 is None else r0
    chi2, damping = float(r @ r), 1e-3
    for _ in range(MAX_ITERATIONS):
        jac = _jacobian(fun, x, r, lo, hi) * scale    # in units of each box
        free = ~_held(x, jac.T @ r, lo, hi)
        if _predicted_decrease(jac, r, x, free, 0.0, lo, hi, scale)[0] < CHI2_TOLERANCE:
            return Minimum(chi2, x, ~free, r)     # the Gauss-Newton step gains nothing: a KKT point
        while True:
            trial = _predicted_decrease(jac, r, x, free, damping, lo, hi, scale)[1]
            r_new = fun(trial)
            chi2_new = float(r_new @ r_new)
            if chi2_new < chi2:
                x, r, chi2, damping = trial, r_new, chi2_new, max(damping / 10.0, 1e-12)
                if stop_on_bounds and np.all((x <= lo) | (x >= hi)):
                    return Minimum(chi2, x, np.ones(x.size, dtype=bool), r)
                break
            damping *= 10.0
            if damping > 1e12:
                return None
    return None


def screened_chi2(model, start, bounds, species_model=None):
    """The physical continuum's best χ² and its number of fitted parameters, when a shape
    parameter is on its bound at that optimum; None otherwise (fit the trial).

    First the shape alone at the start's T_rot, shifts and ortho/para; when a shape
    parameter ends on its bound, everything else with it held there; then the held ones'
    gradients are checked to point out of the box still (a KKT point of the whole problem).

    Parameters
    ----------
    model : `comaspec.model.ForwardModel`
        The model with the physical continuum, as the trial would fit it.
    start : dict
        Start values of every nonlinear parameter by name: the varied ones and those held
        (fixed T_rot, ortho/para).
    bounds : dict
        Name -> (lo, hi) of each varied nonlinear parameter other than the continuum's shape
        (T_rot, shifts, ortho/para); the shape's own bounds are the model's.
    species_model : `comaspec.model.ForwardModel`, optional
        A model of the same spectra, species and windows with another continuum (the
        polynomial trial's), whose species columns it has computed are reused. Used only when
        its fitted pixels and species are the model's; default the model itself.

    Returns
    -------
    (float, int) or None
        χ² and the count of fitted parameters (the linear ones and every varied nonlinear
        one, held or not, as the trial fit counts them for the BIC).
    """
    if model.origin_bounds:
        return None   # the trial would free band origins in a second minimisation
    shape = list(model.continuum_parameters())
    names = list(bounds) + [h.name for h in shape]
    lo = np.array([bounds[n][0] for n in bounds] + [h.min for h in shape], dtype=float)
    hi = np.array([bounds[n][1] for n in bounds] + [h.max for h in shape], dtype=float)
    x0 = np.array([start[n] for n in bounds] + [start.get(h.name, h.value) for h in shape], dtype=float)
    if not shape or not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(hi > lo)):
        return None
    if species_model is None or not _same_layout(species_model, model):
        species_model = model
    projected = _Projected(model, {n: v for n, v in start.items() if n not in names}, names,
                           {h.name for h in shape}, species_model)
    try:
        with np.errstate(all="ignore"):
            found = _two_phases(projected.residual, np.clip(x0, lo, hi), lo, hi, len(bounds))
    except (ComaspecError, FloatingPointError, np.linalg.LinAlgError):
        return None
    if found is None or not math.isfinite(found):
        return None
    return found, model.n_linear + len(names)


def _two_phases(fun, x0, lo, hi, n_band):
    """χ² at a KKT point with a shape parameter (the last ones of x) held on its bound, or None."""
    band = np.arange(x0.size) < n_band
    first = bounded_minimum(lambda s: fun(np.concatenate([x0[band], s])), x0[~band], lo[~band], hi[~band],
                            stop_on_bounds=True)
    if first is None or not first.held.any():
        return None   # an inner optimum: the trial's Levenberg-Marquardt finds it without detours
    x = np.concatenate([x0[band], first.x])
    vary = np.concatenate([band[band], ~first.held])
    second = bounded_minimum(lambda z: fun(_replaced(x, vary, z)), x[vary], lo[vary], hi[vary], r0=first.residual)
    if second is None:
        return None
    x[vary] = second.x
    # the held ones: their χ² gradient must still point out of the box
    jac = _jacobian(lambda h: fun(_replaced(x, ~vary, h)), x[~vary], second.residual, lo[~vary], hi[~vary])
    if not _held(x[~vary], jac.T @ second.residual, lo[~vary], hi[~vary]).all():
        return None
    return second.chi2


def _replaced(x, where, values):
    """A copy of ``x`` with ``values`` at ``where``."""
    out = x.copy()
    out[where] = values
    return out


def _same_layout(a, b):
    """Whether two models hold the same spectra, apertures, geometry, assumptions, windows and
    species and fit the same pixels (then their species columns are the same numbers)."""
    def identical(x, y):
        return len(x) == len(y) and all(u is v for u, v in zip(x, y))

    return (identical(a.spectra, b.spectra) and identical(a.apertures, b.apertures) and a.geometry is b.geometry
            and a.assumptions is b.assumptions and a.windows == b.windows and a.fitted_species == b.fitted_species
            and all(np.array_equal(u, v) for u, v in zip(a.used, b.used)))
