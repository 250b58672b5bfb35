"""``comaspec catalog``: list the bundled catalog of published CO2, CO and H2O measurements."""

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
        help="list published comet CO2, CO and H2O measurements (filter by class, method, rh, comet)",
        description=(
            "List the bundled catalog of published comet measurements (production rates of H2O, "
            "CO2, CO and the ratios CO2/H2O, CO/H2O, CO2/CO as plain numbers, with limits, "
            "origins and references). Bad input: one line on stderr, exit status 2."
        ),
    )
    parser.add_argument("--class", dest="dyn_class", metavar="CLASS", action="append",
                        help="keep this dynamical class (repeatable): JFC, Halley-type, OCC-new, "
                             "OCC-returning, OCC, main-belt, Centaur, interstellar")
    parser.add_argument("--direct-only", action="store_true",
                        help="keep only direct CO2 measurements (the CO2 band itself)")
    parser.add_argument("--ratio-name", default="CO2/H2O", metavar="NAME",
                        help="the ratio --with-ratio and --no-limits refer to: CO2/H2O (default), "
                             "CO/H2O, CO2/CO or an inverse")
    parser.add_argument("--with-ratio", action="store_true", help="keep only rows with a value of that ratio")
    parser.add_argument("--no-limits", action="store_true", help="drop rows whose ratio is a limit")
    parser.add_argument("--comet", metavar="DESIG", default=None,
                        help="only this comet (e.g. 3I, 67P), its measurements in time order "
                             "(superseded values dropped)")
    parser.add_argument("--order", choices=("date", "rh"), default="date",
                        help="with --comet: order by date (default) or by rh")
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
    from ..ratios import parse_name

    name = parse_name(args.ratio_name, "--ratio-name").name
    table = catalog.load(dyn_class=args.dyn_class, method="direct" if args.direct_only else None,
                         rh_range=rh_range, limits="exclude" if args.no_limits else "include",
                         with_ratio=args.with_ratio, ratio=name)
    if args.comet is not None:
        if args.comet not in set(catalog.load()["designation"]):
            raise UsageError(f"--comet {args.comet}: not in the catalog")
        table = catalog.time_series(args.comet, order=args.order, table=table)
        table.remove_column("epoch")
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


def _ratio_text(row, prefix="co2_h2o"):
    from ..ratios import format_value

    value = _plain(row[prefix])
    if value is None:
        return ""
    text = format_value(value, _plain(row[f"{prefix}_err_lo"]), _plain(row[f"{prefix}_err_hi"]),
                        row[f"{prefix}_limit"])
    # ratios not printed as such in the source are marked: i(nverted), c(omputed), d(erived)
    mark = {"inverted": "i", "computed": "c", "derived": "d"}.get(row[f"{prefix}_origin"], "")
    return f"{text} ({mark})" if mark else text


def _text_table(table):
    header = ("designation", "name", "class", "rh/au", "CO2/H2O", "CO/H2O", "CO2/CO", "method",
              "reference")
    lines = []
    for row in table:
        rh = _plain(row["rh"])
        year = _plain(row["ref_year"])
        ref = f"{row['ref_authors']} {year}" if year and str(year) not in row["ref_authors"] else row["ref_authors"]
        if row["flags"]:
            ref += f" [{row['flags']}]"
        lines.append((row["designation"], row["name"], row["dyn_class"],
                      "" if rh is None else f"{rh:g}", *(_ratio_text(row, p) for p in
                                                         ("co2_h2o", "co_h2o", "co2_co")),
                      row["method"], ref))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    out = []
    for cells in [header, tuple("-" * w for w in widths), *lines]:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip())
    out.append(f"{len(lines)} rows; ratios are plain numbers (7.6 = 760 %); '<' upper and '>' "
               "lower limits; (i) inverted from the published inverse ratio, (c) computed from "
               "the production rates, (d) derived from two published ratios")
    return "\n".join(out) + "\n"
