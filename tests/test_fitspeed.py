"""The fit's caches and fast samplers against the slow paths they replace.

* template columns from the cached pixel-integration structure (`comaspec.model.line_pixels`)
  against the direct integration of every line (`ForwardModel.cache_line_pixels = False`);
* a whole fit with and without that cache (results to 1e-6 sigma).
"""

import astropy.units as u
import numpy as np
import pytest

from comaspec.apertures import CircularAperture
from comaspec.fit import FitOptions, as_observed, fit_coma, fit_model
from comaspec.geometry import Geometry
from comaspec.instrument import TabulatedLSF
from comaspec.model import ForwardModel
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
Q = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 1e26}
CONT = {"scattered": 1.2e-16, "slope": 0.5, "thermal": 2e-19}


def _spectra(modes, seed=0, shift_um=2e-4):
    return [synthetic_spectrum(m, Q, GEO, AP, T_rot=50.0, error=2e-19 * u.W / u.m**2 / u.um, continuum=CONT,
                               seed=seed + k, shift_um=shift_um) for k, m in enumerate(modes)]


def _model(spectra, cached, lsf=None):
    model = ForwardModel([as_observed(s, lsf=lsf) for s in spectra], list(Q), GEO, [AP] * len(spectra))
    model.cache_line_pixels = cached
    return model


@pytest.mark.parametrize("modes", [["PRISM"], ["G395H"], ["G235H", "G395H"]])
def test_cached_columns_equal_direct_integration(modes):
    spectra = _spectra(modes)
    fast, slow = _model(spectra, True), _model(spectra, False)
    n_sp = len(fast.fitted_species)
    # hot first (the structure then holds more lines than needed), then cool, shifts in and
    # beyond the default bound (the structure must grow), a changed ortho/para ratio
    for T, shift, opr in [(160.0, 0.0, 3.0), (50.0, 0.0, 3.0), (51.3, 3e-4, 3.0), (20.0, -2e-3, 2.2),
                          (51.3, 3e-4, 3.0), (300.0, 1e-5, 3.0)]:
        values = {"T_rot": T, "ortho_para": opr, **{f"shift_{i}": shift for i in range(len(spectra))}}
        a = fast.design(values)[:, :n_sp]
        b = slow.design(values)[:, :n_sp]
        assert np.abs(a - b).max(axis=0) == pytest.approx(0.0, abs=1e-12 * np.abs(b).max())
    assert fast._band_pixels and not slow._band_pixels


def test_cached_columns_with_a_tabulated_lsf():
    x = np.linspace(-2.0, 2.0, 41)
    lsf = TabulatedLSF(x, np.exp(-0.5 * (x / 0.5) ** 2) * (1 + 0.3 * x), resolving_power="G395H")
    spectra = _spectra(["G395H"])
    fast, slow = _model(spectra, True, lsf), _model(spectra, False, lsf)
    for T, shift in [(40.0, 0.0), (40.0, 2e-4), (90.0, -1e-4)]:
        values = {"T_rot": T, "shift_0": shift}
        a, b = fast.design(values), slow.design(values)
        assert np.abs(a - b).max() <= 1e-12 * np.abs(b).max()


def _flux_and_errors(fit):
    return {s: (v.band_flux, v.band_flux_err, v.T_rot) for s, v in fit.species.items() if v.covered}


@pytest.mark.parametrize("modes", [["PRISM"], ["G235H", "G395H"]])
def test_fit_with_and_without_the_cache(modes):
    spectra = _spectra(modes, seed=7)
    fits = [fit_model(_model(spectra, cached), FitOptions()) for cached in (True, False)]
    fast, slow = (_flux_and_errors(f) for f in fits)
    for s, (flux, err, T) in slow.items():
        assert abs(fast[s][0] - flux) < 1e-6 * err
        assert fast[s][1] == pytest.approx(err, rel=1e-6)
        assert fast[s][2] == pytest.approx(T, abs=1e-6)
    assert fits[0].fit_info["nfev"] == fits[1].fit_info["nfev"]


# --------------------------------------------------------------------------- Monte Carlo
def _best_fit(spectra, options):
    """The fitting stages up to the solution (what `fit_model` hands to the samplers)."""
    from comaspec.fit import core as fitmod
    from comaspec._threads import single_threaded_blas

    model = _model(spectra, True)
    with single_threaded_blas():
        problem, params = fitmod._parameters(model, options)
        result, notes = fitmod._minimise(problem, params, options)
        return fitmod._solution(problem, result, options, notes)


@pytest.mark.parametrize("modes, extra", [(["PRISM"], {}), (["G395H"], {}), (["G235H", "G395H"], {}),
                                          (["G395H"], {"per_species_T_rot": True, "ortho_para": "fit"})])
def test_mc_draws_equal_full_refits(modes, extra):
    """Each draw's band fluxes equal an lmfit refit of the same noise on the full model (0.01 sigma)."""
    from comaspec.fit.samplers import mc_samples, refit_draws

    options = FitOptions(mc=25, seed=11, **extra)
    solution = _best_fit(_spectra(modes, seed=3), options)
    fast, _method, notes = mc_samples(solution, options, np.random.default_rng(11))
    rng = np.random.default_rng(11)   # the same noise, drawn as mc_samples draws it
    y = solution.design @ solution.linear + rng.normal(0.0, solution.problem.sigma,
                                                       size=(25, solution.problem.sigma.size))
    slow = refit_draws(solution.problem, solution.result, y, False)
    err = np.sqrt(np.diag(solution.linear_cov))[:slow.shape[1]]
    assert np.all(np.abs(fast - slow) < 0.01 * err)
    # hence the same percentiles (16, 50, 84) of every band flux, to 0.01 sigma
    for q in (16, 50, 84):
        assert np.all(np.abs(np.percentile(fast, q, axis=0) - np.percentile(slow, q, axis=0)) < 0.01 * err)
    # and the spread is that of the noise, not of a degenerate solve
    assert np.all(np.std(fast, axis=0, ddof=1) > 0.5 * err)
    # the expanded refits are used where the model is nearly linear over the errors; with
    # T_rot per species and the ortho/para ratio free (H2O at SNR 10) they are checked
    # against full refits at the furthest draws and may give way to them
    assert "template builds" in notes[0] or (extra and "every draw refitted" in notes[0])


# --------------------------------------------------------------------------- MCMC
def test_marginal_likelihood_at_the_best_fit_is_rederived():
    """ln p(θ0) from the Gram contraction equals −½ χ²_min − ½ ln det(AᵀWA) from the exact design."""
    from comaspec.fit.local_model import LocalDesign, nonlinear_names
    from comaspec.fit.samplers import _MarginalPosterior
    from comaspec.fit import linear_solve

    solution = _best_fit(_spectra(["G395H"]), FitOptions())
    problem, result = solution.problem, solution.result
    names = nonlinear_names(problem, result)
    local = LocalDesign(problem, solution.values, names, [result.params[n].stderr for n in names])
    post = _MarginalPosterior(local, problem.y, problem.sigma, np.full(len(names), -1.0), np.full(len(names), 1.0))
    for delta in (np.zeros(len(names)), 0.5 * np.array(local.steps)):
        a = local._design(delta)
        chi2 = linear_solve(a, problem.y, problem.sigma).chi2
        aw = a / problem.sigma[:, None] * post.scale
        _sign, logdet = np.linalg.slogdet(aw.T @ aw)
        expected = -0.5 * chi2 - 0.5 * logdet
        # exact at δ = 0 up to the cancellation in yᵀWy − bᵀC⁻¹b (yᵀWy ~ 1e8 here); O(δ³) between
        # stencil points: 1e-3 in ln p is far below what a sampler resolves
        assert post(delta[None])[0] == pytest.approx(expected, abs=1e-3 if delta.any() else 1e-4)


def test_mcmc_without_nonlinear_freedom_draws_the_covariance():
    """T_rot fixed, no shift: the posterior is the linear fit's Gaussian; spreads = covariance errors."""
    pytest.importorskip("emcee")
    spectra = _spectra(["G395H"], seed=5, shift_um=0.0)
    fit = fit_model(_model(spectra, True), FitOptions(T_rot=50.0, fit_shift=False, mcmc=True, seed=1,
                                                      mcmc_steps=8000))
    for s in fit.q_names:
        sp = fit.species[s]
        assert not fit.fit_info["error_inflation"]
        # std of 8000 independent draws: relative error 0.8 %; 4 % is 5 sigma
        assert sp.extra["band_flux_err_samples_W_m2"] == pytest.approx(sp.band_flux_err, rel=0.04)


@pytest.mark.parametrize("modes", [["PRISM"], ["G235H", "G395H"]])
def test_mcmc_spreads_equal_the_covariance_errors(modes):
    """T_rot and shifts sampled (nearly linear at this SNR): band-flux spreads = lmfit's errors.

    Before, the walkers started in a tiny ball and CO's spread was 5.8x too small; the chain
    was never converged and cost 18 050 template builds.
    """
    pytest.importorskip("emcee")
    import comaspec.model.forward as forward

    calls = []
    original = forward.ForwardModel.design

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    forward.ForwardModel.design = counted
    try:
        fit = fit_model(_model(_spectra(modes, seed=9), True), FitOptions(mcmc=True, seed=4))
    finally:
        forward.ForwardModel.design = original
    info = fit.fit_info["mcmc"]
    assert info["converged"] and info["steps"] > 50 * max(info["tau"].values())
    assert len(calls) <= 18050 / 10
    for s in fit.q_names:
        sp = fit.species[s]
        # effective samples ~ walkers x steps / tau > 1000: the spread is known to ~3 %
        assert sp.extra["band_flux_err_samples_W_m2"] == pytest.approx(sp.band_flux_err, rel=0.1)


@pytest.mark.parametrize("name, modes", [("PRISM", ["PRISM"]), ("G395H", ["G395H"]),
                                         ("G235H+G395H", ["G235H", "G395H"])])
def test_fit_equals_the_reference_run_before_the_caches(name, modes):
    """Band fluxes, errors, T_rot and shifts as fitted by the code before the fit caches and the
    cheaper start grid (numbers from tests/make_fit_reference.py, run on that code): 1e-6 sigma."""
    import json
    import pathlib

    import make_fit_reference as ref

    expected = json.loads(pathlib.Path(__file__).with_name("fit_reference.json").read_text())[name]
    fit = ref.summary(fit_coma(ref.spectra(modes, 21), ref.GEO, ref.AP, list(ref.Q)))
    for s, (flux, err, T) in expected["species"].items():
        got = fit["species"][s]
        assert abs(got[0] - flux) < 1e-6 * err
        assert got[1] == pytest.approx(err, rel=1e-6)
        assert got[2] == pytest.approx(T, abs=1e-6)
    assert fit["shifts"] == pytest.approx(expected["shifts"], abs=1e-10)
