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
