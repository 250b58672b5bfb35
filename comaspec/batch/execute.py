"""Running batch jobs on Dask: a local cluster of processes, or an existing scheduler.

Every worker process imports comaspec once and limits its BLAS to one thread (a worker
plugin), so a job pays for its fit only. Ctrl-C cancels what is queued, shuts the local
cluster down and removes the temporaries of the jobs that were cut short.
"""

from __future__ import annotations

import os
import sys
import uuid
import warnings

from ..errors import UsageError

__all__ = ["import_dask", "check_where", "connect", "close", "default_workers", "run_jobs", "chunk_size"]

INSTALL_HINT = "pip install 'comaspec[batch]'"


def import_dask():
    """Import ``dask.distributed``, or raise a UsageError that says how to install it.

    Returns
    -------
    module
        ``distributed``.
    """
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as exc:
        raise UsageError(f"comaspec batch runs on Dask, which is not installed ({exc.name or exc}): "
                         f"{INSTALL_HINT}") from None
    return distributed


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: Dask settings of the local cluster. The defaults wake every process tens of times a second
#: (event-loop ticks every 20 ms, the statistical profiler every 10 ms, memory and system
#: monitors, work stealing): a few % of a core per process, which jobs of tens of
#: milliseconds feel. None of these is needed here; the intervals are only made longer.
#: Dask also makes glibc hand freed memory back to the system at 64 KiB (for long-lived
#: workers holding data); a batch's workers live for one batch, and the fits' many small
#: temporary arrays ran ~1.5 ms per job slower with it: glibc's own threshold is used.
LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.scheduler.work-stealing-interval": "1s",
}


def check_where(scheduler=None, workers=None):
    """Raise a UsageError unless ``scheduler`` and ``workers`` make sense together.

    Parameters
    ----------
    scheduler : str, optional
    workers : int, optional
    """
    if scheduler is not None and workers is not None:
        raise UsageError("--workers is for the local cluster; with --scheduler the cluster has its own workers")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: must be at least 1")


def connect(scheduler=None, workers=None):
    """A Dask client: to ``scheduler`` if given, else to a new local cluster of processes.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``tcp://host:8786``).
    workers : int, optional
        Worker processes of the local cluster (default: this machine's cores), one
        thread each.

    Returns
    -------
    (distributed.Client, str)
        The client (close it, and its ``cluster`` for a local one) and a description.
    """
    distributed = import_dask()
    check_where(scheduler, workers)
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"--scheduler {scheduler}: cannot connect ({' '.join(str(exc).split())[:200]})") from None
        where = f"the Dask scheduler at {scheduler}"
    else:
        import logging

        import dask

        n = default_workers() if workers is None else workers
        with warnings.catch_warnings():
            # without a dashboard the scheduler still serves HTTP; any free port will do
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                   dashboard_address=None, silence_logs=logging.ERROR)
                client = distributed.Client(cluster)
        where = f"a local Dask cluster of {n} worker process{'es' if n > 1 else ''}"
    from ._worker import LocalWorkerSetup, WorkerSetup

    client.register_plugin(WorkerSetup() if scheduler is not None else LocalWorkerSetup(os.getpid()))
    return client, where


def close(client):
    """Close a client from `connect`, and its local cluster if it made one.

    Parameters
    ----------
    client : distributed.Client
    """
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()


def _progress_bar(total, show):
    from tqdm import tqdm

    from .._progress import _unknown_size_fallback

    return tqdm(total=total, unit="job", desc="comaspec batch", disable=not show, file=sys.stderr,
                leave=True, **_unknown_size_fallback())


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


def _failed_chunk(chunk, output_dir, exc):
    """Outcomes of a task that did not return (its worker died): jobs without results failed."""
    from .jobs import job_state, write_error

    reason = f"the Dask task failed: {type(exc).__name__}: {' '.join(str(exc).split())}"
    out = []
    for job in chunk:
        if job_state(job, output_dir) == "done":
            out.append({"label": job.label, "status": "ok", "reason": None})
        else:
            write_error(job, output_dir, reason)
            out.append({"label": job.label, "status": "failed", "reason": reason})
    return out


def run_jobs(jobs, output_dir, client, *, progress=False, chunk=None):
    """Run ``jobs`` on the Dask ``client``; each writes ``output_dir/<label>``.

    Parameters
    ----------
    jobs : list of Job
    output_dir : pathlib.Path
    client : distributed.Client
    progress : bool
        Show a progress bar of finished and failed jobs on stderr.
    chunk : int, optional
        Jobs per Dask task (default `chunk_size` for the client's workers).

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
    outcomes, counts = {}, {"ok": 0, "failed": 0}
    bar = _progress_bar(len(jobs), progress)
    try:
        for future in as_completed(list(chunks)):
            try:
                done = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker died or the task could not run
                done = _failed_chunk(chunks[future], output_dir, exc)
            for outcome in done:
                outcomes[outcome["label"]] = outcome
                counts[outcome["status"]] += 1
            bar.set_postfix(ok=counts["ok"], failed=counts["failed"], refresh=False)
            bar.update(len(done))
    except BaseException:
        client.cancel(list(chunks))
        raise
    finally:
        bar.close()
    return outcomes
