"""``comaspec map``: outputs, one-line errors with exit 2, nothing half-written, progress bar."""

import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import QTable

from comaspec import Geometry
from comaspec.cli import main
from comaspec.synthetic import synthetic_cube

GEO = Geometry(3.32 * u.au, 2.61 * u.au)
ARGS = ["--rh", "3.32", "--delta", "2.61"]


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli_map") / "coma_s3d.fits"
    synthetic_cube("PRISM", {"CO2": 1.7e27, "H2O": 3e26}, GEO, T_rot=50.0, error_per_spaxel=2e-20 * u.W / u.m**2 / u.um,
                   shape=(13, 13), continuum=lambda wl: 1e-17 * np.ones_like(wl), path=path, seed=4,
                   sun_pa=120 * u.deg)
    return path


def _run(capsys, *args):
    try:
        status = main(["map", *map(str, args)])
    except SystemExit as exc:  # argparse errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def test_map_writes_every_output(capsys, cube, tmp_path):
    out = {k: tmp_path / n for k, n in (("output", "m.fits"), ("plot", "m.png"), ("profiles", "p.ecsv"),
                                         ("qcurve", "q.pdf"))}
    status, stdout, err = _run(capsys, cube, *ARGS, "--species", "CO2,H2O", "--trot", "50", "--bin", "2",
                               *[x for k, p in out.items() for x in (f"--{k}", p)])
    assert status == 0, err
    assert "49 bins (square 2x2)" in stdout and "CO2/H2O" in stdout
    with fits.open(out["output"]) as hdul:
        assert hdul["BIN_ID"].data.max() == 48
        assert hdul[0].header["SUN_PA"] == pytest.approx(120.0)
    prof = QTable.read(out["profiles"])
    assert set(prof["species"]) == {"CO2", "H2O"}
    assert out["plot"].stat().st_size > 1000 and out["qcurve"].read_bytes()[:4] == b"%PDF"
    for p in out.values():
        assert f"wrote {p}" in err


def test_qcurve_table_and_voronoi(capsys, cube, tmp_path):
    pytest.importorskip("vorbin")
    q = tmp_path / "q.ecsv"
    m = tmp_path / "m.fits"
    status, stdout, err = _run(capsys, cube, *ARGS, "--species", "CO2,H2O", "--target-snr", "20",
                               "--fit-trot-snr", "100", "--qcurve", q, "--output", m, "--quiet")
    assert status == 0, err
    assert err == ""
    assert "voronoi" in stdout and "T_rot from the aperture fit" in stdout
    assert QTable.read(q).meta["species"] == "CO2"
    with fits.open(m) as hdul:
        fitted = hdul["TROT_FITTED"].data == 1
        assert fitted.any()
        trot = hdul["TROT"].data
        assert np.all(np.abs(trot[fitted] - 50.0) < 4 * hdul["TROT_ERR"].data[fitted])


@pytest.mark.parametrize("args, message", [
    (["--rh", "0"], "--rh"),
    (["--bin", "0"], "--bin"),
    (["--bin", "2", "--target-snr", "5"], "not allowed with"),
    (["--trot", "1e9"], "--trot"),
    (["--output", "maps.txt"], "must end in .fits"),
    (["--center", "1"], "--center"),
    (["--species", ","], "--species"),
])
def test_bad_arguments_one_line_exit_2(capsys, cube, tmp_path, args, message):
    base = {"--rh": "3.32", "--delta": "2.61"}
    flags = list(args)
    for k, v in base.items():
        if k not in flags:
            flags += [k, v]
    status, out, err = _run(capsys, cube, *flags)
    assert status == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_bad_files_and_existing_outputs(capsys, cube, tmp_path):
    status, _, err = _run(capsys, tmp_path / "missing.fits", *ARGS)
    assert status == 2 and "no such file" in err and err.count("\n") == 1
    existing = tmp_path / "m.fits"
    existing.write_text("keep")
    status, _, err = _run(capsys, cube, *ARGS, "--output", existing)
    assert status == 2 and "exists" in err
    assert existing.read_text() == "keep"
    status, _, err = _run(capsys, cube, *ARGS, "--output", tmp_path / "nodir" / "m.fits")
    assert status == 2 and "does not exist" in err
    # an x1d-like file that is not a cube
    status, _, err = _run(capsys, __import__("comaspec").example_path(), *ARGS)
    assert status == 2 and err.count("\n") == 1


def test_progress_bar_on_a_terminal_only(cube, tmp_path):
    from terminal import run_on_terminal

    argv = [sys.executable, "-m", "comaspec", "map", str(cube), *ARGS, "--species", "CO2,H2O", "--trot", "50",
            "--chunk", "10"]

    def run(extra):
        return run_on_terminal(argv + extra)

    proc, err = run([])
    assert proc.returncode == 0 and "169 bins" in proc.stdout.decode()
    assert "map" in err and "<" in err  # tqdm's "elapsed<remaining"
    proc, err = run(["--quiet"])
    assert proc.returncode == 0 and "<" not in err
    piped = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "it/s" not in piped.stderr and "<" not in piped.stderr
