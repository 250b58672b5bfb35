"""Geometry and aperture value objects."""

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

from comaspec import AnnularAperture, CircularAperture, Geometry, InputError, RectangularAperture, SpaxelMask


def test_km_per_arcsec_matches_small_angle():
    g = Geometry(3.32 * u.au, 2.61 * u.au)
    expected = (2.61 * u.au).to_value(u.km) * (1 * u.arcsec).to_value(u.rad)
    assert g.km_per_arcsec.to_value(u.km / u.arcsec) == pytest.approx(expected, rel=1e-10)


def test_geometry_rejects_unitless_and_nonpositive():
    with pytest.raises(InputError, match="rh"):
        Geometry(3.32, 2.6 * u.au)
    with pytest.raises(InputError, match="delta"):
        Geometry(3.32 * u.au, -1 * u.au)
    with pytest.raises(InputError, match="phase"):
        Geometry(3.32 * u.au, 2.6 * u.au, phase=200 * u.deg)


def test_geometry_from_dict_and_ephem():
    g = Geometry.from_any({"rh_au": 3.32, "delta_au": 2.61, "phase_deg": 17.0, "epoch": "2025-08-06T12:00"})
    assert g.rh == 3.32 * u.au and g.phase == 17 * u.deg
    assert isinstance(g.epoch, Time)
    assert g.to_dict()["delta_au"] == 2.61
    from sbpy.data import Ephem

    eph = Ephem.from_dict({"rh": [3.32] * u.au, "delta": [2.61] * u.au, "alpha": [17.0] * u.deg})
    g2 = Geometry.from_any(eph)
    assert g2.rh.to_value(u.au) == pytest.approx(3.32) and g2.phase.to_value(u.deg) == pytest.approx(17)
    two = Ephem.from_dict({"rh": [3.3, 3.2] * u.au, "delta": [2.6, 2.5] * u.au})
    with pytest.raises(InputError, match="2 rows"):
        Geometry.from_any(two)
    with pytest.raises(InputError, match="rh and delta"):
        Geometry.from_any({"rh_au": 3.0})


def test_aperture_to_km_and_describe():
    g = Geometry(3.32 * u.au, 2.61 * u.au)
    ap = CircularAperture(0.5 * u.arcsec)
    km = ap.to_km(g)
    assert km.radius.unit == u.km
    # small angle, written out: 0.5 arcsec at Delta = 2.61 au
    assert km.radius.value == pytest.approx(2.61 * 149597870.7 * 0.5 * np.pi / 648000, rel=1e-10)
    d = ap.describe(g)
    assert d["shape"] == "circle" and d["radius_arcsec"] == 0.5 and d["radius_km"] == pytest.approx(km.radius.value)
    box = RectangularAperture(1 * u.arcsec, 2 * u.arcsec).describe(g)
    assert set(box) == {"shape", "width_arcsec", "height_arcsec", "width_km", "height_km"}
    assert np.all(ap.offset == 0 * u.arcsec)


def test_aperture_validation():
    with pytest.raises(InputError):
        CircularAperture(-1 * u.arcsec)
    with pytest.raises(InputError):
        CircularAperture(1.0)
    with pytest.raises(InputError, match="inner radius"):
        AnnularAperture(2 * u.arcsec, 1 * u.arcsec)
    with pytest.raises(InputError, match="mixes"):
        RectangularAperture(1 * u.arcsec, 100 * u.km)
    with pytest.raises(InputError):
        SpaxelMask(np.zeros((3, 3), bool), 0.1 * u.arcsec)
    m = SpaxelMask(np.ones((3, 3), bool), 0.1 * u.arcsec, nucleus=(1, 1))
    assert m.describe()["n_spaxels"] == 9
