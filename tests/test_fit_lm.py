"""`comaspec.fit.lm.leastsq` against lmfit's own ``Minimizer.leastsq`` (the slow path it
replaces), and `comaspec.model.parameters.nonlinear_state`'s name → slot map against the
lookups it replaces.

The fit driver must give lmfit's result to the last bit: the same MINPACK path (``nfev``),
values, errors, correlations, covariance and messages.
"""

import copy

import astropy.units as u
import lmfit
import numpy as np
import pytest

from comaspec.apertures import CircularAperture
from comaspec.errors import InputError
from comaspec.fit import FitOptions, as_observed
from comaspec.fit.core import _parameters
from comaspec.fit.lm import leastsq
from comaspec.geometry import Geometry
from comaspec.model import ForwardModel
from comaspec.model.parameters import (DEFAULT_ORTHO_PARA, ORTHO_PARA, SHARED_T_ROT, NonlinearState,
                                       nonlinear_state, origin_name, shift_name, t_rot_name)
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
Q = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 1e26}
CONT = {"scattered": 1.2e-16, "slope": 0.5, "thermal": 2e-19}


def _problem(modes, seed=3, options=None, continuum="polynomial", species=tuple(Q)):
    spectra = [synthetic_spectrum(m, Q, GEO, AP, T_rot=50.0, error=2e-19 * u.W / u.m**2 / u.um, continuum=CONT,
                                  seed=seed + k, shift_um=2e-4) for k, m in enumerate(modes)]
    model = ForwardModel([as_observed(s) for s in spectra], list(species), GEO, [AP] * len(spectra),
                         continuum=continuum)
    return _parameters(model, options or FitOptions())


def _reference(problem, params, scale_covar):
    return lmfit.Minimizer(problem.residual, copy.deepcopy(params), scale_covar=scale_covar,
                           nan_policy="raise").minimize(method="leastsq")


def _assert_same(fast, slow):
    assert fast.var_names == slow.var_names
    assert (fast.nfev, fast.nvarys, fast.success, fast.message, fast.ier) == \
           (slow.nfev, slow.nvarys, slow.success, slow.message, slow.ier)
    assert fast.params.valuesdict() == slow.params.valuesdict()
    for name, par in slow.params.items():
        assert fast.params[name].stderr == par.stderr, name
        assert fast.params[name].correl == par.correl, name
    assert np.array_equal(fast.covar, slow.covar)
    assert np.array_equal(fast.residual, slow.residual)
    assert (fast.chisqr, fast.redchi, fast.nfree) == (slow.chisqr, slow.redchi, slow.nfree)


@pytest.mark.parametrize("modes, options, continuum", [
    (["PRISM"], FitOptions(), "polynomial"),
    (["G395H"], FitOptions(scale_covar=True), "polynomial"),
    (["G235H", "G395H"], FitOptions(per_species_T_rot=True), "polynomial"),
    (["G395H"], FitOptions(ortho_para="fit"), "polynomial"),
    (["PRISM"], FitOptions(), "physical"),        # bounded continuum shape parameters
])
def test_leastsq_is_lmfit_to_the_last_bit(modes, options, continuum):
    problem, params = _problem(modes, options=options, continuum=continuum)
    slow = _reference(problem, params, options.scale_covar)
    fast = leastsq(problem.residual_values, copy.deepcopy(params), options.scale_covar)
    assert not isinstance(fast, lmfit.minimizer.MinimizerResult)   # the fast path ran
    _assert_same(fast, slow)


def test_a_parameter_at_its_bound_and_a_held_one():
    problem, params = _problem(["G395H"])
    params["shift_0"].set(value=params["shift_0"].max)   # starts on its bound
    params["F_CO"].set(vary=False)
    slow = _reference(problem, params, False)
    fast = leastsq(problem.residual_values, copy.deepcopy(params), False)
    _assert_same(fast, slow)
    assert "F_CO" not in fast.var_names and fast.params["F_CO"].stderr == 0


def test_an_expression_is_left_to_lmfit():
    problem, params = _problem(["PRISM"])
    params.add("half_co", expr="F_CO / 2")
    fit = leastsq(problem.residual_values, copy.deepcopy(params), False)
    assert isinstance(fit, lmfit.minimizer.MinimizerResult)
    assert fit.params.valuesdict() == _reference(problem, params, False).params.valuesdict()


def test_a_residual_that_turns_nan_fails_as_lmfit_fails():
    problem, params = _problem(["PRISM"])
    calls = [0]

    def residual(values):
        calls[0] += 1
        out = problem.residual_values(values)
        return out * np.nan if calls[0] > 20 else out

    with pytest.raises(ValueError) as fast:
        leastsq(residual, copy.deepcopy(params), False)
    calls[0] = 0
    with pytest.raises(ValueError) as slow:
        lmfit.Minimizer(lambda p: residual(p.valuesdict()), copy.deepcopy(params),
                        nan_policy="raise").minimize(method="leastsq")
    assert str(fast.value) == str(slow.value)


# --------------------------------------------------------------------------- nonlinear_state
def _state_by_lookups(model, values):
    """`nonlinear_state` as it was: membership tests and lookups by name (the reference)."""
    T_rot = {}
    for s in model.fitted_species:
        name = t_rot_name(s) if t_rot_name(s) in values else SHARED_T_ROT
        if name not in values:
            raise InputError("T_rot", "missing")
        T_rot[s] = values[name]
    return NonlinearState(
        T_rot=T_rot, shifts=tuple(values.get(shift_name(i), 0.0) for i in range(len(model.spectra))),
        shape={p.name: values[p.name] for p in model.continuum_parameters() if p.name in values},
        origins={s: values[origin_name(s)] for s in model.origin_bounds if origin_name(s) in values},
        ortho_para=values.get(ORTHO_PARA, DEFAULT_ORTHO_PARA))


@pytest.mark.parametrize("values", [
    {"T_rot": 41.0},
    {"T_rot": 41.0, "T_rot_H2O": 77.0, "shift_0": 1e-4, "ortho_para": 2.5, "F_CO2": 1.0},
    {"T_rot_CO2": 30.0, "T_rot_H2O": 60.0, "T_rot_CO": 90.0, "T_rot_OCS": 70.0, "origin_OCS": 0.2},
    {"T_rot": 41.0, "cont_slope": 0.3, "shift_1": 5.0, "origin_OCS": -0.1},
])
def test_the_slot_map_reads_what_the_lookups_read(values):
    species = ["CO2", "H2O", "CO", "OCS"]
    spectra = [synthetic_spectrum("G395H", Q, GEO, AP, T_rot=50.0, error=2e-19 * u.W / u.m**2 / u.um,
                                  continuum=CONT, seed=1)]
    for continuum in ("polynomial", "physical"):
        model = ForwardModel([as_observed(s) for s in spectra], species, GEO, [AP], continuum=continuum)
        assert model.origin_bounds and model.fitted_species[-1] == "OCS"
        assert nonlinear_state(model, values) == _state_by_lookups(model, values)
        params = lmfit.Parameters()
        for name, value in values.items():
            params.add(name, value=value)
        assert nonlinear_state(model, params) == _state_by_lookups(model, values)


def test_the_slot_map_needs_a_temperature():
    spectra = [synthetic_spectrum("PRISM", Q, GEO, AP, T_rot=50.0, error=2e-19 * u.W / u.m**2 / u.um,
                                  continuum=CONT, seed=1)]
    model = ForwardModel([as_observed(s) for s in spectra], list(Q), GEO, [AP])
    with pytest.raises(InputError, match="T_rot"):
        nonlinear_state(model, {"T_rot_CO2": 40.0, "shift_0": 0.0})


# --------------------------------------------------------------------------- the design's assembly
@pytest.mark.parametrize("modes, continuum", [(["PRISM"], "polynomial"), (["G235H", "G395H"], "polynomial"),
                                              (["G395H"], "physical")])
def test_design_of_the_fitted_pixels_is_the_rows_of_the_whole_grid_design(modes, continuum):
    """The fitted pixels' design (continuum template copied, templates written in) against
    the rows of the design on every pixel (built column by column, nothing kept)."""
    problem, _params = _problem(modes, continuum=continuum)
    model = problem.model
    shapes = [{}] if continuum == "polynomial" else [{p.name: p.value for p in model.continuum_parameters()},
                                                     {p.name: 0.5 * (p.value + p.max)
                                                      for p in model.continuum_parameters()}]
    for T, shape in [(40.0, shapes[0]), (55.0, shapes[-1]), (40.0, shapes[0])]:
        values = {"T_rot": T, "shift_0": 1e-4, **shape}
        used = model.design(values)
        whole = model.design(values, pixels="all")
        assert np.array_equal(used, np.vstack([b[u] for b, u in zip(whole, model.used)]))
        assert used.flags.writeable and used.flags.c_contiguous
        used[:] = np.nan   # the caller's own copy: the next design is unchanged
        assert np.isfinite(model.design(values)).all()


def test_the_species_assumptions_kept_with_the_flux_q_object_equal_a_fresh_computation():
    """The g, lifetime, velocity and sources of a result, from the set-up cache, equal those
    computed from the flux <-> Q object (and the caller's copy cannot change the kept one)."""
    from comaspec.fit.assemble import _assumptions, _assumptions_of

    problem, _params = _problem(["G395H"])
    model = problem.model
    for name in model.fitted_species:
        comp = model.species[name]
        first = _assumptions(comp, GEO)
        first["sources"]["g_factor_source"] = "changed by the caller"
        kept = _assumptions(comp, GEO)
        assert kept == _assumptions_of(comp.weights, comp.feature)
        assert kept["g"] > 0 and kept["tau"] > 0 and kept["v"] > 0
    assert _assumptions(comp, None) == {"g": None, "tau": None, "v": None, "sources": {}}
