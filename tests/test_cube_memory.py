"""Cube reading, the nucleus search, extraction and the map's bins a block at a time, against
the whole-cube computation (the slow path).

What is blocked, and the tolerance of each comparison:

- the file's channels read by `comaspec.io.cube._Planes` (a memory map of whole planes, file
  reads of scattered stretches, astropy's ``section`` for a gzip file): compared exactly with
  astropy's own reading of the file;
- the continuum image made while reading, a block of spaxel rows at a time: exactly equal to
  `median_image` of the whole cube (a median is per spaxel);
- the band images of the gas centroid, a block of spaxels at a time
  (`comaspec.io.nucleus._band_image`): the float64 product Σ w·S of each spaxel is summed by
  BLAS in an order that may depend on the block's width, so it is compared with the
  whole-cube product to 1e-12 of the image's largest value (float64 rounding; float32 data);
- maps and the ``ratio`` fit of a cube read and searched in tiny blocks: exactly equal to
  those made with the default blocks (the nucleus, from the continuum image, is the same);
- the aperture sums, a block of channels at a time; the DQ flags folded into the mask a
  block at a time and not held (``keep_dq=False``); bins of several spaxels summed a group
  at a time, and single spaxels spread over the cube a stretch of columns at a time: all
  exactly equal (each channel's, voxel's or bin's arithmetic is unchanged);
- the median flux level of the plausibility check (``comaspec info``), on float32 values
  partitioned in place: exactly ``np.median`` in float64;
- ``comaspec ratio CUBE`` without species reads the default species' windows only: its fit
  equals that of every channel to 1e-9 (as in test_cube_lean.py).

Memory itself is measured by ``benchmarks/map_bench.py``; one test here checks with
tracemalloc that the band images no longer copy a band's channels to float64.
"""

import gzip
import shutil
import tracemalloc
import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

import comaspec
from comaspec import CircularAperture, Geometry
from comaspec.io import cube as cube_module
from comaspec.io import extract
from comaspec.io import nucleus
from comaspec.model.continuum import window_ranges
from comaspec.synthetic import synthetic_cube

GEO = Geometry(3.32 * u.au, 2.61 * u.au)
FLAM = u.W / u.m**2 / u.um
SPECIES = ["CO2", "H2O", "CO"]
RANGES = window_ranges(None, SPECIES)


@pytest.fixture(scope="module")
def cube_path(tmp_path_factory):
    """A G395H cube of 13 x 11 spaxels (rows and columns differ) with NaNs and DQ flags; one
    flag word has the top bit set (unsigned 32-bit DQ)."""
    path = tmp_path_factory.mktemp("blocks") / "g395h_s3d.fits"
    synthetic_cube("G395H", {"CO2": 1.7e27, "H2O": 4e26, "CO": 5e26}, GEO, T_rot=60.0,
                   error_per_spaxel=3e-20 * FLAM, continuum=lambda wl: 1e-17 * (wl / 4.0) ** 0.5,
                   shape=(13, 11), seed=11, path=path, subsample=3)
    with fits.open(path, mode="update") as hdul:
        sci = hdul["SCI"].data
        rng = np.random.default_rng(5)
        dq = np.zeros(sci.shape, dtype=np.uint32)
        dq[rng.random(dq.shape) < 0.0005] = 1                # DO_NOT_USE
        dq[rng.random(dq.shape) < 0.01] |= 4                 # not DO_NOT_USE
        dq[-200, 6, 5] = 2**31 + 1
        sci[rng.random(sci.shape) < 0.0002] = np.nan
        if "DQ" in hdul:
            hdul["DQ"].data = dq
        else:
            hdul.append(fits.ImageHDU(dq, name="DQ"))
    return path


def _photocentre_count(nwave):
    return len(range(*nucleus.photocentre_channels(nwave).indices(nwave)))


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of a few spaxel rows, spaxels or channels (the last one shorter) instead of
    millions of voxels."""
    def use(median_rows=3, band_spaxels=1, channels=5, nwave=3752, nx=11):
        monkeypatch.setattr(nucleus, "_MEDIAN_BLOCK_VOXELS", _photocentre_count(nwave) * nx * median_rows)
        monkeypatch.setattr(nucleus, "_BAND_BLOCK_VOXELS", band_spaxels)   # a band has > 1 channel: 1 spaxel
        monkeypatch.setattr(cube_module, "_BLOCK_CHANNELS", channels)
        monkeypatch.setattr(extract, "_EXTRACT_BLOCK_VOXELS", 1)            # a channel at a time
    return use


@pytest.mark.parametrize("gzipped", [False, True])
def test_planes_read_strided_channels_and_rows_as_astropy_does(cube_path, tmp_path, gzipped):
    path = cube_path
    if gzipped:
        path = tmp_path / "g395h_s3d.fits.gz"
        with open(cube_path, "rb") as src, gzip.open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
    from comaspec.io._checks import open_fits

    with fits.open(cube_path) as truth, open_fits(path, load_data=False) as hdul:
        shape = truth["SCI"].data.shape
        planes = cube_module._data_planes("cube", hdul, path, shape)
        assert (planes["SCI"].offset is None) == gzipped
        for name, dtype in (("SCI", np.float32), ("ERR", np.float32), ("DQ", np.uint32)):
            expected_all = truth[name].data
            for channels in (slice(0, 64), slice(3, 700, 7), slice(None, None, 16), slice(shape[0] - 1, None)):
                for rows in (slice(None), slice(2, 7), slice(12, 13)):
                    expected = expected_all[channels, rows]
                    out = np.empty(expected.shape, dtype=dtype)
                    planes[name].read(channels, out, rows)
                    np.testing.assert_array_equal(out, expected, err_msg=f"{name} {channels} {rows}")
        assert planes["DQ"].dtype == np.uint32
        top = np.empty((1, 13, 11), dtype=np.uint32)
        planes["DQ"].read(slice(shape[0] - 200, shape[0] - 199), top)
        assert top[0, 6, 5] == 2**31 + 1


@pytest.mark.parametrize("median_rows", [1, 3, 13])
def test_continuum_image_read_in_row_blocks_is_the_whole_cube_median(cube_path, tiny_blocks, median_rows):
    whole = comaspec.read_cube(cube_path)
    channels = nucleus.photocentre_channels(whole.shape[0])
    expected = nucleus.median_image(whole.flux.value, whole.mask, channels, whole.error.to_value(whole.bunit))
    tiny_blocks(median_rows=median_rows)
    assert nucleus.median_block_rows(_photocentre_count(whole.shape[0]), 11) == median_rows
    lean = comaspec.read_cube(cube_path, wavelength_ranges=RANGES)
    np.testing.assert_array_equal(lean.continuum[0], expected[0])
    np.testing.assert_array_equal(lean.continuum[1], expected[1])
    assert (expected[0] > 0).all() and np.isnan(whole.flux.value[channels]).any()   # NaNs met on the way


def _whole_band_image(cube, idx, w, with_error):
    """The band image as one float64 matrix product over the whole cube (the slow path)."""
    n = idx.size
    data = cube.flux.value[idx].reshape(n, -1).astype(float)
    mask = cube.mask[idx].reshape(n, -1)
    if with_error:
        # the squares in float32, as the whole-cube code had them (MJy/sr: no underflow)
        var = (w**2) @ (cube.error.value[idx].reshape(n, -1) ** 2).astype(float)
    else:
        # the noise from float32 data, as the whole-cube code had it
        diff = np.diff(np.where(mask, np.nan, cube.flux.value[idx].reshape(n, -1)), axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # numpy's: a spaxel with no pair of good channels
            mad = np.nanmedian(np.abs(diff - np.nanmedian(diff, axis=0)), axis=0)
        var = w @ w * (1.4826 * mad / np.sqrt(2.0)) ** 2
    image = w @ data
    bad = mask.any(axis=0) | ~np.isfinite(image) | ~np.isfinite(var)
    return np.where(bad, 0.0, image), np.where(bad, 0.0, var)


@pytest.mark.parametrize("band_spaxels", [1, 7, 143])
@pytest.mark.parametrize("with_error", [True, False])
def test_band_image_in_spaxel_blocks_is_the_whole_cube_product(cube_path, tiny_blocks, band_spaxels, with_error):
    cube = comaspec.read_cube(cube_path, wavelength_ranges=RANGES)
    wl = cube.wavelength.to_value(u.um)
    for species in ("CO2", "CO"):
        idx, w = nucleus.band_filter(wl, species, "G395H")
        tiny_blocks(band_spaxels=band_spaxels * idx.size)
        expected_image, expected_var = _whole_band_image(cube, idx, w, with_error)
        error = cube.error.value if with_error else None
        image, var = nucleus._band_image(cube.flux.value, error, cube.mask, idx, w)
        np.testing.assert_array_equal(image == 0, expected_image == 0)
        np.testing.assert_array_equal(var == 0, expected_var == 0)
        assert np.abs(image - expected_image).max() <= 1e-12 * np.abs(expected_image).max()
        assert np.abs(var - expected_var).max() <= 1e-12 * np.abs(expected_var).max()
        assert (expected_image != 0).sum() > 50        # most spaxels are usable in the band


def test_band_image_holds_no_float64_copy_of_the_band(cube_path, monkeypatch):
    """The whole-band float64 temporaries (0.6 GB on a 200 x 200 G395H cube) are gone: with
    blocks of 5 spaxels, the images' peak allocation stays below one float32 copy of the
    band's channels (the whole-cube product made two float64 copies and a float32 square)."""
    cube = comaspec.read_cube(cube_path, wavelength_ranges=RANGES)
    idx, w = nucleus.band_filter(cube.wavelength.to_value(u.um), "CO2", "G395H")
    monkeypatch.setattr(nucleus, "_BAND_BLOCK_VOXELS", 5 * idx.size)
    band_bytes = idx.size * cube.shape[1] * cube.shape[2] * 4
    tracemalloc.start()
    try:
        nucleus._band_image(cube.flux.value, cube.error.value, cube.mask, idx, w)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * band_bytes, (peak, band_bytes)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental: a misfit note
def test_map_and_ratio_of_a_cube_read_in_tiny_blocks_are_unchanged(cube_path, tiny_blocks):
    from comaspec.pipeline import fit_loaded, load_inputs

    def run():
        maps = comaspec.map_cube(cube_path, GEO, species=SPECIES, T_rot=55.0, shift=0.0 * u.um)
        fit = fit_loaded(load_inputs([cube_path], species=SPECIES), GEO, CircularAperture(0.3 * u.arcsec), SPECIES)
        return maps, fit

    maps, fit = run()
    tiny_blocks(median_rows=2, band_spaxels=3, channels=3)
    maps_blocked, fit_blocked = run()
    assert maps.nucleus_xy == maps_blocked.nucleus_xy
    for s in SPECIES:
        np.testing.assert_array_equal(maps.flux[s], maps_blocked.flux[s])
        np.testing.assert_array_equal(maps.flux_err[s], maps_blocked.flux_err[s])
        assert fit.species[s].band_flux == fit_blocked.species[s].band_flux
        assert fit.species[s].band_flux_err == fit_blocked.species[s].band_flux_err
    np.testing.assert_array_equal(maps.ratio, maps_blocked.ratio)
    assert fit.species["CO2"].T_rot == fit_blocked.species["CO2"].T_rot
    assert maps.detected["CO2"].sum() > 20


def test_default_species_ranges_follow_the_span_of_the_cube():
    from comaspec.pipeline import default_species_ranges

    default = window_ranges(None, ["CO2", "H2O", "CO"])
    every = window_ranges(None, None)
    assert len(every) > len(default)
    assert default_species_ranges(2.87, 5.27) == default          # G395H: CO2 4.26 um, CO 4.7 um
    assert default_species_ranges(4.2, 4.3) == default            # the CO2 band alone
    assert default_species_ranges(3.1, 3.6) == every              # no band of CO2, H2O or CO: any window


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental: a misfit note
def test_ratio_without_species_reads_and_fits_only_the_default_species_windows(cube_path):
    """``comaspec ratio CUBE`` (no --species) read the 3.3 um window too, which it never fits
    (a third more channels, 0.3 GB on a 200 x 200 G395H cube); the fit is that of every channel."""
    from comaspec.pipeline import fit_loaded, load_inputs

    loaded = load_inputs([cube_path])
    cube = loaded[0][1]
    assert cube.meta["wavelength_ranges_um"] == window_ranges(None, SPECIES)
    assert cube.shape[0] < comaspec.read_cube(cube_path, wavelength_ranges=window_ranges(None, None)).shape[0]
    ap = CircularAperture(0.3 * u.arcsec)
    lean = fit_loaded(loaded, GEO, ap, None)
    whole = fit_loaded(load_inputs([cube_path], whole_cubes=True), GEO, ap, None)
    assert list(lean.species) == list(whole.species) == SPECIES
    for s in SPECIES:
        a, b = lean.species[s], whole.species[s]
        assert abs(a.band_flux - b.band_flux) <= 1e-9 * max(abs(b.band_flux), b.band_flux_err)
        assert abs(a.band_flux_err - b.band_flux_err) <= 1e-9 * b.band_flux_err


@pytest.mark.parametrize("aperture", [CircularAperture(0.3 * u.arcsec), CircularAperture(0.6 * u.arcsec),
                                      comaspec.AnnularAperture(0.2 * u.arcsec, 0.5 * u.arcsec)])
def test_extraction_in_channel_blocks_is_the_whole_box_sum(cube_path, monkeypatch, aperture):
    """Each channel's sums over the aperture's box are the same whether the channels come a
    few at a time or all at once (0.6": a box as large as the cube, partly outside it)."""
    cube = comaspec.read_cube(cube_path, wavelength_ranges=RANGES)
    monkeypatch.setattr(extract, "_EXTRACT_BLOCK_VOXELS", cube.flux.size)      # one block
    whole = comaspec.io.extract_light_spectrum(cube, aperture, max_masked_fraction=0.5)
    monkeypatch.setattr(extract, "_EXTRACT_BLOCK_VOXELS", 1)                   # a channel at a time
    blocked = comaspec.io.extract_light_spectrum(cube, aperture, max_masked_fraction=0.5)
    monkeypatch.setattr(extract, "_EXTRACT_BLOCK_VOXELS", 7 * 143 + 5)         # 7 channels, uneven end
    uneven = comaspec.io.extract_light_spectrum(cube, aperture, max_masked_fraction=0.5)
    for spec in (blocked, uneven):
        np.testing.assert_array_equal(spec.flux.value, whole.flux.value)
        np.testing.assert_array_equal(spec.uncertainty.array, whole.uncertainty.array)
        np.testing.assert_array_equal(spec.mask, whole.mask)
    assert np.isfinite(whole.flux.value).sum() > 0.9 * cube.shape[0]


@pytest.mark.parametrize("ranges", [None, RANGES])
@pytest.mark.parametrize("block", [64, 5])
def test_cube_read_without_holding_dq_has_the_same_mask(cube_path, monkeypatch, ranges, block):
    """``keep_dq=False`` (map_cube(path), comaspec ratio): the DQ flags are read a block of
    channels at a time into the mask and dropped; the mask is the one made from the whole DQ."""
    from comaspec.pipeline import load_inputs

    monkeypatch.setattr(cube_module, "_BLOCK_CHANNELS", block)
    held = comaspec.read_cube(cube_path, wavelength_ranges=ranges)
    unheld = comaspec.read_cube(cube_path, wavelength_ranges=ranges, keep_dq=False)
    assert unheld.dq is None and held.dq.dtype == np.uint32
    np.testing.assert_array_equal(unheld.mask, held.mask)
    np.testing.assert_array_equal(unheld.flux.value, held.flux.value)
    np.testing.assert_array_equal(unheld.error.value, held.error.value)
    np.testing.assert_array_equal(unheld.continuum, held.continuum)
    with fits.open(cube_path) as hdul:                    # the mask from the file, read by astropy
        keep = slice(None) if ranges is None else held.channels
        expected = ((hdul["DQ"].data[keep] & 1) != 0) | ~np.isfinite(hdul["SCI"].data[keep])
    np.testing.assert_array_equal(unheld.mask, expected)
    assert (held.dq & 1).sum() > 20
    assert load_inputs([cube_path], species=SPECIES)[0][1].dq is None


@pytest.mark.parametrize("budget_spaxels", [1, 5, 40])
def test_bins_gathered_in_groups_are_the_bins_gathered_at_once(cube_path, monkeypatch, budget_spaxels):
    """Bins of several spaxels (a map's --bin or Voronoi bins) are summed a group of bins at a
    time; each bin's sums are those of all bins at once, exactly (a bin larger than the
    group's budget is summed alone)."""
    from comaspec.maps import _bins

    cube = comaspec.read_cube(cube_path, wavelength_ranges=RANGES)
    nwave, ny, nx = cube.shape
    pix = np.flatnonzero(np.arange(nwave) % 3 != 1)                 # runs of fitted pixels
    data = _bins.CubePixels(cube.flux.value.reshape(nwave, -1), cube.error.value.reshape(nwave, -1),
                            cube.mask.reshape(nwave, -1), pix, np.linspace(1.0, 2.0, pix.size), 0.1)
    rng = np.random.default_rng(2)
    order = rng.permutation(ny * nx)
    sizes = [4, 1, 9, 2, 12, 3, 7, 1, 30, 5]
    members = [np.sort(order[a:a + k]) for a, k in zip(np.cumsum([0] + sizes[:-1]), sizes)]
    monkeypatch.setattr(_bins, "_GATHER_VOXELS", 10**9)
    y_all, w_all = data.gather(members)
    monkeypatch.setattr(_bins, "_GATHER_VOXELS", budget_spaxels * pix.size)
    assert len(list(_bins._groups(members, budget_spaxels))) > 1
    y, w = data.gather(members)
    np.testing.assert_array_equal(y, y_all)
    np.testing.assert_array_equal(w, w_all)
    assert (w_all > 0).mean() > 0.9


@pytest.mark.parametrize("max_span", [1, 4, 16])
def test_scattered_spaxels_gathered_in_stretches_are_those_of_the_whole_span(cube_path, monkeypatch, max_span):
    """Single spaxels spread over the cube (a per-bin T_rot fit's strong bins) are taken a
    stretch of columns at a time; their spectra and weights are those of the whole span."""
    from comaspec.maps import _bins

    cube = comaspec.read_cube(cube_path, wavelength_ranges=RANGES)
    nwave = cube.shape[0]
    pix = np.flatnonzero(np.arange(nwave) % 4 != 0)
    flat = np.array([0, 1, 2, 17, 40, 41, 77, 100, 141, 142])
    members = [np.array([k]) for k in flat]

    def gather():
        data = _bins.CubePixels(cube.flux.value.reshape(nwave, -1), cube.error.value.reshape(nwave, -1),
                                cube.mask.reshape(nwave, -1), pix, np.linspace(2.0, 1.0, pix.size), 0.1)
        y, w = data.gather(members)
        return y.copy(), w.copy()

    monkeypatch.setattr(_bins, "_MAX_SPAN", 10**6)
    y_all, w_all = gather()
    monkeypatch.setattr(_bins, "_MAX_SPAN", max_span)
    y, w = gather()
    np.testing.assert_array_equal(y, y_all)
    np.testing.assert_array_equal(w, w_all)
    assert y.shape == (pix.size, flat.size) and (w_all > 0).mean() > 0.9


@pytest.mark.parametrize("size", [1, 2, 999, 1000])
@pytest.mark.parametrize("block", [7, 1 << 22])
def test_flux_level_median_is_numpys_float64_median(monkeypatch, size, block):
    """The plausibility check's median flux level (``comaspec info`` on a cube) is taken on
    the good points in their own float32, a block at a time: the same number as np.median of
    them in float64 (the middle two averaged in float64)."""
    from comaspec.io import _sanity

    monkeypatch.setattr(_sanity, "_BLOCK", block)
    rng = np.random.default_rng(size)
    flux = (rng.lognormal(0.0, 3.0, size) * rng.choice([-1, 1], size)).astype(np.float32)
    flux[rng.random(size) < 0.1] = np.nan
    flux[rng.random(size) < 0.05] = 0.0
    mask = rng.random(size) < 0.2
    values64 = np.abs(flux.astype(float))
    expected_values = values64[np.isfinite(values64) & ~mask & (values64 > 0)]
    good = _sanity._good(flux, mask)
    assert good.dtype == np.float32
    np.testing.assert_array_equal(np.sort(good.astype(float)), np.sort(expected_values))
    if expected_values.size:
        assert _sanity._median(good) == float(np.median(expected_values))
    cube_like = flux.reshape(1, 1, -1)                  # a cube's (channels, y, x) and its mask
    np.testing.assert_array_equal(_sanity._good(cube_like, mask.reshape(1, 1, -1)), _sanity._good(flux, mask))
