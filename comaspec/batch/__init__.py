"""Many spectra and cubes at once: manifests run on Dask, resumable, with a summary.

`run_batch` reads a manifest or a directory (`read_jobs`), refuses the rows that cannot
run before any work starts, skips the jobs whose results are already in the output
directory, runs the others (in its own process while that is cheaper, then on a local
Dask cluster of processes over TLS, or on an existing ``dask.distributed`` scheduler), and
writes ``summary.ecsv`` (and ``summary.pdf`` when asked for: drawing it costs as much as
several PRISM jobs). Each job
is the call of ``comaspec ratio`` (`comaspec.pipeline.fit_loaded`), so its results are the
ones the command gives for the same files.

Dask is an optional dependency: ``pip install 'comaspec[batch]'``.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, UsageError
from .jobs import InvalidRow, Job, job_state, remove_stale
from .manifest import read_jobs, read_manifest, jobs_from_directory

__all__ = ["run_batch", "read_jobs", "read_manifest", "jobs_from_directory", "Job", "InvalidRow", "BatchResult"]


@dataclass
class BatchResult:
    """What `run_batch` did.

    Attributes
    ----------
    summary : astropy.table.QTable
        One row per job (see `comaspec.batch.summary.summary_table`).
    outcomes : dict
        Label → ``{"status", "reason"}`` of every job run this time.
    skipped : list of str
        Labels of jobs finished by an earlier run (not run again).
    invalid : list of InvalidRow
        Rows refused before any work started.
    paths : tuple of pathlib.Path
        ``summary.ecsv`` (and ``summary.pdf``) as written.
    """

    summary: object
    outcomes: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    invalid: list = field(default_factory=list)
    paths: tuple = ()

    @property
    def n_failed(self) -> int:
        """Jobs that failed or were refused."""
        return int(sum(s in ("failed", "invalid", "not run") for s in self.summary["status"]))


@contextlib.contextmanager
def _locked(directory):
    """Hold an exclusive lock on ``directory``: one batch writes there at a time."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except FileNotFoundError:  # made and removed again by a batch that could not start
        raise UsageError(f"{directory}: removed by another comaspec batch while this one started; run again") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"{directory}: another comaspec batch is writing there") from None
        yield
    finally:
        os.close(fd)


def _output_dir(path):
    """``path`` as a directory, made if needed: (Path, whether this call made it)."""
    path = Path(path)
    try:
        path.mkdir(parents=True)  # atomic: of two batches starting at once, one makes it
        return path, True
    except FileExistsError:
        if not path.is_dir():
            raise InputError(path, "is not a directory") from None
        return path, False
    except NotADirectoryError:
        raise InputError(path, "is not a directory") from None
    except OSError as exc:
        raise InputError(path, f"cannot be created ({exc.strerror or type(exc).__name__})") from None


def _check_arguments(source, output_dir, invalid, species, client, scheduler, workers, flags, log):
    """One-line InputErrors for arguments of the wrong type (before anything is read or made)."""
    if not isinstance(source, (str, os.PathLike)):
        if isinstance(source, (bytes, dict)) or not hasattr(source, "__iter__"):
            raise InputError("source", "must be a manifest, a directory or a list of Job "
                             f"(got {type(source).__name__})")
    if not isinstance(output_dir, (str, os.PathLike)):
        raise InputError("output_dir", f"must be a path (got {type(output_dir).__name__})")
    if isinstance(invalid, (str, bytes)) or not all(isinstance(b, InvalidRow) for b in invalid):
        raise InputError("invalid", "must be a sequence of InvalidRow")
    if species is not None and (isinstance(species, str) or not all(isinstance(s, str) for s in species)):
        raise InputError("species", "must be a list of species names, e.g. ['CO2', 'H2O']")
    if scheduler is not None and not isinstance(scheduler, str):
        raise InputError("scheduler", f"must be an address such as 'tcp://host:8786' (got {type(scheduler).__name__})")
    if client is not None and not hasattr(client, "submit"):
        raise InputError("client", f"must be a distributed.Client (got {type(client).__name__})")
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise InputError(name, f"must be True or False (got {type(value).__name__})")
    if log is not None and not callable(log):
        raise InputError("log", "must be a function taking one line of text")


def _source_jobs(source, invalid, species, log):
    if isinstance(source, (str, os.PathLike)):
        jobs, invalid = read_jobs(source, species)
        for bad in invalid:
            log(str(bad))
        return jobs, invalid
    jobs = list(source)
    if not all(isinstance(job, Job) for job in jobs):
        raise InputError("source", "a list given as source must hold Job objects only (see read_jobs)")
    return jobs, list(invalid)


def run_batch(source, output_dir, *, invalid=(), species=None, client=None, scheduler=None, workers=None,
              force=False, progress=False, figure=False, log=None):
    """Fit every job of a manifest or a directory and summarise them.

    Jobs run in this process while that is cheaper than starting a cluster (small
    batches, and always with ``workers=1``); otherwise on Dask (see
    `comaspec.batch.execute`). Nothing started by the batch runs after it returns.

    Parameters
    ----------
    source : str, os.PathLike or list of Job
        A ``.ecsv``/``.csv`` manifest, a directory of FITS files with the geometry in their
        headers, or jobs (e.g. from `read_jobs`).
    output_dir : str or os.PathLike
        Where ``<label>/`` (``result.json``, ``result.ecsv``, ``job.json`` or
        ``error.txt``), ``summary.ecsv`` and ``summary.pdf`` go; created if needed.
    invalid : sequence of InvalidRow
        With jobs as ``source``: the rows refused (listed in the summary).
    species : sequence of str, optional
        Species of rows that do not name any (default CO2, H2O, CO).
    client : distributed.Client, optional
        Run every job on this client (it is not closed). Default: see ``scheduler``.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler: every job runs there.
        Default: this process, then a local cluster if the jobs left need one.
    workers : int, optional
        Worker processes of the local cluster (default and most: the machine's cores);
        1 runs every job in this process.
    force : bool
        Run every job again, also those already finished.
    progress : bool
        Show a progress bar on stderr.
    figure : bool
        Also draw ``summary.pdf`` (``summary.ecsv`` is always written). Off by default:
        the figure takes about as long as five PRISM jobs (``benchmarks/batch_small_bench.py``);
        a figure of an earlier run is removed, as it would not match the table.
    log : callable, optional
        Called with one line of text for each thing worth telling (rows refused, jobs
        skipped, where the jobs run); default: silent.

    Returns
    -------
    BatchResult

    Raises
    ------
    comaspec.InputError
        For an argument of the wrong type or an unreadable manifest (nothing is written).
    comaspec.UsageError
        For options that do not fit together, or another batch writing to ``output_dir``.
    """
    from .cluster import check_dask_installed, check_where

    _check_arguments(source, output_dir, invalid, species, client, scheduler, workers,
                     {"force": force, "progress": progress, "figure": figure}, log)
    log = log or (lambda line: None)
    jobs, invalid = _source_jobs(source, invalid, species, log)
    if client is None:
        check_dask_installed()  # imported only where a cluster is used
        check_where(scheduler, workers)
    # seconds of work left that are worth a local cluster (None: never one; 0: Dask at once)
    budget = _local_budget(workers, log) if client is None and scheduler is None else 0
    output_dir, created = _output_dir(output_dir)
    with _locked(output_dir):
        try:
            return _run_in(output_dir, jobs, invalid, client, scheduler, workers, budget, force, progress, figure,
                           log)
        except BaseException:
            # still under the lock: no other batch can be using the directory we made
            if created and not any(output_dir.iterdir()):  # e.g. the scheduler could not be reached
                output_dir.rmdir()
            raise


def _run_in(output_dir, jobs, invalid, client, scheduler, workers, budget, force, progress, figure, log):
    """`run_batch` once its output directory exists and is locked."""
    from .summary import summary_table, write_summary

    remove_stale(output_dir)
    states = {job.label: job_state(job, output_dir) for job in jobs}
    todo = [job for job in jobs if force or states[job.label] != "done"]
    skipped = [] if force else [job.label for job in jobs if states[job.label] == "done"]
    if skipped:
        log(f"{len(skipped)} job{'s' if len(skipped) > 1 else ''} finished earlier: skipped (--force runs them again)")
    for job in todo:
        if states[job.label] == "changed" and not force:
            log(f"{job.origin} ({job.label}): differs from the job whose results are in {output_dir / job.label}; "
                "fitting again")
    outcomes = _run_todo(todo, output_dir, client, scheduler, workers, budget, progress, log) if todo else {}
    table = summary_table(jobs, invalid, output_dir)
    paths = write_summary(table, output_dir, figure=figure)
    return BatchResult(summary=table, outcomes=outcomes, skipped=skipped, invalid=invalid, paths=paths)


def _jobs(n):
    return f"{n} job{'s' if n > 1 else ''}"


def _run_todo(todo, output_dir, client, scheduler, workers, budget, progress, log):
    """Run the jobs: here while cheaper, then on Dask; temporaries removed if cut short."""
    from .execute import progress_bar, run_here

    bar = progress_bar(len(todo), progress)
    try:
        outcomes, rest = {}, todo
        if client is None and scheduler is None and budget != 0:
            log(f"running {_jobs(len(todo))} in this process")
            outcomes, rest = run_here(todo, output_dir, bar, budget_s=budget)
        if rest:
            outcomes.update(_run_on_dask(rest, output_dir, client, scheduler, workers, bar, log))
        return outcomes
    except BaseException:
        remove_stale(output_dir)
        raise
    finally:
        bar.close()


def _local_budget(workers, log):
    """Seconds of work left worth a local cluster (None: never one; 0: one at once)."""
    from .cluster import NO_TLS, default_workers, tls_available
    from .execute import cluster_after

    if workers == 1 or (workers is None and default_workers() == 1):
        return None
    if not tls_available():
        if workers is not None:  # asked for: refused before any work
            raise UsageError(f"--workers {workers}: {NO_TLS} (or --workers 1 runs the jobs in this process)")
        log(f"{NO_TLS}; every job runs in this process")
        return None
    return cluster_after()


def _run_on_dask(jobs, output_dir, client, scheduler, workers, bar, log):
    from .cluster import close, connect
    from .execute import run_jobs

    own = client is None
    if own:
        client, where = connect(scheduler, workers)
        log(f"running {_jobs(len(jobs))} on {where}")
    try:
        return run_jobs(jobs, output_dir, client, bar=bar)
    finally:
        if own:
            close(client)


def _lazy_submodules():
    from .._lazy import lazy_exports

    return lazy_exports(__name__, globals(), {})


# every public module of the package is an attribute too, imported on first use
__getattr__, __dir__ = _lazy_submodules()
