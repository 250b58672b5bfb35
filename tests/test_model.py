"""The forward model: continuum bases, band coverage, flux conservation, linearity."""

import astropy.units as u
import numpy as np
import pytest

from comaspec import model
from comaspec.apertures import CircularAperture
from comaspec.errors import FitError, InputError
from comaspec.geometry import Geometry
from comaspec.physics.instrument import make_lsf, pixel_edges
from comaspec.model import (DEFAULT_WINDOWS, ForwardModel, ObservedSpectrum, Window, equilibrium_temperature,
                            legendre_basis, planck_lambda, sun_temperature)
from comaspec.synthetic import wavelength_grid

GEO = Geometry(3.32 * u.au, 2.61 * u.au)


AP = CircularAperture(0.5 * u.arcsec)


def _obs(mode, lo=None, hi=None, flux=None):
    wl = wavelength_grid(mode, lo, hi)
    f = np.ones_like(wl) if flux is None else flux(wl)
    return ObservedSpectrum(wl, f, np.full(wl.size, 0.01), np.ones(wl.size, bool), make_lsf(mode), mode=mode)


def test_legendre_basis():
    wl = np.linspace(2.0, 3.0, 11)
    b = legendre_basis(wl, 2.0, 3.0, 2)
    x = np.linspace(-1, 1, 11)
    assert b.shape == (11, 3)
    np.testing.assert_allclose(b[:, 1], x)
    np.testing.assert_allclose(b[:, 2], 0.5 * (3 * x**2 - 1))


def test_planck_matches_astropy_blackbody():
    from astropy.modeling.physical_models import BlackBody

    wl = np.array([1.0, 3.0, 5.0])
    bb = BlackBody(300 * u.K, scale=1.0 * u.W / u.m**2 / u.um / u.sr)
    np.testing.assert_allclose(planck_lambda(wl, 300.0), bb(wl * u.um).to_value(u.W / u.m**2 / u.um / u.sr),
                               rtol=1e-10)


def test_sun_and_equilibrium_temperatures():
    # IAU 2015 Resolution B3: nominal solar effective temperature 5772 K
    assert sun_temperature() == pytest.approx(5772, abs=1)
    # independent form: T_eq = T_sun sqrt(R_sun / 2 d)
    from astropy.constants import R_sun

    expected = sun_temperature() * np.sqrt((R_sun / (2 * 3.0 * u.au)).decompose().value)
    assert equilibrium_temperature(3.0) == pytest.approx(expected, rel=1e-10)


def test_window_validation():
    with pytest.raises(InputError):
        Window("bad", 3.0, 2.0)
    with pytest.raises(InputError):
        Window("bad", 2.0, 3.0, degree=9)


def test_coverage_prism_g395h_and_none():
    m = ForwardModel([_obs("PRISM")], ["CO2", "H2O", "CO"], GEO, [AP])
    assert m.fitted_species == ["CO2", "H2O", "CO"]
    assert m.species["H2O"].feature == "2.7um"
    assert set(m.species["H2O"].covered_features) == {"2.7um", "4.7um"}
    # G395H starts above 2.87 um: H2O only through its 4.63/4.85 um hot bands
    m = ForwardModel([_obs("G395H")], ["CO2", "H2O"], GEO, [AP])
    assert m.species["H2O"].feature == "4.7um" and m.species["H2O"].covered_features == ["4.7um"]
    # CO2 only window: H2O not covered at all
    m = ForwardModel([_obs("PRISM", 3.9, 4.5)], ["CO2", "H2O"], GEO, [AP])
    assert m.fitted_species == ["CO2"] and not m.species["H2O"].covered
    with pytest.raises(FitError):
        ForwardModel([_obs("PRISM", 0.7, 2.0)], ["CO2", "H2O"], GEO, [AP])


def test_not_covered_says_which_band_and_why():
    # CO2-only range: both H2O features lie outside the data
    m = ForwardModel([_obs("PRISM", 3.9, 4.5)], ["CO2", "H2O"], GEO, [AP])
    why = m.species["H2O"].why_not_covered
    assert why.startswith("2.7um outside the data (3.90-4.") and "4.7um outside the data" in why
    # G395H with the 4.85 um hot band in a masked gap: H2O is not measured, and the reason
    # names that band and the mask (not the range, which does contain it)
    obs = _obs("G395H")
    gap = (obs.wavelength_um > 4.80) & (obs.wavelength_um < 4.90)
    obs = ObservedSpectrum(obs.wavelength_um, obs.flux, obs.error, ~gap, obs.lsf, mode="G395H")
    m = ForwardModel([obs], ["CO2", "H2O"], GEO, [AP])
    assert not m.species["H2O"].covered
    assert "4.7um has nu1-nu2 at 4.849 um in masked or missing pixels" in m.species["H2O"].why_not_covered
    assert "nu3-nu2" not in m.species["H2O"].why_not_covered  # 4.63 um is fine


def test_hot_bands_tied_by_their_flux_per_unit_q():
    # Same molecules, same distance: a band's flux is proportional to g_b * nu_b, so each band's
    # weight relative to the 2.7 um feature is g_b nu_b / sum_{2.7um} g nu, read here straight
    # from bands.ecsv (not through comaspec's flux <-> Q code).
    from astropy.table import Table

    from comaspec._paths import linelists_dir

    t = Table.read(linelists_dir() / "bands.ecsv", format="ascii.ecsv")
    rows = t[(t["species"] == "H2O") & t["default"]]
    g_nu = {str(r["band"]): float(r["g_1au"]) * float(r["center_cm"]) for r in rows}
    ref = sum(g_nu[str(r["band"])] for r in rows if r["feature"] == "2.7um")
    m = ForwardModel([_obs("PRISM")], ["H2O"], GEO, [AP])
    terms = dict(m.species["H2O"].terms[0])
    assert set(terms) == set(g_nu)
    for band, value in g_nu.items():
        assert terms[band] == pytest.approx(value / ref, rel=1e-12)


V_KM_S = 0.5
TAU_1AU_S = {"CO2": 5e5, "H2O": 8e4, "CO": 1.4e6}


def _independent_band_fluxes(q):
    """{(species, band): W m^-2} from the Haser shell integral and bands.ecsv (independent_coma)."""
    from independent_coma import ARCSEC_RAD, AU_M, band_fluxes

    radius_km = 0.5 * ARCSEC_RAD * 2.61 * AU_M / 1e3
    return band_fluxes(q, 3.32, 2.61, radius_km, V_KM_S, TAU_1AU_S)


def test_unit_q_spectrum_conserves_band_flux():
    """The integral of the Q = 1 spectrum is the band flux per unit Q of the independent closed
    form (Haser shell integral, F = N g h c nu / 4 pi Delta^2), every band inside the grid."""
    wl = wavelength_grid("PRISM")
    lsf = make_lsf("PRISM")
    spec = model.unit_q_spectrum("CO2", wl, 50.0, lsf, GEO, AP, velocity=V_KM_S * u.km / u.s,
                                 lifetime=TAU_1AU_S["CO2"] * u.s)
    integral = np.sum(spec * np.diff(pixel_edges(wl)))
    total = sum(_independent_band_fluxes({"CO2": 1.0}).values())
    assert integral == pytest.approx(total, rel=1e-4)


@pytest.mark.parametrize("mode, lo, hi, species, shape_tol", [
    ("PRISM", 2.4, 5.2, "CO2", 0.005), ("PRISM", 2.4, 5.2, "CO", 0.005),
    # the independent H2O sticks lack the cascade into (001)/(100) (tests/fluorescence_reference.py)
    ("PRISM", 2.4, 5.2, "H2O", 0.015),
    ("G395H", 4.1, 5.2, "CO2", 0.005), ("G395H", 4.1, 5.2, "CO", 0.005),
])
def test_gas_spectrum_matches_the_independent_generator(mode, lo, hi, species, shape_tol):
    """comaspec's gas spectrum against one written out by hand (tests/independent_coma.py:
    HITRAN fluorescence sticks, ESA R tables, erf over pixels, Haser shell integral): same
    integrated flux, same shape to a fraction of the peak."""
    from independent_coma import gas_flam, grid

    wl = grid(mode, lo, hi)
    q = {species: 1e27}
    expected = gas_flam(mode, wl, _independent_band_fluxes(q), 50.0)
    got = model.gas_spectrum(q, wl, 50.0, make_lsf(mode), GEO, AP, velocity=V_KM_S * u.km / u.s,
                             lifetime={species: TAU_1AU_S[species] * u.s})
    width = np.gradient(wl)
    assert np.sum(got * width) == pytest.approx(np.sum(expected * width), rel=1e-4)
    assert np.max(np.abs(got - expected)) < shape_tol * expected.max()


def test_design_is_linear_and_matches_gas_spectrum():
    """Consistency check: the design columns times Q phi are gas_spectrum (gas_spectrum against
    the independent generator: test_gas_spectrum_matches_the_independent_generator)."""
    obs = _obs("PRISM")
    m = ForwardModel([obs], ["CO2", "H2O"], GEO, [AP])
    blocks = m.design({"T_rot_CO2": 40.0, "T_rot_H2O": 40.0}, pixels="all")
    q = {"CO2": 1e27, "H2O": 2e26}
    coef = np.zeros(m.n_linear)
    coef[0] = q["CO2"] * m.species["CO2"].phi
    coef[1] = q["H2O"] * m.species["H2O"].phi
    gas = model.gas_spectrum(q, obs.wavelength_um, 40.0, obs.lsf, GEO, AP)
    inside = np.zeros(obs.wavelength_um.size, bool)
    for w in DEFAULT_WINDOWS:
        inside |= (obs.wavelength_um >= w.lo_um) & (obs.wavelength_um <= w.hi_um)
    # the species columns reproduce the gas spectrum (bands of covered features)
    np.testing.assert_allclose((blocks[0] @ coef)[inside], gas[inside], rtol=1e-9, atol=gas.max() * 1e-9)


def test_observed_spectrum_flags_bad_pixels():
    wl = np.linspace(2, 3, 5)
    s = ObservedSpectrum(wl, [1, np.nan, 1, 1, 1], [1, 1, 0, -1, 1], np.ones(5, bool), make_lsf(100.0))
    assert s.good.tolist() == [True, False, False, False, True]
    with pytest.raises(InputError):
        ObservedSpectrum(wl[::-1], np.ones(5), np.ones(5), np.ones(5, bool), make_lsf(100.0))


def test_band_flux_per_q_matches_small_aperture_haser_closed_form():
    """Φ(CO2) from first principles: N = π Q ρ / (2 v) (ρ << v τ), F = N g(rh) h c/λ / (4π Δ²)."""
    import astropy.constants as const

    from comaspec.physics import molecules
    from comaspec.physics.production import haser_assumptions

    m = ForwardModel([_obs("PRISM")], ["CO2"], GEO, [AP])
    h = haser_assumptions("CO2", GEO)
    assert AP.to_km(GEO).radius < 1e-2 * h.scale_length  # small-aperture regime
    band = molecules.get_band("CO2", "nu3")
    g = molecules.g_factor("CO2", "nu3") / (GEO.rh.to_value(u.au)) ** 2
    n_per_q = np.pi * AP.to_km(GEO).radius / (2 * h.velocity)  # molecules per (molecule/s), in s
    flux = n_per_q * g * const.h * const.c * band.center_cm / u.cm / (4 * np.pi * GEO.delta**2)
    assert m.species["CO2"].phi == pytest.approx(flux.to_value(u.W * u.s / u.m**2), rel=5e-3)
