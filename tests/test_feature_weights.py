"""The one flux ↔ Q object: closed forms, the one g-splitting rule, one Haser integral."""

import math

import astropy.constants as const
import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table

from comaspec.physics import molecules, production
from comaspec._paths import linelists_dir
from comaspec.apertures import AnnularAperture, CircularAperture, RectangularAperture, SpaxelMask
from comaspec.physics.assumptions import Assumptions
from comaspec.physics.feature_weights import FeatureWeights, split_g
from comaspec.geometry import Geometry

GEO = Geometry(2.0 * u.au, 1.5 * u.au)
V = 0.6 * u.km / u.s
# a lifetime so long that no molecule decays inside a few-thousand-km aperture: N/Q has the
# closed form of a decay-free 1/r^2 coma
TAU = 1e10 * u.s  # the largest lifetime accepted; x rh^2 = 4e10 s at the comet


def _no_decay_flux_per_q(n_per_q_s, g_1au, center_cm):
    """A_b = (N/Q) g/rh^2 h c nu / (4 pi Delta^2), written out with astropy units."""
    energy = const.h * const.c * center_cm / u.cm
    g = g_1au / u.s / 2.0**2
    return (n_per_q_s * u.s * g * energy / (4 * math.pi * (1.5 * u.au) ** 2)).to_value(u.W * u.s / u.m**2)


def test_circle_flux_per_q_is_the_decay_free_closed_form():
    radius_km = 3000.0
    fw = FeatureWeights.build("CO", GEO, CircularAperture(radius_km * u.km), Assumptions(velocity=V, lifetime=TAU))
    # decay-free column Q / (4 v rho) integrated over the disc: N/Q = pi R / (2 v)
    n_per_q = math.pi * radius_km / (2 * V.to_value(u.km / u.s))
    assert fw.n_per_q == pytest.approx(n_per_q, rel=1e-6)
    band = molecules.bands_of("CO")[0]
    expected = _no_decay_flux_per_q(n_per_q, band.g_1au, band.center_cm)
    assert fw.flux_per_q() == pytest.approx(expected, rel=1e-6)
    # production_rate and band_flux use the same object: Q of the flux of Q = 1e27 is 1e27
    flux = production.band_flux(1e27 / u.s, "CO", GEO, CircularAperture(radius_km * u.km), velocity=V,
                                lifetime=TAU)
    assert flux.to_value(u.W / u.m**2) == pytest.approx(1e27 * expected, rel=1e-6)
    q = production.production_rate(flux, "CO", GEO, CircularAperture(radius_km * u.km), velocity=V, lifetime=TAU)
    assert q.Q.to_value(1 / u.s) == pytest.approx(1e27, rel=1e-12)


@pytest.mark.parametrize("aperture, n_per_q", [
    # annulus: pi (r_out - r_in) / (2 v); square of side a: a ln(1 + sqrt 2) / v
    (AnnularAperture(1000 * u.km, 4000 * u.km), math.pi * 3000.0 / (2 * 0.6)),
    (RectangularAperture(2000 * u.km, 2000 * u.km), 2000.0 * math.log(1 + math.sqrt(2)) / 0.6),
])
def test_apertures_own_their_haser_number(aperture, n_per_q):
    tau_s = TAU.to_value(u.s)
    assert aperture.haser_number(1.0, 0.6, tau_s) == pytest.approx(n_per_q, rel=1e-5)
    fw = FeatureWeights.build("CO2", GEO, aperture, Assumptions(velocity=V, lifetime=TAU))
    assert fw.n_per_q == pytest.approx(n_per_q, rel=1e-5)


def test_spaxel_mask_haser_number_approaches_the_square():
    # 21 x 21 spaxels of 100 km around the nucleus = a 2100 km square
    mask = SpaxelMask(np.ones((21, 21), bool), 100 * u.km, nucleus=(10.0, 10.0))
    square = 2100.0 * math.log(1 + math.sqrt(2)) / 0.6
    assert mask.haser_number(1.0, 0.6, TAU.to_value(u.s)) == pytest.approx(square, rel=1e-3)
    assert mask.area() == 441 * (100 * u.km) ** 2


def test_aperture_areas():
    assert CircularAperture(2 * u.arcsec).area().to_value(u.arcsec**2) == pytest.approx(4 * math.pi)
    assert AnnularAperture(1 * u.arcsec, 2 * u.arcsec).area().to_value(u.arcsec**2) == pytest.approx(3 * math.pi)
    assert RectangularAperture(1 * u.km, 3 * u.km).area() == 3 * u.km**2


def test_angular_aperture_needs_km_for_the_haser_number():
    from comaspec.errors import InputError

    with pytest.raises(InputError, match="to_km"):
        CircularAperture(1 * u.arcsec).haser_number(1.0, 0.6, 1e6)


def _table_g(species):
    """Tabulated default g of every band, read from bands.ecsv here (not through comaspec)."""
    t = Table.read(linelists_dir() / "bands.ecsv", format="ascii.ecsv")
    rows = t[(t["species"] == species) & t["default"]]
    return {str(r["band"]): (str(r["feature"]), float(r["g_1au"])) for r in rows}


def test_split_g_gives_the_stated_total_to_its_feature_and_keeps_the_other_bands_ratio():
    tab = _table_g("H2O")
    total = 4e-4
    g = split_g("H2O", total)  # default feature: 2.7um
    ref = sum(v for f, v in tab.values() if f == "2.7um")
    assert sum(g[b] for b, (f, _v) in tab.items() if f == "2.7um") == pytest.approx(total, rel=1e-12)
    for band, (_f, v) in tab.items():
        assert g[band] == pytest.approx(total * v / ref, rel=1e-12)
    # stated for the 4.7 um hot bands instead: those sum to it
    g47 = split_g("H2O", 1e-5, "4.7um")
    assert sum(g47[b] for b, (f, _v) in tab.items() if f == "4.7um") == pytest.approx(1e-5, rel=1e-12)


def test_model_and_production_rate_use_the_same_g_split():
    """Consistency check between the model and production_rate (the split itself against
    bands.ecsv: test_split_g_gives_the_stated_total_to_its_feature_and_keeps_the_other_bands_ratio)."""
    from comaspec.model import band_weights

    ap = CircularAperture(0.5 * u.arcsec)
    g_total = 4e-4 / u.s
    weights = band_weights("H2O", GEO, ap, g_factor=g_total)
    flux_27 = sum(a for (f, _b), a in weights.items() if f == "2.7um")
    # production_rate with the same total g for the 2.7 um feature returns Q = 1 for that flux
    q = production.production_rate(flux_27 * u.W / u.m**2, "H2O", GEO, ap, g_factor=g_total)
    assert q.Q.to_value(1 / u.s) == pytest.approx(1.0, rel=1e-12)
    assert q.g_factor_1au.to_value(1 / u.s) == pytest.approx(4e-4, rel=1e-12)


def test_one_haser_integral_per_species_and_aperture(monkeypatch):
    from comaspec.model import band_weights

    calls = []
    original = CircularAperture.haser_number

    def counting(self, *args):
        calls.append(args)
        return original(self, *args)

    monkeypatch.setattr(CircularAperture, "haser_number", counting)
    weights = band_weights("H2O", GEO, CircularAperture(0.5 * u.arcsec))
    assert len(weights) == 6 and len(calls) == 1


def test_sensitivities_match_the_decay_free_and_fast_decay_limits():
    # decay-free (L >> aperture): N = pi R Q / (2 v) does not depend on tau, scales as 1/v
    fw = FeatureWeights.build("CO", GEO, CircularAperture(3000 * u.km), Assumptions(velocity=V, lifetime=TAU))
    s = fw.sensitivities()
    assert s["g_factor"] == -1.0
    assert s["lifetime"] == pytest.approx(0.0, abs=1e-6)
    assert s["velocity"] == pytest.approx(1.0, rel=1e-5)
    # every molecule inside (L << aperture): N = Q tau, Q ∝ 1/tau, independent of v
    fw = FeatureWeights.build("CO", GEO, CircularAperture(1e7 * u.km), Assumptions(velocity=V, lifetime=10 * u.s))
    s = fw.sensitivities()
    assert s["lifetime"] == pytest.approx(-1.0, rel=1e-5)
    assert s["velocity"] == pytest.approx(0.0, abs=1e-5)


def test_default_velocity_law_is_the_table_default_not_the_first_row(monkeypatch):
    laws, default = molecules._velocity_laws()
    other = molecules.VelocityLaw(name="first", v0=1.0, exponent=0.0, reference="test", verified="test", note="")
    reordered = {"first": other, **laws}
    monkeypatch.setattr(molecules, "_velocity_laws", lambda: (reordered, default))
    h = production.haser_assumptions("CO", GEO)
    assert h.velocity_source == default != "first"
    assert h.velocity.to_value(u.km / u.s) == pytest.approx(laws[default](2.0 * u.au).to_value(u.km / u.s))
