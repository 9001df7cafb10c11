"""Histogram counting for :class:`sim.runs.reduce.HistogramReducer` in compiled code (numba).

The same integer counts as the reducer's numpy path (``min``/``max`` per row, then
``bincount``), in one pass over the values per step instead of several: used by the reducer
when the compiled engine has been loaded (:func:`sim.runs.reduce.HistogramReducer.add`), so
results do not depend on it.

Importing this module imports numba.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, parallel=True)
def row_range(values):
    """(low, high) int64 (N,): the smallest and largest value of each row of (N, R) values."""
    rows, reps = values.shape
    low = np.empty(rows, np.int64)
    high = np.empty(rows, np.int64)
    for i in numba.prange(rows):
        lo = hi = values[i, 0]
        for j in range(1, reps):
            v = values[i, j]
            lo = min(lo, v)
            hi = max(hi, v)
        low[i], high[i] = lo, hi
    return low, high


@numba.njit(cache=True, nogil=True, parallel=True)
def count_rows(values, rows, shift, counts):
    """Add one to ``counts[values[i, j] + shift[i]]`` for every value of each row i in
    ``rows``: rows own disjoint stretches of ``counts``, so they are counted in parallel."""
    reps = values.shape[1]
    for n in numba.prange(rows.shape[0]):
        i = rows[n]
        s = shift[i]
        for j in range(reps):
            counts[values[i, j] + s] += 1


@numba.njit(cache=True, nogil=True)
def move_rows(counts, offset, lo, width, rows, new_counts, new_offset, new_lo):
    """Copy the bins of each row i in ``rows`` (``width[i]`` of them from
    ``counts[offset[i]]``) to where the layout (``new_offset``, ``new_lo``) puts them, as
    ``HistogramReducer._relayout`` does with index arrays."""
    for n in range(rows.shape[0]):
        i = rows[n]
        source = offset[i]
        target = new_offset[i] + lo[i] - new_lo[i]
        for b in range(width[i]):
            new_counts[target + b] = counts[source + b]


@numba.njit(cache=True, nogil=True)
def add_rows(counts, offset, lo, other, other_offset, other_lo, other_width):
    """Add every row's bins of ``other`` (layout ``other_offset``, ``other_lo``,
    ``other_width``) to ``counts`` (layout ``offset``, ``lo``), as
    ``HistogramReducer.merge`` does with index arrays."""
    for i in range(other_width.shape[0]):
        source = other_offset[i]
        target = offset[i] + other_lo[i] - lo[i]
        for b in range(other_width[i]):
            counts[target + b] += other[source + b]
