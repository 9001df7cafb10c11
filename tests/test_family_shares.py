"""Family shares of the fleet, the exposed fleet and the losses (sim/analysis/family_shares)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.family_shares import group_matrix, period_shares, record_shares


def test_a_family_weighted_twice_takes_twice_its_fleet_share_of_the_exposed_fleet():
    # Two families, 100 and 300 active every month; A's loss weight is 3, B's 1.
    active = np.array([[[100.0, 300.0]] * 4])  # (R=1, T=4, F=2)
    weight = np.array([[3.0, 1.0]])
    lost = np.array([[[0, 0], [30, 30], [60, 60], [90, 90]]], dtype=float)
    groups = group_matrix(["A", "B"], [["A"], ["B"]])
    out = period_shares(active, weight, lost, [(1, 3)], groups)
    assert out["fleet"][0, 0].tolist() == pytest.approx([0.25, 0.75])
    assert out["exposed"][0, 0].tolist() == pytest.approx([0.5, 0.5])
    assert out["losses"][0, 0].tolist() == pytest.approx([0.5, 0.5])


def test_groups_sum_their_families_and_skip_names_the_model_lacks():
    groups = group_matrix(["T-72", "T-90", "T-90M"], [["T-72"], ["T-90", "T-90M"], ["NK"]])
    assert groups.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]


def test_record_shares_are_of_the_typed_losses_added_in_each_period():
    counts = np.array([[10, 30], [20, 80]])  # cumulative, two snapshots, two groups
    shares = record_shares(counts, [(-1, 0), (0, 1)])
    np.testing.assert_allclose(shares, [[0.25, 0.75], [10 / 60, 50 / 60]])


def test_a_period_past_the_last_month_is_refused_with_the_periods_named():
    with pytest.raises(ValueError, match=r"periods \[\(1, 3\)\]"):
        period_shares(np.ones((1, 3, 1)), np.ones((1, 1)), np.zeros((1, 3, 1)), [(1, 3)],
                      np.ones((1, 1)))  # fmt: skip


def test_the_first_period_counts_losses_from_nothing():
    lost = np.array([[[4.0, 12.0], [8.0, 24.0]]])  # (R=1, T=2, F=2)
    out = period_shares(np.ones((1, 2, 2)), np.ones((1, 2)), lost, [(0, 1)], np.eye(2))
    assert out["losses"][0, 0].tolist() == pytest.approx([0.25, 0.75])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(2, 4), st.integers(0, 2**31 - 1))
def test_every_share_is_between_0_and_1_and_sums_to_1_or_0(reps, families, seed):
    rng = np.random.default_rng(seed)
    active = rng.integers(0, 50, (reps, 6, families)).astype(float)
    lost = np.cumsum(rng.integers(0, 5, (reps, 6, families)), axis=1).astype(float)
    weight = rng.uniform(0.3, 3.0, (reps, families))
    groups = np.eye(families)
    for values in period_shares(active, weight, lost, [(0, 2), (3, 5)], groups).values():
        assert ((values >= 0) & (values <= 1 + 1e-12)).all()
        totals = values.sum(axis=-1)
        assert np.all(np.isclose(totals, 1.0) | (totals == 0))
