"""``comaspec compare``: where a CO2/H2O measurement stands among published comets."""

from __future__ import annotations

import argparse

from ._args import check_outputs, ranged

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
        help="compare a CO2/H2O ratio with published comets (percentile, sigma from the rh trend, figure)",
        description=(
            "Compare a CO2/H2O measurement with the bundled catalog: its percentile among direct "
            "measurements and how many sigma it lies from the trend of CO2/H2O with heliocentric "
            "distance; optionally draw the comparison figure (PDF or PNG). Bad input: one line "
            "on stderr, exit status 2, no file written."
        ),
    )
    parser.add_argument("--ratio", type=ranged("ratio_percent"), required=True, metavar="PERCENT",
                        help="CO2/H2O in percent (e.g. 760 for 7.6)")
    parser.add_argument("--ratio-err", type=ranged("ratio_err_percent"), default=0.0, metavar="PERCENT",
                        help="1-sigma error of the ratio, percent (default 0)")
    parser.add_argument("--rh", type=ranged("rh"), required=True, metavar="AU",
                        help="heliocentric distance of the measurement, au")
    parser.add_argument("--label", default="This work", metavar="NAME",
                        help="legend label of the measurement (default 'This work')")
    parser.add_argument("-o", "--output", metavar="FIG", default=None,
                        help="write the figure to FIG (.pdf or .png)")
    parser.add_argument("--figure", choices=("rh", "class"), default="rh",
                        help="figure: CO2/H2O against rh (default) or the distribution by class")
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

    from .. import catalog
    from ..errors import UsageError

    if args.output is not None and Path(args.output).suffix.lower() not in (".pdf", ".png"):
        raise UsageError(f"{args.output}: the figure file must end in .pdf or .png")
    check_outputs(args, "--output")
    table = catalog.load()
    result = catalog.compare(args.ratio, args.rh, args.ratio_err, table=table,
                             direct_only=not args.include_indirect)
    if args.output is not None:
        from ..plotting import compare as figures
        from ..plotting.style import save_figure

        if args.figure == "rh":
            fig = figures.ratio_vs_rh(args.ratio, args.ratio_err, args.rh, label=args.label,
                                      table=table, width=args.width)
        else:
            fig = figures.ratio_by_class(args.ratio, args.ratio_err, label=args.label,
                                         table=table, width=args.width)
        save_figure(fig, args.output)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        print(result.summary())
        if args.output is not None:
            print(f"figure written to {args.output}")
    return 0
