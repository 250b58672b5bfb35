"""The fitting problem: lmfit parameters by name ↔ the linear system of a `ForwardModel`.

`NonlinearState` names every nonlinear quantity the model's design matrix depends on;
`Problem` maps lmfit parameter values to it, caches designs, and evaluates the weighted
residual. Nothing here knows which continuum or which species are fitted beyond their names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["NonlinearState", "Problem", "origin_name"]

#: Range allowed for a fitted H2O ortho/para ratio (3 is the high-temperature limit; the
#: range leaves room for noise on either side).
OPR_BOUNDS = (0.5, 4.5)


def origin_name(species):
    """lmfit parameter name of a species' band-origin offset (cm^-1)."""
    return f"origin_{species}"


@dataclass(frozen=True)
class NonlinearState:
    """The nonlinear parameters at which the model is linear.

    Attributes
    ----------
    T_rot : dict
        Species → rotational temperature, K.
    shifts : tuple of float
        Wavelength shift of each spectrum, µm.
    shape : dict
        Continuum shape parameters by name (e.g. ``cont_slope``, ``cont_dust_T``).
    origins : dict
        Species → band-origin offset, cm^-1.
    ortho_para : float
        H2O ortho/para ratio.
    """

    T_rot: dict
    shifts: tuple
    shape: dict = field(default_factory=dict)
    origins: dict = field(default_factory=dict)
    ortho_para: float = 3.0

    def key(self, species):
        """Hashable key of this state (T_rot rounded to 1e-12 K)."""
        return (tuple(round(self.T_rot[s], 12) for s in species), tuple(self.shifts),
                tuple(sorted(self.shape.items())), tuple(sorted(self.origins.items())), self.ortho_para)

    def design(self, model, pixels="used"):
        """``model.design`` at this state."""
        return model.design_at(self.T_rot, list(self.shifts), self.shape, pixels=pixels, origins=self.origins,
                               ortho_para=self.ortho_para)


class Problem:
    """A `ForwardModel`, its data and the names of its fitted parameters.

    Parameters
    ----------
    model : ForwardModel
    T_names : dict
        Species → lmfit parameter of its T_rot (absent: fixed).
    fixed_T : dict
        Species → fixed T_rot, K.
    ortho_para : float
        Fixed (or starting) H2O ortho/para ratio, used unless ``ortho_para`` is a parameter.
    shape_names : sequence of str
        Names of the continuum's nonlinear shape parameters.
    fit_opr : bool
        Whether the H2O ortho/para ratio is a fitted parameter.
    design_cache : dict, optional
        Shared cache of design matrices by `NonlinearState.key` (e.g. between the noise
        refits of one fit).
    """

    #: Designs kept in the cache: a Levenberg-Marquardt step visits a few states only.
    CACHE_SIZE = 16

    def __init__(self, model, T_names, fixed_T, ortho_para, shape_names=(), fit_opr=False, design_cache=None):
        self.model = model
        self.y, self.sigma = model.data()
        self.T_names = dict(T_names)
        self.fixed_T = dict(fixed_T)
        self.ortho_para = ortho_para
        self.lin_names = model.linear_names()
        self.shape_names = tuple(shape_names)
        self.fit_opr = bool(fit_opr)
        self.scales = None
        self._cache = {} if design_cache is None else design_cache
        self._linear_set = frozenset(self.lin_names)
        self._by_values = {}

    def with_data(self, y, sigma):
        """The same problem (scales, design cache) for new data on the fitted pixels."""
        other = Problem(self.model.with_data(y, sigma), self.T_names, self.fixed_T, self.ortho_para,
                        self.shape_names, self.fit_opr, self._cache)
        other.scales = self.scales
        return other

    def state(self, values):
        """The `NonlinearState` of a dict of parameter values (missing: fixed or default)."""
        model = self.model
        return NonlinearState(
            T_rot={s: (values[self.T_names[s]] if self.T_names.get(s) else self.fixed_T[s])
                   for s in model.fitted_species},
            shifts=tuple(values.get(f"shift_{i}", 0.0) for i in range(len(model.spectra))),
            shape={k: values[k] for k in self.shape_names if k in values},
            origins={s: values[origin_name(s)] for s in model.origin_bounds if origin_name(s) in values},
            ortho_para=values.get("ortho_para", self.ortho_para))

    def design(self, state):
        """Design matrix of the fitted pixels at ``state`` (cached)."""
        key = state.key(self.model.fitted_species)
        a = self._cache.get(key)
        if a is None:
            if len(self._cache) > self.CACHE_SIZE:
                self._cache.clear()
            a = state.design(self.model)
            self._cache[key] = a
        return a

    def linear_values(self, values):
        """Linear parameters in physical units from lmfit values (scaled by `scales`)."""
        return np.array([values[n] for n in self.lin_names]) * self.scales

    def residual(self, params):
        """(y − A p) / σ for lmfit."""
        values = params.valuesdict()
        # the design by the nonlinear values alone (lmfit's Jacobian varies the linear ones
        # one at a time: their calls skip building a NonlinearState and its key)
        nonlinear = tuple(v for n, v in values.items() if n not in self._linear_set)
        a = self._by_values.get(nonlinear)
        if a is None:
            if len(self._by_values) > self.CACHE_SIZE:
                self._by_values.clear()
            a = self._by_values[nonlinear] = self.design(self.state(values))
        return (self.y - a @ self.linear_values(values)) / self.sigma
