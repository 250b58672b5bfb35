"""Hostile pass 3 outside batch: every writer on a full disk, all-or-nothing outputs, one path
for two outputs, long names, ``--extension`` where it cannot apply, bad map header cards,
unreachable Voronoi targets and a closed standard output (``comaspec ... | head``).

Bad input: exit 2, one line on stderr, no traceback, no file left behind."""

import builtins
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from astropy.io import fits

from comaspec.cli import SUBCOMMANDS
from test_cli_map import cube  # noqa: F401  (the module fixture: a cube written by hand)
from cli_run import run_cli

MAP = ["--rh", "3.32", "--delta", "2.61"]
GEO = ["--rh", "3.32", "--delta", "2.61", "--aperture-radius", "0.5"]


def _one_line_exit_2(status, err):
    """Exit 2 and one error line (a fit's own warnings, e.g. the example's pump opacity, may precede it)."""
    assert status == 2, err
    errors = [line for line in err.splitlines() if ": warning:" not in line]
    assert len(errors) == 1 and err.endswith("\n"), err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- a full disk
@pytest.fixture
def full_disk(monkeypatch):
    """Every file opened for writing in the returned folder is /dev/full: writes fail with
    ENOSPC, as on a full disk (astropy, matplotlib, the ECSV and JSON writers all open
    their files with the built-in open)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")

    def make(folder, only=None):
        real_open = builtins.open

        def fake_open(file, mode="r", *args, **kwargs):
            target = Path(os.fsdecode(file)) if isinstance(file, (str, bytes, os.PathLike)) else None
            if (target is not None and any(c in mode for c in "wax") and target.parent == folder
                    and (only is None or f".{only}." in target.name)):
                return real_open("/dev/full", mode.replace("x", "w").replace("a", "w"), *args, **kwargs)
            return real_open(file, mode, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", fake_open)
        monkeypatch.setattr(io, "open", fake_open)
        return folder

    return make


WRITERS = [
    ("ratio", ["--example", "--output", "{d}/r.json"]),
    ("ratio", ["--example", "--output", "{d}/r.ecsv"]),
    ("ratio", ["--example", "--plot", "{d}/r.png"]),
    ("ratio", ["--example", "--plot", "{d}/r.pdf"]),
    ("ratio", ["--example", "--compare", "{d}/c.pdf"]),
    ("ratio", ["--example", "--psg-config", "{d}/psg.txt"]),
    ("map", ["{cube}", *MAP, "--bin", "3", "--output", "{d}/m.fits"]),
    ("map", ["{cube}", *MAP, "--bin", "3", "--plot", "{d}/m.png"]),
    ("map", ["{cube}", *MAP, "--bin", "3", "--profiles", "{d}/p.ecsv"]),
    ("map", ["{cube}", *MAP, "--bin", "3", "--qcurve", "{d}/q.pdf"]),
    ("map", ["{cube}", *MAP, "--bin", "3", "--qcurve", "{d}/q.ecsv"]),
    ("catalog", ["--output", "{d}/c.ecsv"]),
    ("compare", ["--ratio", "7", "--rh", "3", "--output", "{d}/x.png"]),
    ("compare", ["--ratio", "7", "--rh", "3", "--output", "{d}/x.pdf"]),
]


@pytest.mark.parametrize("command,args", WRITERS, ids=[f"{c} {a[-2]} {Path(a[-1]).suffix}" for c, a in WRITERS])
def test_every_writer_on_a_full_disk_is_one_line(capsys, tmp_path, cube, full_disk, command, args):  # noqa: F811
    folder = full_disk(tmp_path / "out")
    folder.mkdir()
    argv = [command, *(a.format(d=folder, cube=cube) for a in args)]
    status, out, err = run_cli(capsys, argv)
    _one_line_exit_2(status, err)
    assert "No space left on device" in err and Path(argv[-1]).name in err, err
    assert "/." not in err, "the message names a temporary file, not the output"
    assert list(folder.iterdir()) == [], "a file was left behind"


@pytest.mark.parametrize("failing", ["m.fits", "m.png", "p.ecsv", "q.ecsv"])
def test_map_outputs_all_or_nothing_when_one_writer_fails(capsys, tmp_path, cube, full_disk, failing):  # noqa: F811
    folder = full_disk(tmp_path / "out", only=failing)
    folder.mkdir()
    status, out, err = run_cli(capsys, ["map", cube, *MAP, "--bin", "3", "--output", folder / "m.fits",
                                     "--plot", folder / "m.png", "--profiles", folder / "p.ecsv",
                                     "--qcurve", folder / "q.ecsv"])
    _one_line_exit_2(status, err)
    assert failing in err and "/." not in err
    assert list(folder.iterdir()) == [], "some outputs were written and others not"


@pytest.mark.parametrize("failing", ["r.json", "r.png", "c.pdf"])
def test_ratio_outputs_all_or_nothing_when_one_writer_fails(capsys, tmp_path, full_disk, failing):
    folder = full_disk(tmp_path / "out", only=failing)
    folder.mkdir()
    status, out, err = run_cli(capsys, ["ratio", "--example", "--output", folder / "r.json", "--plot",
                                     folder / "r.png", "--compare", folder / "c.pdf"])
    _one_line_exit_2(status, err)
    assert list(folder.iterdir()) == []


def test_map_refuses_qcurve_before_writing_the_maps(capsys, tmp_path, cube):  # noqa: F811
    """--qcurve needs a species with a g-factor (OCS has none): refused before --output is written."""
    status, out, err = run_cli(capsys, ["map", cube, *MAP, "--species", "OCS", "--bin", "3", "--quiet",
                                     "--output", tmp_path / "m.fits", "--qcurve", tmp_path / "q.pdf"])
    _one_line_exit_2(status, err)
    assert "--qcurve" in err and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- one file, two outputs
def _same_file_spellings(tmp_path, name):
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path)
    return [str(tmp_path / name), f"{tmp_path}/./{name}", str(tmp_path / "sub" / ".." / name),
            str(tmp_path / "link" / name)]


@pytest.mark.parametrize("spelling", range(4))
@pytest.mark.parametrize("command,first,second,name", [
    ("map", "--profiles", "--qcurve", "p.ecsv"),
    ("map", "--plot", "--qcurve", "p.png"),
    ("ratio", "--plot", "--compare", "p.png"),
])
def test_one_path_cannot_take_two_outputs(capsys, tmp_path, cube, command, first, second, name,  # noqa: F811
                                          spelling):
    spellings = _same_file_spellings(tmp_path, name)
    src = [cube, *MAP] if command == "map" else ["--example"]
    before = sorted(tmp_path.rglob("*"))
    status, out, err = run_cli(capsys, [command, *src, first, spellings[0], second, spellings[spelling]])
    _one_line_exit_2(status, err)
    assert "name the same file" in err and first in err and second in err
    assert sorted(tmp_path.rglob("*")) == before


# --------------------------------------------------------------------------- long names
LONG = "n" * 250  # a legal name (<= 255 bytes) once the suffix is added


def test_long_legal_names_are_written(capsys, tmp_path, cube):  # noqa: F811
    folder = tmp_path / ("d" * 250)
    folder.mkdir()
    long_cube = folder / (LONG[:240] + ".fits")
    long_cube.write_bytes(Path(cube).read_bytes())
    outs = {"--output": folder / f"{LONG}.fits", "--plot": folder / f"{LONG[:-1]}p.png",
            "--profiles": folder / f"{LONG}.ecsv", "--qcurve": folder / f"{LONG[:-1]}q.pdf"}
    status, out, err = run_cli(capsys, ["map", long_cube, *MAP, "--bin", "3", "--quiet",
                                     *[x for k, p in outs.items() for x in (k, p)]])
    assert status == 0, err
    assert all(p.is_file() for p in outs.values())
    ratio_outs = {"--output": folder / f"{LONG}.json", "--plot": folder / f"{LONG}.png",
                  "--compare": folder / f"{LONG[:-1]}c.pdf"}
    status, out, err = run_cli(capsys, ["ratio", "--example", "--quiet", *[x for k, p in ratio_outs.items()
                                                                       for x in (k, p)]])
    assert status == 0, err
    assert all(p.is_file() for p in ratio_outs.values())
    status, out, err = run_cli(capsys, ["compare", "--ratio", "7", "--rh", "3", "--label", "L" * 300,
                                     "--output", folder / f"{LONG}.pdf", "--quiet"])
    assert status == 0, err


@pytest.mark.parametrize("where", ["name", "folder"])
@pytest.mark.parametrize("command,flag,suffix", [
    ("ratio", "--output", ".json"), ("ratio", "--plot", ".png"), ("map", "--output", ".fits"),
    ("map", "--profiles", ".ecsv"), ("catalog", "--output", ".ecsv"), ("compare", "--output", ".png"),
])
def test_names_too_long_for_the_file_system_are_one_line(capsys, tmp_path, cube, command, flag,  # noqa: F811
                                                          suffix, where):
    path = tmp_path / ("x" * 300 + suffix) if where == "name" else tmp_path / ("x" * 300) / f"a{suffix}"
    src = {"ratio": ["--example"], "map": [cube, *MAP], "catalog": [], "compare": ["--ratio", "7", "--rh", "3"]}
    status, out, err = run_cli(capsys, [command, *src[command], flag, path])
    _one_line_exit_2(status, err)
    assert flag in err and len(err) < 600
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["info", "ratio", "map"])
def test_input_names_too_long_are_one_line(capsys, tmp_path, command):
    path = tmp_path / ("y" * 300) / ("z" * 300 + ".fits")
    status, out, err = run_cli(capsys, [command, path, *(MAP if command != "info" else [])])
    _one_line_exit_2(status, err)
    assert "cannot be read" in err and len(err) < 600


# --------------------------------------------------------------------------- --extension
def test_extension_is_refused_where_it_cannot_apply(capsys, tmp_path, cube):  # noqa: F811
    from comaspec.synthetic import example_path

    for source in (cube, example_path()):
        status, out, err = run_cli(capsys, ["ratio", source, *GEO, "--extension", "99"])
        _one_line_exit_2(status, err)
        assert "--extension 99" in err
    status, out, err = run_cli(capsys, ["ratio", cube, *GEO, "--extension", "0"])
    _one_line_exit_2(status, err)
    assert "cube" in err
    # a single extraction named by its position is what it is: fitted
    status, out, err = run_cli(capsys, ["ratio", example_path(), *GEO, "--extension", "0", "--quiet"])
    assert status == 0, err


def test_extension_is_refused_for_integrations(capsys, tmp_path):
    import numpy as np

    from test_io_builders import simple_spectrum, write_x1dints

    wave, flux, err_ = simple_spectrum()
    path = tmp_path / "ints_x1dints.fits"
    write_x1dints(path, [flux, flux * 1.01], [err_, err_], wave)
    status, out, err = run_cli(capsys, ["ratio", path, *GEO, "--extension", "1"])
    _one_line_exit_2(status, err)
    assert "--extension 1" in err and "integrations" in err
    assert np.isfinite(flux).all()


# --------------------------------------------------------------------------- map header cards, paths
def test_map_output_from_a_cube_whose_path_is_not_ascii(capsys, tmp_path, cube):  # noqa: F811
    path = tmp_path / "cübe_é_彗星.fits"
    path.write_bytes(Path(cube).read_bytes())
    status, out, err = run_cli(capsys, ["map", path, *MAP, "--bin", "3", "--output", tmp_path / "m.fits", "--quiet"])
    assert status == 0, err
    header = fits.getheader(tmp_path / "m.fits")
    assert header["SRCFILE"].endswith(r"c\xfcbe_\xe9_\u5f57\u661f.fits")


@pytest.mark.parametrize("value", ["abc", "nan", True, ""])
def test_map_refuses_a_sun_pa_card_that_is_not_a_number(capsys, tmp_path, cube, value):  # noqa: F811
    path = tmp_path / "bad_pa.fits"
    path.write_bytes(Path(cube).read_bytes())
    fits.setval(path, "HIERARCH COMASPEC SUN_PA_DEG", value=value, ext=0)
    status, out, err = run_cli(capsys, ["map", path, *MAP, "--bin", "3", "--output", tmp_path / "m.fits"])
    _one_line_exit_2(status, err)
    assert "SUN_PA_DEG" in err and "--sun-pa" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad_pa.fits"]
    # the card is not read when the angle is given
    status, out, err = run_cli(capsys, ["map", path, *MAP, "--bin", "3", "--sun-pa", "100", "--quiet"])
    assert status == 0, err


# --------------------------------------------------------------------------- Voronoi targets
def test_voronoi_bins_on_the_first_species_that_can_reach_the_target(capsys, cube):  # noqa: F811
    """No CO in the cube: the bins follow CO2, and the printout says so."""
    status, out, err = run_cli(capsys, ["map", cube, *MAP, "--species", "CO,CO2", "--target-snr", "10", "--quiet"])
    assert status == 0, err
    assert "target SNR 10 in CO2" in out and "CO cannot" in out


def test_voronoi_target_no_species_reaches_is_one_line(capsys, tmp_path, cube):  # noqa: F811
    status, out, err = run_cli(capsys, ["map", cube, *MAP, "--species", "CO,CO2", "--target-snr", "9000",
                                     "--output", tmp_path / "m.fits", "--quiet"])
    _one_line_exit_2(status, err)
    assert "out of reach" in err and "CO " in err and "CO2 " in err
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- comaspec ... | head
def _with_closed_stdout(argv):
    """Run ``python -m comaspec argv`` with its standard output a pipe nobody reads."""
    read_end, write_end = os.pipe()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "comaspec", *map(str, argv)], stdout=write_end,
                            stderr=subprocess.PIPE, env=env)
    os.close(write_end)
    os.close(read_end)  # the reader is gone before the command prints anything
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err.decode()


def _subcommand_argv(name, cube_path):
    return {"info": ["info", cube_path],
            "production": ["production", "--species", "CO2", "--flux", "1e-17", "--rh", "3", "--delta", "2",
                           "--aperture-radius", "1"],
            "ratio": ["ratio", "--example"],
            "map": ["map", cube_path, *MAP, "--bin", "3"],
            "batch": ["batch", "--help"],
            "catalog": ["catalog"],
            "compare": ["compare", "--ratio", "7", "--rh", "3"]}[name]


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_closed_stdout_ends_quietly_like_unix_tools(cube, name):  # noqa: F811
    status, err = _with_closed_stdout([*_subcommand_argv(name, cube), "--quiet"] if name != "batch"
                                      else _subcommand_argv(name, cube))
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
    assert status in (0, 141), (status, err)  # --help may finish before the pipe is seen closed
    if name != "batch":
        assert status == 141
