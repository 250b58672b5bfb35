"""Single-threaded BLAS for the small matrices of one fit.

The design matrices of a fit are a few hundred to a few thousand rows by ~20 columns: BLAS
threads only add start-up and, on a loaded machine, contention (a joint fit ran 3-8 times
slower with them). Results do not depend on the thread count beyond rounding in the last bit.
"""

from __future__ import annotations

import contextlib
import os
import sys
from functools import cache

__all__ = ["single_threaded_blas", "start_blas_single_threaded"]

#: The variable OpenBLAS (numpy's and scipy's wheels) reads once, when it is loaded.
OPENBLAS_THREADS = "OPENBLAS_NUM_THREADS"


def start_blas_single_threaded():
    """Have OpenBLAS start with one thread in a process that has not imported numpy yet.

    Every BLAS call of comaspec runs on one thread (`single_threaded_blas`), but OpenBLAS
    starts a thread per core when numpy and scipy load it, and those threads wait busily
    for work: on a loaded 2-core machine ~0.05 s of CPU per library at every start of the
    command. Sets ``OPENBLAS_NUM_THREADS=1`` unless the user set it or numpy is already
    imported (then it would change nothing here, only the children); processes started by
    the command (Dask workers) inherit it. Results are the same.

    Returns
    -------
    bool
        Whether the variable was set.
    """
    if OPENBLAS_THREADS in os.environ or "numpy" in sys.modules:
        return False
    os.environ[OPENBLAS_THREADS] = "1"
    return True


@cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def single_threaded_blas():
    """Context manager limiting BLAS (OpenBLAS, MKL, BLIS) to one thread, then restoring it."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
