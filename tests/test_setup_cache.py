"""The fit's set-up caches (issue 22 item 1) against the uncached paths they replace.

* `comaspec.fit.observed`: F_lambda converted plainly, F_nu by c / lambda^2, against astropy's
  ``spectral_density`` equivalency;
* `comaspec.model.setup_cache`: exact keys; flux-per-Q weights, pixel-integration structures
  and start-grid columns kept between models give the designs and fits of empty caches;
* `comaspec.fit.continuum_choice`: the BIC of column subsets from one QR against a direct
  lstsq per subset.
"""

import math
import warnings
from dataclasses import replace

import astropy.units as u
import numpy as np
import pytest
from astropy.nddata import StdDevUncertainty
from specutils import Spectrum

from comaspec.apertures import CircularAperture
from comaspec.fit import FitOptions, as_observed, fit_coma, fit_model
from comaspec.geometry import Geometry
from comaspec.instrument import TabulatedLSF
from comaspec.model import ForwardModel, setup_cache
from comaspec.model.columns import sharing_columns
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
Q = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 1e26}
CONT = {"scattered": 1.2e-16, "slope": 0.5, "thermal": 2e-19}
F_LAMBDA = u.W / u.m**2 / u.um


def _spectra(modes, seed=0):
    return [synthetic_spectrum(m, Q, GEO, AP, T_rot=50.0, error=2e-19 * u.W / u.m**2 / u.um, continuum=CONT,
                               seed=seed + k, shift_um=2e-4) for k, m in enumerate(modes)]


def _model(spectra, **kwargs):
    return ForwardModel([as_observed(s) for s in spectra], list(Q), GEO, [AP] * len(spectra), **kwargs)


# --------------------------------------------------------------------------- units
def _with_unit(spectrum, unit):
    """The same spectrum with flux and error in ``unit`` (converted by astropy's equivalency)."""
    equiv = u.spectral_density(spectrum.spectral_axis)
    flux = spectrum.flux.to(unit, equivalencies=equiv)
    err = spectrum.uncertainty.quantity.to(unit, equivalencies=equiv)
    return Spectrum(flux=flux, spectral_axis=spectrum.spectral_axis, uncertainty=StdDevUncertainty(err),
                    meta=spectrum.meta)


def _by_equivalency(spectrum):
    equiv = u.spectral_density(spectrum.spectral_axis.to(u.um))
    order = np.argsort(spectrum.spectral_axis.to_value(u.um))
    return (spectrum.flux.to_value(F_LAMBDA, equivalencies=equiv)[order],
            spectrum.uncertainty.quantity.to_value(F_LAMBDA, equivalencies=equiv)[order])


@pytest.mark.parametrize("unit", [u.erg / u.s / u.cm**2 / u.AA, F_LAMBDA, u.W / u.m**2 / u.nm])
def test_plain_f_lambda_conversion_is_the_equivalency_bit_for_bit(unit):
    spectrum = _with_unit(_spectra(["G395H"])[0], unit)
    obs = as_observed(spectrum)
    flux, err = _by_equivalency(spectrum)
    np.testing.assert_array_equal(obs.flux, flux)
    np.testing.assert_array_equal(obs.error, err)


@pytest.mark.parametrize("unit", [u.Jy, u.MJy, u.erg / u.s / u.cm**2 / u.Hz])
def test_f_nu_times_c_over_lambda_squared_is_the_equivalency(unit):
    spectrum = _with_unit(_spectra(["PRISM"])[0], unit)
    obs = as_observed(spectrum)
    flux, err = _by_equivalency(spectrum)
    # the same product in another order: a few units in the last place
    np.testing.assert_allclose(obs.flux, flux, rtol=1e-15, atol=0)
    np.testing.assert_allclose(obs.error, err, rtol=1e-15, atol=0)


def test_photon_flux_goes_through_the_equivalency():
    """Neither F_lambda nor F_nu: photons/s/cm2/um, checked against E = h c / lambda by hand."""
    import astropy.constants as const

    spectrum = _spectra(["G395H"])[0]
    wl = spectrum.spectral_axis.to(u.um)
    photon_unit = u.ph / u.s / u.cm**2 / u.um
    energy = (const.h * const.c / wl).to(u.J) / u.ph
    flam = spectrum.flux.to(F_LAMBDA, equivalencies=u.spectral_density(wl))
    photons = (flam / energy).to(photon_unit)
    err = (spectrum.uncertainty.quantity.to(F_LAMBDA, equivalencies=u.spectral_density(wl)) / energy).to(photon_unit)
    obs = as_observed(Spectrum(flux=photons, spectral_axis=wl, uncertainty=StdDevUncertainty(err),
                               meta=spectrum.meta))
    np.testing.assert_allclose(obs.flux, flam.to_value(F_LAMBDA), rtol=1e-12)


# --------------------------------------------------------------------------- keys
def test_keys_are_exact():
    key = setup_cache.frozen
    assert key((GEO, AP, {"velocity": None})) == key((Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg),
                                                       CircularAperture(0.5 * u.arcsec), {"velocity": None}))
    one_ulp = Geometry(np.nextafter(3.32, 4.0) * u.au, 2.61 * u.au, 17 * u.deg)
    assert key(GEO) != key(one_ulp)
    assert key(AP) != key(CircularAperture(0.5 * u.arcsec, offset=[0.1, 0.0] * u.arcsec))
    assert key(AP) != key(CircularAperture(500.0 * u.mas))       # equal size, other unit: not merged
    assert key(1) != key(1.0) and key(True) != key(1)
    assert key({"CO2": 1e20 * u.s}) != key({"CO2": 1e20 * u.s, "CO": 1e20 * u.s})
    with pytest.raises(setup_cache.Unfrozen):
        key(lambda x: x)


def test_cached_feature_weights_equal_a_fresh_build():
    from comaspec.model.species import feature_weights
    from comaspec.physics.assumptions import Assumptions

    setup_cache.clear()
    for species, kwargs in [("CO2", {}), ("H2O", {"assumptions": Assumptions(velocity=0.6 * u.km / u.s)}),
                            ("CO", {"assumptions": Assumptions(lifetime={"CO": 3e6 * u.s})})]:
        first = setup_cache.feature_weights(feature_weights, species, GEO, AP, **kwargs)
        again = setup_cache.feature_weights(feature_weights, species, GEO, AP, **kwargs)
        fresh = feature_weights(species, GEO, AP, **kwargs)
        assert again is first
        assert first.weights() == fresh.weights() and first.n_per_q == fresh.n_per_q
        assert setup_cache.sensitivities(first) == fresh.sensitivities()
        assert setup_cache.band_weights(first) == fresh.weights()
    # another velocity is another entry, with its own numbers
    slow = setup_cache.feature_weights(feature_weights, "H2O", GEO, AP,
                                       assumptions=Assumptions(velocity=0.5 * u.km / u.s))
    assert slow.n_per_q != setup_cache.feature_weights(feature_weights, "H2O", GEO, AP,
                                                       assumptions=Assumptions(velocity=0.6 * u.km / u.s)).n_per_q
    # an argument without an exact key is computed every time (not cached)
    callable_velocity = {"H2O": 0.6 * u.km / u.s, "note": object()}
    with pytest.raises(setup_cache.Unfrozen):
        setup_cache.frozen(callable_velocity)


# --------------------------------------------------------------------------- designs
def _design_states(model):
    n = len(model.spectra)
    return [{"T_rot": T, "ortho_para": opr, **{f"shift_{i}": shift for i in range(n)}}
            for T, shift, opr in [(160.0, 0.0, 3.0), (40.0, 0.0, 3.0), (51.3, 3e-4, 3.0), (20.0, -2e-3, 2.2)]]


@pytest.mark.parametrize("modes", [["PRISM"], ["G235H", "G395H"]])
def test_models_sharing_set_up_give_the_designs_of_empty_caches(modes):
    """A model built after others of the same grid (structure copied, start-grid columns kept)
    gives the designs of a model built on empty caches, and of the direct integration."""
    spectra = _spectra(modes)
    setup_cache.clear()
    cold = _model(spectra)
    cold_designs = []
    for values in _design_states(cold):
        with sharing_columns(cold):
            cold_designs.append(cold.design(values))
    warm = _model(spectra)                         # every structure and column from the first
    direct = _model(spectra)
    direct.cache_line_pixels = False
    for values, expected in zip(_design_states(warm), cold_designs):
        with sharing_columns(warm):
            got = warm.design(values)
        np.testing.assert_array_equal(got, expected)
        reference = direct.design(values)
        assert np.abs(got - reference).max() <= 1e-12 * np.abs(reference).max()
    # outside the sharing context a model computes its own columns from its copied structure
    later = _model(spectra)
    for values in _design_states(later):
        reference = direct.design(values)
        assert np.abs(later.design(values) - reference).max() <= 1e-12 * np.abs(reference).max()


def test_other_grids_and_lsfs_do_not_share():
    spectrum = as_observed(_spectra(["G395H"])[0])
    pixels = []
    for wl, lsf in [(spectrum.wavelength_um, spectrum.lsf), (spectrum.wavelength_um.copy(), spectrum.lsf),
                    (np.nextafter(spectrum.wavelength_um, 10.0), spectrum.lsf),
                    (spectrum.wavelength_um, TabulatedLSF([-1.0, 0.0, 1.0], [0.0, 1.0, 0.0], resolving_power=2700))]:
        sp = replace(spectrum, wavelength_um=wl, lsf=lsf)
        model = ForwardModel([sp], ["CO2"], GEO, [AP])
        model.design({"T_rot": 50.0, "shift_0": 0.0})
        pixels.append(model._band_pixels[("CO2", 0)][1])
    assert pixels[0] == pixels[1]                  # an equal grid (another array) shares
    assert pixels[2] != pixels[0] and pixels[3] != pixels[0]


@pytest.mark.parametrize("modes", [["PRISM"], ["G235H", "G395H"]])
def test_fits_on_warm_caches_equal_fits_on_empty_ones(modes):
    spectra = _spectra(modes, seed=13)
    fits = []
    for _ in range(2):
        setup_cache.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.append(fit_coma(spectra, GEO, AP, list(Q)))          # cold
            fits.append(fit_coma(spectra, GEO, AP, list(Q)))          # warm: set-up from the first
    cold, warm = fits[0], fits[1]
    for s in cold.q_names:
        a, b = cold.species[s], warm.species[s]
        assert abs(a.band_flux - b.band_flux) < 1e-6 * a.band_flux_err
        assert b.band_flux_err == pytest.approx(a.band_flux_err, rel=1e-9)
        assert b.T_rot == pytest.approx(a.T_rot, abs=1e-9)
        assert b.Q == pytest.approx(a.Q, rel=1e-12)
    assert warm.fit_info["nfev"] == cold.fit_info["nfev"]


def test_with_data_models_share_the_model_set_up():
    """Noise refits and spaxels (`ForwardModel.with_data`) fit as a model built afresh."""
    spectra = _spectra(["G395H"], seed=2)
    model = _model(spectra)
    y_new, sigma = _model(_spectra(["G395H"], seed=5)).data()   # another noise draw on the same pixels
    shared = fit_model(model.with_data(y_new, sigma), FitOptions())
    setup_cache.clear()
    fresh_model = _model(spectra)
    fresh = fit_model(fresh_model.with_data(y_new, sigma), FitOptions())
    for s in fresh.q_names:
        assert abs(shared.species[s].band_flux - fresh.species[s].band_flux) < 1e-6 * fresh.species[s].band_flux_err


# --------------------------------------------------------------------------- BIC
@pytest.mark.parametrize("modes", [["PRISM"], ["G395H"], ["G235H", "G395H"]])
def test_subset_bic_from_one_qr_equals_a_lstsq_per_subset(modes):
    from comaspec.fit.continuum_choice import MAX_DEGREE, _bic, _SubsetBic

    spectra = _spectra(modes, seed=4)
    model = _model(spectra)
    widest = _model(spectra, windows=[replace(w, degree=MAX_DEGREE) for w in model.windows])
    design = widest.design({"T_rot": 48.0, **{f"shift_{i}": 1e-4 for i in range(len(spectra))}})
    y, sigma = widest.data()
    bic = _SubsetBic(design, y, sigma)
    rng = np.random.default_rng(3)
    n_sp = len(widest.fitted_species)
    for _ in range(12):
        keep = rng.random(design.shape[1]) < 0.6
        keep[:n_sp] = True
        expected = _bic(design, y, sigma, keep)
        # chi2 here is up to 1e9 (the wrong continuum degrees): rounding of that size only
        assert bic(keep) == pytest.approx(expected, rel=1e-8, abs=1e-6)
    assert math.isfinite(bic(np.ones(design.shape[1], dtype=bool)))


def test_line_weights_kept_per_temperature_equal_the_direct_integration():
    """A new shift at a known T_rot reuses that T_rot's line weights (no stick spectra), also
    across a rebuild of the structure (a shift beyond its range drops them)."""
    spectra = _spectra(["G395H"], seed=6)
    fast, direct = _model(spectra), _model(spectra)
    direct.cache_line_pixels = False
    T, other = 47.0, 61.5
    for temps, shift in [(T, 0.0), (T, 1e-4), (other, 1e-4), (T, 2e-4), (T, 3e-3), (other, 1e-4), (T, 0.0),
                         (other, -3e-3)]:
        values = {"T_rot": temps, "shift_0": shift}
        got, expected = fast.design(values), direct.design(values)
        assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max()
    assert any(p._line_weights for p, _key in fast._band_pixels.values())


def test_fits_in_threads_equal_fits_in_turn():
    """Fits sharing the set-up caches from two threads (a Dask threaded scheduler) give the
    results of the same fits run one after the other on empty caches."""
    from concurrent.futures import ThreadPoolExecutor

    cases = [_spectra(["PRISM"], seed=31), _spectra(["G395H"], seed=32), _spectra(["PRISM"], seed=33),
             _spectra(["G395H"], seed=34)]

    def fit(spectra):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit_coma(spectra, GEO, AP, list(Q))

    in_turn = []
    for spectra in cases:
        setup_cache.clear()
        in_turn.append(fit(spectra))
    setup_cache.clear()
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = list(pool.map(fit, cases))
    for a, b in zip(in_turn, threaded):
        for s in a.q_names:
            assert abs(a.species[s].band_flux - b.species[s].band_flux) < 1e-6 * a.species[s].band_flux_err
            assert b.species[s].T_rot == pytest.approx(a.species[s].T_rot, abs=1e-6)
