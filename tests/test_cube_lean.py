"""Lean cube reading (channels of the fit windows only, memory-mapped, float32, unsigned DQ)
against reading every channel: the same voxels, the same mask, the same maps and fits.

Tolerances: the voxels read are the file's float32 values in both ways, so they and the
mask are compared exactly. Maps and fits are compared to a relative 1e-9 of each value
(and 1e-9 of its error for values near zero): the model and the solves see the same
numbers on the fitted pixels, only the order of some float64 sums (template pixel
integration in chunks of lines, over a shorter grid) could differ, at the 1e-15 level
(on this cube the maps came out bit-identical).
"""

import gzip
import shutil

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

import comaspec
from comaspec import CircularAperture, Geometry, InputError
from comaspec.io.cube import CHANNEL_MARGIN
from comaspec.io.nucleus import median_image, photocentre_channels
from comaspec.model import Window
from comaspec.model.continuum import window_ranges
from comaspec.synthetic import synthetic_cube

GEO = Geometry(3.32 * u.au, 2.61 * u.au)
FLAM = u.W / u.m**2 / u.um
TRUTH = {"CO2": 1.7e27, "H2O": 4e26, "CO": 5e26}
RTOL = 1e-9
RANGES = window_ranges(None, ["CO2", "H2O", "CO"])   # what map_cube(path) reads for its species


def _continuum(wl):
    return 1e-17 * (wl / 4.0) ** 0.5


@pytest.fixture(scope="module")
def g395h_cube(tmp_path_factory):
    """A G395H cube (3752 channels) with NaNs and DQ flags inside and outside the windows;
    one flag word has the top bit set (unsigned 32-bit DQ)."""
    path = tmp_path_factory.mktemp("lean") / "g395h_s3d.fits"
    synthetic_cube("G395H", TRUTH, GEO, T_rot=60.0, error_per_spaxel=3e-20 * FLAM, continuum=_continuum,
                   shape=(9, 9), seed=7, path=path, subsample=3)
    with fits.open(path, mode="update") as hdul:
        nwave = hdul["SCI"].data.shape[0]
        wave = np.arange(nwave)  # channel indices suffice for choosing flagged channels
        dq = np.zeros(hdul["SCI"].data.shape, dtype=np.uint32)
        rng = np.random.default_rng(3)
        flagged = rng.random(dq.shape) < 0.003
        dq[flagged] = 1                             # DO_NOT_USE
        dq[rng.random(dq.shape) < 0.01] |= 4        # not DO_NOT_USE: must stay usable
        dq[wave[-300], 4, 4] = 2**31 + 1            # top bit set, and DO_NOT_USE
        dq[wave[-301], 4, 4] = 2**31                # top bit set, not DO_NOT_USE
        sci = hdul["SCI"].data
        sci[rng.random(sci.shape) < 0.001] = np.nan
        if "DQ" in hdul:
            hdul["DQ"].data = dq
        else:
            hdul.append(fits.ImageHDU(dq, name="DQ"))
    return path


def test_lean_read_holds_the_same_voxels_float32_and_unsigned_dq(g395h_cube):
    whole = comaspec.read_cube(g395h_cube)
    lean = comaspec.read_cube(g395h_cube, wavelength_ranges=RANGES)
    wl = whole.wavelength.to_value(u.um)
    inside = np.zeros(wl.size, bool)
    for lo, hi in RANGES:
        inside |= (wl >= lo) & (wl <= hi)
    first, last = np.flatnonzero(inside)[[0, -1]]
    assert lean.channels[0] == max(first - CHANNEL_MARGIN, 0) and lean.channels[-1] == last + CHANNEL_MARGIN
    assert np.all(inside[lean.channels] | ~np.isin(lean.channels, np.flatnonzero(inside)))
    assert np.isin(np.flatnonzero(inside), lean.channels).all()
    assert 0.3 < lean.shape[0] / whole.shape[0] < 0.5          # 4.05-5.10 um and the first channels
    for cube in (whole, lean):
        assert cube.flux.dtype == np.float32 and cube.error.dtype == np.float32
        assert cube.dq.dtype == np.uint32
    np.testing.assert_array_equal(lean.flux.value, whole.flux.value[lean.channels])
    np.testing.assert_array_equal(lean.error.value, whole.error.value[lean.channels])
    np.testing.assert_array_equal(lean.dq, whole.dq[lean.channels])
    np.testing.assert_array_equal(lean.mask, whole.mask[lean.channels])
    np.testing.assert_array_equal(lean.wavelength, whole.wavelength[lean.channels])
    # the DQ words as written (read by astropy on its own), the mask from bit 0 and NaN only
    with fits.open(g395h_cube) as hdul:
        dq_file = hdul["DQ"].data
        sci_file = hdul["SCI"].data
        np.testing.assert_array_equal(whole.dq, dq_file)
        np.testing.assert_array_equal(whole.mask, ((dq_file & 1) != 0) | ~np.isfinite(sci_file))
    assert whole.dq[-300, 4, 4] == 2**31 + 1 and whole.mask[-300, 4, 4]
    assert whole.dq[-301, 4, 4] == 2**31 and whole.mask[-301, 4, 4] == np.isnan(whole.flux.value[-301, 4, 4])
    # the continuum image of the photocentre: from the file's channels in both ways
    assert whole.continuum is None
    expected = median_image(whole.flux.value, whole.mask, photocentre_channels(whole.shape[0]),
                            whole.error.to_value(whole.bunit))
    np.testing.assert_array_equal(lean.continuum[0], expected[0])
    np.testing.assert_array_equal(lean.continuum[1], expected[1])


def test_gzip_file_read_without_a_memory_map_gives_the_same_cube(g395h_cube, tmp_path):
    packed = tmp_path / "g395h_s3d.fits.gz"
    with open(g395h_cube, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain = comaspec.read_cube(g395h_cube, wavelength_ranges=RANGES)
    unpacked = comaspec.read_cube(packed, wavelength_ranges=RANGES)
    for a, b in ((plain.flux, unpacked.flux), (plain.error, unpacked.error)):
        np.testing.assert_array_equal(a.value, b.value)
    np.testing.assert_array_equal(plain.dq, unpacked.dq)
    np.testing.assert_array_equal(plain.mask, unpacked.mask)
    np.testing.assert_array_equal(plain.continuum, unpacked.continuum)


def _close(a, b, err=None):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    scale = np.abs(b) if err is None else np.maximum(np.abs(b), np.abs(np.asarray(err, dtype=float)))
    ok = np.isnan(b) | (a == b) | (np.abs(a - b) <= RTOL * scale)
    assert ok.all(), f"largest relative difference {np.nanmax(np.where(ok, 0, np.abs(a - b) / scale)):.2e}"


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_map_of_a_lean_cube_equals_the_map_of_the_whole_cube(g395h_cube):
    species = ("CO2", "H2O", "CO")
    lean = comaspec.map_cube(g395h_cube, GEO, species=species)            # a path: read lean
    whole_cube = comaspec.read_cube(g395h_cube)
    assert whole_cube.channels is None
    whole = comaspec.map_cube(whole_cube, GEO, species=species)
    assert lean.meta["n_pixels_fitted"] == whole.meta["n_pixels_fitted"] > 500
    assert lean.nucleus_xy == whole.nucleus_xy
    np.testing.assert_array_equal(lean.bin_id, whole.bin_id)
    _close(lean.T_rot, whole.T_rot)
    _close(lean.shift_um, whole.shift_um)
    for s in lean.species:
        _close(lean.flux[s], whole.flux[s], whole.flux_err[s])
        _close(lean.flux_err[s], whole.flux_err[s])
        np.testing.assert_array_equal(lean.detected[s], whole.detected[s])
    _close(lean.ratio, whole.ratio, whole.ratio_err)
    np.testing.assert_array_equal(lean.ratio_limit, whole.ratio_limit)
    assert lean.detected["CO2"].sum() > 10
    # the map did meet flagged voxels in the fitted channels (masked alike: the test above)
    lean_cube = comaspec.read_cube(g395h_cube, wavelength_ranges=RANGES)
    assert lean_cube.mask.sum() > 100 and (lean_cube.dq & 1).sum() > 100


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_ratio_of_a_lean_cube_equals_the_whole_cube(g395h_cube):
    from comaspec.pipeline import fit_loaded, load_inputs

    ap = CircularAperture(0.3 * u.arcsec)
    lean_inputs = load_inputs([g395h_cube], species=["CO2", "H2O", "CO"])
    whole_inputs = load_inputs([g395h_cube], whole_cubes=True)
    assert lean_inputs[0][1].channels is not None and whole_inputs[0][1].channels is None
    lean = fit_loaded(lean_inputs, GEO, ap, ["CO2", "H2O", "CO"])
    whole = fit_loaded(whole_inputs, GEO, ap, ["CO2", "H2O", "CO"])
    for s in ("CO2", "H2O", "CO"):
        a, b = lean.species[s], whole.species[s]
        _close(a.band_flux, b.band_flux, b.band_flux_err)
        _close(a.band_flux_err, b.band_flux_err)
        _close(a.T_rot, b.T_rot)
    _close(lean.ratio("CO2", "H2O").value, whole.ratio("CO2", "H2O").value)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_a_cube_read_for_other_windows_is_refused(g395h_cube):
    from comaspec.pipeline import fit_loaded, load_inputs

    narrow = [Window("co2", 4.2, 4.35, 2)]
    cube = comaspec.read_cube(g395h_cube, wavelength_ranges=window_ranges(narrow))
    with pytest.raises(InputError, match="was read for the wavelength ranges 4.2-4.35 um only"):
        comaspec.map_cube(cube, GEO, species=("CO2",))
    loaded = load_inputs([g395h_cube], windows=narrow)
    with pytest.raises(InputError, match="needs channels outside them"):
        fit_loaded(loaded, GEO, CircularAperture(0.3 * u.arcsec), ["CO2"])
    # with its own windows it is fitted
    fit = fit_loaded(loaded, GEO, CircularAperture(0.3 * u.arcsec), ["CO2"], windows=narrow)
    assert fit.species["CO2"].covered


def test_no_channel_in_the_windows_is_one_clear_error(g395h_cube):
    with pytest.raises(InputError, match=r"no channel lies in the fit windows \(1-2 um\)"):
        comaspec.read_cube(g395h_cube, wavelength_ranges=[(1.0, 2.0)])
