"""Running batch jobs: in this process while that is cheaper, else on Dask.

A local Dask cluster costs seconds to start (each worker process imports comaspec) and a
few milliseconds per job; a PRISM fit takes tens of milliseconds. `run_here` runs jobs one
after the other in this process, with one BLAS thread, and stops as soon as the jobs left
would take longer than `CLUSTER_WORTH_S`: only then is a cluster started for the rest
(`run_jobs`). With one worker, everything runs here. Each job's warnings come back with
its outcome and are shown once, by this process, prefixed with the job's label (worker
processes print nothing). Ctrl-C cancels what is queued; the caller shuts the cluster
down and removes the temporaries of the jobs that were cut short.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
import uuid
import warnings

__all__ = ["run_jobs", "run_here", "chunk_size", "progress_bar", "cluster_after", "CLUSTER_WORTH_S"]

#: Seconds of work left above which the remaining jobs go to a local cluster of several
#: processes rather than run here: a few times what starting one costs (2-4 s on a
#: 2-core machine; benchmarks/batch_bench.py prints it). Dask's configuration key
#: ``comaspec.batch.cluster-after`` changes it (environment:
#: ``DASK_COMASPEC__BATCH__CLUSTER_AFTER=0`` starts the cluster at once).
CLUSTER_WORTH_S = 10.0


def cluster_after() -> float:
    """Seconds of work left that are worth a local cluster (`CLUSTER_WORTH_S`, or Dask's config).

    Returns
    -------
    float
    """
    import dask

    from ..errors import UsageError

    value = dask.config.get("comaspec.batch.cluster-after", CLUSTER_WORTH_S)
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = float("nan")
    if not value >= 0:
        raise UsageError("Dask configuration comaspec.batch.cluster-after: must be a number of seconds >= 0")
    return value


def progress_bar(total, show):
    """A tqdm bar of finished and failed jobs on stderr (a no-op bar unless ``show``).

    Parameters
    ----------
    total : int
    show : bool

    Returns
    -------
    tqdm.tqdm
    """
    from tqdm import tqdm

    from .._progress import _unknown_size_fallback

    bar = tqdm(total=total, unit="job", desc="comaspec batch", disable=not show, file=sys.stderr,
               leave=True, **_unknown_size_fallback())
    bar.comaspec_counts = {"ok": 0, "failed": 0}
    return bar


def _count(bar, done):
    for outcome in done:
        bar.comaspec_counts[outcome["status"]] += 1
    bar.set_postfix(**bar.comaspec_counts, refresh=False)
    bar.update(len(done))


def _relay_warnings(outcome):
    """Show a job's warnings here, once each, prefixed with its label (the console routes them)."""
    from ..errors import ComaspecWarning

    for category, message in outcome.pop("warnings", ()):
        if category == "ComaspecWarning":
            warnings.warn(f"{outcome['label']}: {message}", ComaspecWarning, stacklevel=2)
        else:  # a library's: shown with --verbose only, as for `comaspec ratio`
            warnings.warn(f"{outcome['label']}: {category}: {message}", UserWarning, stacklevel=2)


def chunk_size(n_jobs, n_workers):
    """Jobs per Dask task: a few tasks per worker, at most `MAX_CHUNK` jobs each.

    A fit takes tens of milliseconds, comparable to what Dask spends on a task; grouping
    jobs keeps that cost a small part of each job while every worker still gets several
    tasks to balance the load.

    Parameters
    ----------
    n_jobs, n_workers : int

    Returns
    -------
    int
    """
    return max(1, min(MAX_CHUNK, n_jobs // (TASKS_PER_WORKER * max(n_workers, 1))))


#: Most jobs in one Dask task.
MAX_CHUNK = 8
#: Tasks per worker aimed at (load balance).
TASKS_PER_WORKER = 8


def run_here(jobs, output_dir, bar, *, budget_s=None):
    """Run jobs one after the other in this process, with one BLAS thread.

    Parameters
    ----------
    jobs : list of Job
    output_dir : pathlib.Path
    bar : tqdm.tqdm
        From `progress_bar`.
    budget_s : float, optional
        Stop once the jobs left, at the pace of the jobs so far, would take longer than
        this (they are better run on a cluster); 0 runs none. None: run them all.

    Returns
    -------
    (dict, list of Job)
        Label -> outcome of the jobs run, and the jobs not run.
    """
    from .._threads import single_threaded_blas
    from .jobs import run_job

    outcomes = {}
    if budget_s == 0:
        return outcomes, list(jobs)
    start = time.perf_counter()
    with single_threaded_blas(), _ctrl_c_between_jobs() as interrupted:
        for i, job in enumerate(jobs, start=1):
            began = time.perf_counter()
            outcome = run_job(job, output_dir)
            if interrupted.is_set():  # a Ctrl-C that Python swallowed (see _ctrl_c_between_jobs)
                raise KeyboardInterrupt
            _relay_warnings(outcome)
            outcomes[job.label] = outcome
            _count(bar, [outcome])
            # the first job also builds the band templates: the latest job tells the pace better
            now = time.perf_counter()
            per_job = min((now - start) / i, now - began)
            if budget_s is not None and per_job * (len(jobs) - i) > budget_s:
                return outcomes, jobs[i:]
    return outcomes, []


@contextlib.contextmanager
def _ctrl_c_between_jobs():
    """Make Ctrl-C stop `run_here` reliably; yields the event it sets.

    Python ignores a KeyboardInterrupt raised while a weak-reference callback or a
    ``__del__`` runs (it prints "Exception ignored ..." with a traceback and goes on), and a
    job frees many objects: one Ctrl-C in a few was lost that way and the batch ran on. The
    handler records the interrupt before raising it, the loop checks the record after each
    job, and such a swallowed interrupt is not printed (it is acted on instead).
    """
    interrupted = threading.Event()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield interrupted  # signals reach the main thread only; a caller's own handler stays
        return

    def on_sigint(signum, frame):
        interrupted.set()
        raise KeyboardInterrupt

    def unraisable(info, hook=sys.unraisablehook):
        if not (interrupted.is_set() and isinstance(info.exc_value, KeyboardInterrupt)):
            hook(info)

    previous_handler, previous_hook = signal.signal(signal.SIGINT, on_sigint), sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        sys.unraisablehook = previous_hook


def _failed_chunk(chunk, output_dir, exc):
    """Outcomes of a task that did not return (its worker died): jobs without results failed."""
    from ..io._checks import describe_failure
    from .jobs import job_state, write_error

    reason = f"the Dask task failed: {describe_failure(exc)}"
    out = []
    for job in chunk:
        if job_state(job, output_dir) == "done":
            out.append({"label": job.label, "status": "ok", "reason": None})
        else:
            write_error(job, output_dir, reason)
            out.append({"label": job.label, "status": "failed", "reason": reason})
    return out


def run_jobs(jobs, output_dir, client, *, progress=False, chunk=None, bar=None):
    """Run ``jobs`` on the Dask ``client``; each writes ``output_dir/<label>``.

    Parameters
    ----------
    jobs : list of Job
    output_dir : pathlib.Path
    client : distributed.Client
    progress : bool
        Show a progress bar of finished and failed jobs on stderr (when ``bar`` is None).
    chunk : int, optional
        Jobs per Dask task (default `chunk_size` for the client's workers).
    bar : tqdm.tqdm, optional
        A bar from `progress_bar` to go on counting in (not closed here).

    Returns
    -------
    dict
        Label → outcome (``status`` "ok" or "failed", ``reason``).
    """
    from distributed import as_completed

    from .jobs import run_jobs_here

    if chunk is None:
        chunk = chunk_size(len(jobs), len(client.scheduler_info().get("workers", {})))
    chunks = {}
    token = uuid.uuid4().hex[:8]  # task keys unique on a shared scheduler
    for i in range(0, len(jobs), chunk):
        part = jobs[i:i + chunk]
        future = client.submit(run_jobs_here, part, str(output_dir), key=f"comaspec-batch-{part[0].label}-{token}",
                               pure=False)
        chunks[future] = part
    outcomes = {}
    own_bar = bar is None
    bar = progress_bar(len(jobs), progress) if own_bar else bar
    try:
        for future in as_completed(list(chunks)):
            try:
                done = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker died or the task could not run
                done = _failed_chunk(chunks[future], output_dir, exc)
            for outcome in done:
                outcomes[outcome["label"]] = outcome
            _count(bar, done)
    except BaseException:
        client.cancel(list(chunks))
        raise
    finally:
        if own_bar:
            bar.close()
    # once every job is over: a job on a thread of this process records the warnings of
    # its whole process while it runs
    for outcome in outcomes.values():
        _relay_warnings(outcome)
    return outcomes
