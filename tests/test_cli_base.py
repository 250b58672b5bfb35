"""The command-line dispatcher: help, version, one-line usage errors."""

import subprocess
import sys

import pytest

from comaspec.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "comaspec", *args], capture_output=True, text=True)


def test_help_lists_subcommands():
    out = run("--help")
    assert out.returncode == 0
    assert "usage: comaspec" in out.stdout and "--version" in out.stdout


def test_unknown_subcommand_is_one_line_exit_2():
    out = run("no-such-command")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_missing_subcommand_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
