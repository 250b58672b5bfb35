"""The test-side generator (tests/independent_coma.py) against closed forms and sbpy.

Its Haser numbers carry the expectations of the recovery tests, so they are checked here
against what neither it nor comaspec computed.
"""

import math
import warnings

import astropy.units as u
import numpy as np
import pytest

import independent_coma as ic


def test_shell_integral_limits_and_sbpy():
    # decay-free: N / Q = pi R / (2 v)
    assert ic.haser_n_per_q(3000.0, 0.6, 1e12, 1.0) == pytest.approx(math.pi * 3000.0 / 1.2, rel=1e-6)
    # every molecule inside (L << R): N / Q = tau(rh) = tau_1au rh^2
    assert ic.haser_n_per_q(1e8, 0.6, 1e4, 2.0) == pytest.approx(4e4, rel=1e-6)
    from sbpy.activity import CircularAperture, Haser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = Haser(1 / u.s, 0.47 * u.km / u.s, 0.47 * 2.1e5 * 3.32**2 * u.km).total_number(CircularAperture(5e4 * u.km))
    assert ic.haser_n_per_q(5e4, 0.47, 2.1e5, 3.32) == pytest.approx(float(n), rel=1e-6)


def test_column_and_spaxel_numbers():
    from sbpy.activity import Haser

    rho = np.array([100.0, 1e4, 5e4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        col = Haser(1 / u.s, 0.5 * u.km / u.s, 2e4 * u.km).column_density(rho * u.km).to_value(u.km**-2)
    np.testing.assert_allclose(ic.haser_column_per_q(rho, 0.5, 2e4), col, rtol=1e-5)
    # 15 x 15 spaxels of 100 km, decay-free: the 1500 km square holds a ln(1 + sqrt 2) / v
    n = ic.spaxel_numbers((15, 15), 100.0, 0.6, 1e30)
    assert n.sum() == pytest.approx(1500.0 * math.log(1 + math.sqrt(2)) / 0.6, rel=1e-3)
    assert n[7, 7] == pytest.approx(100.0 * math.log(1 + math.sqrt(2)) / 0.6, rel=1e-2)  # the cusp spaxel


def test_daughter_column_closed_forms():
    """Released molecules (two-generation Haser): over the whole sky they number Q tau = Q L / v
    (every released molecule lives tau); with a tiny parent scale they are a parent coma."""
    from scipy import integrate

    v, lp, ld = 0.5, 500.0, 4e4
    total, _ = integrate.quad(lambda r: 2 * math.pi * r * ic.daughter_column_per_q(r, v, lp, ld), 0.0, 50 * ld,
                              points=[lp, 10 * lp, ld], limit=400)
    assert total == pytest.approx(ld / v, rel=1e-4)
    rho = np.array([2e3, 1e4, 5e4])
    np.testing.assert_allclose(ic.daughter_column_per_q(rho, v, 1e-3, ld), ic.haser_column_per_q(rho, v, ld),
                               rtol=1e-6)


def test_spectrum_carries_the_band_fluxes_put_in():
    # the generated lines integrate to the band fluxes (the wings inside the grid)
    fluxes = {("CO", "1-0"): 2e-18, ("CO2", "nu3"): 5e-18}
    wl = ic.grid("G395H", 4.0, 5.0)
    flam = ic.gas_flam("G395H", wl, fluxes, 50.0)
    assert np.sum(flam * np.gradient(wl)) == pytest.approx(7e-18, rel=1e-4)
