"""Single-threaded BLAS for the small matrices of one fit.

The design matrices of a fit are a few hundred to a few thousand rows by ~20 columns: BLAS
threads only add start-up and, on a loaded machine, contention (a joint fit ran 3-8 times
slower with them). Results do not depend on the thread count beyond rounding in the last bit.
"""

from __future__ import annotations

import contextlib
from functools import cache

__all__ = ["single_threaded_blas"]


@cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def single_threaded_blas():
    """Context manager limiting BLAS (OpenBLAS, MKL, BLIS) to one thread, then restoring it."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
