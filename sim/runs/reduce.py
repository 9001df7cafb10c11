"""Exact means and percentiles over replications, accumulated chunk by chunk.

Percentiles use the inverted-CDF definition (the smallest value whose empirical CDF reaches
q; numpy's ``method="inverted_cdf"``). Integer series go through :class:`HistogramReducer`,
which keeps one ragged histogram per series: exact, bounded in memory by the spread of the
values rather than the number of replications, and independent of how replications are
chunked. :class:`ExactReducer` keeps every value; it serves expected-value runs and is the
oracle the histogram is tested against.
"""

from __future__ import annotations

import numpy as np

#: Percentiles reported with every mean, in this order.
QUANTILES = (0.05, 0.25, 0.50, 0.75, 0.95)
STAT_NAMES = ("mean", "p05", "p25", "p50", "p75", "p95")


def inverted_cdf_rank(q: float, n: int) -> int:
    """1-based rank of the q-quantile among n sorted values (inverted CDF)."""
    return min(max(int(np.ceil(q * n - 1e-9)), 1), n)


class ExactReducer:
    """Keeps all values; ``add`` takes (N, R) arrays of N series over R replications."""

    def __init__(self):
        self._parts: list[np.ndarray] = []

    def add(self, values: np.ndarray) -> None:
        self._parts.append(np.asarray(values, dtype=np.float64))

    def result(self) -> np.ndarray:
        """(N, 6): mean then the percentiles of :data:`QUANTILES`."""
        data = np.concatenate(self._parts, axis=1)
        quantiles = np.quantile(data, QUANTILES, axis=1, method="inverted_cdf").T
        return np.column_stack([data.mean(axis=1), quantiles])


#: Values counted per ``bincount`` call: few enough that the call's index array stays in
#: the processor's cache (a speed setting: changes no number).
COUNT_BLOCK = 1 << 16
#: Counts per bin: int32 is exact for runs of fewer than 2**31 replications and halves the
#: memory and the traffic of merging chunks.
COUNT_DTYPE = np.int32
#: When a row must widen, it widens by this share of its new width more on the side that
#: grew, so merging many chunks re-lays the counts out rarely (empty bins change nothing).
SLACK = 0.25


def _destinations(lo, width, offset, new_lo, new_offset) -> np.ndarray:
    """Where each bin of the layout (lo, width, offset) lands in (new_lo, new_offset)."""
    shift = new_offset + (lo - new_lo) - offset
    return np.repeat(shift, width) + np.arange(int(width.sum()), dtype=np.int64)


class HistogramReducer:
    """Exact statistics of integer series from per-series histograms.

    Row ``i`` holds counts for values ``lo[i] .. lo[i] + width[i] - 1`` at
    ``counts[offset[i] : offset[i] + width[i]]``. Rows widen as new values arrive (with
    :data:`SLACK`). Sums (for the means) are computed from the counts, exactly, when asked.
    """

    def __init__(self):
        self.n = 0
        self.lo = self.width = self.offset = self.counts = None

    def _cover(self, low: np.ndarray, high: np.ndarray) -> None:
        """Widen rows (re-laying the counts out) so that row i holds low[i] .. high[i]."""
        below, above = low < self.lo, high > self.lo + self.width - 1
        if not (below.any() or above.any()):
            return
        new_lo = np.minimum(self.lo, low)
        new_hi = np.maximum(self.lo + self.width - 1, high)
        margin = (SLACK * (new_hi - new_lo + 1)).astype(np.int64)
        new_lo = np.where(below, new_lo - margin, new_lo)
        new_width = np.where(above, new_hi + margin, new_hi) - new_lo + 1
        new_offset = np.concatenate([[0], np.cumsum(new_width)[:-1]])
        counts = np.zeros(int(new_width.sum()), dtype=COUNT_DTYPE)
        where = _destinations(self.lo, self.width, self.offset, new_lo, new_offset)
        counts[where] = self.counts
        self.lo, self.width, self.offset, self.counts = new_lo, new_width, new_offset, counts

    def add(self, values: np.ndarray) -> None:
        """Count (N, R) integer values: N series, R replications."""
        values = np.asarray(values)
        if not np.issubdtype(values.dtype, np.integer):
            values = values.astype(np.int64)
        low = values.min(axis=1).astype(np.int64)
        high = values.max(axis=1).astype(np.int64)
        if self.counts is None:
            self.lo, self.width = low, high - low + 1
            self.offset = np.concatenate([[0], np.cumsum(self.width)[:-1]])
            self.counts = np.zeros(int(self.width.sum()), dtype=COUNT_DTYPE)
        else:
            self._cover(low, high)
        self._count(values, low == high)
        self.n += values.shape[1]

    def _count(self, values: np.ndarray, constant: np.ndarray) -> None:
        """Add (N, R) values to the counts. A row whose values are all the same adds R to
        one bin; the others are counted a slab of rows at a time (a slab's bins lie in one
        stretch of ``counts``)."""
        rows, reps = values.shape
        same = np.flatnonzero(constant)
        self.counts[self.offset[same] + values[same, 0] - self.lo[same]] += reps
        varied = np.flatnonzero(~constant)
        step = max(1, COUNT_BLOCK // max(reps, 1))
        shift = self.offset - self.lo
        end = self.offset + self.width
        for first in range(0, len(varied), step):
            slab = varied[first : first + step]
            base = self.offset[slab[0]]
            span = int(end[slab[-1]] - base)
            index = np.add(values[slab], (shift[slab] - base)[:, None], dtype=np.int64)
            self.counts[base : base + span] += np.bincount(index.reshape(-1), minlength=span)

    @property
    def sums(self) -> np.ndarray:
        """Exact sum of each series' values, int64 (N,)."""
        weighted = np.multiply(self.counts, np.arange(len(self.counts)), dtype=np.int64)
        return np.add.reduceat(weighted, self.offset) + (self.lo - self.offset) * self.n

    def merge(self, other: HistogramReducer) -> None:
        """Add ``other``'s counts (same N series) to this one; the result is the same as if
        every replication had been added here, in any order."""
        if other.counts is None:
            return
        if self.counts is None:
            self.n, self.lo, self.width = other.n, other.lo.copy(), other.width.copy()
            self.offset, self.counts = other.offset.copy(), other.counts.copy()
            return
        self._cover(other.lo, other.lo + other.width - 1)
        if np.array_equal(self.lo, other.lo) and np.array_equal(self.width, other.width):
            self.counts += other.counts
        else:
            where = _destinations(other.lo, other.width, other.offset, self.lo, self.offset)
            self.counts[where] += other.counts
        self.n += other.n

    def result(self) -> np.ndarray:
        """(N, 6): mean then the percentiles of :data:`QUANTILES`."""
        cumulative = np.cumsum(self.counts, dtype=np.int64)
        before = np.concatenate([[0], cumulative])[self.offset]
        out = [self.sums / self.n]
        for q in QUANTILES:
            target = before + inverted_cdf_rank(q, self.n)
            position = np.searchsorted(cumulative, target, side="left")
            out.append(self.lo + position - self.offset)
        return np.column_stack(out).astype(np.float64)
