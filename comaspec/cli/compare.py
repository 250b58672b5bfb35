"""``comaspec compare``: where a ratio (CO2/H2O, CO/H2O, CO2/CO) stands among published comets."""

from __future__ import annotations

import argparse

from ._args import check_outputs, check_value, ranged

__all__ = ["add_parser"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``compare`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = subparsers.add_parser(
        "compare",
        help="compare a CO2/H2O, CO/H2O or CO2/CO ratio with published comets (percentile, "
             "sigma from the rh trend, figure)",
        description=(
            "Compare a ratio measurement with the bundled catalog: its percentile among the "
            "catalog's measurements (and, with its limits, a percentile range) and how many sigma "
            "it lies from the trend of that ratio with heliocentric distance; optionally draw the "
            "comparison figure (PDF or PNG). Ratios are plain numbers (7.6 means 760 %) unless "
            "written with a % sign (760%); a note on stderr says how the value was read. Bad "
            "input: one line on stderr, exit status 2, no file written."
        ),
    )
    parser.add_argument("--ratio", required=True, metavar="VALUE",
                        help="the ratio: a plain number (7.6) or a percentage with a %% sign (760%%)")
    parser.add_argument("--ratio-err", default="0", metavar="VALUE",
                        help="1-sigma error of the ratio, same rule (default 0)")
    parser.add_argument("--ratio-name", default="CO2/H2O", metavar="NAME",
                        help="which ratio: CO2/H2O (default), CO/H2O, CO2/CO or an inverse "
                             "(H2O/CO2, H2O/CO, CO/CO2)")
    parser.add_argument("--rh", type=ranged("rh"), required=True, metavar="AU",
                        help="heliocentric distance of the measurement, au")
    parser.add_argument("--label", default="This work", metavar="NAME",
                        help="legend label of the measurement (default 'This work')")
    parser.add_argument("-o", "--output", metavar="FIG", default=None,
                        help="write the figure to FIG (.pdf or .png)")
    parser.add_argument("--figure", choices=("rh", "class"), default="rh",
                        help="figure: the ratio against rh (default) or the distribution by class")
    parser.add_argument("--width", choices=("single", "double"), default="single",
                        help="figure width: one (3.5 in) or two (7.1 in) journal columns")
    parser.add_argument("--include-indirect", action="store_true",
                        help="use indirect (proxy) measurements too for the trend and percentile")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.set_defaults(run=_run)
    return parser


def _run(args) -> int:
    import json
    from pathlib import Path

    import sys

    from .. import catalog
    from ..errors import UsageError
    from ..ratios import parse_name, parse_value, reading_note

    if args.output is not None and Path(args.output).suffix.lower() not in (".pdf", ".png"):
        raise UsageError(f"{args.output}: the figure file must end in .pdf or .png")
    check_outputs(args, "--output")
    name = parse_name(args.ratio_name, "--ratio-name").name
    value, unit = parse_value(args.ratio, "--ratio")
    err = parse_value(args.ratio_err, "--ratio-err")[0]
    check_value(value, "ratio", "--ratio")
    check_value(err, "ratio_err", "--ratio-err")
    table = catalog.load()
    result = catalog.compare(value, args.rh, err, ratio=name, table=table,
                             direct_only=not args.include_indirect)
    if args.output is not None:
        from ..plotting import compare as figures
        from ..plotting.style import save_figure

        if args.figure == "rh":
            fig = figures.ratio_vs_rh(value, err, args.rh, label=args.label, table=table,
                                      width=args.width, ratio_name=name)
        else:
            fig = figures.ratio_by_class(value, err, label=args.label, table=table,
                                         width=args.width, ratio_name=name)
        save_figure(fig, args.output)
    # said once everything succeeded, so that bad input stays one line on stderr
    if not getattr(args, "quiet", False):
        print(reading_note("--ratio", args.ratio, value, unit, name), file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        print(result.summary())
        if args.output is not None:
            print(f"figure written to {args.output}")
    return 0
