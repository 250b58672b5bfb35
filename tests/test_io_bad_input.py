"""Every kind of bad input gives one InputError line naming the file; the CLI exits 2."""

import gzip

import numpy as np
import pytest
from astropy.io import fits
from test_io_builders import write_x1d

import comaspec
from comaspec import InputError
from comaspec.cli import main


def _missing(tmp_path):
    return tmp_path / "nope.fits", "no such file"


def _directory(tmp_path):
    d = tmp_path / "adir"
    d.mkdir()
    return d, "is a directory"


def _empty(tmp_path):
    p = tmp_path / "empty.fits"
    p.write_bytes(b"")
    return p, "is empty"


def _binary(tmp_path):
    p = tmp_path / "blob.fits"
    p.write_bytes(bytes(range(256)) * 10)
    return p, "not FITS and not a text table"


def _gzip_not_fits(tmp_path):
    p = tmp_path / "x.spec"
    p.write_bytes(gzip.compress(b'{"json": true}'))
    return p, "gzip-compressed but not FITS"


def _truncated(tmp_path):
    full = write_x1d(tmp_path / "full.fits")
    data = full.read_bytes()
    p = tmp_path / "trunc.fits"
    p.write_bytes(data[: len(data) - 4000])
    return p, "truncated"


def _truncated_header(tmp_path):
    full = write_x1d(tmp_path / "full2.fits")
    p = tmp_path / "trunc2.fits"
    p.write_bytes(full.read_bytes()[: 2880 + 500])
    return p, "truncated"


def _fits_no_spectrum(tmp_path):
    p = tmp_path / "image.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((20, 30)), name="SCI")]).writeto(p)
    return p, "FITS without 1-D spectral data"


def _fits_table_no_flux(tmp_path):
    p = tmp_path / "disp.fits"
    cols = [fits.Column("WAVELENGTH", "D", unit="MICRONS", array=np.linspace(1, 5, 10)),
            fits.Column("R", "D", array=np.full(10, 100.0))]
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(cols, name="TABLE")]).writeto(p)
    return p, "FITS without 1-D spectral data"


def _primary_only(tmp_path):
    p = tmp_path / "primary.fits"
    fits.PrimaryHDU().writeto(p)
    return p, "FITS without 1-D spectral data"


def _empty_extract1d(tmp_path):
    p = tmp_path / "empty_x1d.fits"
    cols = [fits.Column("WAVELENGTH", "D", unit="um", array=np.array([])),
            fits.Column("FLUX", "D", unit="Jy", array=np.array([]))]
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(cols, name="EXTRACT1D")]).writeto(p)
    return p, "empty table"


CASES = [_missing, _directory, _empty, _binary, _gzip_not_fits, _truncated, _truncated_header,
         _fits_no_spectrum, _fits_table_no_flux, _primary_only, _empty_extract1d]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.strip("_"))
def test_read_spectrum_one_line_naming_file(tmp_path, case):
    path, problem = case(tmp_path)
    with pytest.raises(InputError) as exc:
        comaspec.read_spectrum(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(str(path) + ":")
    assert problem in msg


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.strip("_"))
def test_cli_info_exit_2_one_line(tmp_path, case, capsys):
    path, problem = case(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["info", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("comaspec info: error: ")
    assert problem in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_read_cube_refuses_non_cubes(tmp_path):
    with pytest.raises(InputError, match="not a spectral cube"):
        comaspec.read_cube(write_x1d(tmp_path / "a_x1d.fits"))
    text = tmp_path / "t.csv"
    text.write_text("wave (um),flux (Jy)\n3,1\n")
    with pytest.raises(InputError, match="text file, not a FITS cube"):
        comaspec.read_cube(text)
    with pytest.raises(InputError, match="no such file"):
        comaspec.read_cube(tmp_path / "missing.fits")
