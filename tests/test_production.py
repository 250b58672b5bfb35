"""flux ↔ Q: limits, round trips, scalings, uncertainties, limits of detection, sbpy agreement."""

import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy import constants as const

from comaspec import (AnnularAperture, CircularAperture, Geometry, InputError, RectangularAperture, SpaxelMask,
                      band_flux, molecules, production_rate)
from comaspec.physics.production import flux_per_unit_Q, molecules_per_unit_Q

W_M2 = u.W / u.m**2
GEOM = Geometry(3.32 * u.au, 2.6 * u.au)


def _hand_flux(Q, g_1au, center_cm, N_per_Q, geometry):
    """F = N g(rh) h c ν̃ / (4π Δ²), written out independently of comaspec.physics.production."""
    rh = geometry.rh.to_value(u.au)
    e = (const.h * const.c * center_cm / u.cm).to_value(u.J)
    return Q * N_per_Q * g_1au / rh**2 * e / (4 * np.pi * geometry.delta.to_value(u.m) ** 2)


def test_small_aperture_limit_q_equals_2vn_over_pi_rho():
    """Tiny aperture: N = π Q ρ / (2 v), independent of τ."""
    v = 0.5 * u.km / u.s
    rho_km = 10.0  # ≪ L ~ 1e6 km
    ap = CircularAperture(rho_km * u.km)
    band = molecules.get_band("CO2", "nu3")
    g1 = molecules.g_factor("CO2", "nu3").to_value(1 / u.s)
    n_per_q = np.pi * rho_km / (2 * 0.5)
    flux = _hand_flux(1e26, g1, band.center_cm, n_per_q, GEOM) * W_M2
    q = production_rate(flux, "CO2", GEOM, ap, velocity=v)
    assert q.Q.to_value(1 / u.s) == pytest.approx(1e26, rel=2e-4)  # x ln x correction at x ~ 1e-5
    assert q.dlnQ_dln["velocity"] == pytest.approx(1.0, abs=1e-3)
    assert q.dlnQ_dln["lifetime"] == pytest.approx(0.0, abs=1e-3)


def test_large_aperture_limit_n_equals_q_tau_and_flux_independent_of_rh():
    """Huge aperture: N = Q τ(rh) ∝ rh² cancels g ∝ rh⁻²: the flux does not depend on rh."""
    kw = dict(velocity=0.5 * u.km / u.s, lifetime=1e4 * u.s)  # L = 5e3 km · rh²
    ap = CircularAperture(1e9 * u.km)
    n = molecules_per_unit_Q("H2O", GEOM, ap, **kw).to_value(u.s)
    assert n == pytest.approx(1e4 * 3.32**2, rel=1e-6)
    f1 = flux_per_unit_Q("CO2", "nu3", Geometry(1 * u.au, 2.6 * u.au), ap, **kw)
    f2 = flux_per_unit_Q("CO2", "nu3", Geometry(2 * u.au, 2.6 * u.au), ap, **kw)
    assert f1.to_value(u.W * u.s / u.m**2) == pytest.approx(f2.to_value(u.W * u.s / u.m**2), rel=1e-6)
    q = production_rate(1e-17 * W_M2, "CO2", GEOM, ap, **kw)
    assert q.dlnQ_dln["lifetime"] == pytest.approx(-1.0, abs=1e-3)
    assert q.dlnQ_dln["velocity"] == pytest.approx(0.0, abs=1e-3)


def test_g_scales_as_rh_minus_2_in_small_aperture():
    kw = dict(velocity=0.5 * u.km / u.s)
    ap = CircularAperture(0.1 * u.km)  # x = ρ/L ~ 1e-6: N independent of τ to ~1e-5
    f1 = flux_per_unit_Q("CO2", "nu3", Geometry(1 * u.au, 2 * u.au), ap, **kw)
    f2 = flux_per_unit_Q("CO2", "nu3", Geometry(2 * u.au, 2 * u.au), ap, **kw)
    assert (f1 / f2).decompose().value == pytest.approx(4.0, rel=1e-4)


@pytest.mark.parametrize("ap", [
    CircularAperture(0.5 * u.arcsec),
    RectangularAperture(3 * u.arcsec, 0.2 * u.arcsec, offset=[0.3, 0.0] * u.arcsec),
    AnnularAperture(0.3 * u.arcsec, 1 * u.arcsec),
    SpaxelMask(mask=np.ones((9, 9), bool), pixel_scale=0.1 * u.arcsec, nucleus=(4.2, 3.9)),
])
def test_flux_q_flux_round_trip(ap):
    """Consistency check: production_rate inverts band_flux for every aperture kind (the values
    against closed forms: the limits above, test_feature_weights, sbpy below)."""
    for species in ("CO2", "H2O", "CO"):
        flux = band_flux(3e26 / u.s, species, GEOM, ap)
        q = production_rate(flux, species, GEOM, ap)
        assert q.Q.to_value(1 / u.s) == pytest.approx(3e26, rel=1e-12)


def test_feature_flux_is_sum_over_its_bands():
    """The 2.7 um feature's flux per unit Q: the sum over its four bands of the hand formula,
    with N/Q from the Haser shell integral of tests/independent_coma.py and g, nu from bands.ecsv."""
    from independent_coma import bands, haser_n_per_q

    kw = dict(velocity=0.5 * u.km / u.s, lifetime=8e4 * u.s)
    radius_km = 1000.0
    total = band_flux(1 / u.s, "H2O", GEOM, CircularAperture(radius_km * u.km), feature="2.7um", **kw)
    n_per_q = haser_n_per_q(radius_km, 0.5, 8e4, 3.32)
    rows = [v for v in bands("H2O").values() if v[0] == "2.7um"]
    assert len(rows) == 4
    expected = sum(_hand_flux(1.0, g, nu, n_per_q, GEOM) for _f, nu, g in rows)
    assert total.to_value(W_M2) == pytest.approx(expected, rel=1e-6)


def test_user_g_factor_for_single_band_matches_hand_formula():
    from independent_coma import haser_n_per_q

    kw = dict(velocity=0.6 * u.km / u.s, lifetime=5e5 * u.s)
    ap = CircularAperture(2000 * u.km)
    n = haser_n_per_q(2000.0, 0.6, 5e5, 3.32)
    band = molecules.get_band("CO2", "nu3")
    expected = _hand_flux(1e26, 1e-3, band.center_cm, n, GEOM)
    got = band_flux(1e26 / u.s, "CO2", GEOM, ap, g_factor=1e-3 / u.s, **kw)
    assert got.to_value(W_M2) == pytest.approx(expected, rel=1e-6)


def test_angular_and_km_apertures_agree():
    # 0.7 arcsec at Delta = 2.6 au, by hand: rho = Delta * 0.7 * pi / 648000
    km = (2.6 * u.au).to_value(u.km) * 0.7 * np.pi / 648000.0
    a = band_flux(1e26 / u.s, "CO2", GEOM, CircularAperture(0.7 * u.arcsec))
    b = band_flux(1e26 / u.s, "CO2", GEOM, CircularAperture(km * u.km))
    assert a.to_value(W_M2) == pytest.approx(b.to_value(W_M2), rel=1e-9)


def test_agrees_with_sbpy_haser_for_a_circle():
    from sbpy.activity import CircularAperture as SbpyCircle
    from sbpy.activity import Haser

    kw = dict(velocity=0.47 * u.km / u.s, lifetime=2.1e5 * u.s)
    a = molecules_per_unit_Q("CO2", GEOM, CircularAperture(5000 * u.km), **kw).to_value(u.s)
    L = 0.47 * 2.1e5 * 3.32**2 * u.km
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = Haser(1 / u.s, 0.47 * u.km / u.s, L).total_number(SbpyCircle(5000 * u.km))
    assert a == pytest.approx(float(n), rel=1e-9)


def test_statistical_and_systematic_errors():
    ap = CircularAperture(1 * u.arcsec)
    q = production_rate(1.2e-17 * W_M2, "CO2", GEOM, ap, flux_err=1.2e-18 * W_M2,
                        rel_err_g=0.1, rel_err_lifetime=0.3, rel_err_velocity=0.2)
    Q = q.Q.to_value(1 / u.s)
    assert q.Q_err.to_value(1 / u.s) == pytest.approx(0.1 * Q, rel=1e-12)
    e = q.dlnQ_dln
    expected = Q * np.sqrt(0.1**2 + (0.3 * e["lifetime"]) ** 2 + (0.2 * e["velocity"]) ** 2)
    assert q.Q_sys.to_value(1 / u.s) == pytest.approx(expected, rel=1e-12)
    # numerically: perturbing v by +1 % changes Q by ~ dlnQ/dlnv %
    q2 = production_rate(1.2e-17 * W_M2, "CO2", GEOM, ap, velocity=q.assumptions.velocity * 1.01)
    assert np.log(q2.Q / q.Q).value / np.log(1.01) == pytest.approx(e["velocity"], abs=1e-4)
    assert production_rate(1.2e-17 * W_M2, "CO2", GEOM, ap).Q_sys.value == 0.0


def test_insignificant_flux_gives_upper_limit_not_measurement():
    ap = CircularAperture(1 * u.arcsec)
    per_q = band_flux(1 / u.s, "CO2", GEOM, ap).to_value(W_M2)
    q = production_rate(2e-18 * W_M2, "CO2", GEOM, ap, flux_err=1e-18 * W_M2)
    assert q.detected is False and q.is_limit
    assert q.Q_upper.to_value(1 / u.s) == pytest.approx((2e-18 + 3e-18) / per_q, rel=1e-12)
    d = q.to_dict()
    assert d["Q_per_s"] is None and d["Q_upper_per_s"] > 0
    assert "<" in str(q)
    neg = production_rate(-1e-18 * W_M2, "CO2", GEOM, ap, flux_err=1e-18 * W_M2)
    assert neg.Q_upper.to_value(1 / u.s) == pytest.approx(3e-18 / per_q, rel=1e-12)
    # a higher threshold turns a 4σ flux into a limit
    assert production_rate(4e-18 * W_M2, "CO2", GEOM, ap, flux_err=1e-18 * W_M2).detected is True
    assert production_rate(4e-18 * W_M2, "CO2", GEOM, ap, flux_err=1e-18 * W_M2, threshold=5).detected is False


@pytest.mark.parametrize("kwargs, match", [
    (dict(flux=-1e-18 * W_M2), "flux_err"),
    (dict(flux=1e-18 * u.Jy), "W m\\^-2"),
    (dict(flux=1e-18), "Quantity"),
    (dict(flux=1e-18 * W_M2, velocity=0.5 * u.s), "velocity"),
    (dict(flux=1e-18 * W_M2, lifetime=-1 * u.s), "lifetime"),
    (dict(flux=1e-18 * W_M2, rel_err_g=-0.1), "rel_err_g"),
])
def test_bad_input_raises_one_line_input_error(kwargs, match):
    flux = kwargs.pop("flux")
    with pytest.raises(InputError, match=match) as exc:
        production_rate(flux, "CO2", GEOM, CircularAperture(1 * u.arcsec), **kwargs)
    assert "\n" not in str(exc.value)
