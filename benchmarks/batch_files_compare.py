"""Before/after check of a batch's files: the same 12 synthetic PRISM jobs, every file compared byte for byte.

Run it once from a checkout of the old code (``--write DIR``), then from the new code
(``--compare DIR``); it prints the files that differ and exits 1 if any does. The inputs
are made once in ``DIR/inputs`` (the jobs of ``batch_small_bench.dated_jobs``), so both
runs fit the very same files. A batch's files hold no timestamps; nothing is skipped.

    PYTHONPATH=/old/checkout python benchmarks/batch_files_compare.py --write /tmp/cmp
    PYTHONPATH=$PWD python benchmarks/batch_files_compare.py --compare /tmp/cmp
"""

import argparse
import filecmp
import pickle
import shutil
import sys
import tempfile
import warnings
from pathlib import Path


def run(root, out):
    """run_batch(workers=1) over the jobs of ``root/inputs`` (made there the first time) into ``out``."""
    from comaspec.batch import run_batch

    inputs = root / "inputs"
    if not (inputs / "jobs.pkl").is_file():
        from batch_small_bench import dated_jobs

        inputs.mkdir(parents=True, exist_ok=True)
        (inputs / "jobs.pkl").write_bytes(pickle.dumps(dated_jobs(inputs, 12, "PRISM")))
    jobs = pickle.loads((inputs / "jobs.pkl").read_bytes())
    result = run_batch(jobs, out, workers=1)
    assert result.n_failed == 0


def differing(a, b):
    """Relative paths of the files that are not byte-identical (or exist on one side only)."""
    names = {p.relative_to(a) for p in a.rglob("*") if p.is_file()} | {p.relative_to(b) for p in b.rglob("*")
                                                                       if p.is_file()}
    return sorted(str(n) for n in names
                  if not ((a / n).is_file() and (b / n).is_file() and filecmp.cmp(a / n, b / n, shallow=False)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--write", type=Path, help="write the reference batch into DIR/reference")
    what.add_argument("--compare", type=Path, help="run the batch again and compare with DIR/reference")
    args = parser.parse_args(argv)
    from comaspec.errors import ComaspecWarning

    warnings.filterwarnings("ignore", category=ComaspecWarning)  # the synthetic comae's pump-opacity notes
    root = args.write or args.compare
    if args.write:
        shutil.rmtree(root / "reference", ignore_errors=True)
        run(root, root / "reference")
        print(f"reference written to {root / 'reference'}")
        return 0
    out = Path(tempfile.mkdtemp(prefix="batch-compare-"))
    try:
        run(root, out / "new")
        bad = differing(root / "reference", out / "new")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    n = sum(1 for p in (root / "reference").rglob("*") if p.is_file())
    print(f"{n} files compared; " + (f"differing: {', '.join(bad)}" if bad else "all byte-identical"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
