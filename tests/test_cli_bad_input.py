"""Every bad input, argument and output path is refused before work, in one line, exit 2.

Each case is built in ``tmp_path``; the command must exit with status 2, print exactly one
line on stderr and nothing on stdout, raise no traceback, and leave ``tmp_path`` as it
was (no file written, not even a temporary). A few cases also run in a fresh process to
see the real stderr.
"""

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from test_io_builders import extract1d_hdu, primary_header, simple_spectrum, write_x1d, x1d_columns

from cli_run import run_cli

GEO = ["--rh", "3", "--delta", "2", "--aperture-radius", "0.5"]


def _huge_table(tmp_path):
    """A real x1d whose EXTRACT1D header claims 2e9 rows (112 GiB)."""
    path = write_x1d(tmp_path / "huge_x1d.fits")
    data = bytearray(path.read_bytes())
    i = data.find(b"NAXIS2  =", 2880)
    data[i:i + 30] = b"NAXIS2  = %20d" % 2_000_000_000
    path.write_bytes(bytes(data))
    return path


def _huge_table_gz(tmp_path):
    plain = _huge_table(tmp_path)
    path = tmp_path / "huge_x1d.fits.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    return path


def _huge_cube(tmp_path):
    """An s3d-like SCI image whose header claims 5000 x 5000 x 5000 float32 voxels."""
    path = tmp_path / "huge_s3d.fits"
    hdu = fits.ImageHDU(np.zeros((4, 3, 3), dtype=np.float32), name="SCI")
    fits.HDUList([fits.PrimaryHDU(header=primary_header()), hdu]).writeto(path)
    data = bytearray(path.read_bytes())
    for axis in (1, 2, 3):
        key = b"NAXIS%d  =" % axis
        i = data.find(key, 2880)
        data[i:i + 30] = key + b" %20d" % 5000
    path.write_bytes(bytes(data))
    return path


def _implausible_units(tmp_path):
    """Jy-sized values in a table whose column names say erg/s/cm2/A (~1e10 Jy)."""
    path = tmp_path / "erg_table.csv"
    wave, flux, err = simple_spectrum()
    rows = "\n".join(f"{w:.5f},{f:.6e},{e:.3e}" for w, f, e in zip(wave, flux, err))
    path.write_text("wavelength_um,flux_erg_s_cm2_A,error_erg_s_cm2_A\n" + rows + "\n")
    return path


def _two_modes(tmp_path):
    """One x1d holding a PRISM and a G395H extraction."""
    path = tmp_path / "two_modes_x1d.fits"
    hdus = [fits.PrimaryHDU(header=primary_header())]
    for i, (grating, filt) in enumerate((("PRISM", "CLEAR"), ("G395H", "F290LP"))):
        wave, flux, err = simple_spectrum(seed=i)
        hdus.append(extract1d_hdu(x1d_columns(wave, flux, err), extver=i + 1, GRATING=grating, FILTER=filt))
    fits.HDUList(hdus).writeto(path)
    return path


def _assert_refused(capsys, tmp_path, argv, expect=None):
    before = sorted(p.name for p in tmp_path.rglob("*"))
    status, out, err = run_cli(capsys, argv)
    assert status == 2, (argv, err)
    assert out == "", argv
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "a file was written"
    if expect is not None:
        assert expect in err, err
    return err


# --------------------------------------------------------------------------- files
FILES = [
    (_huge_table, "file too large or malformed"),
    (_huge_table_gz, "file too large or malformed"),
    (_huge_cube, "file too large or malformed"),
]


@pytest.mark.parametrize("make,expect", FILES, ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("command", ["info", "ratio"])
def test_files_claiming_more_data_than_they_hold(capsys, tmp_path, make, expect, command):
    path = make(tmp_path)
    argv = [command, path] + (GEO if command == "ratio" else [])
    _assert_refused(capsys, tmp_path, argv, expect)


def test_ratio_refuses_implausible_flux_units_unless_overridden(capsys, tmp_path):
    path = _implausible_units(tmp_path)
    err = _assert_refused(capsys, tmp_path, ["ratio", path, *GEO], "--allow-implausible-flux")
    assert "flux unit is probably wrong" in err
    # overridden, the check becomes a warning and the next problem (no instrument mode) is reached
    status, _, err = run_cli(capsys, ["ratio", path, *GEO, "--allow-implausible-flux"])
    assert status == 2 and "warning" in err and "instrument mode is unknown" in err and err.count("\n") == 2


def test_ratio_asks_for_an_extension_when_modes_differ(capsys, tmp_path):
    path = _two_modes(tmp_path)
    err = _assert_refused(capsys, tmp_path, ["ratio", path, *GEO], "--extension")
    assert "EXTRACT1D,1" in err and "EXTRACT1D,2" in err and "PRISM" in err and "G395H" in err
    _assert_refused(capsys, tmp_path, ["ratio", path, *GEO, "--extension", "EXTRACT1D,7"], "no such extraction")


# --------------------------------------------------------------------------- numbers
RATIO_ARGS = [
    (["--rh", "1e308", "--delta", "2"], "--rh"),
    (["--rh", "0", "--delta", "2"], "--rh"),
    (["--rh", "3", "--delta", "-1"], "--delta"),
    (["--rh", "3", "--delta", "2", "--phase", "200"], "--phase"),
    (["--aperture-radius", "0"], "--aperture-radius"),
    (["--aperture-box", "0x1"], "--aperture-box"),
    (["--aperture-box", "1by2"], "--aperture-box"),
    (["--velocity", "1e9"], "--velocity"),
    (["--trot", "1e9"], "--trot"),
    (["--trot", "1"], "--trot"),
    (["--detect-sigma", "-1"], "--detect-sigma"),
    (["--limit-sigma", "0"], "--limit-sigma"),
    (["--limit-sigma", "nan"], "--limit-sigma"),
    (["--seed", "-1"], "--seed"),
    (["--mc", "10000000"], "--mc"),
    (["--mc", "-1"], "--mc"),
    (["--rel-err-g", "-0.1"], "--rel-err-g"),
    (["--rel-err-velocity", "inf"], "--rel-err-velocity"),
    (["--window", "3-2"], "--window"),
    (["--window", "2.4-2.9:99"], "--window"),
    (["--species", ","], "--species"),
]


@pytest.mark.parametrize("extra,flag", RATIO_ARGS, ids=lambda x: " ".join(x) if isinstance(x, list) else x)
def test_ratio_numbers_out_of_range(capsys, tmp_path, extra, flag):
    _assert_refused(capsys, tmp_path, ["ratio", "--example", *extra], flag)


PRODUCTION = ["production", "--species", "CO2", "--flux", "1e-17", "--delta", "2"]
PRODUCTION_ARGS = [
    (["--rh", "1e-300", "--aperture-radius", "1"], "--rh"),
    (["--rh", "1e308", "--aperture-radius", "1"], "--rh"),
    (["--rh", "3", "--aperture-radius", "1", "--lifetime", "1e-300"], "--lifetime"),
    (["--rh", "3", "--aperture-radius", "1", "--velocity", "0"], "--velocity"),
    (["--rh", "3", "--aperture-radius", "1", "--g-factor", "1e300"], "--g-factor"),
    (["--rh", "3", "--aperture-radius", "1", "--threshold", "0"], "--threshold"),
    (["--rh", "3", "--aperture-radius", "1", "--offset", "1e9,0"], "--offset"),
    (["--rh", "3", "--aperture-radius", "-1"], "--aperture-radius"),
    (["--rh", "3", "--aperture-box", "1x0"], "--aperture-box"),
    (["--rh", "3", "--aperture-radius", "1", "--rel-err-g", "-1"], "--rel-err-g"),
    (["--rh", "3", "--aperture-radius", "1", "--flux-err", "nan"], "--flux-err"),
]


@pytest.mark.parametrize("extra,flag", PRODUCTION_ARGS, ids=lambda x: " ".join(x) if isinstance(x, list) else x)
def test_production_numbers_out_of_range(capsys, tmp_path, extra, flag):
    _assert_refused(capsys, tmp_path, [*PRODUCTION, *extra], flag)


def test_production_flux_out_of_range(capsys, tmp_path):
    argv = ["production", "--species", "CO2", "--flux", "1e308", "--rh", "3", "--delta", "2",
            "--aperture-radius", "1"]
    _assert_refused(capsys, tmp_path, argv, "--flux")


COMPARE_ARGS = [
    (["--ratio", "1e308", "--rh", "3"], "--ratio"),
    (["--ratio", "0", "--rh", "3"], "--ratio"),
    (["--ratio", "nan", "--rh", "3"], "--ratio"),
    (["--ratio", "10", "--ratio-err", "-1", "--rh", "3"], "--ratio-err"),
    (["--ratio", "10", "--rh", "0"], "--rh"),
]


@pytest.mark.parametrize("extra,flag", COMPARE_ARGS, ids=lambda x: " ".join(x) if isinstance(x, list) else x)
def test_compare_numbers_out_of_range(capsys, tmp_path, extra, flag):
    _assert_refused(capsys, tmp_path, ["compare", *extra], flag)


CATALOG_ARGS = [
    (["--rh-min", "-1"], "--rh-min"),
    (["--rh-max", "nan"], "--rh-max"),
    (["--rh-min", "5", "--rh-max", "1"], "--rh-min"),
]


@pytest.mark.parametrize("extra,flag", CATALOG_ARGS, ids=lambda x: " ".join(x) if isinstance(x, list) else x)
def test_catalog_numbers_out_of_range(capsys, tmp_path, extra, flag):
    _assert_refused(capsys, tmp_path, ["catalog", *extra], flag)


# --------------------------------------------------------------------------- output paths
def _outputs(tmp_path):
    (tmp_path / "adir.json").mkdir()
    (tmp_path / "adir.png").mkdir()
    (tmp_path / "adir.csv").mkdir()
    return {
        "unwritable": ("/proc/comaspec_x", "cannot create a file"),
        "directory": (tmp_path / "adir", "is a directory"),
        "no parent": (tmp_path / "missing" / "x", "does not exist"),
    }


@pytest.mark.parametrize("kind", ["unwritable", "directory", "no parent"])
@pytest.mark.parametrize("command,flag,suffix", [
    ("ratio", "--output", ".json"), ("ratio", "--plot", ".png"), ("ratio", "--compare", ".png"),
    ("compare", "-o", ".png"), ("catalog", "-o", ".csv"),
])
def test_output_paths_refused_before_work(capsys, tmp_path, kind, command, flag, suffix):
    if kind == "unwritable" and not Path("/proc/self").is_dir():
        pytest.skip("needs /proc (a directory nobody, not even root, can create files in)")
    base, expect = _outputs(tmp_path)[kind]
    target = f"{base}{suffix}"
    argv = {"ratio": ["ratio", "--example"], "compare": ["compare", "--ratio", "10", "--rh", "3"],
            "catalog": ["catalog", "--format", "csv"]}[command] + [flag, target]
    _assert_refused(capsys, tmp_path, argv, expect)


def test_ratio_refuses_two_outputs_to_one_file(capsys, tmp_path):
    target = tmp_path / "same.png"
    _assert_refused(capsys, tmp_path, ["ratio", "--example", "--plot", target, "--compare", target], "same file")


# --------------------------------------------------------------------------- a fresh process
@pytest.mark.parametrize("argv", [
    ["ratio", "--example", "--output", "/proc/comaspec_x.json"],
    ["production", "--species", "CO2", "--flux", "1e-17", "--rh", "1e-300", "--delta", "2", "--aperture-radius", "1"],
    ["compare", "--ratio", "1e308", "--rh", "3"],
    ["catalog", "-o", "/proc/comaspec_x.csv"],
], ids=lambda a: a[0])
def test_real_stderr_is_one_line_without_traceback(argv):
    out = subprocess.run([sys.executable, "-m", "comaspec", *argv], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_info_on_a_huge_header_in_a_fresh_process(tmp_path):
    path = _huge_table(tmp_path)
    out = subprocess.run([sys.executable, "-m", "comaspec", "info", str(path)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "file too large or malformed" in out.stderr


def test_extension_chooses_one_extraction_and_joint_fits_all(capsys, tmp_path):
    import json

    path = _two_modes(tmp_path)
    for choice, mode in (("EXTRACT1D,2", "G395H"), ("0", "PRISM")):
        status, out, err = run_cli(capsys, ["ratio", path, *GEO, "--extension", choice, "--json", "--quiet"])
        assert status == 0, err
        assert mode in json.loads(out)["input"]["mode"]
    status, out, err = run_cli(capsys, ["ratio", path, *GEO, "--joint", "--json", "--quiet"])
    assert status == 0, err
    assert "PRISM" in json.loads(out)["input"]["mode"] and "G395H" in json.loads(out)["input"]["mode"]
