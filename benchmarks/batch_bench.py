"""Speed of ``comaspec batch``: 40 synthetic x1d jobs on 1 and 2 Dask workers.

The baseline is the same 40 jobs run one after the other in this process, through the
very call each worker makes (`comaspec.batch.jobs.run_job`: read the x1d, fit, write
``result.json`` and ``result.ecsv``), with BLAS limited to one thread as in the workers.
The script prints

- the time of one fit (`comaspec.pipeline.fit_loaded` on files read beforehand) and of
  one whole job in this process;
- for 1 worker: the wall time of the 40 jobs and the per-job overhead of Dask,
  ``(wall_1 - baseline) / 40``, as a fraction of one fit (goal <= 10 %), and the same in
  CPU time summed over this process and the workers (a shared machine disturbs it less);
- for 2 workers: the wall time and the speed-up ``wall_1 / wall_2`` (goal >= 1.7 on a
  2-core machine), with the share of a core each worker actually had (CPU time / wall
  time): on a machine shared with other programs the workers get less than a core each,
  and the speed-up per core received tells how the jobs scale apart from that;
- what is paid once per batch, not per job: starting the local cluster (each worker
  imports comaspec once), the first job of each worker (it builds the band templates),
  and writing the summary table and figure.

One cluster at a time is started (an idle cluster costs a few % of a core) and warmed
with one job per worker; then the 40 jobs are timed in ``--repeat`` rounds, each with the
same jobs run in this process beside them, so that both see the same load from other
programs; medians are printed. The speed-up is also given against those baseline runs,
which cancels a change of load between the 1-worker and the 2-worker phase. Run from the repository root:

    python benchmarks/batch_bench.py [--jobs 40] [--repeat 5] [--mode PRISM]
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def make_jobs(directory, n, mode="PRISM"):
    """Write ``n`` synthetic x1d files of one comet along its orbit; return their jobs."""
    import astropy.units as u

    from comaspec.apertures import CircularAperture
    from comaspec.batch.jobs import Job
    from comaspec.geometry import Geometry
    from comaspec.synthetic import synthetic_spectrum

    aperture = CircularAperture(0.5 * u.arcsec)
    jobs = []
    for i in range(n):
        rh = 1.5 + 3.0 * i / n
        geometry = Geometry(rh * u.au, (rh - 0.6) * u.au, 20 * u.deg)
        path = Path(directory) / f"job{i:03d}_x1d.fits"
        synthetic_spectrum(mode, {"CO2": 8e26, "H2O": 3e27 / rh**2}, geometry, aperture, T_rot=50.0,
                           error=4e-19 * u.W / u.m**2 / u.um, continuum=lambda wl: 5e-17 * (wl / 3.5) ** -1.5,
                           seed=i, path=path)
        jobs.append(Job(label=f"job{i:03d}", files=(str(path),), geometry=geometry, aperture=aperture,
                        origin=path.name, index=i))
    return jobs


def fresh(directory):
    shutil.rmtree(directory, ignore_errors=True)
    Path(directory).mkdir(parents=True)
    return Path(directory)


def time_fits(jobs):
    """Seconds of the fits alone (files read beforehand), summed over the jobs."""
    from comaspec.pipeline import fit_loaded, load_inputs

    loaded = [load_inputs(job.files) for job in jobs]
    start = time.perf_counter()
    for job, inputs in zip(jobs, loaded):
        fit_loaded(inputs, job.geometry, job.aperture, list(job.species))
    return time.perf_counter() - start


def time_in_process(jobs, out):
    """(wall, CPU) seconds to run every job one after the other in this process (the workers' call)."""
    from comaspec.batch.jobs import run_job

    start, cpu = time.perf_counter(), time.process_time()
    for job in jobs:
        assert run_job(job, out)["status"] == "ok"
    return time.perf_counter() - start, time.process_time() - cpu


def _cpu_seconds():
    """CPU time of the calling process, all threads (user + system)."""
    return time.process_time()


def _warm(job, base):
    """Run one job in a worker (its first fit builds the band templates)."""
    from comaspec.batch.jobs import run_job

    out = Path(base) / str(os.getpid())
    out.mkdir(parents=True, exist_ok=True)
    return run_job(job, out)["status"]


def start_cluster(n, job, base):
    """A warmed local cluster of ``n`` workers: (client, start-up seconds, warm-up seconds)."""
    from comaspec.batch.cluster import connect

    start = time.perf_counter()
    client, _ = connect(workers=n)
    started = time.perf_counter()
    assert set(client.run(_warm, job, str(base)).values()) == {"ok"}
    return client, started - start, time.perf_counter() - started


def time_batch(client, jobs, out):
    """(wall, CPU, workers' CPU) seconds for `run_jobs` (what `run_batch` does between start-up and summary).

    CPU counts this process (client and scheduler) and every worker process.
    """
    from comaspec.batch.execute import run_jobs

    def cpu():
        return time.process_time(), sum(client.run(_cpu_seconds).values())

    main0, workers0 = cpu()
    start = time.perf_counter()
    outcomes = run_jobs(jobs, out, client)
    elapsed = time.perf_counter() - start
    main1, workers1 = cpu()
    assert all(o["status"] == "ok" for o in outcomes.values())
    return elapsed, (main1 - main0) + (workers1 - workers0), workers1 - workers0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40, help="number of x1d jobs (default 40)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of timed runs (default 5)")
    parser.add_argument("--mode", default="PRISM", help="NIRSpec mode of the synthetic x1d (default PRISM)")
    args = parser.parse_args(argv)

    from comaspec.batch._worker import prepare_worker
    from comaspec.batch.cluster import close
    from comaspec.batch.summary import summary_table, write_summary

    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)  # no INFO lines when clusters close
    load_before = os.getloadavg()
    prepare_worker()  # one BLAS thread here too: the baseline does what a worker does
    root = Path(tempfile.mkdtemp(prefix="comaspec-batch-bench-"))
    try:
        jobs = make_jobs(fresh(root / "inputs"), args.jobs, args.mode)
        time_in_process(jobs[:1], fresh(root / "warm"))  # this process's templates
        # one cluster at a time: an idle Dask cluster costs a few % of a core (heartbeats)
        fits, serials, walls, once = [], {1: [], 2: []}, {1: [], 2: []}, {}
        for n in (1, 2):
            client, started, warmed = start_cluster(n, jobs[0], fresh(root / f"warm{n}"))
            once[n] = (started, warmed)
            for r in range(args.repeat):  # alternate with the baseline: both see the same load from others
                if n == 1:
                    fits.append(time_fits(jobs) / len(jobs))
                serials[n].append(time_in_process(jobs, fresh(root / f"serial{n}_{r}")))
                walls[n].append(time_batch(client, jobs, fresh(root / f"out{n}_{r}")))
            close(client)
        start = time.perf_counter()
        write_summary(summary_table(jobs, [], root / "out1_0"), root / "out1_0")
        summary_s = time.perf_counter() - start
    finally:
        shutil.rmtree(root, ignore_errors=True)

    n = len(jobs)
    fit = statistics.median(fits)
    serial = statistics.median(w for w, *_ in serials[1])
    # per round, so that a slow patch of the machine weighs on both terms
    overhead = statistics.median((a[0] - b[0]) / n for a, b in zip(walls[1], serials[1]))
    overhead_cpu = statistics.median((a[1] - b[1]) / n for a, b in zip(walls[1], serials[1]))
    # how much of a core each worker had: below 1 when other programs take the cores
    on_cpu = {k: statistics.median(c / (k * w) for w, _, c in walls[k]) for k in (1, 2)}
    wall = {k: statistics.median(w for w, *_ in walls[k]) for k in (1, 2)}
    # each cluster size against the baseline run beside it: cancels a change of load between the two
    relative = {k: statistics.median(b[0] / a[0] for a, b in zip(walls[k], serials[k])) for k in (1, 2)}
    print(f"{n} synthetic {args.mode} x1d jobs; {os.cpu_count()} cores; load average {load_before[0]:.1f} at start, "
          f"{os.getloadavg()[0]:.1f} at end (other programs share the machine)")
    print(f"one fit in this process:            {1e3 * fit:7.1f} ms (median of {args.repeat} rounds)")
    print(f"one job in this process:            {1e3 * serial / n:7.1f} ms (read + fit + write JSON/ECSV)")
    for k in (1, 2):
        print(f"{k} worker{'s' if k > 1 else ' '}: {n} jobs in {wall[k]:6.2f} s (runs: "
              f"{', '.join(f'{w:.2f}' for w, *_ in walls[k])} s); the same jobs in this process beside them: "
              f"{', '.join(f'{w:.2f}' for w, *_ in serials[k])} s")
    print(f"speed-up 2 workers / 1 worker:      {wall[1] / wall[2]:7.2f}   (goal >= 1.7); against the baseline run "
          f"beside each: {relative[2] / relative[1]:.2f}")
    print(f"the workers were on a core {100 * on_cpu[1]:.0f} % (1 worker) and {100 * on_cpu[2]:.0f} % (2 workers) "
          "of the wall time: below 100 % when other programs take the cores")
    print(f"speed-up per core received (x on-core 1 worker / on-core 2 workers): "
          f"{wall[1] / wall[2] * on_cpu[1] / on_cpu[2]:.2f}   (how the jobs scale apart from the sharing)")
    print(f"Dask overhead per job (1 worker), wall: {1e3 * overhead:6.1f} ms = {100 * overhead / fit:5.1f} % of a fit "
          "(goal <= 10 %)")
    print(f"Dask overhead per job (1 worker), CPU:  {1e3 * overhead_cpu:6.1f} ms = {100 * overhead_cpu / fit:5.1f} % "
          "of a fit (all processes; less sensitive to other programs)")
    for k, (started, warmed) in once.items():
        print(f"once per batch, {k} worker{'s' if k > 1 else ''}: cluster start-up {started:.2f} s, "
              f"first job per worker {warmed:.2f} s")
    print(f"once per batch: summary.ecsv + summary.pdf {summary_s:.2f} s")


if __name__ == "__main__":  # worker processes are spawned: they must not run this
    main()
