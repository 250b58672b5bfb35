"""``comaspec catalog``: list the bundled catalog of published CO2/H2O measurements."""

from __future__ import annotations

import argparse

from ._args import check_outputs, ranged

__all__ = ["add_parser", "FORMATS"]

#: Output formats.
FORMATS = ("table", "ecsv", "csv", "json")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``catalog`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = subparsers.add_parser(
        "catalog",
        help="list published comet CO2/H2O measurements (filter by class, method, rh)",
        description=(
            "List the bundled catalog of published comet measurements (production rates of H2O, "
            "CO2, CO and the CO2/H2O ratio, with limits and references). Bad input: one line on "
            "stderr, exit status 2."
        ),
    )
    parser.add_argument("--class", dest="dyn_class", metavar="CLASS", action="append",
                        help="keep this dynamical class (repeatable): JFC, Halley-type, OCC-new, "
                             "OCC-returning, OCC, main-belt, Centaur, interstellar")
    parser.add_argument("--direct-only", action="store_true",
                        help="keep only direct CO2 measurements (the CO2 band itself)")
    parser.add_argument("--with-ratio", action="store_true", help="keep only rows with a CO2/H2O value")
    parser.add_argument("--no-limits", action="store_true", help="drop rows whose CO2/H2O is a limit")
    parser.add_argument("--rh-min", type=ranged("rh_filter"), metavar="AU", default=None, help="smallest rh (au)")
    parser.add_argument("--rh-max", type=ranged("rh_filter"), metavar="AU", default=None, help="largest rh (au)")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="output format (default: a readable table)")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="write to FILE instead of standard output")
    parser.set_defaults(run=_run)
    return parser


def _run(args) -> int:
    import sys

    from .. import catalog
    from .._output import atomic_path
    from ..errors import UsageError

    check_outputs(args, "--output")
    if args.rh_min is not None and args.rh_max is not None and args.rh_min > args.rh_max:
        raise UsageError(f"--rh-min {args.rh_min:g} is above --rh-max {args.rh_max:g}")
    rh_range = None
    if args.rh_min is not None or args.rh_max is not None:
        rh_range = (0.0 if args.rh_min is None else args.rh_min,
                    float("inf") if args.rh_max is None else args.rh_max)
    table = catalog.load(dyn_class=args.dyn_class, method="direct" if args.direct_only else None,
                         rh_range=rh_range, limits="exclude" if args.no_limits else "include",
                         with_ratio=args.with_ratio)
    if len(table) == 0:
        raise UsageError("no catalog rows match these filters")
    text = render(table, args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        with atomic_path(args.output) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return 0


def render(table, fmt):
    """Return the catalog rows as text in one of `FORMATS`.

    Parameters
    ----------
    table : astropy.table.QTable
        Rows from `comaspec.catalog.load`.
    fmt : str
        "table", "ecsv", "csv" or "json".

    Returns
    -------
    str
    """
    import io

    if fmt == "json":
        return _json(table)
    if fmt == "table":
        return _text_table(table)
    buffer = io.StringIO()
    table.write(buffer, format="ascii.ecsv" if fmt == "ecsv" else "ascii.csv")
    return buffer.getvalue()


def _plain(value):
    import numpy as np

    mask = getattr(value, "mask", None)
    if value is np.ma.masked or (mask is not None and bool(np.all(mask))):
        return None
    if hasattr(value, "unmasked"):
        value = value.unmasked
    if hasattr(value, "unit"):
        value = value.value
    if isinstance(value, (np.generic, np.ndarray)):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _json(table):
    import json

    units = {name: (str(table[name].unit) if table[name].unit is not None else None)
             for name in table.colnames}
    rows = [{name: _plain(row[name]) for name in table.colnames} for row in table]
    return json.dumps({"units": units, "rows": rows}, indent=1) + "\n"


def _ratio_text(row):
    value = _plain(row["co2_h2o"])
    if value is None:
        return ""
    sign = {"upper": "<", "lower": ">"}.get(row["co2_h2o_limit"], "")
    lo, hi = _plain(row["co2_h2o_err_lo"]), _plain(row["co2_h2o_err_hi"])
    if lo is None or sign:
        return f"{sign}{value:g}"
    if lo == hi:
        return f"{value:g} +- {lo:g}"
    return f"{value:g} -{lo:g} +{hi:g}"


def _text_table(table):
    header = ("designation", "name", "class", "rh/au", "CO2/H2O/%", "method", "reference")
    lines = []
    for row in table:
        rh = _plain(row["rh"])
        year = _plain(row["ref_year"])
        ref = f"{row['ref_authors']} {year}" if year and str(year) not in row["ref_authors"] else row["ref_authors"]
        if row["flags"]:
            ref += f" [{row['flags']}]"
        lines.append((row["designation"], row["name"], row["dyn_class"],
                      "" if rh is None else f"{rh:g}", _ratio_text(row), row["method"], ref))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    out = []
    for cells in [header, tuple("-" * w for w in widths), *lines]:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip())
    out.append(f"{len(lines)} rows; CO2/H2O in %, '<' upper and '>' lower limits")
    return "\n".join(out) + "\n"
