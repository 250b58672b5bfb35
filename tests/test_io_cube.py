"""s3d cubes (linear and WAVE-TAB wavelength axes) and aperture extraction."""

import astropy.units as u
import numpy as np
import pytest
from test_io_builders import MJD_MID, write_s3d

import comaspec
from comaspec import AnnularAperture, CircularAperture, InputError, RectangularAperture, SpaxelMask

SCALE = 0.1  # arcsec per spaxel in the synthetic cubes
OMEGA = np.deg2rad(SCALE / 3600) ** 2  # sr per spaxel


def uniform_cube(tmp_path, value=2.0, sigma=0.1, shape=(20, 25, 30), **kw):
    sci = np.full(shape, value)
    err = np.full(shape, sigma)
    return write_s3d(tmp_path / "u_s3d.fits", sci, err, np.zeros(shape, np.uint32), **kw)


def gaussian_cube(tmp_path, x0, y0, fwhm_pix=3.0, total_jy=1.0, shape=(12, 41, 45), continuum_only=True):
    nw, ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    s = fwhm_pix / 2.3548
    img = np.exp(-0.5 * ((xx - x0) ** 2 + (yy - y0) ** 2) / s**2) / (2 * np.pi * s**2)
    sb = total_jy * img / OMEGA / 1e6  # MJy/sr so that the integral is total_jy
    sci = np.repeat(sb[None], nw, axis=0)
    if not continuum_only:
        sci[5] *= 3.0  # an emission line in one channel
    return write_s3d(tmp_path / "g_s3d.fits", sci, np.full(shape, 1e-3), np.zeros(shape, np.uint32))


@pytest.mark.parametrize("wavetab", [False, True])
def test_read_cube_linear_and_wave_tab(tmp_path, wavetab):
    wave = np.linspace(2.9, 5.2, 20) if not wavetab else np.geomspace(4.9, 7.6, 20)
    sci = np.random.default_rng(0).normal(1.0, 0.1, (20, 6, 7))
    sci[3, 2, 2] = np.nan
    dq = np.zeros(sci.shape, np.uint32)
    dq[4, 1, 1] = 1
    dq[4, 1, 2] = 2  # not DO_NOT_USE
    path = write_s3d(tmp_path / "c_s3d.fits", sci, np.full(sci.shape, 0.1), dq, wave=wave, wavetab=wavetab)
    cube = comaspec.read_cube(path)
    assert cube.shape == (20, 6, 7)
    np.testing.assert_allclose(cube.wavelength.to_value(u.um), wave, rtol=1e-6)
    assert cube.pixel_scale.to_value(u.arcsec) == pytest.approx(SCALE, rel=1e-6)
    assert cube.bunit == u.MJy / u.sr and cube.flux.unit == u.MJy / u.sr
    assert np.flatnonzero(cube.mask).size == 2 and cube.mask[3, 2, 2] and cube.mask[4, 1, 1]
    assert cube.meta["product"] == "s3d" and cube.meta["wavelength_axis"] == ("WAVE-TAB" if wavetab else "WAVE")
    assert cube.meta["epoch_keyword"] == "MJD-AVG" and abs(cube.meta["epoch"].mjd - MJD_MID) < 1e-9
    assert cube.wcs is not None and cube.wcs.naxis == 2
    assert cube.meta["pixel_area"].to_value(u.sr) == pytest.approx(OMEGA, rel=1e-6)


def test_read_spectrum_refuses_cube(tmp_path):
    with pytest.raises(InputError, match="3-D spectral cube"):
        comaspec.read_spectrum(uniform_cube(tmp_path))


def test_circular_extraction_of_uniform_field_closed_form(tmp_path):
    cube = comaspec.read_cube(uniform_cube(tmp_path, value=2.0))
    r = 0.55 * u.arcsec
    spec = comaspec.extract_spectrum(cube, CircularAperture(r), center=(14.3, 12.1))
    area_pix = np.pi * (r.to_value(u.arcsec) / SCALE) ** 2
    expected = 2.0e6 * OMEGA * area_pix  # MJy/sr -> Jy/sr times solid angle
    assert spec.flux.unit == u.Jy
    np.testing.assert_allclose(spec.flux.value, expected, rtol=1e-10)
    assert spec.meta["aperture"] == {"shape": "circle", "radius_arcsec": pytest.approx(0.55)}
    assert spec.meta["center_pix"] == (14.3, 12.1) and spec.meta["center_method"] == "given"
    assert not spec.mask.any()


def test_annulus_and_box_errors_closed_form(tmp_path):
    sigma = 0.1
    cube = comaspec.read_cube(uniform_cube(tmp_path, value=1.0, sigma=sigma))
    sigma = float(np.float32(sigma))  # s3d images are float32
    ann = comaspec.extract_spectrum(cube, AnnularAperture(0.3 * u.arcsec, 0.8 * u.arcsec), center=(15, 12))
    np.testing.assert_allclose(ann.flux.value, 1e6 * OMEGA * np.pi * (8.0**2 - 3.0**2), rtol=1e-7)
    # a 3x3-spaxel box on pixel centres: weights are exactly 1, so sigma_F = sqrt(9) sigma Omega
    box = comaspec.extract_spectrum(cube, RectangularAperture(0.3 * u.arcsec, 0.3 * u.arcsec), center=(10, 10))
    np.testing.assert_allclose(box.flux.value, 9 * 1e6 * OMEGA, rtol=1e-10)
    np.testing.assert_allclose(box.uncertainty.array, 3 * sigma * 1e6 * OMEGA, rtol=1e-10)
    # half-pixel shift: four columns weighted 1/2, 1, 1, 1/2 -> sum w^2 = 3 * (0.25 + 1 + 1 + 0.25) = 7.5
    half = comaspec.extract_spectrum(cube, RectangularAperture(0.3 * u.arcsec, 0.3 * u.arcsec), center=(10.5, 10))
    np.testing.assert_allclose(half.uncertainty.array, np.sqrt(7.5) * sigma * 1e6 * OMEGA, rtol=1e-10)


def test_spaxel_mask_aperture(tmp_path):
    cube = comaspec.read_cube(uniform_cube(tmp_path, value=3.0))
    mask = np.zeros((25, 30), bool)
    mask[5:7, 8:11] = True
    spec = comaspec.extract_spectrum(cube, SpaxelMask(mask, pixel_scale=0.1 * u.arcsec, nucleus=(9, 6)))
    np.testing.assert_allclose(spec.flux.value, 6 * 3.0e6 * OMEGA)
    assert spec.meta["aperture"]["n_spaxels"] == 6


def test_gaussian_total_flux_and_photocentre(tmp_path):
    x0, y0 = 21.37, 19.62
    path = gaussian_cube(tmp_path, x0, y0, continuum_only=False)
    cube = comaspec.read_cube(path)
    spec = comaspec.extract_spectrum(cube, CircularAperture(1.5 * u.arcsec))  # 15 px >> FWHM
    cx, cy = spec.meta["nucleus_pix"]
    assert spec.meta["center_method"] == "continuum photocentre"
    assert abs(cx - x0) < 0.02 and abs(cy - y0) < 0.02
    cont = np.delete(spec.flux.value, 5)
    np.testing.assert_allclose(cont, 1.0, rtol=2e-3)
    assert spec.flux.value[5] == pytest.approx(3.0, rel=2e-3)


def test_offset_moves_the_aperture(tmp_path):
    path = gaussian_cube(tmp_path, 20.0, 20.0)
    cube = comaspec.read_cube(path)
    ap = CircularAperture(0.5 * u.arcsec, offset=[0.8, -0.4] * u.arcsec)
    spec = comaspec.extract_spectrum(cube, ap, center=(20.0, 20.0))
    assert spec.meta["center_pix"] == pytest.approx((28.0, 16.0))
    assert spec.meta["nucleus_pix"] == (20.0, 20.0)


def test_masked_spaxels_scaled_below_threshold_masked_above(tmp_path):
    shape = (6, 25, 30)
    sci = np.full(shape, 2.0)
    dq = np.zeros(shape, np.uint32)
    sci[1, 12, 15] = np.nan                  # one of ~78 spaxels of area: scaled up
    dq[2, 9:16, 12:19] = 1                   # most of the aperture: wavelength masked
    path = write_s3d(tmp_path / "m_s3d.fits", sci, np.full(shape, 0.1), dq)
    cube = comaspec.read_cube(path)
    spec = comaspec.extract_spectrum(cube, CircularAperture(0.5 * u.arcsec), center=(15.0, 12.0))
    expected = 2.0e6 * OMEGA * np.pi * 25.0
    np.testing.assert_allclose(spec.flux.value[[0, 1, 3]], expected, rtol=1e-10)
    frac = spec.meta["masked_area_fraction"]
    assert frac[0] == 0 and 0 < frac[1] < 0.1 and frac[2] > 0.1
    assert spec.mask.tolist() == [False, False, True, False, False, False]
    # a stricter threshold masks wavelength 1 too
    strict = comaspec.extract_spectrum(cube, CircularAperture(0.5 * u.arcsec), center=(15.0, 12.0),
                                       max_masked_fraction=0.005)
    assert strict.mask[1]


def test_aperture_off_the_cube(tmp_path):
    cube = comaspec.read_cube(uniform_cube(tmp_path))
    # centre on the edge: half the area is outside -> every wavelength masked -> error
    with pytest.raises(InputError, match="outside the cube or on masked spaxels"):
        comaspec.extract_spectrum(cube, CircularAperture(0.5 * u.arcsec), center=(0.0, 12.0))
    with pytest.raises(InputError, match="does not overlap"):
        comaspec.extract_spectrum(cube, CircularAperture(0.2 * u.arcsec), center=(100.0, 100.0))


def test_extraction_input_checks(tmp_path):
    cube = comaspec.read_cube(uniform_cube(tmp_path))
    with pytest.raises(InputError, match="angular sizes"):
        comaspec.extract_spectrum(cube, CircularAperture(1000 * u.km), center=(10, 10))
    with pytest.raises(InputError, match="center"):
        comaspec.extract_spectrum(cube, CircularAperture(0.3 * u.arcsec), center=(np.nan, 1))
    with pytest.raises(InputError, match="Cube"):
        comaspec.extract_spectrum("file.fits", CircularAperture(0.3 * u.arcsec))


def test_jy_per_spaxel_cube_is_summed_without_solid_angle(tmp_path):
    path = write_s3d(tmp_path / "jy.fits", np.full((4, 10, 10), 0.5), np.full((4, 10, 10), 0.01),
                     np.zeros((4, 10, 10), np.uint32), bunit="Jy")
    cube = comaspec.read_cube(path)
    spec = comaspec.extract_spectrum(cube, RectangularAperture(0.2 * u.arcsec, 0.2 * u.arcsec), center=(4.5, 4.5))
    np.testing.assert_allclose(spec.flux.to_value(u.Jy), 4 * 0.5)


def test_photocentre_of_a_long_cube_uses_a_subset_of_channels_and_agrees(tmp_path, monkeypatch):
    """A 1600-channel cube with noise and emission lines: the photocentre from every 7th
    channel (at most PHOTOCENTRE_CHANNELS = 250) agrees with the one from all channels."""
    from comaspec.io import extract, nucleus

    x0, y0, nw, ny, nx = 10.3, 8.7, 1600, 19, 21
    yy, xx = np.mgrid[0:ny, 0:nx]
    img = np.exp(-0.5 * ((xx - x0) ** 2 + (yy - y0) ** 2) / 1.5**2)
    rng = np.random.default_rng(4)
    sci = img[None] * (1.0 + 0.05 * rng.normal(size=(nw, 1, 1))) + rng.normal(0.0, 0.02, (nw, ny, nx))
    sci[::37] += 5.0 * np.exp(-0.5 * ((xx - 3.0) ** 2 + (yy - 3.0) ** 2))[None]  # a line, off-nucleus
    cube = comaspec.read_cube(write_s3d(tmp_path / "long_s3d.fits", sci, np.full(sci.shape, 0.02),
                                        np.zeros(sci.shape, np.uint32)))
    assert extract.PHOTOCENTRE_CHANNELS < nw
    subset = extract.continuum_photocentre(cube)
    monkeypatch.setattr(nucleus, "PHOTOCENTRE_CHANNELS", nw)  # where the photocentre reads it
    full = extract.continuum_photocentre(cube)
    assert abs(subset[0] - full[0]) < 0.01 and abs(subset[1] - full[1]) < 0.01
    assert abs(full[0] - x0) < 0.1 and abs(full[1] - y0) < 0.1
