"""Set-up of a Dask worker process for batch jobs (imported only where Dask is installed)."""

from __future__ import annotations

import os
import signal
import threading
import warnings

from distributed import WorkerPlugin

__all__ = ["WorkerSetup", "LocalWorkerSetup", "prepare_worker"]


def prepare_worker():
    """Set up a process for jobs: one BLAS thread, comaspec's modules imported once."""
    from threadpoolctl import threadpool_limits

    # jobs are the parallel unit: BLAS threads on top would oversubscribe the cores
    threadpool_limits(limits=1)
    # comaspec's modules, once per worker rather than per job (jobs use comaspec's light
    # spectra: specutils is not needed)
    from .. import fit, io, pipeline, results  # noqa: F401
    from . import jobs  # noqa: F401


class WorkerSetup(WorkerPlugin):
    """Run `prepare_worker` in every worker, including workers that join later."""

    name = "comaspec-batch-setup"

    def setup(self, worker):
        """Called by Dask when the plugin is registered or a worker starts.

        Parameters
        ----------
        worker : distributed.Worker
        """
        prepare_worker()


class LocalWorkerSetup(WorkerSetup):
    """`WorkerSetup`, and Ctrl-C and warnings left to the batch: our local workers ignore both.

    Ctrl-C in a terminal reaches every process of the group; the batch process then cancels
    the jobs and shuts its cluster down, so the workers need not (and should not print)
    anything. Workers of a cluster the user started keep their own Ctrl-C.

    Parameters
    ----------
    batch_pid : int
        Process id of the batch (whose own Ctrl-C is never ignored).
    """

    name = "comaspec-batch-local-setup"

    def __init__(self, batch_pid):
        self.batch_pid = batch_pid

    def setup(self, worker):
        """Called by Dask when the plugin is registered or a worker starts.

        Parameters
        ----------
        worker : distributed.Worker
        """
        super().setup(worker)
        if os.getpid() != self.batch_pid:
            # the batch shows each job's warnings (returned with its outcome); anything else a
            # worker process of ours would print raw on the user's terminal
            warnings.simplefilter("ignore")
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)
