"""The pump-opacity check of every fit (`comaspec.maps.opacity.pump_opacity`) in plain floats
against the Quantity path it replaced, re-derived here: the aperture through ``to_km``,
``area()`` and ``haser_number``, and the strongest line's cross-section from the
fluorescence level system with astropy's k_B, uncached. Every number to 1e-12 relative;
the notes and warnings identical."""

import math
import warnings
from types import SimpleNamespace

import astropy.units as u
import numpy as np
import pytest

from comaspec import AnnularAperture, CircularAperture, Geometry, RectangularAperture, SpaxelMask
from comaspec.errors import ComaspecError, ComaspecWarning
from comaspec.results.core import SpeciesResult

GEOMETRIES = [Geometry(1.8 * u.au, 1.1 * u.au), Geometry(3.2 * u.au, 2.61 * u.au)]


def _mask():
    mask = np.zeros((9, 11), dtype=bool)
    mask[2:7, 3:9] = True
    mask[4, 1:3] = True
    return mask


APERTURES = {
    "circle": CircularAperture(0.5 * u.arcsec),
    "circle offset": CircularAperture(0.5 * u.arcsec, offset=[0.2, -0.1] * u.arcsec),
    "circle deg": CircularAperture((0.4 / 3600) * u.deg),
    "circle km": CircularAperture(800 * u.km),
    "annulus": AnnularAperture(0.3 * u.arcsec, 1.2 * u.arcsec),
    "annulus offset": AnnularAperture(0.3 * u.arcsec, 1.2 * u.arcsec, offset=[0.05, 0.1] * u.arcsec),
    "rectangle": RectangularAperture(0.4 * u.arcsec, 1.0 * u.arcsec),
    "rectangle offset km": RectangularAperture(500 * u.km, 300 * u.km, offset=[40.0, -25.0] * u.km),
    "spaxel mask": SpaxelMask(_mask(), 0.1 * u.arcsec, nucleus=(5.2, 3.8)),
    "spaxel mask offset": SpaxelMask(_mask(), 0.1 * u.arcsec, nucleus=(5.0, 4.0), offset=[0.03, 0.0] * u.arcsec),
}


def _species(name, Q, T_rot, *, detected=True):
    """A detected (or not) species result with the Haser assumptions of a fit."""
    return SpeciesResult(name, covered=True, feature="band", band_flux=1e-17 if detected else 1e-19,
                         band_flux_err=1e-18, Q=Q, Q_err=0.05 * Q, lifetime_1au=5e5 if name == "H2O" else 3.0e5,
                         velocity_km_s=0.62, T_rot=T_rot)


def _species_set():
    """CO2, 13CO2, CO and H2O, some optically thick and some thin, at several T_rot; and the
    ones the check passes over: not in PUMP_BANDS, not detected, T_rot outside the comae range."""
    return {"CO2": _species("CO2", 2e27, 50.31), "13CO2": _species("13CO2", 2.4e25, 31.7),
            "CO": _species("CO", 6e26, 95.2), "H2O": _species("H2O", 4e27, 50.31),
            "CH4": _species("CH4", 1e26, 50.0), "C2H6": _species("C2H6", 1e26, 50.0, detected=False)}


def _reference_sigma0(species, T_rot, band):
    """The largest σ₀ (cm²) of the band's pumping lines, as the Quantity path computed it."""
    import astropy.constants as const

    from comaspec.maps.opacity import molecular_mass
    from comaspec.physics import fluorescence as fl

    T = fl.check_temperature(T_rot)
    system = fl._system(species, band)
    a = fl._absolute_a(species, band)
    if a is None:
        raise ComaspecError("no absolute A")
    pop = fl._populations(system, T, fl.check_ortho_para(3.0))
    sel = system.pump & (system.band == band)
    lam_cm = 1.0 / system.wavenumber[sel]
    b_cm_s = math.sqrt(2 * const.k_B.to_value(u.J / u.K) * T / molecular_mass(species)) * 100.0
    g_u = system.upper_g[system.upper[sel]]
    g_l = system.lower_g[system.lower[sel]]
    n_l = pop[system.lower[sel]]
    return float(np.max(lam_cm**3 / (8 * math.pi) * (g_u / g_l) * a[sel] * n_l / (math.sqrt(math.pi) * b_cm_s)))


def _reference_edge_km(aperture_km):
    kind = aperture_km.shape
    if kind == "circle":
        return float(aperture_km.radius.to_value("km"))
    if kind == "annulus":
        return float(aperture_km.r_in.to_value("km"))
    if kind == "rectangle":
        return 0.5 * float(min(aperture_km.width, aperture_km.height).to_value("km"))
    return math.sqrt(float(aperture_km.area().to_value("km2")) / math.pi)


def _reference_pump_opacity(fit, threshold=0.1):
    """(dict, notes) of the pump-opacity check through the public Quantity functions."""
    from comaspec.maps.opacity import PUMP_BANDS
    from comaspec.physics.haser import column_density

    aperture = fit.aperture.to_km(fit.geometry)
    rh2 = float(fit.geometry.rh.to_value("au")) ** 2
    out, notes = {}, []
    for name, s in fit.species.items():
        if name not in PUMP_BANDS or not s.detected or not s.Q_reported or s.T_rot is None \
                or not s.velocity_km_s or not s.lifetime_1au:
            continue
        q, v, tau_s, T = float(s.Q_reported), float(s.velocity_km_s), float(s.lifetime_1au) * rh2, float(s.T_rot)
        band = PUMP_BANDS[name]
        try:
            sigma0 = _reference_sigma0(name, T, band)
        except ComaspecError:
            continue
        edge = _reference_edge_km(aperture)
        tau_edge = float(column_density(edge, q, v, tau_s) * 1e-10 * sigma0)
        mean = aperture.haser_number(q, v, tau_s) / (float(aperture.area().to_value("km2")) * 1e10)
        tau_mean = float(mean * sigma0)
        out[name] = {"band": band, "tau0_aperture_edge": tau_edge, "edge_km": edge, "tau0_aperture_mean": tau_mean,
                     "T_rot_K": T, "threshold": threshold, "optically_thin": tau_mean <= threshold}
        if tau_mean > threshold:
            notes.append(f"{name} {band}: the pumping lines are not optically thin in the aperture: line-centre "
                         f"tau0 of the strongest line {tau_mean:.2g} for the aperture-mean column and "
                         f"{tau_edge:.2g} at its edge ({edge:.0f} km from the nucleus), above {threshold:g} "
                         f"(there ~tau0/2 of the line-centre pumping and escape is lost); Q({name}) is "
                         "underestimated and not corrected")
    return out, notes


def _assert_same(got, expected):
    assert got.keys() == expected.keys()
    for name, row in expected.items():
        assert got[name].keys() == row.keys()
        for key, value in row.items():
            if isinstance(value, float):
                assert got[name][key] == pytest.approx(value, rel=1e-12, abs=0), (name, key)
            else:
                assert got[name][key] == value, (name, key)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=["rh1.8", "rh3.2"])
@pytest.mark.parametrize("label", list(APERTURES))
def test_pump_opacity_equals_the_quantity_path(label, geometry):
    from comaspec.maps.opacity import pump_opacity

    fit = SimpleNamespace(geometry=geometry, aperture=APERTURES[label], species=_species_set(), fit_info={})
    expected, notes = _reference_pump_opacity(fit)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = pump_opacity(fit)
    assert set(got) == {"CO2", "13CO2", "CO", "H2O"}  # CH4 has no pump band, C2H6 is not detected
    _assert_same(got, expected)
    assert fit.fit_info.get("notes", []) == notes
    # each note once as a ComaspecWarning (other warnings, e.g. an ImportWarning of a lazy import, aside)
    assert [str(w.message) for w in caught if issubclass(w.category, ComaspecWarning)] == notes
    # the comparison sees both outcomes: thick and thin pump lines
    assert {row["optically_thin"] for row in got.values()} == {True, False}


def test_pump_opacity_skips_what_the_quantity_path_skips():
    """A T_rot outside the comae range has no cross-section (InputError): passed over, as before;
    no geometry or no aperture: an empty dict."""
    from comaspec.maps.opacity import pump_opacity

    species = {"CO2": _species("CO2", 2e27, 650.0), "H2O": _species("H2O", 1e24, 40.0)}
    fit = SimpleNamespace(geometry=GEOMETRIES[0], aperture=APERTURES["circle"], species=species, fit_info={})
    expected, notes = _reference_pump_opacity(fit)
    assert set(expected) == {"H2O"} and not notes
    _assert_same(pump_opacity(fit), expected)
    assert pump_opacity(SimpleNamespace(geometry=None, aperture=APERTURES["circle"], species=species)) == {}


def test_pump_opacity_threshold_and_repeated_calls():
    """The cached cross-section gives the same numbers on a second call and at another threshold."""
    from comaspec.maps.opacity import pump_opacity

    fit = SimpleNamespace(geometry=GEOMETRIES[1], aperture=APERTURES["annulus"], species=_species_set(), fit_info={})
    expected, notes = _reference_pump_opacity(fit, threshold=0.2)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        first, second = pump_opacity(fit, threshold=0.2), pump_opacity(fit, threshold=0.2)
    _assert_same(first, expected)
    assert len(notes) == 1 and second == first and fit.fit_info["notes"] == notes + notes


@pytest.mark.parametrize("label", list(APERTURES))
def test_float_aperture_helpers_equal_to_km(label):
    """``_km_floats`` and ``_area_km2`` give the numbers of ``to_km``, ``area`` and ``haser_number``."""
    aperture, geometry = APERTURES[label], GEOMETRIES[1]
    km = aperture.to_km(geometry)
    sizes, offset = aperture._km_floats(geometry)
    assert sizes == pytest.approx([getattr(km, n).to_value(u.km) for n in km._size_fields], rel=1e-15)
    assert offset == pytest.approx(km.offset.to_value(u.km), rel=1e-15)
    assert aperture._area_km2(sizes) == pytest.approx(km.area().to_value(u.km**2), rel=1e-15)
    assert aperture._haser_number_km(sizes, offset, 1e27, 0.6, 4e5) == pytest.approx(
        km.haser_number(1e27, 0.6, 4e5), rel=1e-12)
    assert geometry._km_per_arcsec_value() == geometry.km_per_arcsec.to_value(u.km / u.arcsec)


def test_line_centre_functions_unchanged():
    """The public functions on the cached lines: σ₀ of every line, and τ₀, as re-derived."""
    from comaspec.maps.opacity import line_centre_cross_sections, line_centre_optical_depth

    for species, band in [("CO2", "nu3"), ("13CO2", "nu3"), ("CO", "1-0"), ("H2O", "nu3")]:
        for T in (12.0, 50.31, 230.0):
            sigma0 = _reference_sigma0(species, T, band)
            assert line_centre_cross_sections(species, T, band=band)["sigma0"][0].to_value(u.cm**2) == \
                pytest.approx(sigma0, rel=1e-12)
            column = np.array([1e14, 3e16]) / u.cm**2
            assert line_centre_optical_depth(column, T * u.K, species, band=band) == pytest.approx(
                column.value * sigma0, rel=1e-12)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # the synthetic coma's CO2 is thick
def test_a_real_fit_matches_the_quantity_path(tmp_path):
    """``fit_loaded`` on a synthetic PRISM x1d: its fit_info["pump_opacity"] and notes as re-derived."""
    from comaspec.pipeline import fit_loaded, load_inputs
    from comaspec.synthetic import synthetic_spectrum

    geometry, aperture = GEOMETRIES[0], APERTURES["circle"]
    path = tmp_path / "coma_x1d.fits"
    synthetic_spectrum("PRISM", {"CO2": 8e26, "H2O": 2e27}, geometry, aperture, T_rot=50.0,
                       error=4e-19 * u.W / u.m**2 / u.um, continuum=lambda wl: 5e-17 * (wl / 3.5) ** -1.5,
                       seed=3, path=path)
    fit = fit_loaded(load_inputs([str(path)]), geometry, aperture, ["CO2", "H2O"])
    expected, notes = _reference_pump_opacity(SimpleNamespace(geometry=fit.geometry, aperture=fit.aperture,
                                                              species=fit.species))
    assert set(expected) == {"CO2", "H2O"}
    _assert_same(fit.fit_info["pump_opacity"], expected)
    assert [n for n in fit.fit_info["notes"] if "pumping lines" in n] == notes


def test_one_float_haser_kernels_equal_the_array_kernels():
    """The float kernels of the check against the vectorised ones, over every branch of Ki1 and
    g (series below 1e-4, closed form to 4, quadrature, no tail above 40): equal to the last bit."""
    from comaspec.physics import haser

    xs = np.concatenate([[0.0, 1e-4, 4.0, 40.0], np.geomspace(1e-9, 300.0, 400)])
    for x in xs:
        x = float(x)
        assert haser._kernel_tail_1(x) == haser.kernel_tail(x)
        assert haser._circle_fraction_1(x) == haser.circle_fraction(x)
        rho, v, tau = 300.0, 0.7, 300.0 / (0.7 * x) if x > 0 else 1e6
        assert haser._column_density_1(rho, 3e27, v, tau) == haser.column_density(rho, 3e27, v, tau)
        assert haser._number_circle_centred_1(rho, 3e27, v, tau) == haser.number_circle(rho, 3e27, v, tau)
