"""Hostile pass 3 on the API: booleans are not numbers, T_rot stays in the range of comae in the
fluorescence functions, ``map_cube(species=None)`` and ``map_cube(ortho_para="fit")``."""

import astropy.units as u
import numpy as np
import pytest

import comaspec
from comaspec import InputError, catalog
from comaspec._ranges import RANGES
from comaspec.physics import fluorescence as fl
from comaspec.physics import instrument, templates
from comaspec.plotting import compare as compare_figures
from test_cli_map import cube  # noqa: F401  (a cube written by hand, tests/independent_coma.py)

GEO = comaspec.Geometry(3.32 * u.au, 2.61 * u.au)
AP = comaspec.CircularAperture(1 * u.arcsec)
FLUX = 1e-17 * u.W / u.m**2

# (argument named in the message, call with True where a number belongs)
BOOLEANS = [
    ("T_rot", lambda v: fl.line_g_factors("CO2", v)),
    ("T_rot", lambda v: fl.band_g_factor("CO2", "nu3", v)),
    ("T_rot", lambda v: fl.emission_weights("CO2", "nu3", v)),
    ("ortho_para", lambda v: fl.band_g_factor("H2O", "nu3", 50.0, ortho_para=v)),
    ("ortho_para", lambda v: fl.line_g_factors("H2O", 50.0, ortho_para=v)),
    ("T_rot", lambda v: templates.stick_spectrum("CO2", "nu3", v)),
    ("wavelength", lambda v: instrument.resolving_power("PRISM", v)),
    ("wavelength", lambda v: instrument.resolving_power("PRISM", np.array([v, v]))),
    ("value", lambda v: catalog.compare(v, 3.0, 1.0)),
    ("err", lambda v: catalog.compare(7.0, 3.0, v)),
    ("rh", lambda v: catalog.compare(7.0, v, 1.0)),
    ("ratio", lambda v: compare_figures.ratio_vs_rh(v, 1.0, 3.0)),
    ("rh", lambda v: compare_figures.ratio_vs_rh(7.0, 1.0, v)),
    ("threshold", lambda v: comaspec.production_rate(FLUX, "CO2", GEO, AP, threshold=v)),
    ("rel_err_g", lambda v: comaspec.production_rate(FLUX, "CO2", GEO, AP, rel_err_g=v)),
    ("velocity", lambda v: comaspec.production_rate(FLUX, "CO2", GEO, AP, velocity=v)),
    ("rh", lambda v: comaspec.Geometry(v, 2.0 * u.au)),
    ("radius", lambda v: comaspec.CircularAperture(v)),
]


@pytest.mark.parametrize("value", [True, False, np.bool_(True)], ids=["True", "False", "np.True_"])
@pytest.mark.parametrize("name,call", BOOLEANS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BOOLEANS)])
def test_booleans_are_not_numbers(name, call, value):
    with pytest.raises(InputError, match=name):
        call(value)


MAP_BOOLEANS = ["detect_sigma", "limit_sigma", "nonlinear_snr", "chunk", "ortho_para", "T_rot"]


@pytest.mark.parametrize("name", MAP_BOOLEANS)
def test_map_cube_refuses_booleans(cube, name):  # noqa: F811
    with pytest.raises(InputError, match=name):
        comaspec.map_cube(cube, GEO, **{name: True})


@pytest.mark.parametrize("call", [
    lambda t: fl.line_g_factors("CO", t), lambda t: fl.band_g_factor("CO2", "nu3", t),
    lambda t: fl.emission_weights("H2O", "nu3", t), lambda t: fl.band_g_factor("CO2", "nu3", t * u.K),
], ids=["line_g_factors", "band_g_factor", "emission_weights", "band_g_factor-Quantity"])
def test_fluorescence_t_rot_is_bounded_by_the_shared_range(call):
    lo, hi = RANGES["trot"][:2]
    for bad in (1e9, hi * 1.01, lo * 0.99, 0.3):
        with pytest.raises(InputError, match=f"between {lo:g} and {hi:g} K"):
            call(bad)
    # the ends of the range are comae: accepted, and the g-factor is finite and positive
    for good in (lo, hi):
        result = call(good)
        if hasattr(result, "colnames"):
            value = result["g"].value.sum()
        else:
            value = result.value if isinstance(result, u.Quantity) else np.sum(result[1])
        assert np.isfinite(value) and value > 0


def test_map_cube_species_none_is_the_default_species(cube):  # noqa: F811
    kw = {"T_rot": 50.0, "shift": 0.0 * u.um, "binning": 3}
    default = comaspec.map_cube(cube, GEO, **kw)
    none = comaspec.map_cube(cube, GEO, species=None, **kw)
    assert none.species == default.species == ["CO2", "H2O", "CO"]
    np.testing.assert_array_equal(none.column["CO2"], default.column["CO2"])


def test_map_cube_fits_ortho_para_in_the_aperture_and_holds_it_in_the_bins(cube):  # noqa: F811
    """The generator's H2O has the statistical ortho/para ratio 3 (tests/fluorescence_reference.py)."""
    fitted = comaspec.map_cube(cube, GEO, species=("CO2", "H2O"), binning=3, ortho_para="fit")
    info = fitted.aperture_fit.fit_info
    assert info["ortho_para_fitted"] and fitted.meta["ortho_para_fitted"]
    assert fitted.meta["ortho_para"] == info["ortho_para"]
    assert abs(info["ortho_para"] - 3.0) < 3 * info["ortho_para_err"]
    assert "ortho/para from the aperture fit" in fitted.T_rot_source
    # the bins use exactly that value: a map with it given is the same map
    held = comaspec.map_cube(cube, GEO, species=("CO2", "H2O"), binning=3, ortho_para=info["ortho_para"],
                             T_rot=fitted.meta["T_rot_aperture_K"], shift=fitted.meta["shift_aperture_um"] * u.um)
    np.testing.assert_allclose(held.flux["H2O"], fitted.flux["H2O"], rtol=1e-9, atol=0)
    other = comaspec.map_cube(cube, GEO, species=("CO2", "H2O"), binning=3, ortho_para=3.0,
                              T_rot=fitted.meta["T_rot_aperture_K"], shift=fitted.meta["shift_aperture_um"] * u.um)
    assert not np.allclose(other.flux["H2O"], fitted.flux["H2O"], rtol=1e-6, atol=0)
    from comaspec.maps.output import maps_hdulist

    header = maps_hdulist(fitted)[0].header
    assert header["OPR"] == pytest.approx(info["ortho_para"]) and header["OPR_FIT"] is True


def test_map_cube_ortho_para_fit_makes_the_aperture_fit_even_with_t_rot_and_shift_given(cube):  # noqa: F811
    m = comaspec.map_cube(cube, GEO, species=("CO2", "H2O"), binning=3, ortho_para="fit", T_rot=50.0,
                          shift=0.0 * u.um)
    assert m.aperture_fit is not None and m.aperture_fit.fit_info["ortho_para_fitted"]


def test_map_cube_takes_fit_options_and_holds_the_apertures_fitted_ortho_para_in_the_bins(cube):  # noqa: F811
    """``options=FitOptions(ortho_para="fit")``: fitted in the aperture, held in every bin. A map
    with that ratio, T_rot and shift fixed by hand (no aperture fit) has the same bins; the
    keyword facade gives the same map."""
    from comaspec.fit import FitOptions

    fitted = comaspec.map_cube(cube, GEO, species=("CO2", "H2O"), binning=3, options=FitOptions(ortho_para="fit"))
    info = fitted.aperture_fit.fit_info
    assert info["ortho_para_fitted"] and fitted.meta["ortho_para"] == info["ortho_para"]
    assert info["ortho_para"] != 3.0   # fitted, not the default
    by_hand = FitOptions(ortho_para=info["ortho_para"], T_rot=fitted.meta["T_rot_aperture_K"])
    held = comaspec.map_cube(cube, GEO, species=("CO2", "H2O"), binning=3, options=by_hand,
                             shift=fitted.meta["shift_aperture_um"] * u.um)
    assert held.aperture_fit is None and not held.meta["ortho_para_fitted"]
    for s in ("CO2", "H2O"):
        np.testing.assert_allclose(held.flux[s], fitted.flux[s], rtol=1e-9, atol=0)
        np.testing.assert_allclose(held.flux_err[s], fitted.flux_err[s], rtol=1e-9, atol=0)
    facade = comaspec.map_cube(cube, GEO, species=("CO2", "H2O"), binning=3, ortho_para="fit")
    np.testing.assert_array_equal(facade.flux["H2O"], fitted.flux["H2O"])


def test_map_cube_options_reach_the_aperture_fit_and_exclude_the_keywords(cube):  # noqa: F811
    from comaspec.fit import FitOptions

    m = comaspec.map_cube(cube, GEO, species=("CO2", "H2O"), binning=3,
                          options=FitOptions(fit_shift=False, detect_sigma=5.0))
    assert m.aperture_fit.fit_info["wavelength_shift_um"] == [0.0] and m.meta["shift_aperture_um"] == 0.0
    assert m.aperture_fit.fit_info["detect_sigma"] == 5.0 and m.detect_sigma == 5.0
    with pytest.raises(InputError, match="options"):
        comaspec.map_cube(cube, GEO, options=FitOptions(), T_rot=50.0)
    with pytest.raises(InputError, match="options"):
        comaspec.map_cube(cube, GEO, options={"T_rot": 50.0})
    with pytest.raises(InputError, match="T_rot"):
        comaspec.map_cube(cube, GEO, options=FitOptions(per_species_T_rot=True))


@pytest.mark.parametrize("value", ["fi", -1.0, 0.0, float("nan"), "3"])
def test_map_cube_refuses_other_ortho_para(cube, value):  # noqa: F811
    with pytest.raises(InputError, match="ortho_para"):
        comaspec.map_cube(cube, GEO, ortho_para=value)
