"""``comaspec info``: text and JSON descriptions, and bad files."""

import json
import subprocess
import sys

import numpy as np
import pytest
from test_io_builders import simple_spectrum, write_s3d, write_x1d, write_x1dints

from comaspec.cli import main


def info_json(capsys, *args):
    assert main(["info", "--json", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("\n") == 1  # one JSON object on one line
    return json.loads(out)


def test_subprocess_bad_file_one_line_exit_2(tmp_path):
    bad = tmp_path / "broken.fits"
    bad.write_bytes(b"SIMPLE  =                    T" + b" " * 50)  # a FITS start, then nothing
    out = subprocess.run([sys.executable, "-m", "comaspec", "info", str(bad)], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and out.stderr.endswith("\n")
    assert lines[0].startswith(f"comaspec info: error: {bad}: ")
    assert "Traceback" not in out.stderr


def test_x1d_json_fields(tmp_path, capsys):
    wave, flux, err = simple_spectrum(n=120)
    err = err.copy()
    err[:7] = 0.0
    path = write_x1d(tmp_path / "a_x1d.fits", wave=wave, flux=flux, err=err)
    d = info_json(capsys, str(path))
    assert d["kind"] == "spectrum" and d["product"] == "x1d"
    assert d["mode"] == "NIRSPEC PRISM/CLEAR" and d["target"] == "C/2025 N1 (ATLAS)"
    assert d["wavelength_min_um"] == pytest.approx(wave[0]) and d["wavelength_max_um"] == pytest.approx(wave[-1])
    assert d["n_points"] == 120 and d["n_good"] == 113
    assert d["flux_unit"] == "Jy" and d["flux_column"] == "FLUX"
    assert d["date"].startswith("2025-07-24") and d["date_from"] == "EXPMID"


def test_text_output(tmp_path, capsys):
    path = write_x1d(tmp_path / "a_x1d.fits")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "product:     x1d [EXTRACT1D,1]" in out
    assert "mode:        NIRSPEC PRISM/CLEAR" in out
    assert "points:      200 good of 200" in out
    assert "2.9 - 5.2 um" in out and "Jy (column FLUX, errors FLUX_ERROR)" in out


def test_cube_json_and_text(tmp_path, capsys):
    sci = np.ones((15, 8, 9))
    sci[0, 0, 0] = np.nan
    path = write_s3d(tmp_path / "c_s3d.fits", sci, np.full(sci.shape, 0.1), np.zeros(sci.shape, np.uint32),
                     pixel_scale_arcsec=0.13)
    d = info_json(capsys, str(path))
    assert d["kind"] == "cube" and d["product"] == "s3d"
    assert d["shape"] == [15, 8, 9] and d["pixel_scale_arcsec"] == pytest.approx(0.13, rel=1e-6)
    assert d["n_points"] == 15 * 8 * 9 and d["n_good"] == 15 * 8 * 9 - 1
    assert d["flux_unit"] == "MJy / sr"
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "shape:       15 wavelengths x 8 x 9 spaxels" in out and "pixel scale: 0.13 arcsec" in out


def test_spectrum_list_json_and_text(tmp_path, capsys):
    wave = np.linspace(3, 5, 30)
    path = write_x1dints(tmp_path / "i_x1dints.fits", np.ones((12, 30)), np.full((12, 30), 0.1), wave)
    d = info_json(capsys, str(path))
    assert d["kind"] == "spectra" and d["n_spectra"] == 12 and len(d["spectra"]) == 12
    assert d["product"] == "x1dints"
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "12 spectra" in out and "... and 2 more" in out


def test_table_unit_options(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("wave flux err\n3.0 1.0 0.1\n3.1 2.0 0.1\n")
    assert main(["info", str(path)]) == 2
    assert "no unit for wavelength column" in capsys.readouterr().err
    d = info_json(capsys, "--unit", "mJy", "--wavelength-unit", "um", str(path))
    assert d["flux_unit"] == "Jy" and d["original_flux_unit"] == "mJy"


SHARED_GOOD = [
    ("jwst-nirspec-mos-g395m-x1d-smacs0723", "jw02736-o007_s06355_nirspec_f290lp-g395m_x1d.fits", "x1d"),
    ("jwst-nirspec-g395-planetary-nebula-msaexp", "calib_g395m-f290lp_iras-05248-7007_s200a1.v1.spec.fits.gz",
     "msaexp"),
    ("c2017k2-jwst-nirspec-ch4", "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt", "table"),
    ("co2-lab-emission-4-5um-radis", "CO2_measured_spectrum_4-5um.csv", "table"),
]


def _good_points(path, product):
    """Usable points counted from the file with astropy / numpy, not comaspec's readers: x1d,
    finite flux with a finite positive error and no DQ DO_NOT_USE bit (1); tables, data rows
    (``#`` comments and the header line left out) with finite values and positive errors."""
    if product == "x1d":
        from astropy.io import fits

        d = fits.getdata(path, "EXTRACT1D")
        e = d["FLUX_ERROR"]
        return int(np.sum(np.isfinite(d["FLUX"]) & np.isfinite(e) & (e > 0) & ((d["DQ"] & 1) == 0)))
    # a plain-text header line parses as NaN and drops out with the non-finite rows
    rows = np.genfromtxt(path, comments="#", delimiter="," if path.suffix == ".csv" else None)
    ok = np.all(np.isfinite(rows), axis=1)
    if rows.shape[1] > 2:
        ok &= rows[:, 2] > 0
    return int(ok.sum())


@pytest.mark.parametrize("folder,name,product", SHARED_GOOD)
def test_shared_spectra(shared_data, capsys, folder, name, product):
    path = shared_data(folder, name)
    d = info_json(capsys, str(path))
    assert d["product"] == product
    if product != "msaexp":
        assert d["n_good"] == _good_points(path, product) > 40


@pytest.mark.parametrize("folder,name,problem", [
    ("comet-production-rates-hp22", "harrington_pinto2022_gas_production_rates.csv", "no wavelength column"),
    ("jwst-nirspec-mos-g395m-x1d-smacs0723", "jw02736-o007_s06355_nirspec_f290lp-g395m_s2d.fits",
     "FITS without 1-D spectral data"),
])
def test_shared_non_spectra(shared_data, capsys, folder, name, problem):
    path = shared_data(folder, name)
    assert main(["info", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and problem in err and str(path) in err


def test_every_shared_file_reads_or_fails_in_one_line(shared_data, capsys):
    """``comaspec info`` on every file of the shared test data: a description (exit 0) or
    one error line (exit 2), never a traceback. The spectra among them must all read."""
    root = shared_data("c2017k2-jwst-nirspec-ch4", "SOURCE.md").parents[1]
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(files) > 40
    read = set()
    for path in files:
        status = main(["info", "--json", str(path)])
        out, err = capsys.readouterr()
        assert status in (0, 2), path
        if status == 0:
            assert err == "" and json.loads(out)["file"] == str(path)
            read.add(path.name)
        else:
            assert out == "" and err.count("\n") == 1 and str(path) in err, (path, err)
    must_read = {name for _, name, _ in SHARED_GOOD} | {
        "calib_g395h-f290lp_iras-05248-7007_s200a1.v1.spec.fits.gz",
        "JWST-Extract-0.00-arcsecInnerRadius-0.10-arcsecOuterRadius-3.25um-to-3.33um.txt",
    }
    assert must_read <= read
