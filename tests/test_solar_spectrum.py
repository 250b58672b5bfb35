"""The Meftah et al. 2023 solar spectrum (issue #19 item 4): the shipped table against the
shared file, air or vacuum from the solar CO lines, and the Swings effect on the g-factors."""

import importlib.util
import sys

import astropy.units as u
import numpy as np
import pytest

import fluorescence_reference as ref
from comaspec._paths import linelists_dir
from comaspec.errors import InputError
from comaspec.physics import fluorescence, solar

FOLDER = "solar-spectrum-meftah2023"


@pytest.fixture(scope="module")
def builder():
    path = linelists_dir() / "build_solar_meftah.py"
    spec = importlib.util.spec_from_file_location("build_solar_meftah", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _need_shared(shared_data):
    shared_data(FOLDER, "SOURCE.md")
    shared_data("hitran-co2-co-radis", "SOURCE.md")


def test_table_reproduces_every_sample_of_the_shared_file(builder):
    wave_t, flux_t, _ = solar._meftah()
    for name in builder.WINDOWS:
        wave, flux = builder.read_window(ref.SHARED_DATA / FOLDER / name)
        got = np.interp(wave, wave_t, flux_t)
        assert np.max(np.abs(got / flux - 1)) <= builder.TOLERANCE * (1 + 1e-9), name
    assert wave_t.size < 0.15 * 351929   # the table is the small derived product


def test_wavelengths_are_vacuum_from_the_solar_co_lines(builder):
    """Solar CO 1-0 absorption minima sit within 0.02 nm of HITRAN's vacuum positions; in air
    they would be ~1.25 nm shorter (n - 1 = 2.7e-4)."""
    offset_nm, offset_kms, n_lines = builder.co_line_offset(ref.SHARED_DATA)
    assert n_lines >= 40
    assert abs(offset_nm) < 0.02 and abs(offset_kms) < 1.5, (offset_nm, offset_kms)


def test_doppler_shift_samples_the_sun_at_nu_times_one_plus_v_over_c():
    nu0 = np.array([2143.27, 2349.14, 3755.93])
    v = 25.0
    shifted, inside = solar.meftah_photon_flux(nu0, v)
    direct, _ = solar.meftah_photon_flux(nu0 * (1 + v / 299792.458), 0.0)
    assert inside.all()
    # the photon energy is that of the shifted photon in both: equal to rounding
    assert np.allclose(shifted, direct, rtol=1e-12)


def test_meftah_continuum_agrees_with_e490_to_two_percent():
    """1-nm means near 1385, 2500 and 4270 nm (SOURCE.md: within 1-2 %)."""
    for lam_nm in (1385.0, 2505.0, 4270.0):
        nu = 1e7 / np.linspace(lam_nm - 0.5, lam_nm + 0.5, 400)
        meftah, _ = solar.meftah_photon_flux(nu)
        e490 = fluorescence._solar_photons(nu)
        assert meftah.mean() / e490.mean() == pytest.approx(1.0, abs=0.03), lam_nm


def test_swings_effect_on_co_band_g():
    """CO at rest relative to the Sun is pumped in the cores of the solar CO lines: its band g
    drops to ~0.79 of the continuum value; at +-30 km/s the lines are off the solar ones."""
    e490 = fluorescence.band_g_factor("CO", "1-0", 50.0).value
    at_rest = fluorescence.band_g_factor("CO", "1-0", 50.0, solar="meftah2023", rdot=0.0).value
    moving = [fluorescence.band_g_factor("CO", "1-0", 50.0, solar="meftah2023", rdot=v * u.km / u.s).value
              for v in (-30.0, 30.0)]
    assert 0.70 < at_rest / e490 < 0.88
    assert all(abs(m / e490 - 1) < 0.03 for m in moving)


@pytest.mark.parametrize("bad", [{"solar": "kurucz"}, {"solar": "meftah2023", "rdot": 1e4},
                                 {"solar": "meftah2023", "rdot": "fast"}, {"solar": "meftah2023", "rdot": True}])
def test_bad_solar_arguments_are_input_errors(bad):
    with pytest.raises(InputError):
        fluorescence.band_g_factor("CO", "1-0", 50.0, **bad)
