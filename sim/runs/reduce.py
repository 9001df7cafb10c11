"""Exact means and percentiles over replications, accumulated chunk by chunk.

Percentiles use the inverted-CDF definition (the smallest value whose empirical CDF reaches
q; numpy's ``method="inverted_cdf"``). Integer series go through :class:`HistogramReducer`,
which keeps one ragged histogram per series, or the series' values themselves once their
spread is wider than twice the replications: exact, independent of how replications are
chunked, and bounded in memory by the replications, whatever the size of the counts.
:class:`ExactReducer` keeps every value; it serves expected-value runs and is the oracle the
histogram is tested against.
"""

from __future__ import annotations

import sys

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

    def values(self) -> np.ndarray:
        """(N, R) every value added, replications in the order they were added."""
        return np.concatenate(self._parts, axis=1)

    def result(self) -> np.ndarray:
        """(N, 6): mean then the percentiles of :data:`QUANTILES`."""
        data = self.values()
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
#: Bins a row may always have, whatever the replications (a memory setting: changes no number).
MIN_BINS = 1024


def _compiled_counting():
    """:mod:`sim.engine.compiled_reduce` when the compiled engine is loaded (it counts the
    same values into the same bins, faster), else None; never imports numba itself."""
    if "sim.engine.compiled_kernel" not in sys.modules:
        return None
    from sim.engine import compiled_reduce

    return compiled_reduce


def max_bins(reps: int) -> int:
    """Widest histogram row for ``reps`` replications: past it, a row keeps its values
    (8 bytes each) instead of counts (4 bytes a bin), so memory never grows with the size
    of the counts themselves."""
    return 2 * reps + MIN_BINS


def _destinations(lo, width, offset, new_lo, new_offset) -> np.ndarray:
    """Where each bin of the layout (lo, width, offset) lands in (new_lo, new_offset)."""
    shift = new_offset + (lo - new_lo) - offset
    return np.repeat(shift, width) + np.arange(int(width.sum()), dtype=np.int64)


def _bins(first: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Positions ``first[i] .. first[i] + width[i] - 1`` of every row i, concatenated."""
    return np.repeat(first - _offsets(width), width) + np.arange(int(width.sum()), dtype=np.int64)


def _offsets(width: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(width)[:-1]]).astype(np.int64)


class HistogramReducer:
    """Exact statistics of integer series from per-series histograms or values.

    Row ``i`` holds counts for values ``lo[i] .. lo[i] + width[i] - 1`` at
    ``counts[offset[i] : offset[i] + width[i]]``. Rows widen as new values arrive (with
    :data:`SLACK`). A row that would be wider than :func:`max_bins` of the replications
    instead keeps its values: it is listed in ``raw_rows`` (sorted), its values are the
    matching rows of the column blocks in ``raw_parts``, and its histogram is one empty bin
    at 0. Sums (for the means) are computed exactly, when asked.
    """

    def __init__(self):
        self.n = 0
        self.lo = self.width = self.offset = self.counts = None
        self.raw_rows = np.empty(0, dtype=np.int64)
        self.raw_parts: list[np.ndarray] = []

    # -- values kept as they are -------------------------------------------------------------

    def _raw_values(self) -> np.ndarray:
        """(len(raw_rows), n) int64: every value of each raw row (in no particular order)."""
        if not self.raw_parts:
            return np.empty((len(self.raw_rows), 0), dtype=np.int64)
        if len(self.raw_parts) > 1:
            self.raw_parts = [np.concatenate(self.raw_parts, axis=1)]
        return self.raw_parts[0]

    def _expand(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n) int64: the values counted in the histograms of ``rows``."""
        out = np.empty((len(rows), self.n), dtype=np.int64)
        for i, row in enumerate(rows):
            lo, first = self.lo[row], self.offset[row]
            counts = self.counts[first : first + self.width[row]]
            out[i] = np.repeat(np.arange(lo, lo + len(counts), dtype=np.int64), counts)
        return out

    def _make_raw(self, rows: np.ndarray) -> None:
        """Move ``rows`` (not yet raw) from histograms to values; their histogram becomes
        one empty bin at 0."""
        rows = np.setdiff1d(rows, self.raw_rows)
        if not len(rows):
            return
        moved = self._expand(rows) if self.counts is not None else np.empty((len(rows), 0))
        all_rows = np.concatenate([self.raw_rows, rows])
        order = np.argsort(all_rows, kind="stable")
        moved = moved.astype(np.int64)
        values = np.concatenate([self._raw_values(), moved]) if len(self.raw_rows) else moved
        self.raw_rows, self.raw_parts = all_rows[order], [values[order]]
        if self.counts is not None:
            new_lo, new_width = self.lo.copy(), self.width.copy()
            new_lo[rows], new_width[rows] = 0, 1
            self._relayout(new_lo, new_width, keep=~np.isin(np.arange(len(self.lo)), rows))

    def _unraw(self, limit: int) -> None:
        """Rows kept as values whose spread fits ``limit`` bins go back to histograms, so a
        row that went raw in a small chunk (or early in a run) does not keep every value of
        a large run: memory stays bounded by the replications and by the spread."""
        if not len(self.raw_rows):
            return
        values = self._raw_values()
        if values.shape[1] == 0:
            return
        low, high = values.min(axis=1), values.max(axis=1)
        back = high - low + 1 <= limit
        if not back.any():
            return
        rows = self.raw_rows[back]
        new_lo, new_width = self.lo.copy(), self.width.copy()
        new_lo[rows], new_width[rows] = low[back], high[back] - low[back] + 1
        keep = np.ones(len(self.lo), dtype=bool)
        keep[rows] = False  # a raw row's histogram is one empty bin: nothing to carry
        self._relayout(new_lo, new_width, keep=keep)
        for i, row in zip(np.flatnonzero(back), rows):
            first, width = self.offset[row], int(self.width[row])
            counted = np.bincount(values[i] - low[i], minlength=width)
            self.counts[first : first + width] += counted.astype(COUNT_DTYPE)
        self.raw_rows, self.raw_parts = self.raw_rows[~back], [values[~back]]

    def _relayout(self, new_lo, new_width, keep) -> None:
        """Lay the counts out as (new_lo, new_width), carrying the bins of rows ``keep``."""
        new_offset = _offsets(new_width)
        counts = np.zeros(int(new_width.sum()), dtype=COUNT_DTYPE)
        rows = np.flatnonzero(keep)
        fast = _compiled_counting()
        if len(rows) and fast is not None:
            fast.move_rows(self.counts, self.offset.astype(np.int64), self.lo.astype(np.int64),
                           self.width.astype(np.int64), rows, counts,
                           new_offset.astype(np.int64), new_lo.astype(np.int64))  # fmt: skip
        elif len(rows):
            width = self.width[rows]
            source = _bins(self.offset[rows], width)
            target = _bins(new_offset[rows] + self.lo[rows] - new_lo[rows], width)
            counts[target] = self.counts[source]
        self.lo, self.width, self.offset, self.counts = new_lo, new_width, new_offset, counts

    # -- histograms ----------------------------------------------------------------------------

    def _cover(self, low: np.ndarray, high: np.ndarray, reps: int) -> None:
        """Widen rows so that row i holds low[i] .. high[i], for ``reps`` more replications;
        rows that would pass :func:`max_bins` become raw instead."""
        raw = np.zeros(len(low), dtype=bool)
        raw[self.raw_rows] = True
        low, high = np.where(raw, self.lo, low), np.where(raw, self.lo, high)
        below, above = low < self.lo, high > self.lo + self.width - 1
        if not (below.any() or above.any()):
            return
        new_lo = np.minimum(self.lo, low)
        new_hi = np.maximum(self.lo + self.width - 1, high)
        margin = (SLACK * (new_hi - new_lo + 1)).astype(np.int64)
        new_lo = np.where(below, new_lo - margin, new_lo)
        new_width = np.where(above, new_hi + margin, new_hi) - new_lo + 1
        wide = new_width > max_bins(self.n + reps)
        if wide.any():
            self._make_raw(np.flatnonzero(wide))
            self._cover(low, high, reps)
            return
        self._relayout(new_lo, new_width, keep=np.ones(len(low), dtype=bool))

    def add(self, values: np.ndarray) -> None:
        """Count (N, R) integer values: N series, R replications."""
        values = np.asarray(values)
        if not np.issubdtype(values.dtype, np.integer):
            values = values.astype(np.int64)
        reps = values.shape[1]
        fast = _compiled_counting() if reps and values.dtype.kind == "i" else None
        if fast is not None:
            values = np.ascontiguousarray(values)
            low, high = fast.row_range(values)
        else:
            low = values.min(axis=1).astype(np.int64)
            high = values.max(axis=1).astype(np.int64)
        if self.counts is None:
            width = high - low + 1
            wide = width > max_bins(reps)
            self.lo, self.width = np.where(wide, 0, low), np.where(wide, 1, width)
            self.offset = _offsets(self.width)
            self.counts = np.zeros(int(self.width.sum()), dtype=COUNT_DTYPE)
            if wide.any():
                self.raw_rows = np.flatnonzero(wide).astype(np.int64)
                self.raw_parts = [np.empty((len(self.raw_rows), 0), dtype=np.int64)]
        else:
            self._cover(low, high, reps)
        raw = np.zeros(len(low), dtype=bool)
        raw[self.raw_rows] = True
        if fast is not None:
            rows = np.flatnonzero(~raw)
            fast.count_rows(values, rows, (self.offset - self.lo).astype(np.int64), self.counts)
        else:
            self._count(values, (low == high) & ~raw, ~raw & (low != high))
        if len(self.raw_rows):
            self.raw_parts.append(values[self.raw_rows].astype(np.int64))
        self.n += reps

    def _count(self, values: np.ndarray, constant: np.ndarray, varied: np.ndarray) -> None:
        """Add (N, R) values to the counts of the rows ``constant`` (all R values the same:
        R added to one bin) and ``varied`` (counted a slab of rows at a time; a slab's bins
        lie in one stretch of ``counts``)."""
        rows, reps = values.shape
        same = np.flatnonzero(constant)
        self.counts[self.offset[same] + values[same, 0] - self.lo[same]] += reps
        varied = np.flatnonzero(varied)
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
        sums = np.add.reduceat(weighted, self.offset) + (self.lo - self.offset) * self.n
        if len(self.raw_rows):
            sums[self.raw_rows] = self._raw_values().sum(axis=1)
        return sums

    def _copy(self) -> HistogramReducer:
        twin = HistogramReducer()
        twin.n, twin.lo, twin.width = self.n, self.lo.copy(), self.width.copy()
        twin.offset, twin.counts = self.offset.copy(), self.counts.copy()
        twin.raw_rows, twin.raw_parts = self.raw_rows.copy(), list(self.raw_parts)
        return twin

    def merge(self, other: HistogramReducer) -> None:
        """Add ``other``'s counts (same N series) to this one; the result is the same as if
        every replication had been added here, in any order. ``other`` is left unchanged."""
        if other.counts is None:
            return
        if self.counts is None:
            twin = other._copy()
            self.__dict__.update(twin.__dict__)
            return
        limit = max_bins(self.n + other.n)
        self._unraw(limit)
        if len(other.raw_rows):  # raw in a small chunk: counted here if the merged run allows
            other = other._copy()
            other._unraw(limit)
        raw_rows = np.union1d(self.raw_rows, other.raw_rows)
        self._make_raw(raw_rows)
        if not np.array_equal(other.raw_rows, raw_rows):
            other = other._copy()
            other._make_raw(raw_rows)
        self._cover(other.lo, other.lo + other.width - 1, other.n)
        if not np.array_equal(self.raw_rows, other.raw_rows):  # the cover made more rows raw
            other = other._copy()
            other._make_raw(self.raw_rows)
        if np.array_equal(self.lo, other.lo) and np.array_equal(self.width, other.width):
            self.counts += other.counts
        elif (fast := _compiled_counting()) is not None:
            fast.add_rows(self.counts, self.offset.astype(np.int64), self.lo.astype(np.int64),
                          other.counts, other.offset.astype(np.int64),
                          other.lo.astype(np.int64), other.width.astype(np.int64))  # fmt: skip
        else:
            where = _destinations(other.lo, other.width, other.offset, self.lo, self.offset)
            self.counts[where] += other.counts
        if len(self.raw_rows):
            self.raw_parts.append(other._raw_values())
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
        stats = np.column_stack(out).astype(np.float64)
        if len(self.raw_rows):
            ranks = [inverted_cdf_rank(q, self.n) - 1 for q in QUANTILES]
            chosen = np.partition(self._raw_values(), ranks, axis=1)[:, ranks]
            stats[self.raw_rows, 1:] = chosen
        return stats
