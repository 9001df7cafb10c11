"""Forecast scores by horizon, model against the naive forecast, on synthetic samples."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.analysis.forecast_scores import (
    SCORE_COLUMNS,
    aggregate,
    crps_skill,
    horizon_months,
    horizon_table,
    score_forecasts,
    since_anchor,
)
from sim.analysis.hindcast import confirmed_record
from sim.analysis.naive import CountSeries
from sim.analysis.targets import Target
from sim.api.hindcasting import score_against_naive
from sim.figures.forecast_scores import forecast_score_figure
from sim.model.calendar import parse_month

CUT = np.datetime64("2024-06-30")


def _synthetic(k: int = 400, reps: int = 2000, bias: float = 0.0, seed: int = 11):
    """``k`` observations a month apart after the cut, each drawn from N(mu, 50): a model
    sample from the same distribution and a naive one shifted by ``bias`` sds."""
    gen = np.random.default_rng(seed)
    dates = CUT + np.arange(1, k + 1) * 30
    mu = 3000 + 3.0 * np.arange(k)
    observed = gen.normal(mu, 50)
    model = gen.normal(mu, 50, size=(reps, k))
    naive = gen.normal(mu + bias * 50, 50, size=(reps, k))
    return ["all"] * k, dates, observed, model, naive


def test_a_forecast_centred_on_the_truth_covers_about_90_and_50_percent():
    rows = score_forecasts(*_synthetic(), CUT)
    at_cut = aggregate(rows)
    # 400 Bernoulli(0.9) / (0.5): standard errors 0.015 / 0.025; 3.5 of them
    assert at_cut["model_inside_90"] == pytest.approx(0.9, abs=0.053)
    assert at_cut["model_inside_50"] == pytest.approx(0.5, abs=0.088)


def test_a_biased_naive_forecast_covers_less_and_the_model_has_positive_skill():
    at_cut = aggregate(score_forecasts(*_synthetic(bias=2.0), CUT))
    assert at_cut["naive_inside_90"] < 0.7 and at_cut["naive_inside_50"] < 0.3
    assert at_cut["crps_skill"] > 0.3


def test_the_same_forecast_for_both_has_zero_skill():
    groups, dates, observed, model, _ = _synthetic(k=20)
    assert aggregate(score_forecasts(groups, dates, observed, model, model, CUT))[
        "crps_skill"] == pytest.approx(0.0, abs=1e-12)  # fmt: skip


def test_on_the_losses_since_the_cut_a_model_off_in_level_scores_as_its_pace_deserves():
    """A model whose level at the cut is off by 400 tanks in every replication, but whose
    pace after it is right, loses to the naive forecast on cumulative counts and matches an
    unbiased model on the losses since the cut; the naive forecast's CRPS does not change."""
    groups, dates, observed, model, naive = _synthetic(k=40)
    anchor = np.full(40, 3000.0)
    off = model + 400.0
    cumulative = aggregate(score_forecasts(groups, dates, observed, off, naive, CUT))
    since = aggregate(score_forecasts(groups, dates, *since_anchor(
        observed, off, naive, anchor, np.full_like(off, 3400.0)), CUT))
    right = aggregate(score_forecasts(groups, dates, *since_anchor(
        observed, model, naive, anchor, np.full_like(model, 3000.0)), CUT))
    assert cumulative["crps_skill"] < -1.0
    assert since["model_mean_crps"] == pytest.approx(right["model_mean_crps"], rel=1e-12)
    assert since["naive_mean_crps"] == pytest.approx(cumulative["naive_mean_crps"], rel=1e-9)


def test_rows_carry_every_score_column_and_the_horizon_in_months():
    rows = score_forecasts(*_synthetic(k=3), CUT)
    assert all(tuple(r) == SCORE_COLUMNS for r in rows)
    assert [r["date"] for r in rows] == ["2024-07-30", "2024-08-29", "2024-09-28"]
    assert rows[0]["horizon_months"] == pytest.approx(30 / 30.436875, abs=0.01)
    assert all(r["model_p05"] <= r["model_p50"] <= r["model_p95"] for r in rows)


def test_horizon_buckets_hold_the_rows_of_their_months_and_all_of_them_at_the_end():
    horizons = [1.0, 3.0, 5.0, 13.0, 30.0]
    rows = [{"horizon_months": h, "model_inside_90": True, "naive_inside_90": False,
             "model_inside_50": h < 4, "naive_inside_50": False, "model_crps": h,
             "naive_crps": 2 * h} for h in horizons]  # fmt: skip
    table = horizon_table(rows)
    assert [(t["horizon"], t["observations"]) for t in table] == [
        ("0-3", 2), ("3-6", 1), ("12-24", 1), ("24+", 1), ("all", 5)]
    assert table[0]["model_inside_50"] == 1.0 and table[1]["model_inside_50"] == 0.0
    assert table[-1]["model_mean_crps"] == pytest.approx(np.mean(horizons))
    assert table[-1]["crps_skill"] == pytest.approx(0.5)


def test_crps_skill_is_undefined_when_the_naive_forecast_is_exact():
    assert np.isnan(crps_skill(3.0, 0.0))
    assert crps_skill(1.0, 4.0) == 0.75 and crps_skill(8.0, 4.0) == -1.0


def test_horizon_is_counted_from_the_cut_in_mean_months():
    months = horizon_months(np.array(["2025-06-30", "2026-06-30"], dtype="datetime64[D]"), CUT)
    np.testing.assert_allclose(months, [12.0, 24.0], atol=0.05)


def _target(name: str, variable: str, month: str, observed: float, **extra) -> Target:
    return Target(id=name, fact="synthetic", variables=(variable,), family=extra.pop("family",
                  "all"), month=parse_month(month), observed=observed, low=0.5 * observed,
                  high=2 * observed, uncertainty="synthetic", **extra)  # fmt: skip


def test_the_record_from_the_targets_is_the_confirmed_totals_at_their_month_ends():
    targets = [_target("late", "lost_confirmed", "2024-02", 3000),
               _target("active", "active", "2023-01", 1800),
               _target("early", "lost_confirmed", "2022-09", 1002),
               _target("t62", "lost_confirmed", "2023-01", 90, family="T-62"),
               _target("change", "lost_confirmed", "2023-06", 500,
                       since=parse_month("2023-01"))]  # fmt: skip
    record, oryx = confirmed_record(targets)
    assert [t.id for t in oryx] == ["early", "late"]
    assert [str(d) for d in record.dates] == ["2022-09-30", "2024-02-29"]
    assert record.groups == ("all",) and record.counts[:, 0].tolist() == [1002, 3000]
    assert confirmed_record(targets[1:2]) == (None, [])


def test_score_against_naive_scores_each_later_observation_by_group_and_checks_the_shape():
    dates = np.arange("2024-01", "2024-11", dtype="datetime64[M]").astype("datetime64[D]")
    counts = np.cumsum(np.tile([[30.0, 10.0], [50.0, 4.0]], (5, 1)), axis=0)
    record = CountSeries(dates, ("T-72", "unknown"), counts)
    groups, later, observed = record.after(CUT)
    model = np.random.default_rng(1).normal(observed, 20.0, size=(500, len(observed)))
    rows = score_against_naive(record, CUT, model, seed=5, reps=500)
    assert [(r["group"], r["date"]) for r in rows] == [
        (g, str(d)) for g, d in zip(groups, later)]
    assert rows == score_against_naive(record, CUT, model, seed=5, reps=500)
    with pytest.raises(ValueError, match="model values for 3 observations"):
        score_against_naive(record, CUT, model[:, :3], seed=5, reps=500)


def test_the_figure_draws_coverage_with_reference_lines_and_crps_for_both_forecasts():
    table = horizon_table(score_forecasts(*_synthetic(k=40, reps=400, bias=1.0), CUT))[:-1]
    inside = {(f, b): np.array([t[f"{f}_inside_{b}"] for t in table])
              for f in ("model", "naive") for b in (90, 50)}  # fmt: skip
    crps = {f: np.array([t[f"{f}_mean_crps"] for t in table]) for f in ("model", "naive")}
    fig = forecast_score_figure([t["horizon"] for t in table],
                                [t["observations"] for t in table], inside, crps,
                                xlabel="horizon: months after the cut-off", crps_unit="tanks",
                                heading="test", caption="source")  # fmt: skip
    assert isinstance(fig, Figure)
    cover, panel = fig.axes
    references = sorted(line.get_ydata()[0] for line in cover.lines
                        if line.get_linestyle() == "--")  # fmt: skip
    assert references == [0.5, 0.9]
    assert len(cover.lines) == 2 + 4 and len(panel.lines) == 2
    styles = {line.get_linestyle() for line in panel.lines}
    assert styles == {"-", ":"}, "model and naive differ by line style, not colour alone"
    assert "months" in cover.get_xlabel() and "tanks" in panel.get_ylabel()
    np.testing.assert_allclose(panel.lines[0].get_ydata(), crps["model"])


def test_a_month_dated_figure_is_dated_at_the_last_day_of_its_month():
    from sim.analysis.hindcast import month_end

    assert month_end(parse_month("2024-02")) == np.datetime64("2024-02-29")
    assert month_end(parse_month("2023-12")) == np.datetime64("2023-12-31")


def test_the_figure_with_no_observation_says_so():
    empty = np.array([])
    fig = forecast_score_figure([], [], {(f, b): empty for f in ("model", "naive")
                                         for b in (90, 50)}, {"model": empty, "naive": empty},
                                xlabel="horizon: months after the cut-off", crps_unit="tanks",
                                heading="test", caption="source")  # fmt: skip
    assert all(any(t.get_text() == "no record observation scored" for t in ax.texts)
               for ax in fig.axes)  # fmt: skip
