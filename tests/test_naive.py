"""The naive forecast: the recent pace carried forward, with a block-bootstrapped spread."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.naive import (
    MONTH_DAYS,
    CountSeries,
    NaiveForecastError,
    fit_naive,
    naive_at_observations,
    naive_forecast,
)

CUT = np.datetime64("2024-06-30")


def monthly(first: str, last: str) -> np.ndarray:
    """First days of the months from ``first`` to ``last``, datetime64[D]."""
    return np.arange(first, last, dtype="datetime64[M]").astype("datetime64[D]")


def rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_a_steady_pace_gives_a_point_forecast_of_the_last_value_plus_pace_times_days():
    dates = monthly("2022-03", "2024-07")
    days = (dates - dates[0]).astype(float)
    paces = np.array([2.0, 0.5])  # tanks a day
    series = CountSeries(dates, ("T-72", "T-80"), 100 + days[:, None] * paces)
    ahead = np.array(["2024-09-15", "2025-06-01", "2026-06-01"], dtype="datetime64[D]")
    sample = naive_forecast(series, CUT, ahead, rng=rng(), reps=500)
    last = dates[-1]  # 2024-06-01, the last observation up to the cut
    expected = 100 + (last - dates[0]).astype(float) * paces + \
        (ahead - last).astype(float)[:, None] * paces  # fmt: skip
    assert sample.shape == (500, 3, 2)
    np.testing.assert_allclose(np.median(sample, axis=0), expected, rtol=1e-12)
    np.testing.assert_allclose(sample.max(axis=0) - sample.min(axis=0), 0, atol=1e-8)


def test_only_the_six_months_before_the_last_observation_set_the_pace():
    dates = monthly("2023-01", "2024-07")
    # 300 a month until 2023-10, then 60 a month: the window (2023-12..2024-06) sees only 60
    increments = np.where(dates < np.datetime64("2023-11-01"), 300.0, 60.0)
    series = CountSeries(dates, ("all",), np.cumsum(increments)[:, None])
    fit = fit_naive(series, CUT)
    assert fit.pace[0] * MONTH_DAYS == pytest.approx(60.0, rel=0.02)  # not 300
    assert fit.level[0] == series.counts[-1, 0]


def _bumpy_series() -> CountSeries:
    dates = monthly("2022-03", "2024-07")
    increments = np.array([[80, 5], [140, 12], [95, 3], [160, 20], [70, 8], [120, 9]] * 5)
    return CountSeries(dates, ("T-72", "T-62"), np.cumsum(increments[: len(dates)], axis=0))


def test_the_spread_grows_with_the_horizon():
    ahead = np.array(["2024-09-01", "2024-12-01", "2025-06-01", "2026-06-01"],
                     dtype="datetime64[D]")  # fmt: skip
    sample = naive_forecast(_bumpy_series(), CUT, ahead, rng=rng(), reps=4000)
    width = np.quantile(sample, 0.95, axis=0) - np.quantile(sample, 0.05, axis=0)
    assert (np.diff(width, axis=0) > 0).all(), width


def test_the_same_generator_seed_gives_the_same_sample_and_another_seed_another():
    series = _bumpy_series()
    ahead = np.array(["2024-11-20", "2025-03-05"], dtype="datetime64[D]")
    one = naive_forecast(series, CUT, ahead, rng=rng(3), reps=300)
    np.testing.assert_array_equal(one, naive_forecast(series, CUT, ahead, rng=rng(3), reps=300))
    assert not np.array_equal(one, naive_forecast(series, CUT, ahead, rng=rng(4), reps=300))


def test_observations_in_long_form_pick_their_group_at_their_date():
    series = _bumpy_series()
    groups, dates, _ = CountSeries(
        np.array(["2024-08-01", "2024-09-01"], dtype="datetime64[D]"), series.groups,
        np.zeros((2, 2))).after(CUT)  # fmt: skip
    assert list(groups) == ["T-72", "T-62", "T-72", "T-62"]
    wide = naive_forecast(series, CUT, np.unique(dates), rng=rng(5), reps=200)
    long = naive_at_observations(series, CUT, groups, dates, rng=rng(5), reps=200)
    np.testing.assert_array_equal(long, wide.reshape(200, 4))


def test_fewer_than_two_observations_up_to_the_cut_is_an_error():
    series = CountSeries(monthly("2024-06", "2024-09"), ("all",), [[10.0], [20.0], [30.0]])
    with pytest.raises(NaiveForecastError, match="two observations up to 2024-06-30"):
        fit_naive(series, CUT)


def test_dates_out_of_order_are_refused():
    with pytest.raises(NaiveForecastError, match="strictly increasing"):
        CountSeries(np.array(["2024-02-01", "2024-01-01"], dtype="datetime64[D]"), ("all",),
                    [[1.0], [2.0]])  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=3, max_size=14), st.integers(0, 2**32 - 1))
def test_a_record_that_never_falls_gives_paths_that_never_fall_below_its_last_value(steps, seed):
    dates = monthly("2023-01", "2025-01")[: len(steps)]
    series = CountSeries(dates, ("all",), np.cumsum(steps)[:, None])
    ahead = dates[-1] + np.array([10, 45, 200, 400])
    sample = naive_forecast(series, dates[-1], ahead, rng=rng(seed), reps=50)[:, :, 0]
    assert (sample >= series.counts[-1, 0] - 1e-9).all()
    assert (np.diff(sample, axis=1) >= -1e-9).all()


def test_on_the_bundled_record_the_forecast_starts_at_the_last_snapshot_and_widens_by_family():
    from sim.model.record import confirmed_by_family, load_record

    dates, families, counts = confirmed_by_family(load_record())
    series = CountSeries(dates, tuple(families), counts)
    cut = np.datetime64("2024-06-30")
    last = series.up_to(cut)
    ahead = last.dates[-1] + np.array([30, 180, 365])
    sample = naive_forecast(series, cut, ahead, rng=rng(), reps=2000)
    assert sample.shape == (2000, 3, len(families))
    # a family's count can fall as Oryx reclassifies entries, so the paths may dip; not T-72's
    assert (sample[:, :, families.index("T-72")] >= last.counts[-1][families.index("T-72")]).all()
    width = sample[:, :, families.index("T-72")].std(axis=0)
    assert width[0] < width[1] < width[2]
    central = last.counts[-1] + fit_naive(series, cut).pace * 365
    np.testing.assert_allclose(sample[:, 2].mean(axis=0), central, rtol=0.02, atol=3)
