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
