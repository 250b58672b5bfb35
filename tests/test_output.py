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
