"""Many spectra and cubes at once: manifests run on Dask, resumable, with a summary.

`run_batch` reads a manifest or a directory (`read_jobs`), refuses the rows that cannot
run before any work starts, skips the jobs whose results are already in the output
directory, runs the others on Dask (a local cluster of processes, or an existing
``dask.distributed`` scheduler), and writes ``summary.ecsv`` and ``summary.pdf``. Each job
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
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"{directory}: another comaspec batch is writing there") from None
        yield
    finally:
        os.close(fd)


def _output_dir(path):
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(path, "is not a directory") from None
    except OSError as exc:
        raise InputError(path, f"cannot be created ({exc.strerror})") from None
    return path


def run_batch(source, output_dir, *, invalid=(), species=None, client=None, scheduler=None, workers=None,
              force=False, progress=False, figure=True, log=None):
    """Fit every job of a manifest or a directory on Dask and summarise them.

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
        Use this client (it is not closed). Default: a new one, see ``scheduler``.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler. Default: a local cluster.
    workers : int, optional
        Worker processes of the local cluster (default: the machine's cores).
    force : bool
        Run every job again, also those already finished.
    progress : bool
        Show a progress bar on stderr.
    figure : bool
        Also draw ``summary.pdf`` (``summary.ecsv`` is always written).
    log : callable, optional
        Called with one line of text for each thing worth telling (rows refused, jobs
        skipped, where the jobs run); default: silent.

    Returns
    -------
    BatchResult
    """
    from .execute import check_where, import_dask

    log = log or (lambda line: None)
    if isinstance(source, (str, os.PathLike)):
        jobs, invalid = read_jobs(source, species)
        for bad in invalid:
            log(str(bad))
    else:
        jobs, invalid = list(source), list(invalid)
    if client is None:
        import_dask()
        check_where(scheduler, workers)
    created = not Path(output_dir).exists()
    output_dir = _output_dir(output_dir)
    try:
        return _run_in(output_dir, jobs, invalid, client, scheduler, workers, force, progress, figure, log)
    except BaseException:
        if created and not any(output_dir.iterdir()):  # e.g. the scheduler could not be reached
            output_dir.rmdir()
        raise


def _run_in(output_dir, jobs, invalid, client, scheduler, workers, force, progress, figure, log):
    """`run_batch` once its output directory exists."""
    from .execute import close, connect, run_jobs
    from .summary import summary_table, write_summary

    with _locked(output_dir):
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
        outcomes = {}
        if todo:
            own = client is None
            try:
                if own:
                    client, where = connect(scheduler, workers)
                    log(f"running {len(todo)} job{'s' if len(todo) > 1 else ''} on {where}")
                outcomes = run_jobs(todo, output_dir, client, progress=progress)
            except BaseException:
                if own and client is not None:
                    close(client)
                    client = None
                remove_stale(output_dir)
                raise
            if own:
                close(client)
        table = summary_table(jobs, invalid, output_dir)
        paths = write_summary(table, output_dir, figure=figure)
    return BatchResult(summary=table, outcomes=outcomes, skipped=skipped, invalid=invalid, paths=paths)


def _lazy_submodules():
    from .._lazy import lazy_exports

    return lazy_exports(__name__, globals(), {})


# every public module of the package is an attribute too, imported on first use
__getattr__, __dir__ = _lazy_submodules()
