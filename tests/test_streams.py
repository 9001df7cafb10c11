"""Keyed streams and the counts drawn from them: exact where promised, within a stated
tolerance where an expansion stands in, and independent of how the draws are organised."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.engine import streams
from sim.engine.streams import (
    EXACT_BELOW_VARIANCE,
    HALF_STEP,
    RandomFlows,
    binomial_quantile,
    poisson_quantile,
)
from sim.model.distributions import Dist

GRID = 2**24  # the float32 uniforms are multiples of 2**-24
#: Largest CDF error of the Cornish-Fisher quantile at or above EXACT_BELOW_VARIANCE.
CF_TOLERANCE = 5e-5
#: Exact inversion: the only error is the uniforms' resolution (plus float rounding).
EXACT_TOLERANCE = 2.0 / GRID


def implied_cdf(quantile, ks: np.ndarray) -> np.ndarray:
    """P(quantile(U) <= k) for U uniform on the 2**24 centred grid the flows draw from,
    exactly: the quantile is non-decreasing in u, so a bisection over the grid finds how
    many grid points give at most k."""
    lo = np.zeros(len(ks), np.int64)
    hi = np.full(len(ks), GRID, np.int64)
    while (hi > lo).any():
        open_ = hi > lo
        mid = (lo + hi) // 2
        value = np.full(len(ks), np.inf)
        value[open_] = quantile((mid[open_] + 0.5) / GRID)
        above = value > ks
        hi = np.where(open_ & above, mid, hi)
        lo = np.where(open_ & ~above, mid + 1, lo)
    return lo / GRID


BINOMIAL_CASES = [
    (n, p)
    for n in (1, 3, 8, 17, 40, 120, 600, 2500, 20000)
    for p in (1e-4, 0.002, 0.03, 0.1, 0.25, 0.5, 0.8, 0.999, 1.0)
]


@pytest.mark.parametrize("n, p", BINOMIAL_CASES)
def test_binomial_counts_have_the_binomial_cdf_within_the_stated_tolerance(n, p):
    mean, sd = n * p, np.sqrt(n * p * (1 - p))
    ks = np.arange(max(0, int(mean - 10 * sd) - 2), min(n, int(mean + 10 * sd) + 3) + 1)

    def quantile(u):
        return binomial_quantile(u, np.full(u.shape, n), np.full(u.shape, p))

    error = np.abs(implied_cdf(quantile, ks) - stats.binom.cdf(ks, n, p)).max()
    exact = n * p * (1 - p) < EXACT_BELOW_VARIANCE
    assert error <= (EXACT_TOLERANCE if exact else CF_TOLERANCE), error


@pytest.mark.parametrize("lam", [1e-3, 0.3, 2.0, 9.99, 10.0, 13.0, 45.0, 400.0, 5000.0])
def test_poisson_counts_have_the_poisson_cdf_within_the_stated_tolerance(lam):
    sd = np.sqrt(lam)
    ks = np.arange(max(0, int(lam - 10 * sd) - 2), int(lam + 10 * sd) + 12)

    def quantile(u):
        return poisson_quantile(u, np.full(u.shape, lam))

    error = np.abs(implied_cdf(quantile, ks) - stats.poisson.cdf(ks, lam)).max()
    assert error <= (EXACT_TOLERANCE if lam < EXACT_BELOW_VARIANCE else CF_TOLERANCE), error


def test_cornish_fisher_error_is_largest_at_the_threshold_and_within_tolerance():
    # The bound is stated at the smallest variance the expansion serves; sweep around it.
    worst = 0.0
    for var in (EXACT_BELOW_VARIANCE, 1.3 * EXACT_BELOW_VARIANCE, 2 * EXACT_BELOW_VARIANCE):
        for p in (1e-4, 0.01, 0.1, 0.3, 0.5):
            n = int(np.ceil(var / (p * (1 - p))))
            ks = np.arange(0, int(n * p + 12 * np.sqrt(var)) + 10)

            def quantile(u, n=n, p=p):
                return binomial_quantile(u, np.full(u.shape, n), np.full(u.shape, p))

            worst = max(worst, np.abs(implied_cdf(quantile, ks) - stats.binom.cdf(ks, n, p)).max())
    assert 1e-6 < worst <= CF_TOLERANCE


@pytest.mark.parametrize("n, p", [(5, 0.3), (1900, 0.055), (60, 0.7), (9000, 0.004)])
def test_binomial_draws_pass_a_chi_square_test_against_numpys_sampler(n, p):
    # Two samples of 400,000: ours (from the flows' float32 uniforms) and numpy's exact
    # sampler; chi-square on bins with at least 50 expected, at significance 0.001.
    size = 400_000
    rng = np.random.default_rng(20)
    u = rng.random(size, dtype=np.float32) + HALF_STEP
    ours = binomial_quantile(u, np.full(size, n), np.full(size, p))
    theirs = np.random.default_rng(21).binomial(n, p, size)
    lo, hi = np.percentile(theirs, [0.1, 99.9]).astype(int)
    edges = np.arange(lo, hi + 2)
    table = np.array(
        [np.histogram(x, np.r_[-np.inf, edges[1:-1], np.inf])[0] for x in (ours, theirs)]
    )
    assert stats.chi2_contingency(table)[1] > 0.001


def test_counts_never_fall_as_the_uniform_rises_and_stay_within_zero_and_n():
    u = np.sort(np.random.default_rng(5).random(50_000))
    for n, p in [(3, 0.5), (40, 0.08), (1000, 0.3), (80, 0.9), (500, 1.0), (0, 0.5), (7, 0.0)]:
        k = binomial_quantile(u, np.full(u.shape, n), np.full(u.shape, p))
        assert (np.diff(k) >= 0).all() and k.min() >= 0 and k.max() <= n
    for lam in (0.0, 0.5, 3.9, 4.0, 60.0):
        assert (np.diff(poisson_quantile(u, np.full(u.shape, lam))) >= 0).all()


def test_a_replications_count_depends_only_on_its_own_state():
    # Common random numbers, replication by replication: changing one replication's n
    # leaves every other replication's draws as they were.
    n = np.arange(1, 3001).reshape(3, 1000) % 50
    a = RandomFlows(1, 0, 1000).binomial("x", n, 0.3, ("f", "g", "h"))
    n[1, 10] += 500
    b = RandomFlows(1, 0, 1000).binomial("x", n, 0.3, ("f", "g", "h"))
    changed = a != b
    assert changed[1, 10] and changed.sum() == 1


def test_draws_do_not_depend_on_chunking_or_batching(monkeypatch):
    n = np.random.default_rng(3).integers(0, 3000, (2, 3072))
    p = np.random.default_rng(4).random((2, 3072)) * 0.2

    def months(flows, n, p, count=5):
        return [flows.binomial("f", n, p, ("a", "b")) for _ in range(count)]

    whole = months(RandomFlows(7, 0, 3072), n, p)
    parts = [
        months(RandomFlows(7, first, 1024), n[:, first : first + 1024], p[:, first : first + 1024])
        for first in (0, 1024, 2048)
    ]
    for t in range(5):
        np.testing.assert_array_equal(whole[t], np.concatenate([part[t] for part in parts], axis=1))
    monkeypatch.setattr(streams, "BATCH_MONTHS", 2)
    np.testing.assert_array_equal(np.stack(whole), np.stack(months(RandomFlows(7, 0, 3072), n, p)))
    flows = RandomFlows(7, 0, 3072)
    flows.plan(5)
    np.testing.assert_array_equal(np.stack(whole), np.stack(months(flows, n, p)))


def test_several_flows_at_once_equal_one_call_each():
    n = np.random.default_rng(8).integers(0, 200, (3, 2048))
    p = np.random.default_rng(9).random((3, 2048))
    rows = ("a", "b", "c")
    one = RandomFlows(2, 0, 2048)
    many = RandomFlows(2, 0, 2048)
    for _ in range(3):
        separate = [one.binomial("x", n, p, rows), one.binomial("y", n, 0.2, rows)]
        together = many.binomials(("x", n, p, rows), ("y", n, 0.2, rows))
        for a, b in zip(separate, together):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [1.0, 4.0, 10.0])
@pytest.mark.parametrize("mode", [0.0, 0.03, 0.3, 0.5, 0.97, 1.0])
def test_pert_quantile_table_is_within_1e_10_of_the_range(shape, mode):
    dist = Dist("pert", (("low", 2.0), ("mode", 2.0 + 5.0 * mode), ("high", 7.0), ("shape", shape)))
    rng = np.random.default_rng(11)
    u = np.concatenate([rng.random(100_000), 10 ** rng.uniform(-12, -1, 5000),
                        1 - 10 ** rng.uniform(-12, -1, 5000), [0.0, 0.5, 1.0]])  # fmt: skip
    error = np.abs(dist.quantile(u) - dist.exact_quantile(u)).max()
    assert error <= 1e-10 * 5.0, error


def test_a_flow_keeps_its_rows_and_the_noise_its_cv():
    flows = RandomFlows(1, 0, 16)
    flows.binomial("x", np.ones((2, 16)), 0.5, ("a", "b"))
    with pytest.raises(ValueError, match="rows"):
        flows.binomial("x", np.ones((1, 16)), 0.5, ("a",))
    flows.noise("n", np.full(16, 0.2))
    with pytest.raises(ValueError, match="cv"):
        flows.noise("n", np.full(16, 0.3))
