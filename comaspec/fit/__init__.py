"""The fit: options, the lmfit problem, start values, minimisation, sampling, and the
assembly of band fluxes into production rates.

* ``core``: `fit_coma`, `fit_model`, `FitOptions`, linear solves;
* ``problem``: lmfit parameters <-> the model's nonlinear state;
* ``assemble``: band fluxes -> production rates with each species' flux <-> Q object;
* ``misfit``: residual checks and error inflation;
* ``systematics``: the sensitivities of Q to the physics assumptions.
"""

from .core import (DEFAULT_TROT_BOUNDS_K, FitOptions, FitSolution, LinearSolution, as_observed, fit_coma,
                   fit_model, linear_solve)

__all__ = ["fit_coma", "fit_model", "FitOptions", "FitSolution", "linear_solve", "LinearSolution", "as_observed",
           "DEFAULT_TROT_BOUNDS_K"]


def _lazy_submodules():
    from .._lazy import lazy_exports

    return lazy_exports(__name__, globals(), {})


# every public module of the package is an attribute too, imported on first use
__getattr__, __dir__ = _lazy_submodules()
