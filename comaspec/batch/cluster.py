"""Where batch jobs run on Dask: a local cluster of processes (over TLS), or an existing scheduler.

A local cluster talks over TLS with certificates made for this batch alone
(`distributed.security.Security.temporary`): without them any user of the machine could
connect to its scheduler and run code in the workers while the batch runs. `close` shuts
the cluster down and makes sure none of its processes outlives the batch.
"""

from __future__ import annotations

import numbers
import os
import warnings

from ..errors import UsageError

__all__ = ["import_dask", "check_dask_installed", "check_where", "connect", "close", "default_workers", "tls_available",
           "NO_TLS", "LOCAL_CLUSTER_CONFIG"]

INSTALL_HINT = "pip install 'comaspec[batch]'"
#: Seconds the processes of a closed local cluster get to exit before they are killed.
EXIT_WAIT_S = 10.0


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


def check_dask_installed():
    """Raise the UsageError of `import_dask` unless Dask is installed, without importing it.

    ``dask.distributed`` takes ~0.5 s to import: a batch that runs every job in its own
    process (``--workers 1``, small batches) never imports it.
    """
    import importlib.util

    for name in ("dask", "distributed"):
        if importlib.util.find_spec(name) is None:
            raise UsageError(f"comaspec batch runs on Dask, which is not installed ({name}): {INSTALL_HINT}")


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
        At most the cores this process may use (`default_workers`): the jobs are
        CPU-bound, and more processes than cores only share them.
    """
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise UsageError("--scheduler: give the address of a running Dask scheduler, e.g. tcp://host:8786")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, numbers.Integral)):
        raise UsageError(f"--workers: must be a whole number (got {type(workers).__name__})")
    if scheduler is not None and workers is not None:
        raise UsageError("--workers is for the local cluster; with --scheduler the cluster has its own workers")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: must be at least 1")
    cores = default_workers()
    if workers is not None and workers > cores:
        raise UsageError(f"--workers {workers}: this machine gives comaspec {cores} core{'s' if cores > 1 else ''}, "
                         f"so at most {cores} worker process{'es' if cores > 1 else ''} (for more, start a Dask "
                         "cluster and give --scheduler)")


#: Why a local cluster cannot start without ``cryptography``.
NO_TLS = ("a local cluster of several worker processes talks over TLS, which needs the 'cryptography' package: "
          "pip install cryptography")


def tls_available() -> bool:
    """Whether a local cluster can have its TLS certificates (the ``cryptography`` package is installed).

    Returns
    -------
    bool
    """
    import importlib.util

    return importlib.util.find_spec("cryptography") is not None


def _temporary_security():
    """Certificates for this batch's cluster alone (TLS with mutual authentication)."""
    from distributed.security import Security

    if not tls_available():
        raise UsageError(f"{NO_TLS} (or --workers 1 runs the jobs in this process)")
    return Security.temporary()


def _connect_remote(distributed, scheduler):
    try:
        return distributed.Client(scheduler, timeout="10s")
    except TypeError:  # a tls:// address without certificates in Dask's configuration
        raise UsageError(f"--scheduler {scheduler}: TLS needs the client's certificate and key in Dask's "
                         "configuration (distributed.comm.tls.ca-file, .client.cert, .client.key); see the "
                         "'Where the jobs run' section of the batch documentation") from None
    except (OSError, TimeoutError, ValueError) as exc:
        from ..io._checks import describe_failure

        raise UsageError(f"--scheduler {scheduler}: cannot connect ({describe_failure(exc)})") from None


def _start_local(distributed, n):
    import logging

    import dask

    security = _temporary_security()
    # CRITICAL: a job's failure comes back with its future; on Ctrl-C (SIGINT to the whole
    # process group) the workers' heartbeats to the closing scheduler would log tracebacks
    with warnings.catch_warnings():
        # without a dashboard the scheduler still serves HTTP; any free port will do
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               protocol="tls://", security=security, dashboard_address=None,
                                               silence_logs=logging.CRITICAL)
            return distributed.Client(cluster, security=security)


def connect(scheduler=None, workers=None):
    """A Dask client: to ``scheduler`` if given, else to a new local cluster of processes.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``tcp://host:8786``; a
        ``tls://`` address takes its certificates from Dask's configuration).
    workers : int, optional
        Worker processes of the local cluster (default: this machine's cores), one
        thread each. The local cluster listens on 127.0.0.1 over TLS, with certificates
        made for it (`distributed.security.Security.temporary`; needs ``cryptography``).

    Returns
    -------
    (distributed.Client, str)
        The client (give it to `close`) and a description.
    """
    import psutil

    distributed = import_dask()
    check_where(scheduler, workers)
    if scheduler is not None:
        client = _connect_remote(distributed, scheduler)
        where = f"the Dask scheduler at {scheduler}"
    else:
        n = default_workers() if workers is None else workers
        before = {p.pid for p in psutil.Process().children(recursive=True)}
        client = _start_local(distributed, n)
        # what the cluster started (nannies, workers): `close` makes sure they are gone
        client.comaspec_processes = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
        where = f"a local Dask cluster of {n} worker process{'es' if n > 1 else ''}"
    from ._worker import LocalWorkerSetup, WorkerSetup

    client.register_plugin(WorkerSetup() if scheduler is not None else LocalWorkerSetup(os.getpid()))
    return client, where


def close(client):
    """Close a client from `connect`, and its local cluster and all its processes if it made one.

    Parameters
    ----------
    client : distributed.Client
    """
    import psutil

    cluster = client.cluster
    started = getattr(client, "comaspec_processes", [])
    client.close()
    if cluster is not None:
        cluster.close()
    # multiprocessing's resource tracker is shared by the whole process and exits with it
    ours = [p for p in started if p.is_running() and "resource_tracker" not in " ".join(_cmdline(p))]
    _, alive = psutil.wait_procs(ours, timeout=EXIT_WAIT_S)
    for process in alive:  # a worker stuck in a long job: it must not outlive the batch
        process.kill()
    psutil.wait_procs(alive, timeout=EXIT_WAIT_S)


def _cmdline(process):
    import psutil

    try:
        return process.cmdline()
    except psutil.Error:
        return []
