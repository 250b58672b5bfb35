"""The physical continuum's screen (`comaspec.fit.physical_screen`) and the continuum choice with it.

* `bounded_minimum` against independent solvers: a box-constrained linear least-squares
  problem (scipy's BVLS, `scipy.optimize.lsq_linear`) and a nonlinear fit whose optimum lies
  on a bound (scipy's trust-region reflective `least_squares` at tight tolerances);
* on the real C/2017 K2 beam and annuli, where the physical trial fit (Levenberg-Marquardt
  under lmfit's bound transformation) creeps for ~200 evaluations to both shape bounds: the
  screen's χ² equals that fit's within `CHI2_TOLERANCE`;
* the default fit with the screen equals, number for number and with its choice record,
  the fit without it (the physical trial always fitted) on the K2 beam (also with MC and
  CH4 alone), every fifth annulus, a real planetary nebula spectrum (G395H) and the
  thermal-dust comae where the physical continuum wins (there the screen is inconclusive:
  the shape's optimum is inside its box).
"""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from comaspec.errors import ComaspecWarning
from comaspec.fit import FitOptions, fit_model
from comaspec.fit import continuum_choice
from comaspec.fit.physical_screen import CHI2_TOLERANCE, bounded_minimum, screened_chi2


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComaspecWarning)
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- the minimiser
def test_bounded_minimum_matches_bvls_on_a_linear_problem():
    from scipy.optimize import lsq_linear

    rng = np.random.default_rng(5)
    a = rng.normal(size=(40, 5))
    b = a @ np.array([1.5, -2.0, 0.3, 0.8, -0.1]) + rng.normal(size=40)
    lo, hi = np.full(5, -1.0), np.full(5, 1.0)   # the first two want to leave the box
    found = bounded_minimum(lambda x: a @ x - b, np.zeros(5), lo, hi)
    reference = lsq_linear(a, b, bounds=(lo, hi), method="bvls", tol=1e-14)
    chi2_ref = float(np.sum(reference.fun ** 2))
    assert found is not None and abs(found.chi2 - chi2_ref) < CHI2_TOLERANCE
    assert np.allclose(found.x, reference.x, atol=1e-3)
    # held: on a bound with the gradient pointing out, as BVLS's active set
    assert found.held.tolist() == (reference.active_mask != 0).tolist() == [True, True, False, False, False]


def test_bounded_minimum_holds_a_bound_of_a_nonlinear_fit():
    from scipy.optimize import least_squares

    t = np.linspace(0.0, 3.0, 50)
    rng = np.random.default_rng(1)
    y = 4.0 * np.exp(-2.0 * t) + 0.01 * rng.normal(size=t.size)

    def residual(x):
        return (x[0] * np.exp(-x[1] * t) - y) / 0.01

    lo, hi = np.array([0.0, 0.0]), np.array([10.0, 1.0])   # decay rate 2 is outside: k = 1 is the optimum
    found = bounded_minimum(residual, np.array([1.0, 0.5]), lo, hi)
    reference = least_squares(residual, [1.0, 0.5], bounds=(lo, hi), method="trf", xtol=1e-15, ftol=1e-15,
                              gtol=1e-15)
    assert found is not None and found.held.tolist() == [False, True] and found.x[1] == 1.0
    assert abs(found.chi2 - 2 * reference.cost) < CHI2_TOLERANCE
    assert abs(found.x[0] - reference.x[0]) < 1e-3


def _toy(shift):
    """Residual of a 'band' parameter b and a 'shape' parameter s in [0, 1] whose best value
    at fixed b is 2 b - shift: at the start b = 0 it is below the box (s held at 0)."""
    def residual(x):
        b, s = x
        return np.array([10.0 * (b - 1.0), s - (2.0 * b - shift), 0.1 * b])
    return residual


@pytest.mark.parametrize("shift, held", [(3.0, True), (1.0, False)])
def test_two_phases_checks_the_held_shape_at_the_end(shift, held):
    """The shape goes to its bound at the start's b; with b fitted, it stays there (shift 3:
    the optimum of the box problem, as scipy's TRF finds it) or its optimum moves inside
    (shift 1: the held bound is no optimum, and the screen says so: None)."""
    from scipy.optimize import least_squares

    from comaspec.fit.physical_screen import _two_phases

    fun, lo, hi = _toy(shift), np.array([-5.0, 0.0]), np.array([5.0, 1.0])
    chi2 = _two_phases(fun, np.array([0.0, 0.5]), lo, hi, n_band=1)
    if not held:
        assert chi2 is None
        return
    reference = least_squares(fun, [0.0, 0.5], bounds=(lo, hi), method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    assert reference.x[1] == pytest.approx(0.0, abs=1e-9)
    assert chi2 == pytest.approx(2 * reference.cost, abs=CHI2_TOLERANCE)


def test_screen_is_inconclusive_where_band_origins_are_fitted():
    # the trial would free an uncertain band origin (OCS) in a second minimisation
    assert screened_chi2(SimpleNamespace(origin_bounds={"OCS": 2.0}), {}, {}) is None


# --------------------------------------------------------------------------- the real K2 spectra
def _k2_models(shared_data, annulus=None):
    """(polynomial trial model, its fit, build) at the degrees the choice takes (3.3 µm: 6)."""
    from dataclasses import replace

    import astropy.units as u

    from comaspec.apertures import CircularAperture
    from comaspec.fit import as_observed
    from comaspec.geometry import Geometry
    from comaspec.model import ForwardModel
    from comaspec.pipeline import load_inputs, spectra_to_fit
    from test_continuum_choice_fits import K2_BEAM, K2_FOLDER

    if annulus is None:
        aperture = CircularAperture(0.75 * u.arcsec)
        spectra = spectra_to_fit(load_inputs([str(shared_data(K2_FOLDER, K2_BEAM))]), aperture, None)
    else:
        from k2_reference import _scaled, annulus_case

        factor, aperture = annulus_case(annulus, "annulus")
        ((path, spectrum, is_cube),) = load_inputs([str(annulus.path)])
        spectra = spectra_to_fit([(path, _scaled(spectrum, factor), is_cube)], aperture, None)
    observed = [as_observed(s) for s in spectra]

    def build(windows, continuum="polynomial"):
        return ForwardModel(observed, ["CH4", "C2H6"], Geometry(2.34 * u.au, 2.04 * u.au), [aperture],
                            windows=windows, continuum=continuum)

    windows = tuple(replace(w, degree=6) if w.name == "3.3um" else w for w in build(None).windows)
    polynomial = build(windows)
    return polynomial, _quiet(fit_model, polynomial, FitOptions()), build


def _annuli(shared_data, every=5):
    from k2_reference import annulus_files
    from test_continuum_choice_fits import K2_BEAM, K2_FOLDER

    return annulus_files(shared_data(K2_FOLDER, K2_BEAM).parent)[::every]


def test_screen_finds_the_trial_fits_optimum_on_the_bounds(shared_data):
    """The K2 beam and its 23 annuli: the physical trial's χ² (198-288 evaluations) and the
    screen's agree within its tolerance; the trial's slope and dust temperature are on
    their bounds (the case the screen is for)."""
    for annulus in [None, *_annuli(shared_data, every=1)]:
        polynomial, poly_fit, build = _k2_models(shared_data, annulus)
        physical = build(polynomial.windows, "physical")
        trial = _quiet(fit_model, physical, FitOptions())
        shape = {h.name: h for h in physical.parameters() if h.role == "continuum"}
        assert trial.fit_info["continuum_slope"] == pytest.approx(shape["cont_slope"].min, abs=1e-6)
        assert trial.fit_info["dust_temperature_K"] == pytest.approx(shape["cont_dust_T"].min, rel=1e-6)
        screened = screened_chi2(build(polynomial.windows, "physical"),
                                 *continuum_choice.screen_start(polynomial, poly_fit), species_model=polynomial)
        assert screened is not None
        chi2, n_params = screened
        assert abs(chi2 - trial.fit_info["chi2"]) < CHI2_TOLERANCE, annulus
        assert n_params == trial.fit_info["n_params"]
        # the same numbers without the polynomial model's species columns (the model's own)
        alone = screened_chi2(build(polynomial.windows, "physical"),
                              *continuum_choice.screen_start(polynomial, poly_fit))
        assert alone == pytest.approx(screened, rel=1e-9)


# --------------------------------------------------------------------------- the choice, unchanged
def _fits_with_and_without_screen(monkeypatch, fit):
    with_screen = fit()
    with monkeypatch.context() as patch:
        patch.setattr(continuum_choice, "_screened_out", lambda *args: False)
        without = fit()
    return with_screen, without


def _assert_unchanged(a, b):
    from test_continuum_choice_fits import _assert_same

    _assert_same(a, b)
    assert repr(a.fit_info.get("continuum_choice")) == repr(b.fit_info.get("continuum_choice"))
    assert a.fit_info["notes"] == b.fit_info["notes"]


def _k2_fits(shared_data):
    import astropy.units as u

    from comaspec.apertures import CircularAperture
    from comaspec.fit import fit_coma
    from comaspec.geometry import Geometry
    from comaspec.pipeline import load_inputs, spectra_to_fit
    from k2_reference import fit_annulus
    from test_continuum_choice_fits import K2_BEAM, K2_FOLDER

    geometry, aperture = Geometry(2.34 * u.au, 2.04 * u.au), CircularAperture(0.75 * u.arcsec)
    spectra = spectra_to_fit(load_inputs([str(shared_data(K2_FOLDER, K2_BEAM))]), aperture, None)
    yield lambda: fit_coma(spectra, geometry, aperture, ["CH4", "C2H6"])
    yield lambda: fit_coma(spectra, geometry, aperture, ["CH4"])
    yield lambda: fit_coma(spectra, geometry, aperture, ["CH4", "C2H6"], mc=5, seed=3)
    for annulus in _annuli(shared_data):
        yield lambda annulus=annulus: fit_annulus(annulus, "annulus")


def test_k2_fits_unchanged_by_the_screen(shared_data, monkeypatch):
    for fit in _k2_fits(shared_data):
        with_screen, without = _quiet(_fits_with_and_without_screen, monkeypatch, fit)
        assert with_screen.fit_info["continuum_choice"]["continuum"] == "polynomial"
        _assert_unchanged(with_screen, without)


@pytest.mark.parametrize("seed", [1, 2])
def test_thermal_winner_unchanged(seed, monkeypatch):
    from test_no_wrong_answers import _fit, _thermal_spectrum

    spectrum = _thermal_spectrum(seed)
    with_screen, without = _fits_with_and_without_screen(monkeypatch, lambda: _fit(spectrum))
    assert with_screen.fit_info["continuum_choice"]["continuum"] == "physical"
    _assert_unchanged(with_screen, without)


def test_screen_leaves_an_inner_optimum_to_the_trial():
    """The thermal-dust coma: the physical continuum's optimum is inside its box (slope 0.5,
    dust at 160.7 K), so the screen is inconclusive and the trial is fitted."""
    from dataclasses import replace

    from test_continuum_choice_fits import THERMAL_OPTIONS, _thermal

    model, build = _thermal(1e-16)
    windows = (model.windows[0], replace(model.windows[1], degree=6))
    polynomial = build(windows)
    poly_fit = _quiet(fit_model, polynomial, THERMAL_OPTIONS)
    start, bounds = continuum_choice.screen_start(polynomial, poly_fit)
    assert screened_chi2(build(windows, "physical"), start, bounds, species_model=polynomial) is None


def test_planetary_nebula_fit_unchanged_by_the_screen(shared_data, monkeypatch):
    """A real G395H spectrum that is no coma (tests/test_misfit.py): the degrees go to 6 and the
    physical trial fit creeps to the slope's bound for ~3000 evaluations (1.7 s); the screen
    finds a χ² as low in ~15 ms, and the fit is the same with or without it."""
    import astropy.units as u

    from comaspec.apertures import CircularAperture
    from comaspec.fit import fit_coma
    from comaspec.geometry import Geometry
    from comaspec.pipeline import load_inputs, spectra_to_fit

    path = shared_data("jwst-nirspec-g395-planetary-nebula-msaexp",
                       "calib_g395h-f290lp_iras-05248-7007_s200a1.v1.spec.fits.gz")
    aperture = CircularAperture(0.5 * u.arcsec)
    spectra = spectra_to_fit(load_inputs([str(path)]), aperture, None)
    calls, screened_out = [], continuum_choice._screened_out

    def recorded(*args):
        calls.append(screened_out(*args))
        return calls[-1]

    monkeypatch.setattr(continuum_choice, "_screened_out", recorded)
    with_screen, without = _quiet(_fits_with_and_without_screen, monkeypatch,
                                  lambda: fit_coma(spectra, Geometry(3.0 * u.au, 2.0 * u.au), aperture,
                                                   ["CO2", "H2O", "CO"]))
    assert calls == [True]   # the screen ruled the physical trial out
    assert with_screen.fit_info["continuum_choice"]["continuum"] == "polynomial"
    # Not compared bit for bit: this fit of a spectrum that is no coma (χ²/ν ~ 1600) ends in a
    # valley so flat that rounding moves its band fluxes by up to ~0.2 of their (unscaled)
    # σ between runs of the same code (measured: 3 distinct results in 5 processes, main
    # included), and its final χ² by up to ~1e-4 of itself. The choice (the trials' BIC) is
    # what the screen could change: it is the same to 1e-9.
    chosen, unscreened = with_screen.fit_info["continuum_choice"], without.fit_info["continuum_choice"]
    assert chosen.keys() == unscreened.keys()
    for key, value in chosen.items():
        assert value == (pytest.approx(unscreened[key], rel=1e-9) if isinstance(value, float) else unscreened[key]), key
    assert with_screen.fit_info["chi2"] == pytest.approx(without.fit_info["chi2"], rel=1e-3)
