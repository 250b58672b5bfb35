"""The command-line dispatcher: help, version, one-line usage errors."""

import subprocess
import sys

import pytest

from comaspec.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "comaspec", *args], capture_output=True, text=True)


SUBCOMMANDS = ("info", "production", "ratio", "map", "batch", "catalog", "compare")  # as documented in docs/


def test_help_lists_subcommands():
    out = run("--help")
    assert out.returncode == 0
    assert "usage: comaspec" in out.stdout and "--version" in out.stdout
    listed = [line.split()[0] for line in out.stdout.splitlines() if line.startswith("    ") and line.split()]
    assert set(SUBCOMMANDS) <= set(listed), listed


def test_version_is_the_package_version():
    """--version prints the version hatch builds from (pyproject.toml: comaspec/_version.py)."""
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parents[1] / "comaspec" / "_version.py").read_text()
    out = run("--version")
    assert out.returncode == 0 and out.stdout.split()[-1] == re.search(r'__version__ = "(.+)"', source)[1]


def test_unknown_subcommand_is_one_line_exit_2():
    out = run("no-such-command")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_missing_subcommand_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
