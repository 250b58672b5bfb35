"""A small batch against a loop: ``run_batch(..., workers=1)`` over 12 PRISM x1d jobs.

Goal (issue #22, item 6): 12 PRISM jobs with ``--workers 1`` take at most 1.3 times an
in-process loop of `comaspec.fit_coma` over the same files (each file read with
`comaspec.read_spectrum`, then fitted). The batch also writes each job's ``result.json``,
``result.ecsv``, ``ratios.json`` and ``job.json``, and ``summary.ecsv`` once; the figure
``summary.pdf`` is drawn only when asked for (``--figure``, ``run_batch(figure=True)``),
and its cost is printed apart. Both run in this process, one after the other, ``--repeat``
times, after one warm-up each (imports, band templates); the medians and the median of
the per-round ratios are printed, with the time of the parts the batch adds.

    python benchmarks/batch_small_bench.py [--jobs 12] [--repeat 5] [--mode PRISM]
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def loop_of_fits(jobs):
    """Seconds for read_spectrum + fit_coma over the jobs' files, in this process."""
    from comaspec import fit_coma, read_spectrum

    start = time.perf_counter()
    for job in jobs:
        fit_coma(read_spectrum(job.files[0]), job.geometry, job.aperture, list(job.species))
    return time.perf_counter() - start


def batch(jobs, out):
    """Seconds for run_batch(workers=1) as the command runs it by default (summary table, no figure)."""
    from comaspec.batch import run_batch

    start = time.perf_counter()
    result = run_batch(jobs, out, workers=1)
    elapsed = time.perf_counter() - start
    assert result.n_failed == 0 and [p.name for p in result.paths] == ["summary.ecsv"]
    return elapsed


def parts(jobs, out):
    """Seconds of the summary table, summary.ecsv and summary.pdf alone, after a batch."""
    from comaspec.batch.summary import summary_table, write_summary

    start = time.perf_counter()
    table = summary_table(jobs, [], out)
    tabled = time.perf_counter()
    write_summary(table, out, figure=False)
    written = time.perf_counter()
    write_summary(table, out, figure=True)
    return tabled - start, written - tabled, time.perf_counter() - written - (written - tabled)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=12, help="number of x1d jobs (default 12)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--mode", default="PRISM", help="NIRSpec mode of the synthetic x1d (default PRISM)")
    args = parser.parse_args(argv)

    from batch_bench import make_jobs

    from comaspec._threads import single_threaded_blas

    root = Path(tempfile.mkdtemp(prefix="comaspec-small-batch-bench-"))
    try:
        (root / "inputs").mkdir()
        jobs = make_jobs(root / "inputs", args.jobs, args.mode)
        with single_threaded_blas():  # the loop as the batch runs its jobs: one BLAS thread
            loop_of_fits(jobs[:2])
            batch(jobs[:2], root / "warm")
            loops, batches = [], []
            for r in range(args.repeat):  # alternate: both see the same load from other programs
                loops.append(loop_of_fits(jobs))
                batches.append(batch(jobs, root / f"out{r}"))
            table_s, ecsv_s, pdf_s = parts(jobs, root / "out0")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    loop, run = statistics.median(loops), statistics.median(batches)
    ratio = statistics.median(b / a for a, b in zip(loops, batches))
    print(f"{args.jobs} synthetic {args.mode} x1d jobs; load average {os.getloadavg()[0]:.1f} "
          "(other programs share the machine)")
    print(f"loop of read_spectrum + fit_coma:  {loop:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in loops)})")
    print(f"run_batch(workers=1):              {run:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in batches)}; "
          "the jobs, their files and summary.ecsv)")
    print(f"batch / loop: {ratio:.2f}   (goal <= 1.3; median of the per-round ratios)")
    print(f"of which once per batch: summary table {table_s:.3f} s, summary.ecsv {ecsv_s:.3f} s; "
          f"summary.pdf when asked for (--figure) {pdf_s:.3f} s")
    with_figure = statistics.median((b + pdf_s) / a for a, b in zip(loops, batches))
    print(f"batch with --figure / loop: {with_figure:.2f}")


if __name__ == "__main__":
    main()
