"""``comaspec map``: outputs, one-line errors with exit 2, nothing half-written, progress bar.

The cube is written by hand (tests/independent_coma.py), so the column maps are checked against
the injected Q through the generator's own sub-spaxel Haser integral and T_rot against 50 K."""

import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import QTable

from comaspec.cli import main

ARGS = ["--rh", "3.32", "--delta", "2.61"]


TRUTH = {"CO2": 1.7e27, "H2O": 3e26}
SHAPE, PIXEL_ARCSEC = (13, 13), 0.1


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    """A cube written by hand (independent_coma.coma_cube: Haser column over sub-spaxels, HITRAN
    sticks, ESA R tables, default outflow law and lifetimes read from linelists/), in cube_build's
    layout, with the Sun's position angle in a COMASPEC header card. Noise 6e-20 per spaxel: at
    2e-20 the summed 0.5" aperture is bright enough for the misfit check to see (correctly) the
    sub-per-cent difference between the generator's HITRAN sticks and comaspec's templates."""
    import independent_coma as ic
    from test_io_builders import write_s3d

    path = tmp_path_factory.mktemp("cli_map") / "coma_s3d.fits"
    wave, sb, err = ic.coma_cube("PRISM", TRUTH, rh_au=3.32, delta_au=2.61, pixel_arcsec=PIXEL_ARCSEC, shape=SHAPE,
                                 v_km_s=ic.default_velocity(3.32), tau_1au_s=ic.default_lifetimes(), T_rot=50.0,
                                 lo_um=2.4, hi_um=5.2, continuum=lambda wl: 1e-17 * np.ones_like(wl),
                                 error_per_spaxel=6e-20, seed=4)
    write_s3d(path, sb, err, wave=wave, wavetab=True, pixel_scale_arcsec=PIXEL_ARCSEC)
    fits.setval(path, "HIERARCH COMASPEC SUN_PA_DEG", value=120.0, ext=0)
    return path


def _expected_columns(species, bin_id):
    """Bin-mean column (cm^-2) of the injected Q: independent sub-spaxel Haser integral."""
    import independent_coma as ic

    pixel_km = PIXEL_ARCSEC * ic.ARCSEC_RAD * 2.61 * ic.AU_M / 1e3
    v = ic.default_velocity(3.32)
    n = TRUTH[species] * ic.spaxel_numbers(SHAPE, pixel_km, v, v * ic.default_lifetimes()[species] * 3.32**2)
    mean = {b: n[bin_id == b].mean() for b in np.unique(bin_id[bin_id >= 0])}
    return np.vectorize(lambda b: mean.get(b, np.nan))(bin_id) / (pixel_km * 1e5) ** 2


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
        # columns of the injected Q (4 sigma plus the generator's stated 1 % model difference)
        for s in ("CO2", "H2O"):
            expected = _expected_columns(s, hdul["BIN_ID"].data)
            col, sigma = hdul[f"{s}_COLUMN"].data, hdul[f"{s}_COLUMN_ERR"].data
            good = hdul[f"DET_{s}"].data == 1
            assert good.sum() > 20, s
            assert np.all(np.abs(col[good] - expected[good]) < 4 * sigma[good] + 0.01 * expected[good]), s
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
