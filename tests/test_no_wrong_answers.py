"""No confident wrong answer with exit 0 (issue #20): the same file fitted twice, cubes
without dust (the nucleus found from the gas), thermal dust continua, optical depth.

Spectra and cubes come from the independent generator (tests/independent_coma.py), not
from comaspec.synthetic.
"""

import json
import os

import pytest
from test_io_builders import write_x1d

from comaspec.cli import main

GEO = ["--rh", "3", "--delta", "2", "--aperture-radius", "0.5"]


def _run(capsys, *args):
    try:
        status = main([*map(str, args)])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _refused(status, out, err, tmp_path, before, *words):
    assert status == 2, err
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    for word in words:
        assert word in err


# ------------------------------------------------------------------ the same file given twice
@pytest.mark.parametrize("how", ["same", "dotted", "symlink", "hardlink"])
def test_the_same_file_twice_is_refused(capsys, tmp_path, how):
    """One file under two names (identical, ./a, a symbolic link, a hard link) would be fitted
    as two independent spectra (errors / sqrt 2): refused in one line, exit 2, nothing written."""
    a = write_x1d(tmp_path / "a_x1d.fits")
    b = {"same": a, "dotted": f"{tmp_path}/./{a.name}", "symlink": tmp_path / "b_x1d.fits",
         "hardlink": tmp_path / "b_x1d.fits"}[how]
    if how == "symlink":
        os.symlink(a, b)
    elif how == "hardlink":
        os.link(a, b)
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = _run(capsys, "ratio", a, b, *GEO, "--output", tmp_path / "r.json")
    _refused(status, out, err, tmp_path, before, a.name, "twice" if how == "same" else "same file")


def test_two_copies_are_two_files(capsys, tmp_path):
    """Two different files with equal content are not refused (they may be two exposures)."""
    a = write_x1d(tmp_path / "a_x1d.fits")
    b = tmp_path / "b_x1d.fits"
    b.write_bytes(a.read_bytes())
    status, out, err = _run(capsys, "ratio", a, b, *GEO, "--species", "CO2", "--json")
    assert status == 0, err
    assert json.loads(out)["input"]["paths"] == [str(a), str(b)]


def test_a_manifest_cell_naming_one_file_twice_is_refused(tmp_path):
    """A manifest cell ``a;a`` (or ``a;./a``) is refused before work, the other rows run."""
    from comaspec.batch.manifest import read_manifest

    write_x1d(tmp_path / "a_x1d.fits")
    write_x1d(tmp_path / "c_x1d.fits")
    manifest = tmp_path / "m.csv"
    manifest.write_text("label,files,rh,delta,aperture\n"
                        "twice,a_x1d.fits;a_x1d.fits,3,2,0.5\n"
                        "dotted,a_x1d.fits;./a_x1d.fits,3,2,0.5\n"
                        "fine,a_x1d.fits;c_x1d.fits,3,2,0.5\n")
    jobs, invalid = read_manifest(manifest)
    assert [j.label for j in jobs] == ["fine"]
    assert [r.label for r in invalid] == ["twice", "dotted"]
    for row in invalid:
        assert "a_x1d.fits" in row.reason and "given twice" in row.reason and "\n" not in row.reason


def test_fit_files_refuses_the_same_file_twice(tmp_path):
    """The API path shared by ratio and batch (comaspec.pipeline) refuses it too."""
    import astropy.units as u

    from comaspec import CircularAperture, Geometry, UsageError
    from comaspec.pipeline import fit_files

    a = write_x1d(tmp_path / "a_x1d.fits")
    with pytest.raises(UsageError, match="twice"):
        fit_files([a, str(a)], Geometry(3 * u.au, 2 * u.au), CircularAperture(0.5 * u.arcsec), ["CO2"])
