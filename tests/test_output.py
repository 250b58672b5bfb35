"""All-or-nothing output files."""

import os

import pytest

from comaspec import InputError
from comaspec._output import atomic_path


def test_written_file_has_normal_permissions(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("ok")
    umask = os.umask(0)
    os.umask(umask)
    assert target.read_text() == "ok"
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failure_leaves_nothing(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_missing_directory_is_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        with atomic_path(tmp_path / "nope" / "out.txt"):
            pass


# --------------------------------------------------------------------------- hostile pass 3
import builtins  # noqa: E402
import errno  # noqa: E402
import io  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

from comaspec import OutputError, UsageError  # noqa: E402
from comaspec._output import atomic_paths, check_distinct  # noqa: E402


def test_storage_errors_become_one_output_error_even_when_wrapped(tmp_path):
    """matplotlib's PDF writer turns ENOSPC into a zlib.error (the OSError is its context)."""
    target = tmp_path / "f.pdf"
    with pytest.raises(OutputError, match=r"f\.pdf: cannot be written \(No space left on device\)"):
        with atomic_path(target):
            try:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            except OSError:
                raise zlib.error("Error -2 while flushing")  # noqa: B904 (the context, as matplotlib leaves it)
    assert list(tmp_path.iterdir()) == []


def test_other_errors_pass_through_unchanged(tmp_path):
    with pytest.raises(FileNotFoundError):
        with atomic_path(tmp_path / "f.txt"):
            raise FileNotFoundError(errno.ENOENT, "an input went missing")
    assert list(tmp_path.iterdir()) == []


def test_several_outputs_all_or_nothing(tmp_path):
    (tmp_path / "b.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_paths([tmp_path / "a.txt", tmp_path / "b.txt"]) as (a, b):
            a.write_text("new a")
            raise RuntimeError("the second writer failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"] and (tmp_path / "b.txt").read_text() == "old"
    with atomic_paths([tmp_path / "a.txt", tmp_path / "b.txt"]) as (a, b):
        a.write_text("new a")
        b.write_text("new b")
    assert (tmp_path / "a.txt").read_text() == "new a" and (tmp_path / "b.txt").read_text() == "new b"


def test_names_up_to_255_bytes_are_written_longer_are_refused(tmp_path):
    for name in ("x" * 250 + ".fits", "é" * 125 + ".txt"):   # 255 and 254 bytes
        with atomic_path(tmp_path / name) as tmp:
            tmp.write_text("ok")
        assert (tmp_path / name).read_text() == "ok"
    with pytest.raises(InputError, match="longer than 255 bytes"):
        with atomic_path(tmp_path / ("é" * 126 + ".txt")):
            pass


def test_one_file_named_twice_is_refused_after_resolving(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path)
    for other in (tmp_path / "." / "p.ecsv", tmp_path / "sub" / ".." / "p.ecsv", tmp_path / "link" / "p.ecsv"):
        with pytest.raises(UsageError, match="--a and --b name the same file"):
            check_distinct([("--a", tmp_path / "p.ecsv"), ("--b", other)])
    check_distinct([("--a", tmp_path / "p.ecsv"), ("--b", tmp_path / "q.ecsv"), ("--c", None)])


@pytest.fixture
def full_folder(tmp_path, monkeypatch):
    """A folder whose new files are /dev/full (writes fail with ENOSPC)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    folder = tmp_path / "full"
    folder.mkdir()
    real_open = builtins.open

    def fake_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax") and Path(file).parent == folder:
            return real_open("/dev/full", mode.replace("x", "w").replace("a", "w"), *args, **kwargs)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    return folder


def _example_fit():
    import astropy.units as u

    import comaspec

    spec = comaspec.read_spectrum(comaspec.example_path())
    return comaspec.fit_coma(spec, comaspec.Geometry(3.32 * u.au, 2.61 * u.au),
                             comaspec.CircularAperture(0.5 * u.arcsec), species=["CO2", "H2O"])


def _synthetic_spectrum(path):
    import astropy.units as u

    import comaspec

    comaspec.synthetic_spectrum("PRISM", {"CO2": 1e27}, comaspec.Geometry(3 * u.au, 2 * u.au),
                                comaspec.CircularAperture(0.5 * u.arcsec), T_rot=50.0, error=1e-6 * u.Jy, path=path)


def _synthetic_cube(path):
    import astropy.units as u

    import comaspec
    from comaspec.synthetic import synthetic_cube

    synthetic_cube("PRISM", {"CO2": 1e27}, comaspec.Geometry(3 * u.au, 2 * u.au), T_rot=50.0,
                   error_per_spaxel=1e-6 * u.Jy, shape=(5, 5), path=path)


def _figure(path):
    import matplotlib.pyplot as plt

    from comaspec.plotting.style import save_figure

    fig = plt.figure()
    save_figure(fig, path)
    plt.close(fig)


API_WRITERS = {
    "ComaFit.write json": lambda p: _example_fit().write(p / "f.json"),
    "ComaFit.write ecsv": lambda p: _example_fit().write(p / "f.ecsv"),
    "ComaFit.plot": lambda p: _example_fit().plot(p / "f.pdf"),
    "save_figure png": lambda p: _figure(p / "x.png"),
    "synthetic_spectrum": lambda p: _synthetic_spectrum(p / "s_x1d.fits"),
    "synthetic_cube": lambda p: _synthetic_cube(p / "c_s3d.fits"),
}


@pytest.mark.parametrize("name", API_WRITERS)
def test_api_writers_on_a_full_disk_raise_output_error(full_folder, name):
    with pytest.raises(OutputError, match="No space left on device"):
        API_WRITERS[name](full_folder)
    assert list(full_folder.iterdir()) == []
