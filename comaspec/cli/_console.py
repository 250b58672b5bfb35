"""What the command line says on stderr: the --quiet / --verbose convention.

- default: comaspec's warnings (one line each), a progress bar on a terminal, and short
  status lines ("wrote FILE");
- ``--quiet``: errors only — no warnings, no progress bar, no status lines;
- ``--verbose``: also the warnings of the libraries comaspec uses (astropy, lmfit...),
  one line each.

Standard output carries only the result (the table, or the JSON object with ``--json``).
"""

from __future__ import annotations

import contextlib
import sys
import warnings

__all__ = ["add_verbosity", "verbosity", "status"]


def add_verbosity(parser):
    """Add ``--quiet`` and ``--verbose`` to a subcommand's parser (unless it has them).

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    if "--quiet" in parser._option_string_actions:
        return
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true",
                       help="print nothing on stderr but errors (no warnings, no progress bar)")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="also print the warnings of the libraries comaspec uses")


def _one_line(message):
    return " ".join(str(message).split())


@contextlib.contextmanager
def verbosity(args):
    """Route warnings to stderr, one line each, as ``--quiet`` / ``--verbose`` ask.

    Parameters
    ----------
    args : argparse.Namespace
        With ``command`` and, when the subcommand has them, ``quiet`` and ``verbose``.
    """
    from .. import _progress
    from ..errors import ComaspecWarning

    quiet = bool(getattr(args, "quiet", False))
    verbose = bool(getattr(args, "verbose", False))
    command = getattr(args, "command", "")

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ComaspecWarning):
            print(f"comaspec {command}: warning: {_one_line(message)}", file=sys.stderr)
        else:
            print(f"comaspec {command}: warning ({category.__name__}): {_one_line(message)}", file=sys.stderr)

    previous = warnings.showwarning
    _progress.set_enabled(False if quiet else None)
    with warnings.catch_warnings():
        warnings.showwarning = show
        if quiet:
            warnings.simplefilter("ignore")
        else:
            if not verbose:
                warnings.simplefilter("ignore")
            warnings.simplefilter("default", ComaspecWarning)
        try:
            yield
        finally:
            warnings.showwarning = previous
            _progress.set_enabled(None)


def status(args, message):
    """Print a status line on stderr unless ``--quiet``.

    Parameters
    ----------
    args : argparse.Namespace
    message : str
    """
    if not getattr(args, "quiet", False):
        print(f"comaspec {getattr(args, 'command', '')}: {message}", file=sys.stderr)
