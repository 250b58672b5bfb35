"""Bad-input audit of every subcommand that reads files, on corrupted copies of real files.

Each variant is built in ``tmp_path`` at run time: from the real NIRSpec x1d and s2d of
SMACS 0723, the real msaexp spectrum and the real C/2017 K2 text extraction in
``../shared/data`` (nothing copied into the repository), or from a small synthetic s3d cube
for ``map``. The command must exit with status 2 (``batch``: 1 for refused rows, as
documented), print exactly one line on stderr naming the file or argument and the problem,
print nothing on stdout, raise no traceback, and leave ``tmp_path`` as it was: the output
files asked for (``--output``) must not appear, not even half-written.

What each subcommand reads (``comaspec --help`` and each ``--help``):

- ``info FILE``, ``ratio SPECTRUM...``: x1d, x1dints, c1d, msaexp and other FITS tables,
  s3d cubes, NASA PSG text, ECSV / CSV / whitespace tables (``ratio`` also a result JSON for
  ``--q-h2o``); ``map CUBE``: s3d cubes; ``batch``: an ``.ecsv``/``.csv`` manifest or a
  directory of FITS files;
- ``production``, ``catalog`` and ``compare`` read no input file: their arguments and output
  paths are checked in ``test_cli_bad_input.py``, the PSG reader's malformed files in
  ``test_io_psg.py``.
"""

import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits

from cli_run import run_cli

SMACS = "jwst-nirspec-mos-g395m-x1d-smacs0723"
X1D = (SMACS, "jw02736-o007_s06355_nirspec_f290lp-g395m_x1d.fits")
S2D = (SMACS, "jw02736-o007_s06355_nirspec_f290lp-g395m_s2d.fits")
MSAEXP = ("jwst-nirspec-g395-planetary-nebula-msaexp", "calib_g395m-f290lp_iras-05248-7007_s200a1.v1.spec.fits.gz")
K2 = ("c2017k2-jwst-nirspec-ch4", "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt")
GEO = ["--rh", "2.3", "--delta", "2.0", "--aperture-radius", "0.5"]
CUBE_GEO = ["--rh", "3.32", "--delta", "2.61"]


# --------------------------------------------------------------------------- running


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _assert_refused(capsys, tmp_path, argv, expect, status=2):
    before = _listing(tmp_path)
    got, out, err = run_cli(capsys, argv)
    assert got == status, (argv, err)
    assert out == "", out
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    assert _listing(tmp_path) == before, "a file was written"
    assert expect in err, err
    return err


# --------------------------------------------------------------------------- x1d variants
def _x1d_copy(shared, tmp_path, name, change=None, header=None):
    """The real SMACS x1d with its EXTRACT1D data changed by ``change(hdul)`` and its header
    cards set by ``header`` ({keyword: value or None to delete}) after writing (astropy
    rewrites TUNITn from its column objects when the table itself is written)."""
    path = tmp_path / f"{name}_x1d.fits"
    with fits.open(shared(*X1D)) as hdul:
        copy = fits.HDUList([hdu.copy() for hdu in hdul])
    if change is not None:
        change(copy)
    copy.writeto(path)
    for key, value in (header or {}).items():
        if value is None:
            fits.delval(path, key, ext=1)
        else:
            fits.setval(path, key, value=value, ext=1)
    return path


def _tunit(shared, column):
    with fits.open(shared(*X1D)) as hdul:
        return f"TUNIT{hdul[1].columns.names.index(column) + 1}"


def _set(column, make):
    def change(hdul):
        data = hdul[1].data
        data[column] = make(np.array(data[column]))
    return change


def _rows(select):
    def change(hdul):
        hdul[1].data = select(hdul[1].data).copy()
    return change


def _text_column(column):
    def change(hdul):
        n = len(hdul[1].data)
        cols = [c if c.name != column else fits.Column(column, "8A", unit=c.unit, array=np.array(["n/a"] * n))
                for c in hdul[1].columns]
        hdul[1] = fits.BinTableHDU.from_columns(cols, header=hdul[1].header, name="EXTRACT1D")
    return change


def _duplicate_wavelengths(hdul):
    wave = hdul[1].data["WAVELENGTH"]
    wave[1::2] = wave[0::2][: wave[1::2].size]


def _float_dq(hdul):
    n = len(hdul[1].data)
    cols = [c if c.name != "DQ" else fits.Column("DQ", "E", array=np.full(n, np.nan, np.float32))
            for c in hdul[1].columns]
    hdul[1] = fits.BinTableHDU.from_columns(cols, header=hdul[1].header, name="EXTRACT1D")


def _all_nan(hdul):
    for column in ("FLUX", "SURF_BRIGHT"):
        hdul[1].data[column] = np.nan


def _x1d_cases(shared, tmp_path):
    tunit_flux, tunit_err, tunit_wave = (_tunit(shared, c) for c in ("FLUX", "FLUX_ERROR", "WAVELENGTH"))
    real = shared(*X1D)
    return {
        "truncated": (lambda: _write(tmp_path / "cut_x1d.fits", real.read_bytes()[:100_000]), "truncated"),
        "no EXTRACT1D": (lambda: _x1d_copy(shared, tmp_path, "noext", lambda h: h.pop(1) and None),
                         "FITS without 1-D spectral data"),
        "flux unit unknown": (lambda: _x1d_copy(shared, tmp_path, "furlong",
                                                header={tunit_flux: "furlong", tunit_err: "furlong"}),
                              "unknown unit 'furlong' for column FLUX"),
        "flux unit a length": (lambda: _x1d_copy(shared, tmp_path, "um", header={tunit_flux: "um", tunit_err: "um"}),
                               "FLUX unit um is neither a flux density"),
        "wavelength unit Jy": (lambda: _x1d_copy(shared, tmp_path, "wjy", header={tunit_wave: "Jy"}),
                               "wavelength unit Jy is not a wavelength"),
        "all NaN": (lambda: _x1d_copy(shared, tmp_path, "nan", _all_nan), "all flux values are non-finite or zero"),
        "all DQ flagged": (lambda: _x1d_copy(shared, tmp_path, "dq", _set("DQ", lambda a: np.ones_like(a))),
                           "every point is flagged bad"),
        "zero errors": (lambda: _x1d_copy(shared, tmp_path, "zero", _set("FLUX_ERROR", lambda a: 0 * a)),
                        "errors are zero, negative or non-finite everywhere"),
        "negative errors": (lambda: _x1d_copy(shared, tmp_path, "neg", _set("FLUX_ERROR", lambda a: -np.abs(a))),
                            "errors are zero, negative or non-finite everywhere"),
        "duplicated wavelengths": (lambda: _x1d_copy(shared, tmp_path, "dup", _duplicate_wavelengths),
                                   "duplicated wavelengths"),
        "negative wavelengths": (lambda: _x1d_copy(shared, tmp_path, "wneg", _set("WAVELENGTH", lambda a: -a)),
                                 "non-positive wavelengths"),
        "empty table": (lambda: _x1d_copy(shared, tmp_path, "empty", _rows(lambda d: d[:0])), "is an empty table"),
        "text flux column": (lambda: _x1d_copy(shared, tmp_path, "tflux", _text_column("FLUX")),
                             "column FLUX is not numeric"),
        "text wavelength column": (lambda: _x1d_copy(shared, tmp_path, "twave", _text_column("WAVELENGTH")),
                                   "column WAVELENGTH is not numeric"),
        "DQ of floats": (lambda: _x1d_copy(shared, tmp_path, "dqf", _float_dq), "column DQ holds floating-point"),
        "extraction given twice": (lambda: _x1d_copy(shared, tmp_path, "twice", lambda h: h.insert(2, h[1].copy())),
                                   "holds the same data as [EXTRACT1D,1]: one extraction given twice"),
        "s2d (2-D images)": (lambda: shared(*S2D), "holds 2-D images (SCI 41x1215"),
        "msaexp truncated inside gzip": (lambda: _write(tmp_path / "cut.spec.fits.gz", gzip.compress(
            gzip.decompress(shared(*MSAEXP).read_bytes())[:500_000])), "truncated"),
        "gzip stream cut": (lambda: _write(tmp_path / "cut2.spec.fits.gz", shared(*MSAEXP).read_bytes()[:200_000]),
                            "gzip-compressed but cannot be decompressed"),
    }


def _write(path, data):
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- text variants
def _k2_cases(shared, tmp_path):
    lines = shared(*K2).read_text().splitlines()
    head = [line for line in lines if line.startswith("#")]
    rows = [line.split() for line in lines if line.strip() and not line.startswith("#")]

    def text(name, body):
        path = tmp_path / f"{name}.txt"
        path.write_text("\n".join(body) + "\n")
        return path

    return {
        "header only": (lambda: text("head", head), "has no data rows"),
        "text in a number column": (lambda: text("word", head + [" ".join([rows[0][0], "abc", rows[0][2]])]
                                                 + [" ".join(r) for r in rows[1:]]), "mixes numbers and text"),
        "all NaN": (lambda: text("nan", head + [f"{r[0]} nan {r[2]}" for r in rows]), "all flux values are non-finite"),
        "zero errors": (lambda: text("zero", head + [f"{r[0]} {r[1]} 0" for r in rows]),
                        "errors are zero, negative or non-finite everywhere"),
        "duplicated wavelengths": (lambda: text("dup", head + [" ".join(rows[0])] * len(rows)),
                                   "duplicated wavelengths"),
        "ragged row": (lambda: text("ragged", head + [" ".join(r) for r in rows[:5]] + [rows[5][0]]
                                    + [" ".join(r) for r in rows[6:]]), "has 1 fields, the header names 3"),
        "no header line": (lambda: text("bare", [" ".join(r) for r in rows]), "no header line naming the columns"),
    }


def _csv(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _csv_cases(tmp_path):
    return {
        "latin-1 text": (lambda: _csv(tmp_path, "latin.csv", "wavelength_\u00b5m,flux_Jy,error_Jy\n3.0,1,0.1\n"
                                      .encode("latin-1")), "is text but not UTF-8 (byte 0xb5"),
        "UTF-16 text": (lambda: _csv(tmp_path, "wide.csv", "wavelength_um,flux_Jy,error_Jy\n3.0,1,0.1\n"
                                     .encode("utf-16")), "is UTF-16 text: save it as UTF-8"),
        "text column": (lambda: _csv(tmp_path, "word.csv", "wavelength_um,flux_Jy,error_Jy\n3.0,abc,0.1\n3.1,1,0.1\n"),
                        "column 'flux_Jy' is not numeric"),
        "no rows": (lambda: _csv(tmp_path, "none.csv", "wavelength_um,flux_Jy,error_Jy\n"), "has no data rows"),
        "a directory": (lambda: _mkdir(tmp_path / "spectra"), "is a directory, not a spectrum file"),
        "missing": (lambda: tmp_path / "absent_x1d.fits", "no such file"),
    }


def _mkdir(path):
    path.mkdir()
    return path


def _x1dints_negative_nelements(tmp_path):
    from test_io_builders import simple_spectrum, write_x1dints

    wave, flux, err = simple_spectrum()
    return write_x1dints(tmp_path / "ints_x1dints.fits", np.tile(flux, (3, 1)), np.tile(err, (3, 1)), wave,
                         nelements=np.full(3, -5))


def _spectrum_cases(shared, tmp_path):
    cases = {f"x1d {k}": v for k, v in _x1d_cases(shared, tmp_path).items()}
    cases.update({f"K2 text {k}": v for k, v in _k2_cases(shared, tmp_path).items()})
    cases.update({f"csv {k}": v for k, v in _csv_cases(tmp_path).items()})
    cases["x1dints negative NELEMENTS"] = (lambda: _x1dints_negative_nelements(tmp_path), "NELEMENTS = -5 is outside")
    return cases


SPECTRUM_CASES = [
    *(f"x1d {k}" for k in ("truncated", "no EXTRACT1D", "flux unit unknown", "flux unit a length", "wavelength unit Jy",
                           "all NaN", "all DQ flagged", "zero errors", "negative errors", "duplicated wavelengths",
                           "negative wavelengths", "empty table", "text flux column", "text wavelength column",
                           "DQ of floats", "extraction given twice",
                           "s2d (2-D images)", "msaexp truncated inside gzip", "gzip stream cut")),
    *(f"K2 text {k}" for k in ("header only", "text in a number column", "all NaN", "zero errors",
                               "duplicated wavelengths", "ragged row", "no header line")),
    *(f"csv {k}" for k in ("latin-1 text", "UTF-16 text", "text column", "no rows", "a directory", "missing")),
    "x1dints negative NELEMENTS",
]


@pytest.mark.parametrize("case", SPECTRUM_CASES)
@pytest.mark.parametrize("command", ["info", "ratio"])
def test_spectrum_files(capsys, tmp_path, shared_data, command, case):
    make, expect = _spectrum_cases(shared_data, tmp_path)[case]
    path = make()
    outputs = ["--output", tmp_path / "r.json", "--plot", tmp_path / "fit.png", "--psg-config", tmp_path / "psg.txt",
               "--compare", tmp_path / "catalog.pdf"]
    argv = [command, path] if command == "info" else [command, path, *GEO, *outputs]
    err = _assert_refused(capsys, tmp_path, argv, expect)
    assert err.startswith(f"comaspec {command}: error: {path}"), err  # the file is named first


def test_the_audit_table_covers_every_case(shared_data, tmp_path):
    assert sorted(SPECTRUM_CASES) == sorted(_spectrum_cases(shared_data, tmp_path))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
@pytest.mark.parametrize("command", ["info", "ratio"])
def test_unreadable_file(capsys, tmp_path, shared_data, command):
    path = _write(tmp_path / "locked_x1d.fits", shared_data(*X1D).read_bytes())
    path.chmod(0)
    try:
        argv = [command, path] if command == "info" else [command, path, *GEO]
        _assert_refused(capsys, tmp_path, argv, "permission denied")
    finally:
        path.chmod(0o600)


def test_a_spectrum_that_misses_every_band(capsys, tmp_path, shared_data):
    between = _rows(lambda d: d[(d["WAVELENGTH"] > 3.6) & (d["WAVELENGTH"] < 4.0)])  # no band, no window
    path = _x1d_copy(shared_data, tmp_path, "mid", between)
    _assert_refused(capsys, tmp_path, ["ratio", path, *GEO, "--output", tmp_path / "r.json"],
                    "too few valid pixels in the fit windows")


def test_a_csv_with_a_byte_order_mark_is_read(capsys, tmp_path):
    """Spreadsheets write UTF-8 CSV with a byte-order mark; it was taken into the first
    column's name ('no wavelength column')."""
    wave = 3.0 + 0.01 * np.arange(50)
    rows = "".join(f"{w:.2f},{1 + i},0.1\n" for i, w in enumerate(wave))
    path = _csv(tmp_path, "bom.csv", "\ufeffwavelength_um,flux_Jy,error_Jy\n" + rows)
    status, out, err = run_cli(capsys, ["info", path, "--json"])
    assert status == 0, err
    info = json.loads(out)
    assert (info["n_good"], info["wavelength_min_um"], info["flux_column"]) == (50, 3.0, "flux_Jy")
    from comaspec import read_spectrum

    spectrum = read_spectrum(path)
    assert np.allclose(spectrum.spectral_axis.value, wave) and np.allclose(spectrum.flux.value, 1 + np.arange(50))


def test_a_fits_table_without_units_says_how_to_give_them(capsys, tmp_path):
    """The advice was the Python API's alone ("pass unit=")."""
    path = tmp_path / "plain.fits"
    cols = [fits.Column(name, "D", array=values) for name, values in
            (("wave", np.linspace(3, 5, 50)), ("flux", np.ones(50)), ("err", np.full(50, 0.1)))]
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(cols, name="SPEC")]).writeto(path)
    _assert_refused(capsys, tmp_path, ["info", path], "column 'wave' has no unit (TUNIT); give it (Python: "
                    "unit={'wavelength': 'um'}; comaspec info or ratio: --wavelength-unit um)")
    _assert_refused(capsys, tmp_path, ["info", path, "--wavelength-unit", "um"],
                    "column 'flux' has no unit (TUNIT); give it (Python: unit='Jy'; comaspec info or ratio: --unit Jy)")
    status, out, err = run_cli(capsys, ["info", path, "--wavelength-unit", "um", "--unit", "Jy", "--json"])
    assert status == 0 and json.loads(out)["n_good"] == 50, err


def test_info_says_when_a_unit_is_not_in_the_file(capsys, tmp_path, shared_data):
    """A JWST x1d without TUNIT gets the pipeline's unit: accepted, but never silently."""
    names = (_tunit(shared_data, "FLUX"), _tunit(shared_data, "FLUX_ERROR"))
    path = _x1d_copy(shared_data, tmp_path, "bare", header=dict.fromkeys(names))
    status, out, err = run_cli(capsys, ["info", path])
    assert status == 0 and err == "", err
    assert "flux:        Jy (column FLUX, errors FLUX_ERROR), unit not in the file: the JWST pipeline default" in out
    status, out, _ = run_cli(capsys, ["info", path, "--json"])
    assert json.loads(out)["flux_unit_from"] == "JWST pipeline default"
    assert "wavelength_unit_from" not in json.loads(out)
    status, out, _ = run_cli(capsys, ["info", shared_data(*X1D), "--json"])
    assert "flux_unit_from" not in json.loads(out)
    path = _x1d_copy(shared_data, tmp_path, "nowave", header={_tunit(shared_data, "WAVELENGTH"): None})
    status, out, _ = run_cli(capsys, ["info", path])
    assert "wavelength:  2.8486 - 5.2865 um, unit not in the file: the JWST pipeline default" in out


# --------------------------------------------------------------------------- ratio arguments
def test_mode_unknown_or_contradicting_the_file(capsys, tmp_path, shared_data):
    path = shared_data(*K2)  # names NIRSPEC G395M/F290LP in its comments
    out = ["--output", tmp_path / "r.json"]
    _assert_refused(capsys, tmp_path, ["ratio", path, *GEO, "--mode", "FOO", *out], "--mode FOO: not a known")
    err = _assert_refused(capsys, tmp_path, ["ratio", path, *GEO, "--mode", "PRISM", *out], "names its mode, G395M")
    assert str(path) in err and "--mode PRISM" in err


def test_q_h2o_file_problems(capsys, tmp_path):
    _mkdir(tmp_path / "water.json")
    _csv(tmp_path, "half.json", '{"species": {"H2O": ')
    argv = ["ratio", "--example", "--output", tmp_path / "r.json", "--q-h2o"]
    _assert_refused(capsys, tmp_path, [*argv, tmp_path / "water.json"], "is a directory, not a JSON result")
    _assert_refused(capsys, tmp_path, [*argv, tmp_path / "half.json"], "half.json: is not a JSON file")


# --------------------------------------------------------------------------- cubes
@pytest.fixture(scope="module")
def good_cube(tmp_path_factory):
    """A small synthetic PRISM cube of a coma (its map and ratio run, see the test below)."""
    import astropy.units as u

    from comaspec import Geometry
    from comaspec.synthetic import synthetic_cube

    path = tmp_path_factory.mktemp("audit_cube") / "coma_s3d.fits"
    synthetic_cube("PRISM", {"CO2": 1.7e27, "H2O": 3e26}, Geometry(3.32 * u.au, 2.61 * u.au), T_rot=50.0,
                   error_per_spaxel=2e-20 * u.W / u.m**2 / u.um, shape=(11, 11), path=path, seed=1,
                   continuum=lambda wl: 1e-17 * np.ones_like(wl))
    return path


def _cube_copy(good, tmp_path, name, change=None, header=None):
    path = tmp_path / f"{name}_s3d.fits"
    with fits.open(good) as hdul:
        copy = fits.HDUList([hdu.copy() for hdu in hdul])
    if change is not None:
        change(copy)
    copy.writeto(path)
    for (extname, key), value in (header or {}).items():
        if value is None:
            fits.delval(path, key, extname=extname)
        else:
            fits.setval(path, key, value=value, extname=extname)
    return path


def _image(name, make):
    def change(hdul):
        hdul[name].data = make(hdul[name].data)
    return change


def _dq_all_flagged(hdul):
    hdul["DQ"].data = np.ones_like(hdul["DQ"].data)


CUBE_CASES = {
    "truncated": (lambda g, t: _write(t / "cut_s3d.fits", g.read_bytes()[: g.stat().st_size // 2]), "truncated"),
    "no SCI": (lambda g, t: _cube_copy(g, t, "nosci", lambda h: h.pop("SCI") and None), "no 3-D SCI image"),
    "no ERR": (lambda g, t: _cube_copy(g, t, "noerr", lambda h: h.pop("ERR") and None), "uncertainties"),
    "no BUNIT": (lambda g, t: _cube_copy(g, t, "nobunit", header={("SCI", "BUNIT"): None}), "[SCI] has no BUNIT"),
    "BUNIT unknown": (lambda g, t: _cube_copy(g, t, "furlong", header={("SCI", "BUNIT"): "furlong"}),
                      "unknown unit 'furlong' for BUNIT"),
    "BUNIT a length": (lambda g, t: _cube_copy(g, t, "um", header={("SCI", "BUNIT"): "um"}),
                       "[SCI] BUNIT um is neither a surface brightness"),
    "ERR in other units": (lambda g, t: _cube_copy(g, t, "errjy", header={("ERR", "BUNIT"): "Jy"}),
                           "[ERR] BUNIT Jy cannot be converted to the SCI BUNIT"),
    "all NaN": (lambda g, t: _cube_copy(g, t, "nan", _image("SCI", lambda a: a * np.nan)),
                "every voxel of the cube is NaN or flagged"),
    "all DQ flagged": (lambda g, t: _cube_copy(g, t, "dq", _dq_all_flagged),
                       "every voxel of the cube is NaN or flagged"),
    "zero errors": (lambda g, t: _cube_copy(g, t, "zero", _image("ERR", lambda a: 0 * a)),
                    "[ERR] is zero, negative or non-finite in every voxel"),
    "negative errors": (lambda g, t: _cube_copy(g, t, "neg", _image("ERR", lambda a: -np.abs(a))),
                        "[ERR] is zero, negative or non-finite in every voxel"),
    "wavelengths descending": (lambda g, t: _cube_copy(g, t, "desc", header={("SCI", "CDELT3"): -0.004}),
                               "not finite and strictly increasing"),
    "wavelengths miss every window": (lambda g, t: _cube_copy(g, t, "far", header={("SCI", "CRVAL3"): 10.0}),
                                      "no channel lies in the fit windows"),
    "PIXAR_SR zero": (lambda g, t: _cube_copy(g, t, "area0", header={("SCI", "PIXAR_SR"): 0.0}),
                      "[SCI] PIXAR_SR is not a positive solid angle"),
    "PIXAR_SR text": (lambda g, t: _cube_copy(g, t, "areatext", header={("SCI", "PIXAR_SR"): "large"}),
                      "[SCI] PIXAR_SR is not a positive solid angle"),
    "DQ of floats": (lambda g, t: _cube_copy(g, t, "dqfloat", _image("DQ", lambda a: np.full(a.shape, np.nan, "f4"))),
                     "[DQ] holds floating-point values"),
    "no spaxel size": (lambda g, t: _cube_copy(g, t, "nocdelt", header={("SCI", "CDELT1"): None,
                                                                          ("SCI", "CDELT2"): None}),
                       "[SCI] has no CDELT1/CDELT2 or CD matrix: the spaxel size is unknown"),
}


@pytest.mark.parametrize("case", list(CUBE_CASES))
@pytest.mark.parametrize("command", ["map", "ratio"])
def test_cube_files(capsys, tmp_path, good_cube, command, case):
    make, expect = CUBE_CASES[case]
    path = make(good_cube, tmp_path)
    outputs = {"map": ["--output", "m.fits", "--plot", "m.png", "--profiles", "p.ecsv", "--qcurve", "q.pdf"],
               "ratio": ["--output", "r.json", "--plot", "fit.png", "--psg-config", "psg.txt"]}[command]
    outputs = [tmp_path / a if i % 2 else a for i, a in enumerate(outputs)]
    err = _assert_refused(capsys, tmp_path, [command, path, *CUBE_GEO, *outputs], expect)
    assert str(path) in err


def test_the_good_cube_maps_and_fits(capsys, tmp_path, good_cube):
    """The variants above differ from a cube both commands accept."""
    for command, out in (("map", tmp_path / "m.fits"), ("ratio", tmp_path / "r.json")):
        status, _, err = run_cli(capsys, [command, good_cube, *CUBE_GEO, "--output", out, "--quiet"])
        assert status == 0 and out.exists(), err


@pytest.mark.parametrize("make,expect", [
    (lambda t, s: s(*X1D), "is not a spectral cube"),
    (lambda t, s: s(*K2), "is a text file, not a FITS cube"),
    (lambda t, s: _mkdir(t / "cubes"), "is a directory"),
], ids=["x1d", "text table", "directory"])
def test_map_refuses_what_is_not_a_cube(capsys, tmp_path, shared_data, make, expect):
    path = make(tmp_path, shared_data)
    _assert_refused(capsys, tmp_path, ["map", path, *CUBE_GEO, "--output", tmp_path / "m.fits"], expect)


def test_map_keeps_an_existing_output(capsys, tmp_path, good_cube):
    target = _write(tmp_path / "m.fits", b"keep me")
    _assert_refused(capsys, tmp_path, ["map", good_cube, *CUBE_GEO, "--output", target], "exists (pass --overwrite)")
    assert target.read_bytes() == b"keep me"


# --------------------------------------------------------------------------- batch manifests
def _manifest(tmp_path, body, name="jobs.csv"):
    import comaspec

    _write(tmp_path / "a_x1d.fits", comaspec.example_path().read_bytes())
    return _csv(tmp_path, name, "label,files,rh,delta,aperture\n" + body)


@pytest.mark.parametrize("body,expect", [
    ("a,a_x1d.fits,3.32,2.61,0.5\na,a_x1d.fits,3.32,2.61,0.5\n", "rows 1 and 2 have the same label 'a'"),
    (None, "unknown column colour"),
    ("", "has no rows"),
], ids=["duplicate label", "bad column", "no rows"])
def test_batch_manifest_refused_whole(capsys, tmp_path, body, expect):
    if body is None:
        path = _csv(tmp_path, "jobs.csv", "label,files,rh,delta,colour\na,a_x1d.fits,3.32,2.61,red\n")
    else:
        path = _manifest(tmp_path, body)
    err = _assert_refused(capsys, tmp_path, ["batch", path, "--output-dir", tmp_path / "out"], expect)
    assert str(path) in err


@pytest.mark.parametrize("files,expect", [
    ("absent_x1d.fits", "file absent_x1d.fits does not exist"),
    ("folder_x1d.fits", "file folder_x1d.fits is a directory, not a spectrum or cube"),
], ids=["missing file", "a directory"])
def test_batch_refuses_a_row(capsys, tmp_path, files, expect):
    """A refused row: exit status 1 (documented), its one line, and the count; nothing run."""
    _mkdir(tmp_path / "folder_x1d.fits")
    path = _manifest(tmp_path, f"a,{files},3.32,2.61,0.5\n")
    before = _listing(tmp_path)
    status, out, err = run_cli(capsys, ["batch", path, "--output-dir", tmp_path / "out", "--check"])
    assert status == 1 and out == "" and "Traceback" not in err
    assert err.splitlines() == [f"comaspec batch: jobs.csv row 1 (a): {expect}",
                                "comaspec batch: 0 jobs ready, 1 refused"]
    assert _listing(tmp_path) == before


def test_batch_jobs_on_corrupted_files_fail_without_results(capsys, tmp_path, shared_data, good_cube):
    """Read at run time (``--check`` reads no data): each job fails with the reader's line, its
    folder holds its record (job.json, error.txt) and no result file; exit status 1."""
    _x1d_copy(shared_data, tmp_path, "tflux", _text_column("FLUX"))
    _cube_copy(good_cube, tmp_path, "nocdelt", header={("SCI", "CDELT1"): None, ("SCI", "CDELT2"): None})
    path = _csv(tmp_path, "jobs.csv", "label,files,rh,delta,aperture\n"
                "text,tflux_x1d.fits,3.32,2.61,0.5\ncube,nocdelt_s3d.fits,3.32,2.61,0.5\n")
    status, out, err = run_cli(capsys, ["batch", path, "--output-dir", tmp_path / "out", "--workers", "1"])
    assert status == 1 and out == "" and "Traceback" not in err, err
    assert "text: failed: " in err and "column FLUX is not numeric" in err
    assert "cube: failed: " in err and "the spaxel size is unknown" in err
    for label in ("text", "cube"):
        assert sorted(p.name for p in (tmp_path / "out" / label).iterdir()) == ["error.txt", "job.json"]


def test_batch_directory_of_files_that_are_not_fits(capsys, tmp_path, shared_data):
    """Each refused in one line as ``comaspec info`` says it (was astropy's advice to try
    ``ignore_missing_simple=True``)."""
    folder = _mkdir(tmp_path / "spectra")
    _write(folder / "notes.fits", shared_data(*K2).read_bytes())
    _write(folder / "empty.fits", b"")
    _write(folder / "blob.fits", bytes(range(256)) * 8)
    status, out, err = run_cli(capsys, ["batch", folder, "--output-dir", tmp_path / "out", "--check"])
    assert status == 1 and out == "" and "Traceback" not in err, err
    assert err.splitlines() == ["comaspec batch: blob.fits: is not FITS and not a text table (binary data)",
                                "comaspec batch: empty.fits: is empty (0 bytes)",
                                "comaspec batch: notes.fits: is a text file, not FITS",
                                "comaspec batch: 0 jobs ready, 3 refused"]


def test_batch_output_dir_that_is_a_file(capsys, tmp_path):
    path = _manifest(tmp_path, "a,a_x1d.fits,3.32,2.61,0.5\n")
    target = _write(tmp_path / "results", b"")
    _assert_refused(capsys, tmp_path, ["batch", path, "--output-dir", target], "results: is not a directory")


# --------------------------------------------------------------------------- a fresh process
def test_real_stderr_of_fixed_cases(tmp_path, shared_data, good_cube):
    """Two of the cases fixed by this audit, run as a user runs them: one line, exit 2."""
    x1d = _x1d_copy(shared_data, tmp_path, "tflux", _text_column("FLUX"))
    cube = _cube_copy(good_cube, tmp_path, "nocdelt", header={("SCI", "CDELT1"): None, ("SCI", "CDELT2"): None})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_repo()), os.environ.get("PYTHONPATH")])))
    for argv, expect in ((["ratio", x1d, *GEO], "column FLUX is not numeric"),
                         (["map", cube, *CUBE_GEO], "the spaxel size is unknown")):
        done = subprocess.run([sys.executable, "-m", "comaspec", *map(str, argv)], capture_output=True, text=True,
                              timeout=120, env=env)
        assert done.returncode == 2 and done.stdout == "", done.stderr
        assert done.stderr.count("\n") == 1 and expect in done.stderr and "Traceback" not in done.stderr


def _repo():
    from pathlib import Path

    return Path(__file__).resolve().parents[1]
