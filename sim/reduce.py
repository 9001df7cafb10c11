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


class HistogramReducer:
    """Exact statistics of integer series from per-series histograms.

    Row ``i`` holds counts for values ``lo[i] .. lo[i] + width[i] - 1`` at
    ``counts[offset[i] : offset[i] + width[i]]``. Rows widen as new values arrive.
    """

    def __init__(self):
        self.n = 0
        self.lo = self.width = self.offset = self.counts = self.sums = None

    def _relayout(self, new_lo: np.ndarray, new_width: np.ndarray) -> None:
        new_offset = np.concatenate([[0], np.cumsum(new_width)[:-1]])
        counts = np.zeros(int(new_width.sum()), dtype=np.int64)
        rows = np.repeat(np.arange(len(self.lo)), self.width)
        within = np.arange(len(self.counts)) - np.repeat(self.offset, self.width)
        counts[new_offset[rows] + (self.lo - new_lo)[rows] + within] = self.counts
        self.lo, self.width, self.offset, self.counts = new_lo, new_width, new_offset, counts

    def add(self, values: np.ndarray) -> None:
        """Count (N, R) integer values: N series, R replications."""
        values = np.asarray(values, dtype=np.int64)
        low, high = values.min(axis=1), values.max(axis=1)
        if self.counts is None:
            self.lo, self.width = low, high - low + 1
            self.offset = np.concatenate([[0], np.cumsum(self.width)[:-1]])
            self.counts = np.zeros(int(self.width.sum()), dtype=np.int64)
            self.sums = np.zeros(len(low), dtype=np.int64)
        new_lo = np.minimum(self.lo, low)
        new_width = np.maximum(self.lo + self.width, high + 1) - new_lo
        if (new_lo != self.lo).any() or (new_width != self.width).any():
            self._relayout(new_lo, new_width)
        flat = values - self.lo[:, None] + self.offset[:, None]
        self.counts += np.bincount(flat.ravel(), minlength=len(self.counts))
        self.sums += values.sum(axis=1)
        self.n += values.shape[1]

    def merge(self, other: HistogramReducer) -> None:
        """Add ``other``'s counts (same N series) to this one; the result is the same as if
        every replication had been added here, in any order."""
        if other.counts is None:
            return
        if self.counts is None:
            self.n, self.lo, self.width = other.n, other.lo.copy(), other.width.copy()
            self.offset, self.counts = other.offset.copy(), other.counts.copy()
            self.sums = other.sums.copy()
            return
        new_lo = np.minimum(self.lo, other.lo)
        new_width = np.maximum(self.lo + self.width, other.lo + other.width) - new_lo
        if (new_lo != self.lo).any() or (new_width != self.width).any():
            self._relayout(new_lo, new_width)
        rows = np.repeat(np.arange(len(other.lo)), other.width)
        within = np.arange(len(other.counts)) - np.repeat(other.offset, other.width)
        self.counts[self.offset[rows] + (other.lo - self.lo)[rows] + within] += other.counts
        self.sums += other.sums
        self.n += other.n

    def result(self) -> np.ndarray:
        """(N, 6): mean then the percentiles of :data:`QUANTILES`."""
        cumulative = np.cumsum(self.counts)
        before = np.concatenate([[0], cumulative])[self.offset]
        out = [self.sums / self.n]
        for q in QUANTILES:
            target = before + inverted_cdf_rank(q, self.n)
            position = np.searchsorted(cumulative, target, side="left")
            out.append(self.lo + position - self.offset)
        return np.column_stack(out).astype(np.float64)
