"""A small batch against a loop: ``run_batch(..., workers=1)`` over 12 PRISM x1d jobs.

Goal (issue #22, item 6): 12 PRISM jobs with ``--workers 1`` take at most 1.3 times an
in-process loop of `comaspec.fit_coma` over the same files (each file read with
`comaspec.read_spectrum`, then fitted). The batch runs as the command runs it by default:
it also writes each job's ``result.json``, ``result.ecsv``, ``ratios.json`` and
``job.json``, then ``summary.ecsv`` once; and, timed apart, as with ``--figure``, which
also draws ``summary.pdf``. The files carry an observation date (``MJD-AVG``), as real
x1d files do, so all four panels of the figure are drawn. The loop, the default batch and
the batch with the figure run in this process, one after the other, ``--repeat`` times,
after one warm-up each (imports, band templates, the catalog under the figure); the
medians of the wall and CPU times and the medians of the per-round ratios are printed,
with the time of the parts the batch adds once: the summary table, ``summary.ecsv`` and
``summary.pdf`` (warm, and in a new process, where it also imports matplotlib and reads
the catalog, as ``comaspec batch --figure`` does).

The fits of these synthetic comae warn that some CO2 pumping lines are not optically thin
(expected here); those warnings are silenced in this script, not in the package.

    python benchmarks/batch_small_bench.py [--jobs 12] [--repeat 5] [--mode PRISM]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

#: Observation dates of the synthetic files (MJD, one visit every 10 days from 2025-06-01).
_FIRST_MJD = 60827.0
#: Drawing summary.pdf in a new process: imports, catalog, drawing; printed in seconds.
_COLD_FIGURE = """
import sys, time
start = time.perf_counter()
import scipy.optimize  # imported by every fit: a batch has it before its figure
from astropy.table import QTable
from comaspec.plotting.batch import save_batch_summary
ready = time.perf_counter()
save_batch_summary(QTable.read(sys.argv[1]), sys.argv[2])
print(ready - start, time.perf_counter() - ready)
"""


def dated_jobs(directory, n, mode):
    """The jobs of ``batch_bench.make_jobs``, their files dated (MJD-AVG), as real x1d files are."""
    from astropy.io import fits
    from batch_bench import make_jobs

    jobs = make_jobs(directory, n, mode)
    for i, job in enumerate(jobs):
        fits.setval(job.files[0], "MJD-AVG", value=_FIRST_MJD + 10.0 * i, ext=0)
    return jobs


def loop_of_fits(jobs):
    """(wall s, CPU s) for read_spectrum + fit_coma over the jobs' files, in this process."""
    from comaspec import fit_coma, read_spectrum

    start, cpu = time.perf_counter(), time.process_time()
    for job in jobs:
        fit_coma(read_spectrum(job.files[0]), job.geometry, job.aperture, list(job.species))
    return time.perf_counter() - start, time.process_time() - cpu


def batch(jobs, out, figure):
    """(wall s, CPU s) of run_batch(workers=1): as the command runs it by default, or with --figure."""
    from comaspec.batch import run_batch

    start, cpu = time.perf_counter(), time.process_time()
    result = run_batch(jobs, out, workers=1, figure=figure)
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    assert result.n_failed == 0
    assert [p.name for p in result.paths] == ["summary.ecsv", "summary.pdf"][: 1 + figure]
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


def cold_figure(out):
    """(import s, draw-and-write s) of summary.pdf in a new process, from the batch's summary.ecsv."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                       os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-c", _COLD_FIGURE, str(out / "summary.ecsv"), str(out / "cold.pdf")],
                         capture_output=True, text=True, env=env, check=True)
    imports, draw = map(float, run.stdout.split())
    return imports, draw


def rounds(jobs, root, repeat):
    """Warm up, then time the loop, the default batch and the batch with --figure in turn."""
    from comaspec._threads import single_threaded_blas

    times = {"loop": [], "batch": [], "figure": []}
    with single_threaded_blas():  # the loop as the batch runs its jobs: one BLAS thread
        loop_of_fits(jobs[:2])
        batch(jobs[:2], root / "warm", figure=True)
        for r in range(repeat):  # in turn: all three see the same load from other programs
            times["loop"].append(loop_of_fits(jobs))
            times["batch"].append(batch(jobs, root / f"out{r}", figure=False))
            times["figure"].append(batch(jobs, root / f"fig{r}", figure=True))
    return times


def report(times, name, label, clock):
    """Print one line: the median time of ``name`` and its median per-round ratio to the loop."""
    runs = [t[clock] for t in times[name]]
    ratio = statistics.median(b[clock] / a[clock] for a, b in zip(times["loop"], times[name]))
    what = "wall" if clock == 0 else "CPU "
    print(f"{label:<34} {what} {statistics.median(runs):6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in runs)})"
          + ("" if name == "loop" else f"  / loop: {ratio:.2f}"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=12, help="number of x1d jobs (default 12)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--mode", default="PRISM", help="NIRSpec mode of the synthetic x1d (default PRISM)")
    args = parser.parse_args(argv)

    from comaspec.errors import ComaspecWarning

    # the synthetic comae have CO2 pump lines that are not optically thin: expected here
    warnings.filterwarnings("ignore", category=ComaspecWarning)
    root = Path(tempfile.mkdtemp(prefix="comaspec-small-batch-bench-"))
    try:
        (root / "inputs").mkdir()
        jobs = dated_jobs(root / "inputs", args.jobs, args.mode)
        times = rounds(jobs, root, args.repeat)
        table_s, ecsv_s, pdf_s = parts(jobs, root / "fig0")
        cold_import_s, cold_pdf_s = cold_figure(root / "fig0")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{args.jobs} synthetic {args.mode} x1d jobs, dated; load average {os.getloadavg()[0]:.1f} "
          "(other programs share the machine)")
    for clock in (0, 1):
        report(times, "loop", "loop of read_spectrum + fit_coma:", clock)
        report(times, "batch", "run_batch(workers=1) (default):", clock)
        report(times, "figure", "run_batch(workers=1, figure=True):", clock)
    ratio = statistics.median(b[0] / a[0] for a, b in zip(times["loop"], times["batch"]))
    print(f"batch / loop: {ratio:.2f}   (goal <= 1.3; the default batch, median of the per-round wall-time ratios)")
    per_fit = statistics.median(t[0] for t in times["loop"]) / len(jobs)
    per_job = statistics.median(b[0] - a[0] for a, b in zip(times["loop"], times["batch"])) / len(jobs)
    print(f"the default batch adds {1e3 * per_job:.1f} ms per job to a read + fit of {1e3 * per_fit:.1f} ms "
          "(its files: result.json, result.ecsv, ratios.json, job.json; the pump-opacity check)")
    print(f"once per batch: summary table {table_s:.3f} s, summary.ecsv {ecsv_s:.3f} s, "
          f"summary.pdf (--figure) {pdf_s:.3f} s = {pdf_s / per_fit:.0f} reads + fits of the loop")
    print(f"summary.pdf in a new process (as `comaspec batch --figure`): {cold_pdf_s:.3f} s, "
          f"after {cold_import_s:.3f} s of imports (astropy.table, scipy.optimize, comaspec.plotting.batch)")


if __name__ == "__main__":
    main()
