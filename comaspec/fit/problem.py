"""The fitting problem: lmfit parameters by name ↔ the linear system of a `ForwardModel`.

The model declares its nonlinear parameters by name (`comaspec.model.parameters`) and
evaluates its design from a name → value mapping; `Problem` adds the values the fit holds
(fixed T_rot, ortho/para), caches designs, and evaluates the weighted residual. Nothing here
knows which continuum or which species are fitted beyond their names.
"""

from __future__ import annotations

import numpy as np

from ..model.parameters import OPR_BOUNDS, NonlinearState, origin_name

__all__ = ["NonlinearState", "Problem", "origin_name", "OPR_BOUNDS"]


class Problem:
    """A `ForwardModel`, its data and the names of its fitted parameters.

    Parameters
    ----------
    model : ForwardModel
    T_names : dict
        Species → lmfit parameter of its T_rot (absent: fixed).
    fixed : dict
        Values held by name (e.g. ``T_rot_<species>`` when T_rot is fixed, ``ortho_para``),
        used unless the lmfit values give the name.
    fit_opr : bool
        Whether the H2O ortho/para ratio is a fitted parameter.
    design_cache : dict, optional
        Shared cache of design matrices by `NonlinearState.key` (e.g. between the noise
        refits of one fit).
    """

    #: Designs kept in the cache: a Levenberg-Marquardt step visits a few states only.
    CACHE_SIZE = 16

    def __init__(self, model, T_names, fixed, fit_opr=False, design_cache=None):
        self.model = model
        self.y, self.sigma = model.data()
        self.T_names = dict(T_names)
        self.fixed = dict(fixed)
        self.lin_names = model.linear_names()
        self.fit_opr = bool(fit_opr)
        self.scales = None
        self._cache = {} if design_cache is None else design_cache
        self._linear_set = frozenset(self.lin_names)
        self._by_values = {}

    def with_data(self, y, sigma):
        """The same problem (scales, design cache) for new data on the fitted pixels."""
        other = Problem(self.model.with_data(y, sigma), self.T_names, self.fixed, self.fit_opr, self._cache)
        other.scales = self.scales
        return other

    def state(self, values):
        """The `NonlinearState` of a dict of parameter values (missing: held or declared)."""
        merged = dict(self.fixed)   # the values win over the held ones (one plain dict: cheap lookups)
        merged.update(values)
        return self.model.state(merged)

    def design(self, state):
        """Design matrix of the fitted pixels at ``state`` (cached)."""
        key = state.key(self.model.fitted_species)
        a = self._cache.get(key)
        if a is None:
            if len(self._cache) > self.CACHE_SIZE:
                self._cache.clear()
            a = self.model.design(state)
            self._cache[key] = a
        return a

    def linear_values(self, values):
        """Linear parameters in physical units from lmfit values (scaled by `scales`)."""
        return np.array([values[n] for n in self.lin_names]) * self.scales

    def residual(self, params):
        """(y − A p) / σ for lmfit."""
        return self.residual_values(params.valuesdict())

    def residual_values(self, values):
        """`residual` from the values by name (``params.valuesdict()``)."""
        # the design by the nonlinear values alone (lmfit's Jacobian varies the linear ones
        # one at a time: their calls skip building a NonlinearState and its key)
        nonlinear = tuple(v for n, v in values.items() if n not in self._linear_set)
        a = self._by_values.get(nonlinear)
        if a is None:
            if len(self._by_values) > self.CACHE_SIZE:
                self._by_values.clear()
            a = self._by_values[nonlinear] = self.design(self.state(values))
        return (self.y - a @ self.linear_values(values)) / self.sigma
