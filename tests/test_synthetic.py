"""Synthetic spectra: the JWST x1d format, units at the file boundary, noise, header round trip."""

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

from comaspec import model
from comaspec.apertures import CircularAperture, RectangularAperture
from comaspec.errors import InputError
from comaspec.geometry import Geometry
from comaspec.physics.instrument import make_lsf
from comaspec.io import read_spectrum
from comaspec.synthetic import (aperture_from_header, continuum_spectrum, geometry_from_header,
                                synthetic_spectrum, truth_from_header, wavelength_grid)

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um


def test_grid_samples_the_resolution_element():
    from comaspec.physics.instrument import resolving_power

    wl = wavelength_grid("G395H")
    assert 2.85 < wl[0] < 2.9 and 5.2 < wl[-1] <= 5.27
    step = np.diff(wl)
    fwhm = wl[:-1] / resolving_power("G395H", wl[:-1])
    np.testing.assert_allclose(fwhm / step, 2.2, rtol=1e-3)


def test_x1d_file_round_trip(tmp_path):
    path = tmp_path / "syn_x1d.fits"
    spec = synthetic_spectrum("PRISM", {"CO2": 1e27, "H2O": 2e26}, GEO, AP, T_rot=40.0, error=2e-19 * FLAM,
                              continuum=lambda wl: 3e-17 + 0 * wl, seed=3, path=path, target="test comet",
                              header_notes=["inputs: made up for a test"])
    with fits.open(path) as hdul:
        ph = hdul[0].header
        assert (ph["INSTRUME"], ph["GRATING"], ph["FILTER"], ph["EXP_TYPE"]) == ("NIRSPEC", "PRISM", "CLEAR", "NRS_IFU")
        assert ph["TARGNAME"] == "test comet"
        cols = hdul["EXTRACT1D"].columns
        assert set(cols.names) >= {"WAVELENGTH", "FLUX", "FLUX_ERROR", "DQ", "SURF_BRIGHT", "SB_ERROR", "NPIXELS"}
        assert cols["WAVELENGTH"].unit == "um" and cols["FLUX"].unit == "Jy" and cols["SURF_BRIGHT"].unit == "MJy/sr"
        data = hdul["EXTRACT1D"].data
        # Jy at the boundary: F_nu = F_lambda lambda^2 / c, computed independently here
        lam_m = data["WAVELENGTH"] * 1e-6
        c = 299792458.0
        model_flam = spec.meta["model_flux_W_m2_um"]
        err_jy = 2e-19 * 1e6 * lam_m**2 / c / 1e-26
        np.testing.assert_allclose(data["FLUX_ERROR"], err_jy, rtol=1e-10)
        # surface brightness over the aperture's solid angle
        omega = np.pi * (0.5 / 206264.80624709636) ** 2
        np.testing.assert_allclose(data["SURF_BRIGHT"], data["FLUX"] * 1e-6 / omega, rtol=1e-10)
        assert geometry_from_header(ph).to_dict()["rh_au"] == pytest.approx(3.32)
        assert geometry_from_header(ph).phase.to_value(u.deg) == pytest.approx(17)
        assert aperture_from_header(ph).describe() == AP.describe()
        truth = truth_from_header(ph)
        assert truth["Q"] == {"CO2": 1e27, "H2O": 2e26} and truth["T_rot"] == 40.0
        assert "made up" in str(ph["COMMENT"])
    # the comaspec reader understands it
    back = read_spectrum(path)
    assert back.meta["mode"] == "NIRSPEC PRISM/CLEAR" and back.meta["product"] == "x1d"
    np.testing.assert_allclose(back.flux.to_value(u.Jy), spec.flux.to_value(u.Jy))
    # noise: normalised deviations from the noiseless model are standard normal
    flam = back.flux.to_value(FLAM, equivalencies=u.spectral_density(back.spectral_axis))
    pulls = (flam - model_flam) / 2e-19
    assert abs(pulls.mean()) < 4 / np.sqrt(pulls.size) and 0.85 < pulls.std() < 1.15


def test_noiseless_spectrum_is_the_forward_model():
    """Consistency check by design: synthetic_spectrum is the forward model (which is tested
    against an independent generator in test_model.test_gas_spectrum_matches_the_independent_generator)."""
    wl = wavelength_grid("PRISM")
    spec = synthetic_spectrum("PRISM", {"CO": 3e26}, GEO, AP, T_rot=30.0, error=1e-19 * FLAM, noise=False,
                              continuum=None)
    expected = model.gas_spectrum({"CO": 3e26}, wl, 30.0, make_lsf("PRISM"), GEO, AP)
    flam = spec.flux.to_value(FLAM, equivalencies=u.spectral_density(spec.spectral_axis))
    np.testing.assert_allclose(flam, expected, rtol=1e-10, atol=1e-30)


def test_rectangular_aperture_header(tmp_path):
    ap = RectangularAperture(1.0 * u.arcsec, 0.6 * u.arcsec)
    path = tmp_path / "box.fits"
    synthetic_spectrum("G395H", {"CO2": 1e27}, GEO, ap, T_rot=40.0, error=1e-19 * FLAM, seed=1, path=path)
    assert aperture_from_header(fits.getheader(path)).describe() == ap.describe()
    with pytest.raises(InputError, match="exists"):
        synthetic_spectrum("G395H", {"CO2": 1e27}, GEO, ap, T_rot=40.0, error=1e-19 * FLAM, path=path)


def test_continuum_options():
    wl = np.linspace(2.5, 3.5, 50)
    assert np.all(continuum_spectrum(wl, None) == 0)
    plain = continuum_spectrum(wl, {"scattered": 1e-17, "slope": 0.0, "dust_T": 200.0})
    iced = continuum_spectrum(wl, {"scattered": 1e-17, "slope": 0.0, "dust_T": 200.0, "ice_tau": 0.5,
                                   "ice_center_um": 3.0, "ice_fwhm_um": 0.3})
    i = np.argmin(abs(wl - 3.0))
    sigma_um = 0.3 / 2.3548200450309493
    assert iced[i] / plain[i] == pytest.approx(np.exp(-0.5 * np.exp(-0.5 * ((wl[i] - 3.0) / sigma_um) ** 2)), rel=1e-6)
    assert iced[0] / plain[0] > 0.99
    from comaspec.errors import UsageError

    with pytest.raises(UsageError):
        continuum_spectrum(wl, {"scatterd": 1.0})
    with pytest.raises(UsageError):
        continuum_spectrum(wl, {"scattered": 1.0, "ice_tau": 1.0}, rh_au=3.0)


def test_same_inputs_same_file(tmp_path):
    kw = dict(T_rot=40.0, error=1e-19 * FLAM, seed=5, wavelength_um=np.linspace(4.0, 4.6, 80))
    synthetic_spectrum("PRISM", {"CO2": 1e27}, GEO, AP, path=tmp_path / "a.fits", **kw)
    synthetic_spectrum("PRISM", {"CO2": 1e27}, GEO, AP, path=tmp_path / "b.fits", **kw)
    assert (tmp_path / "a.fits").read_bytes() == (tmp_path / "b.fits").read_bytes()


def test_bundled_example_is_small_and_documented():
    from comaspec.synthetic import example_path

    path = example_path()
    assert path.stat().st_size < 200_000
    header = fits.getheader(path)
    text = str(header["COMMENT"])
    assert "Cordiner" in text and "SYNTHETIC" in text and "placeholder" in text
    truth = truth_from_header(header)
    assert truth["Q"]["CO2"] / truth["Q"]["H2O"] == pytest.approx(7.6)
    assert geometry_from_header(header).rh.to_value(u.au) == pytest.approx(3.32)
