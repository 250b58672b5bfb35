"""Exact order statistics (a median) of positive floats that arrive a block at a time.

`comaspec info` judges a cube's flux level by the median of its good voxels without holding
them: the values are streamed from the file, and the median is found by a radix selection on
their bit patterns (for positive IEEE floats the unsigned integer of the bits sorts as the
value does), 16 bits per pass over the blocks: two passes for float32, four for float64. Only
a histogram of 65536 counts per wanted rank is held. The result is the very value a sort
would give, not an approximation.
"""

from __future__ import annotations

import numpy as np

__all__ = ["median_ranks", "select_ranks", "median_of_ranks"]

_DIGIT_BITS = 16
_DIGIT_MASK = (1 << _DIGIT_BITS) - 1


def median_ranks(n):
    """The 0-based ranks whose values make the median of ``n`` values (one or the middle two)."""
    return (n // 2,) if n % 2 else (n // 2 - 1, n // 2)


def median_of_ranks(values):
    """The median from the values at `median_ranks`: the middle one, or the middle two
    averaged in float64 (as `numpy.median` of float64 values)."""
    if len(values) == 1:
        return float(values[0])
    return (float(values[0]) + float(values[1])) / 2


def select_ranks(blocks, ranks, dtype):
    """The values of the given ranks among every value the blocks hold, exactly.

    Parameters
    ----------
    blocks : callable
        Called once per pass with no argument; returns an iterable of 1-D arrays of
        ``dtype``, positive and finite, the same values on every call (their order and
        blocking may differ).
    ranks : sequence of int
        0-based ranks in ascending order of value (``0``: the smallest).
    dtype : numpy.dtype
        A float type (float32 or float64).

    Returns
    -------
    list of numpy.floating
        The value of each rank, of ``dtype``.
    """
    dtype = np.dtype(dtype)
    utype = np.dtype(f"u{dtype.itemsize}")
    bits = 8 * dtype.itemsize
    # per rank: the bits decided so far (the prefix) and the rank among values sharing it
    prefix = {r: 0 for r in ranks}
    within = {r: int(r) for r in ranks}
    for shift in range(bits - _DIGIT_BITS, -1, -_DIGIT_BITS):
        counts = {p: np.zeros(1 << _DIGIT_BITS, dtype=np.int64) for p in set(prefix.values())}
        for block in blocks():
            code = np.ascontiguousarray(block, dtype=dtype).view(utype)
            for p, hist in counts.items():
                part = code if shift + _DIGIT_BITS == bits else code[(code >> (shift + _DIGIT_BITS)) == p]
                hist += np.bincount(((part >> shift) & _DIGIT_MASK).astype(np.intp), minlength=1 << _DIGIT_BITS)
        for r in ranks:
            cumulative = np.cumsum(counts[prefix[r]])
            digit = int(np.searchsorted(cumulative, within[r], side="right"))
            if digit == cumulative.size:
                raise ValueError(f"rank {r} is beyond the values given")
            within[r] -= int(cumulative[digit - 1]) if digit else 0
            prefix[r] = (prefix[r] << _DIGIT_BITS) | digit
    return [np.array(prefix[r], dtype=utype).view(dtype)[()] for r in ranks]
