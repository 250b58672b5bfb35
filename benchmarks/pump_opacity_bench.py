"""The pump-opacity check of every fit, `comaspec.maps.opacity.pump_opacity`, against the fit it checks.

`comaspec.pipeline.fit_loaded` (``comaspec ratio``, ``comaspec batch``) calls
`pump_opacity` on every fit (issue #22, item 6: goal <= 0.2 ms per fit). The script fits
``--jobs`` synthetic PRISM x1d files of `batch_bench.make_jobs` (CO2 and H2O detected, a
0.5" circle, each fit at its own T_rot), then times ``--repeat`` rounds of `pump_opacity`
on every fit, its cached cross-sections cleared before each round (a new fit brings a new
T_rot: the cache helps only within one fit), and, every tenth round, `fit_loaded`
itself on one of the files read beforehand. It prints the medians per fit and the check's
share of a fit. Run it with ``PYTHONPATH`` on an older tree for a before/after comparison
(there the check has no cache to clear).

The fits of these synthetic comae warn that their CO2 pump lines are not optically thin;
those warnings are silenced here.

    python benchmarks/pump_opacity_bench.py [--jobs 6] [--repeat 50]
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path


def per_fit(function, fits):
    """Seconds per fit of ``function(fit)`` over the fits."""
    start = time.perf_counter()
    for fit in fits:
        function(fit)
    return (time.perf_counter() - start) / len(fits)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=6, help="number of synthetic x1d fits (default 6)")
    parser.add_argument("--repeat", type=int, default=50, help="timed rounds (default 50)")
    args = parser.parse_args(argv)

    from batch_bench import make_jobs

    from comaspec.errors import ComaspecWarning
    from comaspec.maps import opacity
    from comaspec.pipeline import fit_loaded, load_inputs

    warnings.filterwarnings("ignore", category=ComaspecWarning)
    root = Path(tempfile.mkdtemp(prefix="comaspec-pump-opacity-bench-"))
    try:
        jobs = make_jobs(root, args.jobs)
        loaded = [load_inputs(job.files) for job in jobs]
        fits = [fit_loaded(inputs, job.geometry, job.aperture, list(job.species)) for job, inputs in zip(jobs, loaded)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    cache = getattr(opacity, "_strongest_sigma0", None)  # absent before the float kernels

    def fresh_check(fit):
        if cache is not None:
            cache.cache_clear()  # a new fit, a new T_rot
        opacity.pump_opacity(fit)

    times = {"check": [], "fit": []}
    for r in range(args.repeat):  # in turn: the check and the fit see the same load from other programs
        times["check"].append(per_fit(fresh_check, fits))
        if r % 10 == 0:
            start = time.perf_counter()
            job = jobs[r // 10 % len(jobs)]
            fit_loaded(loaded[r // 10 % len(jobs)], job.geometry, job.aperture, list(job.species))
            times["fit"].append(time.perf_counter() - start)
    check, fit_s = statistics.median(times["check"]), statistics.median(times["fit"])
    print(f"{args.jobs} synthetic PRISM fits (CO2, H2O; 0.5\" circle); load average {os.getloadavg()[0]:.1f}")
    print(f"pump_opacity:                 {1e3 * check:.3f} ms per fit   (goal <= 0.2 ms)")
    print(f"fit_loaded (read beforehand): {1e3 * fit_s:.1f} ms per fit: the check is {100 * check / fit_s:.2f} % of it")


if __name__ == "__main__":
    main()
