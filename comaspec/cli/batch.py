"""``comaspec batch``: many spectra and cubes at once, on Dask, resumable, with a summary."""

from __future__ import annotations

import argparse

HELP = "fit many spectra and cubes (a manifest or a directory) on Dask, with a summary table (and figure)"

_EPILOG = """\
examples:
  comaspec batch manifest.ecsv --output-dir results
  comaspec batch manifest.ecsv --output-dir results --figure      (and summary.pdf)
  comaspec batch manifest.csv --output-dir results --workers 4
  comaspec batch manifest.ecsv --output-dir results --scheduler tcp://10.0.0.5:8786
  comaspec batch spectra/ --output-dir results        (geometry from COMASPEC header keywords)

Re-running the same command skips the jobs already finished (--force runs them again).
Exit status: 0 when every job gave a result, 1 when some failed or were refused,
2 for a usage error (nothing run). Needs Dask: pip install 'comaspec[batch]'.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``batch`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction

    Returns
    -------
    argparse.ArgumentParser
    """
    p = subparsers.add_parser("batch", help=HELP, description=HELP[0].upper() + HELP[1:] + ".", epilog=_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", metavar="MANIFEST|DIR",
                   help="an .ecsv/.csv manifest (one row per job), or a directory of FITS files")
    p.add_argument("--output-dir", required=True, metavar="DIR",
                   help="where each job's DIR/<label>/ and summary.ecsv (and summary.pdf) go")
    d = p.add_argument_group("where the jobs run (Dask)")
    ex = d.add_mutually_exclusive_group()
    ex.add_argument("--workers", type=int, metavar="N",
                    help="worker processes of the local cluster (default: this machine's cores)")
    ex.add_argument("--scheduler", metavar="ADDRESS",
                    help="use a running dask.distributed scheduler, e.g. tcp://host:8786")
    p.add_argument("--species", metavar="LIST",
                   help="species of rows that name none (default CO2,H2O,CO)")
    p.add_argument("--figure", action="store_true",
                   help="also draw summary.pdf (CO2/H2O and Q against r_h and time, over the catalog); "
                        "it takes about as long as ten PRISM fits. Run a finished batch again with "
                        "--figure to draw it: its jobs are skipped")
    p.add_argument("--force", action="store_true", help="run every job again, also those already finished")
    p.add_argument("--check", action="store_true", help="only check the manifest: list refused rows, run nothing")
    p.set_defaults(run=_run)
    return p


def _run(args):
    import sys

    from .._progress import wanted
    from ..batch import read_jobs, run_batch
    from ..errors import UsageError
    from ._console import status

    def say(line):
        status(args, line)

    species = None
    if args.species is not None:
        species = [s.strip() for s in args.species.split(",") if s.strip()]
        if not species:
            raise UsageError("--species is empty")
    jobs, invalid = read_jobs(args.source, species)
    for bad in invalid:  # refused rows are errors: shown even with --quiet
        print(f"comaspec batch: {bad}", file=sys.stderr)
    if args.check:
        say(f"{len(jobs)} job{'s' if len(jobs) != 1 else ''} ready, {len(invalid)} refused")
        return 1 if invalid else 0
    result = run_batch(jobs, args.output_dir, invalid=invalid, scheduler=args.scheduler, workers=args.workers,
                       force=args.force, figure=args.figure, progress=wanted(), log=say)
    for label, outcome in result.outcomes.items():
        if outcome["status"] != "ok":
            print(f"comaspec batch: {label}: failed: {outcome['reason']}", file=sys.stderr)
    states = list(result.summary["status"])
    say(f"{states.count('ok')} ok, {states.count('failed')} failed, {states.count('invalid')} refused "
        f"of {len(states)} jobs; wrote {' and '.join(map(str, result.paths))}")
    return 1 if result.n_failed else 0
