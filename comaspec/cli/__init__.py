"""The ``comaspec`` command: a thin layer over the Python API.

Each subcommand lives in its own module ``comaspec.cli.<name>`` exposing
``add_parser(subparsers)``; the parser's ``run`` default returns the exit status.
Modules keep their top-level imports light (argparse only) so that ``comaspec``
starts fast; the work is imported inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import ComaspecError

__all__ = ["main", "SUBCOMMANDS"]

#: Subcommand modules, in the order ``comaspec --help`` lists them.
SUBCOMMANDS = ("info", "production", "ratio", "map", "batch", "catalog", "compare")


class _OneLineParser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the full ``comaspec`` argument parser.

    Returns
    -------
    argparse.ArgumentParser
    """
    from .._version import __version__

    parser = _OneLineParser(
        prog="comaspec",
        description="Production rates and CO2/H2O mixing ratios from infrared spectra of comet comae.",
    )
    parser.add_argument("--version", action="version", version=f"comaspec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # subcommand not built yet
            raise
        module.add_parser(sub)
    from ._console import add_verbosity

    for subparser in sub.choices.values():
        add_verbosity(subparser)
    return parser


def main(argv=None) -> int:
    """Run the ``comaspec`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 for usage and input errors (and for output that cannot
        be written), 130 when interrupted, 141 when the reader of standard output has gone.

    Notes
    -----
    The command runs with fewer cyclic garbage collections (`comaspec._collector`); the
    caller's collector settings come back on return. Started as a program (numpy not yet
    imported), it has OpenBLAS start with one thread
    (`comaspec._threads.start_blas_single_threaded`).
    """
    from .._collector import fewer_collections
    from .._threads import start_blas_single_threaded

    start_blas_single_threaded()
    with fewer_collections():
        return _main(argv)


def _main(argv):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit:  # --help, --version, usage errors: flush here to see a closed pipe
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return _reader_went_away()
        raise
    except BrokenPipeError:
        return _reader_went_away()
    from ._console import verbosity

    try:
        with verbosity(args):
            status = args.run(args)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        return _reader_went_away()
    except ComaspecError as exc:
        print(f"comaspec {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except MemoryError:
        from ..errors import TOO_LARGE

        print(f"comaspec {args.command}: error: {TOO_LARGE}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"comaspec {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0 if status is None else int(status)


#: Exit status when standard output is closed early (``comaspec ... | head``): 128 + SIGPIPE,
#: what the shell reports for a Unix tool killed by the signal.
BROKEN_PIPE_STATUS = 141


def _reader_went_away():
    """Stop quietly when the reader of standard output has gone, as Unix tools do.

    Standard output is pointed at /dev/null so that Python's final flush does not print a
    second BrokenPipeError on the way out.
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (e.g. captured in tests)
        pass
    return BROKEN_PIPE_STATUS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
