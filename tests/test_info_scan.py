"""``comaspec info`` on a cube scans it a block of channels at a time (`comaspec.io.cube_scan`).

Checked here against what the scan did not make:

- the radix selection of `comaspec.io._order_stats` returns the values of a sort, exactly;
- the counts (good voxels, channels with data) equal those of the whole arrays read by
  astropy, and those of `read_cube`, exactly (integers), for blocks of 1, 5, 7 and 64
  channels on a cube with NaNs, DO_NOT_USE flags, a channel wholly NaN, one wholly flagged,
  and flagged voxels on each side of a block boundary;
- the median flux level, when it is judged implausible, equals ``np.median`` of the good
  |flux| values in float64, exactly;
- ``info``'s output (stdout, warnings, errors) equals what the old way gives: `summarize`
  and the plausibility check of the cube read whole by ``read_any`` (as ``info`` did), on
  synthetic cubes of several kinds and on the real files of the shared data.
"""

import gzip
import json
import shutil

import numpy as np
import pytest
from astropy.io import fits
from test_io_builders import write_s3d

from comaspec.cli import main
from comaspec.cli.info import format_text, summarize
from comaspec.errors import InputError
from comaspec.io import _sanity, cube_scan, read_any, read_summary
from comaspec.io import cube as cube_module
from comaspec.io._order_stats import median_of_ranks, median_ranks, select_ranks

SHAPE = (150, 7, 9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 3, 1000, 1001])
def test_selected_ranks_are_those_of_a_sort(dtype, n):
    rng = np.random.default_rng(n)
    values = rng.lognormal(0.0, 8.0, n).astype(dtype)
    values[: n // 3] = values[-1]                       # ties
    ordered = np.sort(values)
    for parts in (1, 7):
        def blocks(parts=parts):
            return np.array_split(values, parts)

        ranks = sorted({0, n // 2, n - 1})
        assert select_ranks(blocks, ranks, dtype) == [ordered[r] for r in ranks]
        median = median_of_ranks(select_ranks(blocks, median_ranks(n), dtype))
        assert median == float(np.median(values.astype(float)))


def _cube_arrays(level=1.0, seed=3):
    rng = np.random.default_rng(seed)
    sci = (rng.lognormal(0, 2, SHAPE) * level).astype(np.float32)
    sci[rng.random(SHAPE) < 0.05] = np.nan
    sci[rng.random(SHAPE) < 0.02] *= -1
    sci[rng.random(SHAPE) < 0.02] = 0.0
    dq = np.zeros(SHAPE, np.uint32)
    dq[rng.random(SHAPE) < 0.05] |= 1                 # DO_NOT_USE
    dq[rng.random(SHAPE) < 0.05] |= 4                 # another flag: the voxel stays good
    dq[70] = 1                                        # a channel wholly flagged
    sci[100] = np.nan                                 # a channel wholly NaN
    dq[63:65, 3, 4] = 2**31 + 1                       # both sides of the 64-channel boundary
    dq[4:6, 2, 2] = 1                                 # both sides of a 5-channel boundary
    return sci, np.full(SHAPE, 0.1, np.float32), dq


@pytest.fixture(scope="module")
def flagged_cube(tmp_path_factory):
    sci, err, dq = _cube_arrays()
    return write_s3d(tmp_path_factory.mktemp("scan") / "flagged_s3d.fits", sci, err, dq)


@pytest.mark.parametrize("block", [1, 5, 7, 64])
def test_blocked_counts_are_the_whole_array_counts(flagged_cube, monkeypatch, block):
    monkeypatch.setattr(cube_module, "_BLOCK_CHANNELS", block)
    stats = read_summary(flagged_cube)
    with fits.open(flagged_cube) as hdul:               # astropy, not comaspec's reader
        sci, dq = hdul["SCI"].data, hdul["DQ"].data
        good = np.isfinite(sci) & ((dq & 1) == 0)
    assert stats.n_good == int(good.sum())
    assert stats.n_wavelengths_with_data == int(np.any(good, axis=(1, 2)).sum()) == SHAPE[0] - 2
    assert stats.n_points == good.size and stats.shape == SHAPE and stats.has_error
    whole = read_any(flagged_cube)
    assert stats.n_good == int((~whole.mask).sum())
    assert stats.flux_problem is None
    # what the headers give is what read_cube gives
    assert stats.meta.keys() == whole.meta.keys()
    for key, value in whole.meta.items():
        assert stats.meta[key] == value, key
    np.testing.assert_array_equal(stats.wavelength, whole.wavelength)
    assert stats.pixel_scale == whole.pixel_scale and stats.bunit == whole.bunit


@pytest.mark.parametrize("block", [5, 64])
@pytest.mark.parametrize("level,drop", [(1e12, False), (1e-9, False), (1e-9, True), (3e-8, True)])
def test_implausible_median_is_numpys_median_exactly(tmp_path, monkeypatch, block, level, drop):
    """Outside the envelope the median is selected exactly: the level the warning quotes is
    np.median of the good |flux| values in float64 (odd and even counts)."""
    sci, err, dq = _cube_arrays(level)
    if drop:                                           # one good value fewer: the other parity
        sci[np.unravel_index(np.flatnonzero(np.isfinite(sci) & (dq == 0))[0], SHAPE)] = np.nan
    path = write_s3d(tmp_path / "c_s3d.fits", sci, err, dq)
    monkeypatch.setattr(cube_module, "_BLOCK_CHANNELS", block)
    levels = []

    def recorded(level_found, *args):
        levels.append(level_found)
        return _sanity.level_problem(level_found, *args)

    monkeypatch.setattr(cube_scan, "level_problem", recorded)
    stats = read_summary(path)
    values = np.abs(sci.astype(float))
    values = values[np.isfinite(values) & (values > 0) & ((dq & 1) == 0)]
    assert levels == [float(np.median(values))]
    assert stats.flux_problem is not None and f"{levels[0]:.3g} MJy/sr" in stats.flux_problem


def test_a_plausible_level_takes_one_pass(flagged_cube, monkeypatch):
    def no_selection(*args):
        raise AssertionError("the median was selected although the counts place it in range")

    monkeypatch.setattr(cube_scan, "select_ranks", no_selection)
    assert read_summary(flagged_cube).flux_problem is None


def _variants(tmp_path):
    """Cubes of several kinds: name -> path."""
    sci, err, dq = _cube_arrays()
    paths = {
        "flagged": write_s3d(tmp_path / "flagged.fits", sci, err, dq),
        "wave_tab": write_s3d(tmp_path / "tab.fits", sci, err, dq, wave=np.geomspace(4.9, 27.0, SHAPE[0]),
                              wavetab=True),
        "no_err_no_dq": write_s3d(tmp_path / "bare.fits", sci),
        "jy": write_s3d(tmp_path / "jy.fits", sci * 1e-3, err, dq, bunit="Jy"),
        "too_bright": write_s3d(tmp_path / "bright.fits", sci * 1e12, err * 1e12, dq),
        "erg": write_s3d(tmp_path / "erg.fits", sci * 1e-3, err * 1e-3, dq, bunit="erg / (s cm2 Hz sr)"),
        "per_wavelength": write_s3d(tmp_path / "flam.fits", sci, err, dq, bunit="W / (m2 um sr)"),
        "all_nan": write_s3d(tmp_path / "nan.fits", np.full(SHAPE, np.nan, np.float32), err, dq),
        "err_shape": write_s3d(tmp_path / "eshape.fits", sci, err[:, :, :5], dq),
        "err_zero": write_s3d(tmp_path / "ezero.fits", sci, np.zeros_like(err), dq),
    }
    # zero where SCI has data, positive only on the voxels that are bad: still refused
    err_bad_only = np.where(np.isfinite(sci), 0.0, 1.0).astype(np.float32)
    paths["err_bad_only"] = write_s3d(tmp_path / "ebad.fits", sci, err_bad_only, dq)
    # half the values at 1e-12, half at 1e-7: the mean of the middle two, 5e-8, is below 1e-7
    halves = np.full(SHAPE, 1e-7, np.float32)
    halves.flat[: halves.size // 2] = 1e-12
    paths["straddling"] = write_s3d(tmp_path / "halves.fits", halves, err)
    paths["err_unit"] = write_s3d(tmp_path / "eunit.fits", sci, err, dq)
    with fits.open(paths["err_unit"], mode="update") as hdul:
        hdul["ERR"].header["BUNIT"] = "m"
    paths["scaled_int16"] = write_s3d(tmp_path / "scaled.fits", np.nan_to_num(sci), err, dq)
    with fits.open(paths["scaled_int16"]) as hdul:
        hdul["SCI"].scale("int16", bscale=0.01, bzero=100.0)
        hdul.writeto(paths["scaled_int16"], overwrite=True)
    paths["gzip"] = tmp_path / "flagged.fits.gz"
    with open(paths["flagged"], "rb") as raw, gzip.open(paths["gzip"], "wb") as packed:
        shutil.copyfileobj(raw, packed)
    with fits.open(paths["flagged"]) as hdul:
        err_start = hdul["ERR"].fileinfo()["datLoc"]
    paths["truncated"] = tmp_path / "short.fits"
    paths["truncated"].write_bytes(paths["flagged"].read_bytes()[: err_start + 4000])
    return paths


def _old_way(capsys, path, as_json):
    """stdout and stderr of ``info`` computed as it was: the cube read whole by read_any."""
    try:
        obj = read_any(path, keep_dq=False)
    except InputError as exc:
        return "", f"comaspec info: error: {exc}\n"
    summary = summarize(obj, str(path))
    out = (json.dumps(summary) if as_json else format_text(summary)) + "\n"
    return out, "".join(f"comaspec info: warning: {text}\n" for text in _sanity.problems(obj))


@pytest.mark.parametrize("as_json", [False, True])
def test_info_on_cubes_is_the_old_way(tmp_path, capsys, monkeypatch, as_json):
    monkeypatch.setattr(cube_module, "_BLOCK_CHANNELS", 7)
    for name, path in _variants(tmp_path).items():
        expected = _old_way(capsys, path, as_json)
        status = main(["info", *(["--json"] if as_json else []), str(path)])
        assert capsys.readouterr() == expected, name
        assert status == (2 if expected[1].startswith("comaspec info: error") else 0), name
        if name in ("too_bright", "erg", "straddling"):
            assert "flux unit is probably wrong" in expected[1], name
        if name in ("all_nan", "err_shape", "err_unit", "truncated", "err_zero", "err_bad_only", "per_wavelength"):
            assert status == 2, name


def test_info_on_the_shared_files_is_the_old_way(shared_data, capsys):
    """Every file of the shared data (spectra, tables, non-spectra) and the bundled example:
    the same stdout, warnings and errors as summarising what read_any returns."""
    from comaspec._paths import example_path

    root = shared_data("c2017k2-jwst-nirspec-ch4", "SOURCE.md").parents[1]
    files = sorted(p for p in root.rglob("*") if p.is_file()) + [example_path()]
    assert len(files) > 40
    for path in files:
        for as_json in (False, True):
            expected = _old_way(capsys, path, as_json)
            main(["info", *(["--json"] if as_json else []), str(path)])
            assert capsys.readouterr() == expected, path
