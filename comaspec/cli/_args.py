"""Command-line argument types with their allowed ranges, checked before any work.

Every numeric option of the subcommands is parsed by one of these types, so a value
outside its range is refused by argparse with one line naming the option and the
range (exit status 2) before a file is read or a fit is started. The ranges are
physical (an rh of 1e308 au or a T_rot of 1e9 K describes no comet), shared with the
API (`comaspec._ranges`) and listed in ``docs/cli.rst``.
"""

from __future__ import annotations

import argparse
import math

from .._ranges import RANGES

__all__ = ["RANGES", "MC_MAX", "check_value", "SEED_MAX", "ranged", "integer", "box", "offset", "output_file",
           "check_outputs", "add_solar"]

#: Largest number of Monte Carlo refits (--mc): about a day of fitting at the slowest.
MC_MAX = 100_000
#: Largest seed (numpy's legacy 32-bit seed range, accepted by every generator).
SEED_MAX = 2**32 - 1


def _range_text(lo, hi, unit, lo_closed):
    unit = f" {unit}" if unit else ""
    return f"{'>=' if lo_closed else '>'} {lo:g} and <= {hi:g}{unit}"


def ranged(kind):
    """An argparse ``type`` accepting a finite number in ``RANGES[kind]``.

    Parameters
    ----------
    kind : str
        A key of `RANGES`.

    Returns
    -------
    callable
        Raises `argparse.ArgumentTypeError` (argparse adds the option name) for text that
        is not a number or a value outside the range.
    """
    lo, hi, unit, lo_closed = RANGES[kind]

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        inside = (value >= lo if lo_closed else value > lo) and value <= hi
        if not (math.isfinite(value) and inside):
            raise argparse.ArgumentTypeError(f"must be {_range_text(lo, hi, unit, lo_closed)} (got {text})")
        return value

    parse.__name__ = kind
    return parse


def integer(lo, hi):
    """An argparse ``type`` accepting an integer in [lo, hi].

    Parameters
    ----------
    lo, hi : int
        Inclusive bounds.

    Returns
    -------
    callable
    """

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer from {lo} to {hi} (got {text})")
        return value

    parse.__name__ = "integer"
    return parse


def output_file(*suffixes):
    """An argparse ``type`` for an output file name ending in one of ``suffixes``.

    Parameters
    ----------
    *suffixes : str
        Allowed endings, e.g. ``".png", ".pdf"`` (case-insensitive).

    Returns
    -------
    callable
    """

    def parse(text):
        if not str(text).lower().endswith(suffixes):
            raise argparse.ArgumentTypeError(f"{text}: must end in {' or '.join(suffixes)}")
        return text

    parse.__name__ = "output file"
    return parse


def check_outputs(args, *flags):
    """Check, before any work, that every output path given in ``args`` can be written.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.
    *flags : str
        Option names (``"--output"``, ``"--plot"``...); the attribute is the name
        without the dashes.

    Raises
    ------
    comaspec.InputError
        For the first path that is a directory or whose directory cannot take a file.
    comaspec.UsageError
        When two options name one file (after resolving ``.``, ``..`` and links).
    """
    from .._output import check_distinct, check_writable

    named = [(flag, getattr(args, flag.lstrip("-").replace("-", "_"), None)) for flag in flags]
    for flag, path in named:
        if path is not None:
            check_writable(path, flag)
    check_distinct(named)


def box(text):
    """An argparse ``type`` for a rectangular aperture ``WxH`` in arcsec (each in range).

    Parameters
    ----------
    text : str
        E.g. ``"1.0x0.6"``.

    Returns
    -------
    tuple of float
        (width, height) in arcsec.
    """
    parts = str(text).lower().split("x")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected WxH in arcsec, e.g. 1.0x0.6 (got {text!r})")
    return tuple(ranged("aperture")(p) for p in parts)


def offset(text):
    """An argparse ``type`` for an aperture offset ``DX,DY`` in arcsec.

    Parameters
    ----------
    text : str

    Returns
    -------
    tuple of float
    """
    parts = str(text).split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected DX,DY in arcsec (got {text!r})")
    return tuple(ranged("offset")(p) for p in parts)


def center_pixels(text, flag="--center"):
    """``X,Y``: a nucleus position in 0-based pixels (``ratio --center``, ``map --center``).

    Parameters
    ----------
    text : str
    flag : str
        For the message.

    Returns
    -------
    tuple of float

    Raises
    ------
    comaspec.UsageError
        Not two finite numbers.
    """
    import math

    from ..errors import UsageError

    try:
        x, y = (float(v) for v in str(text).split(","))
    except ValueError:
        raise UsageError(f"{flag}: expected X,Y in pixels (got {text!r})") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise UsageError(f"{flag}: expected two finite pixel coordinates (got {text!r})")
    return x, y


def check_value(value, kind, flag):
    """Check a number read by other means (e.g. a ratio typed as ``760%``) against its range.

    Parameters
    ----------
    value : float
        The value as used.
    kind : str
        A key of `RANGES`.
    flag : str
        The option, for the message.

    Raises
    ------
    comaspec.UsageError
        One line naming the option and the range.
    """
    from ..errors import UsageError

    lo, hi, unit, lo_closed = RANGES[kind]
    inside = (value >= lo if lo_closed else value > lo) and value <= hi
    if not (math.isfinite(value) and inside):
        raise UsageError(f"{flag}: must be {_range_text(lo, hi, unit, lo_closed)} (got {value:g})")


def add_solar(parser):
    """Add ``--solar`` (``comaspec ratio`` and ``comaspec map``) to a parser or group.

    Parameters
    ----------
    parser : argparse.ArgumentParser or argument group
    """
    from .._choices import DEFAULT_SOLAR, SOLAR_SPECTRA

    parser.add_argument("--solar", choices=SOLAR_SPECTRA, default=DEFAULT_SOLAR,
                        help="solar spectrum pumping the fluorescence templates and computed g-factors: the smooth "
                             "E490 continuum (default) or Meftah et al. 2023 with its Fraunhofer lines at --rdot")
