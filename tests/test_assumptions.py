"""`comaspec.physics.assumptions.Assumptions`: the one object of the five physics options."""

import astropy.units as u
import pytest

from comaspec.errors import InputError, UsageError
from comaspec.physics import molecules
from comaspec.physics.assumptions import ASSUMPTION_KEYWORDS, Assumptions, haser_assumptions
from comaspec.physics.fluorescence import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA

GEOMETRY = {"rh": 2.0 * u.au, "delta": 1.5 * u.au}


def test_fields_are_the_five_keywords_with_the_documented_defaults():
    a = Assumptions()
    assert tuple(f for f in a.__dataclass_fields__) == ASSUMPTION_KEYWORDS
    assert (a.velocity, a.lifetime, a.g_factor) == (None, None, None)
    assert a.emission == DEFAULT_EMISSION and a.ortho_para == DEFAULT_ORTHO_PARA
    assert not a.fits_ortho_para


def test_frozen_and_copies_a_callers_dict():
    taus = {"CO2": 5e5 * u.s}
    a = Assumptions(lifetime=taus)
    taus["CO2"] = 1.0 * u.s
    assert a.lifetime_of("CO2") == 5e5 * u.s
    with pytest.raises(AttributeError):
        a.velocity = 1 * u.km / u.s


def test_per_species_values():
    a = Assumptions(lifetime={"CO2": 5e5 * u.s}, g_factor=2e-3 / u.s)
    assert a.lifetime_of("CO2") == 5e5 * u.s
    assert a.lifetime_of("H2O") is None
    assert a.g_factor_of("H2O") == 2e-3 / u.s


def test_haser_resolves_like_haser_assumptions():
    a = Assumptions(velocity=0.7 * u.km / u.s, lifetime={"CO2": 4e5 * u.s})
    h = a.haser("CO2", GEOMETRY)
    assert h == haser_assumptions("CO2", GEOMETRY, velocity=0.7 * u.km / u.s, lifetime=4e5 * u.s)
    # lifetime at the comet is tau(1 au) rh^2, the stated velocity is kept
    assert h.lifetime.to_value(u.s) == pytest.approx(4e5 * 4.0, rel=1e-12)
    assert h.velocity_source == "user"
    # a species missing from the dict takes the tabulated lifetime
    assert a.haser("H2O", GEOMETRY).lifetime_1au == molecules.lifetime("H2O").to(u.s)


@pytest.mark.parametrize("kwargs, name", [
    ({"velocity": 1.0}, "velocity"),
    ({"velocity": {"CO2": 1 * u.km / u.s}}, "velocity"),
    ({"lifetime": 3 * u.km}, "lifetime"),
    ({"lifetime": {"CO2": -1 * u.s}}, "lifetime['CO2']"),
    ({"g_factor": 0 / u.s}, "g_factor"),
    ({"emission": "laser"}, "emission"),
    ({"ortho_para": True}, "ortho_para"),
    ({"ortho_para": 0.0}, "ortho_para"),
    ({"ortho_para": "free"}, "ortho_para"),
    ({"ortho_para": float("nan")}, "ortho_para"),
])
def test_bad_values_are_refused_with_their_name(kwargs, name):
    with pytest.raises(InputError) as info:
        Assumptions(**kwargs)
    assert str(info.value).startswith(name)


def test_fit_spelled_any_way_is_fit():
    assert Assumptions(ortho_para=" FIT ").ortho_para == "fit"
    assert Assumptions(ortho_para="fit").fits_ortho_para
    assert Assumptions(ortho_para=2).ortho_para == 2.0


def test_an_emission_object_naming_its_model_is_kept():
    from types import SimpleNamespace

    sunlit = SimpleNamespace(model="fluorescence", solar="meftah2023")
    assert Assumptions(emission=sunlit).emission is sunlit
    with pytest.raises(InputError, match="emission"):
        Assumptions(emission=SimpleNamespace(model="laser"))


def test_replace_checks_again():
    a = Assumptions(velocity=0.5 * u.km / u.s)
    assert a.replace(emission="thermal") == Assumptions(velocity=0.5 * u.km / u.s, emission="thermal")
    with pytest.raises(InputError):
        a.replace(ortho_para=-2)


def test_from_keywords_is_the_facade():
    a = Assumptions.from_keywords(velocity=0.5 * u.km / u.s, ortho_para="fit")
    assert a == Assumptions(velocity=0.5 * u.km / u.s, ortho_para="fit")
    # the object given whole, with the keywords at their defaults (3 == 3.0)
    assert Assumptions.from_keywords(a, velocity=None, lifetime=None, emission=DEFAULT_EMISSION, ortho_para=3) is a
    with pytest.raises(UsageError, match="either assumptions= or velocity="):
        Assumptions.from_keywords(a, velocity=0.6 * u.km / u.s)
    with pytest.raises(UsageError, match="ortho_para="):
        Assumptions.from_keywords(a, ortho_para=2.5)
    with pytest.raises(InputError, match="assumptions"):
        Assumptions.from_keywords({"velocity": 1 * u.km / u.s})
    with pytest.raises(UsageError, match="unknown"):
        Assumptions.from_keywords(temperature=3)


# ---------------------------------------------------------------------- carried by the public functions
def test_production_rate_takes_the_object_or_the_keywords():
    from comaspec import CircularAperture, production_rate

    flux, ap = 2e-17 * u.W / u.m**2, CircularAperture(1 * u.arcsec)
    by_keywords = production_rate(flux, "CO2", GEOMETRY, ap, velocity=0.45 * u.km / u.s, lifetime=4e5 * u.s)
    stated = Assumptions(velocity=0.45 * u.km / u.s, lifetime={"CO2": 4e5 * u.s, "H2O": 8e4 * u.s})
    by_object = production_rate(flux, "CO2", GEOMETRY, ap, assumptions=stated)
    assert by_object.Q == by_keywords.Q
    assert by_object.assumptions.lifetime_1au == 4e5 * u.s and by_object.sources["velocity"] == "user"
    # the stated velocity changes Q (not dropped on the way down)
    assert production_rate(flux, "CO2", GEOMETRY, ap).Q != by_object.Q
    with pytest.raises(UsageError, match="lifetime="):
        production_rate(flux, "CO2", GEOMETRY, ap, lifetime=3e5 * u.s, assumptions=stated)


def test_fit_coma_carries_the_object_to_the_model_and_the_results():
    from comaspec import CircularAperture, Geometry, fit_coma, synthetic_spectrum

    geo, ap = Geometry(2.0 * u.au, 1.5 * u.au), CircularAperture(0.5 * u.arcsec)
    spec = synthetic_spectrum("PRISM", {"CO2": 3e26, "H2O": 1e27}, geo, ap, T_rot=40.0,
                              error=5e-20 * u.W / u.m**2 / u.um, seed=2, emission="thermal")
    stated = Assumptions(velocity=0.45 * u.km / u.s, lifetime={"CO2": 4e5 * u.s}, emission="thermal")
    fit = fit_coma(spec, geo, ap, ["CO2", "H2O"], T_rot=40.0, assumptions=stated)
    same = fit_coma(spec, geo, ap, ["CO2", "H2O"], T_rot=40.0, velocity=0.45 * u.km / u.s,
                    lifetime={"CO2": 4e5 * u.s}, emission="thermal")
    co2 = fit.species["CO2"]
    assert co2.velocity_km_s == pytest.approx(0.45) and co2.lifetime_1au == pytest.approx(4e5)
    assert fit.species["H2O"].lifetime_1au == pytest.approx(molecules.lifetime("H2O").to_value(u.s))
    assert fit.fit_info["emission"] == "thermal"
    assert co2.Q == same.species["CO2"].Q and fit.species["H2O"].Q == same.species["H2O"].Q
    with pytest.raises(UsageError, match="emission="):
        fit_coma(spec, geo, ap, ["CO2"], assumptions=stated, emission="thermal")


def test_fit_options_carry_the_object_with_ortho_para_as_a_facade():
    from comaspec.fit import FitOptions

    assert FitOptions().assumptions == Assumptions()
    assert FitOptions(ortho_para="fit").assumptions.ortho_para == "fit"
    assert FitOptions(assumptions=Assumptions(ortho_para=2.5)).ortho_para == 2.5
    with pytest.raises(UsageError, match="once"):
        FitOptions(ortho_para=2.0, assumptions=Assumptions(ortho_para=2.5))
    # dataclasses.replace re-passes the default ratio: new assumptions are taken whole
    import dataclasses

    new = dataclasses.replace(FitOptions(mc=3), assumptions=Assumptions(ortho_para=2.5))
    assert new.ortho_para == 2.5 and new.mc == 3
    assert dataclasses.replace(FitOptions(ortho_para="fit"), mc=2).assumptions.ortho_para == "fit"


def test_map_cube_refuses_the_object_and_a_keyword_before_reading():
    from comaspec import map_cube
    from comaspec.fit import FitOptions

    stated = FitOptions(assumptions=Assumptions(velocity=0.6 * u.km / u.s))
    with pytest.raises(InputError, match="give velocity in options"):
        map_cube("no such cube.fits", GEOMETRY, velocity=0.5 * u.km / u.s, options=stated)
    # the keywords at their defaults are no second statement: the cube is then looked for
    with pytest.raises(InputError, match="no such cube"):
        map_cube("no such cube.fits", GEOMETRY, options=stated)


def test_map_cube_takes_the_object_in_its_options(tmp_path):
    """The aperture fit and the bins both use the options' assumptions (a map made with the
    keywords is the same map)."""
    import warnings

    import numpy as np

    from comaspec import Geometry, map_cube
    from comaspec.errors import ComaspecWarning
    from comaspec.fit import FitOptions
    from comaspec.synthetic import synthetic_cube

    geo = Geometry(3.32 * u.au, 2.61 * u.au)
    path = tmp_path / "cube_s3d.fits"
    synthetic_cube("PRISM", {"CO2": 1.7e27, "H2O": 3e26}, geo, T_rot=50.0, shape=(9, 9), seed=1,
                   error_per_spaxel=2e-20 * u.W / u.m**2 / u.um, path=path,
                   continuum=lambda wl: 1e-17 * np.ones_like(wl), subsample=3)
    stated = Assumptions(velocity=0.5 * u.km / u.s, lifetime={"CO2": 5e5 * u.s, "H2O": 8e4 * u.s})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComaspecWarning)
        where = {"species": ("CO2", "H2O"), "center": (4.0, 4.0), "aperture_radius": 0.3 * u.arcsec}
        by_object = map_cube(path, geo, options=FitOptions(T_rot=50.0, assumptions=stated), **where)
        by_keywords = map_cube(path, geo, T_rot=50.0, velocity=0.5 * u.km / u.s,
                               lifetime={"CO2": 5e5 * u.s, "H2O": 8e4 * u.s}, **where)
    assert by_object.velocity_km_s == {"CO2": 0.5, "H2O": 0.5}
    assert by_object.lifetime_s["H2O"] == pytest.approx(8e4 * 3.32**2)
    assert by_object.aperture_fit.species["CO2"].lifetime_1au == pytest.approx(5e5)
    for name, image in by_object.images().items():
        np.testing.assert_array_equal(image, by_keywords.images()[name], err_msg=name)
