"""The histogram reducer gives numpy's inverted-CDF percentiles, however values are chunked."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.runs.reduce import QUANTILES, ExactReducer, HistogramReducer, max_bins


@settings(max_examples=80, deadline=None)
@given(
    data=arrays(
        np.int64, st.tuples(st.integers(1, 5), st.integers(1, 60)), elements=st.integers(-50, 3000)
    ),  # fmt: skip
    cuts=st.lists(st.integers(1, 59), max_size=4),
)
def test_histogram_reducer_equals_numpy_inverted_cdf_for_any_chunking(data, cuts):
    hist, exact = HistogramReducer(), ExactReducer()
    bounds = sorted({0, data.shape[1], *[c for c in cuts if c < data.shape[1]]})
    for lo, hi in zip(bounds, bounds[1:]):
        hist.add(data[:, lo:hi])
        exact.add(data[:, lo:hi])
    expected = np.column_stack(
        [data.mean(axis=1), np.quantile(data, QUANTILES, axis=1, method="inverted_cdf").T]
    )
    np.testing.assert_array_equal(hist.result()[:, 1:], expected[:, 1:])
    np.testing.assert_allclose(hist.result()[:, 0], expected[:, 0], rtol=1e-12)
    np.testing.assert_array_equal(exact.result()[:, 1:], expected[:, 1:])


@settings(max_examples=60, deadline=None)
@given(
    data=arrays(
        np.int64, st.tuples(st.integers(1, 4), st.integers(2, 50)), elements=st.integers(-20, 900)
    ),  # fmt: skip
    cuts=st.lists(st.integers(1, 49), max_size=5),
    order=st.randoms(use_true_random=False),
)
def test_merged_chunk_histograms_equal_one_histogram_in_any_merge_order(data, cuts, order):
    whole = HistogramReducer()
    whole.add(data)
    bounds = sorted({0, data.shape[1], *[c for c in cuts if c < data.shape[1]]})
    parts = []
    for lo, hi in zip(bounds, bounds[1:]):
        part = HistogramReducer()
        part.add(data[:, lo:hi])
        parts.append(part)
    order.shuffle(parts)
    merged = HistogramReducer()
    for part in parts:
        merged.merge(part)
    np.testing.assert_array_equal(merged.result(), whole.result())
    assert merged.n == data.shape[1]


def _expected(data: np.ndarray) -> np.ndarray:
    return np.column_stack(
        [data.mean(axis=1), np.quantile(data, QUANTILES, axis=1, method="inverted_cdf").T]
    )


@settings(max_examples=80, deadline=None)
@given(
    data=arrays(
        np.int64, st.tuples(st.integers(1, 6), st.integers(1, 40)),
        elements=st.one_of(st.integers(-3, 3), st.integers(0, 3_000_000_000)),
    ),  # fmt: skip
    cuts=st.lists(st.integers(1, 39), max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_wide_ranges_stay_exact_in_any_chunking_and_merge_order(data, cuts, order):
    """Counts spread over up to 3e9 (rows switch from histograms to values) stay exact."""
    bounds = sorted({0, data.shape[1], *[c for c in cuts if c < data.shape[1]]})
    added, parts = HistogramReducer(), []
    for lo, hi in zip(bounds, bounds[1:]):
        added.add(data[:, lo:hi])
        part = HistogramReducer()
        part.add(data[:, lo:hi])
        parts.append(part)
    order.shuffle(parts)
    merged = HistogramReducer()
    for part in parts:
        merged.merge(part)
    expected = _expected(data)
    for reducer in (added, merged):
        np.testing.assert_array_equal(reducer.result()[:, 1:], expected[:, 1:])
        np.testing.assert_array_equal(reducer.sums, data.sum(axis=1))
        assert reducer.n == data.shape[1]


def test_memory_does_not_grow_with_the_size_of_the_counts():
    """A million-tank stock spread over +-10% keeps values, not a 200,000-bin histogram."""
    rng = np.random.default_rng(1)
    reps, rows = 200, 50
    reducers = []
    for scale in (1_000, 1_000_000):
        reducer = HistogramReducer()
        for _ in range(4):
            chunk = rng.integers(int(0.9 * scale), int(1.1 * scale), size=(rows, reps // 4))
            part = HistogramReducer()
            part.add(chunk)
            reducer.merge(part)
        reducers.append(reducer)
    small, large = (r.counts.nbytes + sum(p.nbytes for p in r.raw_parts) for r in reducers)
    assert large <= max_bins(reps) * 8 * rows
    assert large <= 4 * small


def test_a_small_last_chunk_does_not_turn_a_large_runs_histograms_into_values():
    """A chunk of a few replications keeps wide rows as values (cheaper for it), but merged
    into a large run they are counted into its histograms: memory stays bounded by the
    spread, not by the run's replications (500,000 replications took 7 GB and growing)."""
    rng = np.random.default_rng(5)
    big = rng.integers(10_000, 13_000, size=(4, 20_000))
    small = rng.integers(10_000, 13_000, size=(4, 12))
    whole = HistogramReducer()
    whole.add(big)
    tail = HistogramReducer()
    tail.add(small)
    assert len(tail.raw_rows) == 4  # 3,000 apart in 12 replications: values are cheaper
    whole.merge(tail)
    assert len(whole.raw_rows) == 0 and whole.counts.size < 4 * 4_000
    oracle = ExactReducer()
    oracle.add(np.concatenate([big, small], axis=1))
    np.testing.assert_array_equal(whole.result(), oracle.result())
