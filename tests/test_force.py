"""Issue 16: losses on the committed force, refurbishment to a required fleet, usefulness
order, one donor pool, and the peacetime ramp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factories import make_scenario, scenario_dict
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.inputs import build_inputs, peace_factor
from sim.engine.metrics import (
    VARIABLES,
    headline_metrics,
    trajectory_series,
    worst_month_loss_share,
)
from sim.engine.simulate import POOR, make_plan, simulate, strip_donors
from sim.engine.streams import ExpectedFlows, RandomFlows
from sim.model.loader import build_scenario, load_scenario
from sim.model.priority import usefulness
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params, expected_params


def one_family(**family):
    return {"A": {"active": 0, "storage": 1000, "vulnerability": 1.0, "quality_weight": 1.0,
                  "refurb_effort": 1.0, **family}}  # fmt: skip


def total(result, name, month=-1):
    return result.stats[month, VARIABLES.index(name), -1, 0]


# ---------------------------------------------------------------------------------------------
# One donor pool


def donor_reproduction():
    """Issue 16's reproduction: 450 good, 450 fair, 100 poor hulls, one donor per hull
    started, nothing fails, capacity far above need."""
    return make_scenario(
        families=one_family(), end="2022-04", losses=0.0, capacity=10_000, lead=0,
        effort=(1.0, 1.0, 1.0), donors=(1.0, 1.0, 1.0), failure=(0.0, 0.0, 0.0),
        good_share=0.45, fair_share=0.45, good_to_fair=0.0, fair_to_poor=0.0,
        production_per_year=0.0, priority=["A:good", "A:fair", "A:poor"],
    )  # fmt: skip


@pytest.mark.parametrize("deterministic", [True, False])
def test_donor_reproduction_refurbishes_at_most_500_of_1000_hulls(deterministic):
    result = run_scenario(donor_reproduction(), reps=8, seed=1, deterministic=deterministic)
    refurbished = total(result, "refurbished") + total(result, "pipeline")
    assert refurbished == 500  # one donor per hull: at most half of 1,000 hulls
    assert total(result, "scrapped") == 500
    assert total(result, "storage") == 0


rows_strategy = st.integers(1, 3).flatmap(
    lambda f: st.tuples(
        st.just(f),
        st.lists(st.integers(0, 60), min_size=3 * f, max_size=3 * f),
        st.lists(st.integers(0, 60), min_size=3 * f, max_size=3 * f),
        st.lists(st.integers(0, 60), min_size=3 * f, max_size=3 * f),
        st.permutations(range(3 * f)),
    )
)


@settings(max_examples=200, deadline=None)
@given(case=rows_strategy)
def test_donors_stripped_equal_donors_drawn_when_the_pool_suffices_and_shortfall_is_counted(case):
    families, stock, starts_wanted, donors_wanted, order = case
    entry_row = np.array(order, dtype=np.intp)  # every (condition, family) row, in some order
    condition, family = entry_row // families, entry_row % families
    rows = np.array(stock, dtype=np.int32)[:, None]
    starts = np.minimum(np.array(starts_wanted)[entry_row], rows[entry_row, 0])[:, None]
    donors = np.array(donors_wanted, dtype=np.int64)[:, None]

    class Inputs:  # the fields make_plan reads
        entry_condition, entry_family = condition, family
        active0 = np.zeros((families, 1))
        entry_donors = np.zeros((len(entry_row), 1))

    plan = make_plan(Inputs, np.ones((len(entry_row), 1)), np.zeros((len(entry_row), 1)))
    after_starts = rows.copy()
    after_starts[entry_row] -= starts.astype(np.int32)
    taken, short = strip_donors(donors, starts, rows, plan)
    np.testing.assert_array_equal(taken + short, donors)  # shortfall counted, never dropped
    assert (taken >= 0).all() and (short >= 0).all() and (rows >= 0).all()
    assert taken.sum() == after_starts.sum() - rows.sum()  # each stripped hull taken once
    poor_after = after_starts[POOR * families : (POOR + 1) * families, 0]
    wanted_by_family = np.bincount(family, weights=donors[:, 0], minlength=families)
    if (wanted_by_family <= poor_after).all():  # the poor pool alone suffices
        assert short.sum() == 0


def test_engine_counts_donor_shortfall_and_conserves_stocks():
    scenario = make_scenario(
        families=one_family(), end="2023-01", losses=0.0, capacity=400, lead=1,
        donors=(0.9, 0.9, 0.9), failure=(0.1, 0.1, 0.1), good_share=0.3, fair_share=0.3,
        production_per_year=0.0,
    )  # fmt: skip
    inputs = build_inputs(scenario, draw_params(scenario, seed=2, first_rep=0, reps=512), True)
    trace = simulate(inputs, RandomFlows(2, 0, 512))
    assert trace.donor_shortfall.max() > 0  # binomial donors above their expectation
    held = trace.storage.sum(axis=1) + trace.pipeline + trace.active + trace.scrapped
    np.testing.assert_array_equal(held.sum(axis=1), 1000)


# ---------------------------------------------------------------------------------------------
# Losses on the committed force


def hazard_raw(hazard, committed, **kwargs):
    raw = scenario_dict(**kwargs)
    raw["losses"].pop("confirmed_per_month")
    raw["losses"]["hazard_per_month"] = {"2022-02": hazard}
    raw["losses"]["committed_share"] = {"2022-02": committed}
    return raw


def test_no_month_destroys_more_than_the_committed_force():
    raw = hazard_raw(1.0, 0.3, families=one_family(active=1000, vulnerability=2.0),
                     capacity=0.0, production_per_year=0.0, end="2022-12", cv=0.5)  # fmt: skip
    scenario = build_scenario(raw, {}, name="h", files=("h",))
    result = run_scenario(scenario, reps=256, seed=4)
    active = result.stats[:, VARIABLES.index("active"), -1, 1]  # p05: every replication alike
    # Hazard x vulnerability >= 1: every committed tank is lost, floor(0.3 x active) a month.
    expected, fleet = [], 1000
    for _ in range(11):
        fleet -= int(np.floor(0.3 * fleet))
        expected.append(fleet)
    np.testing.assert_array_equal(active, expected)
    assert result.metrics["worst_month_loss_share"].max() <= 0.3


def test_losses_fall_as_the_fleet_shrinks():
    raw = hazard_raw(0.1, 0.5, families=one_family(active=2000), capacity=0.0,
                     production_per_year=0.0, end="2023-12", detection=1.0)  # fmt: skip
    result = run_scenario(build_scenario(raw, {}, name="h", files=("h",)), deterministic=True)
    lost = np.diff(result.stats[:, VARIABLES.index("lost"), -1, 0])
    active = result.stats[:, VARIABLES.index("active"), -1, 0]
    np.testing.assert_allclose(lost, 0.05 * active[:-1])  # geometric decay, 5% a month
    assert (np.diff(lost) < 0).all()


def test_worst_month_loss_share_is_the_largest_monthly_share_of_the_fleet():
    lost = np.array([[10.0], [10.0], [40.0]])
    active = np.array([[90.0], [80.0], [50.0]])
    share = worst_month_loss_share(lost, active, np.array([100.0]))
    np.testing.assert_allclose(share, [30.0 / 80.0])


# ---------------------------------------------------------------------------------------------
# Force demand


def demand_scenario(required, supply=None, **kwargs):
    raw = scenario_dict(
        families={**one_family(active=100), "NK": {"vulnerability": 1.0, "quality_weight": 0.5,
                                                   "refurb_effort": 1.0}},
        end="2023-12", losses=0.0, capacity=30.0, lead=2, donors=(0.0, 0.0, 0.0),
        failure=(0.0, 0.0, 0.0), good_to_fair=0.0, fair_to_poor=0.0, production_per_year=12.0,
        supply=supply, priority=["A:good", "A:fair", "A:poor"], **kwargs,
    )  # fmt: skip
    raw["demand"] = {"required_active": {"2022-02": required}}
    return build_scenario(raw, {}, name="d", files=("d",))


def test_refurbishment_and_production_stop_at_the_required_fleet():
    result = run_scenario(demand_scenario(400.0), deterministic=True)
    active = result.stats[:, VARIABLES.index("active"), -1, 0]
    pipeline = result.stats[:, VARIABLES.index("pipeline"), -1, 0]
    assert (active + pipeline <= 400.0 + 1e-9).all()
    np.testing.assert_allclose(active[-6:], 400.0)
    assert total(result, "storage") > 500  # hulls not needed stay in storage


def test_supplied_tanks_reduce_the_draw_on_storage():
    # 60 tanks arrive in 2022-03..08, before the fleet reaches its requirement of 400.
    supply = {"nk": {"family": "NK", "start": "2022-03", "tanks_per_month": 10.0,
                     "total_cap": 60, "delivery_lag_months": 0}}  # fmt: skip
    without = run_scenario(demand_scenario(400.0), deterministic=True)
    with_nk = run_scenario(demand_scenario(400.0, supply=supply), deterministic=True)
    assert total(with_nk, "imported") == pytest.approx(60.0)
    assert total(with_nk, "active") == total(without, "active") == pytest.approx(400.0)
    drawn = [total(r, "refurbished") + total(r, "pipeline") for r in (without, with_nk)]
    made = [total(r, "produced") for r in (without, with_nk)]
    assert drawn[0] - drawn[1] > 0
    assert (drawn[0] - drawn[1]) + (made[0] - made[1]) == pytest.approx(60.0)
    assert total(with_nk, "storage") - total(without, "storage") == pytest.approx(
        drawn[0] - drawn[1]
    )


def test_peace_factor_falls_linearly_to_the_peacetime_share_over_the_ramp():
    factor = peace_factor(2, np.array([0.4]), np.array([4.0]), 8)[:, 0]
    np.testing.assert_allclose(factor, [1, 1, 0.85, 0.7, 0.55, 0.4, 0.4, 0.4])


def test_after_a_ceasefire_the_fleet_settles_at_its_requirement():
    raw = hazard_raw(0.1, 0.5, families=one_family(active=1000, storage=5000), end="2026-12",
                     capacity=200.0, production_per_year=600.0, lead=2, donors=(0, 0, 0),
                     failure=(0, 0, 0), good_to_fair=0.0, fair_to_poor=0.0)  # fmt: skip
    raw["losses"]["hazard_per_month"]["2024-01"] = 0.002
    raw["demand"] = {"required_active": {"2022-02": 3000.0, "2024-01": 3500.0}}
    raw["peace"] = {"start": "2024-01", "capacity_share": 0.3, "production_share": 0.5,
                    "ramp_months": 12}  # fmt: skip
    raw["metrics"]["rebuild_after"] = "2024-01"
    scenario = build_scenario(raw, {}, name="c", files=("c",))
    result = run_scenario(scenario, reps=1024, seed=3)
    active = result.stats[:, VARIABLES.index("active"), -1, 3]  # median
    after = slice(2026 * 12 - scenario.start, None)
    assert (np.abs(active[after] / 3500.0 - 1.0) <= 0.02).all()
    assert total(result, "storage") > 1000  # hulls not needed stay in storage
    assert (result.metrics["reach_requirement"] >= 0).all()


def test_rebuild_metrics_time_fleet_restorable_storage_and_requirement():
    raw = hazard_raw(0.0, 0.5, families=one_family(active=100, storage=100), end="2022-12",
                     capacity=10.0, production_per_year=0.0, lead=0, donors=(0, 0, 0),
                     failure=(0, 0, 0), good_share=0.5, fair_share=0.5, good_to_fair=0.0,
                     fair_to_poor=0.0)  # fmt: skip
    raw["demand"] = {"required_active": {"2022-02": 140.0}}
    raw["metrics"]["rebuild_after"] = "2022-02"
    scenario = build_scenario(raw, {}, name="r", files=("r",))
    inputs = build_inputs(scenario, expected_params(scenario), integer=False)
    trace = simulate(inputs, ExpectedFlows(1))
    series = trajectory_series(trace, inputs)
    metrics = headline_metrics(series, trace, inputs, scenario.thresholds, rebuild_from=0)
    # Active 110, 120, 130, 140: at 95% of 140 (133) in month 3; never restorable-short.
    assert metrics["rebuild_active"][0] == 0
    assert metrics["rebuild_restorable"][0] == 0
    assert metrics["reach_requirement"][0] == 3


# ---------------------------------------------------------------------------------------------
# Priority by usefulness


def usefulness_scenario(order):
    families = {
        "OLD": {"active": 0, "storage": 600, "vulnerability": 1.0, "quality_weight": 0.3,
                "refurb_effort": 0.4},
        "NEW": {"active": 0, "storage": 400, "vulnerability": 1.0, "quality_weight": 0.9,
                "refurb_effort": 1.5},
        "MID": {"active": 0, "storage": 500, "vulnerability": 1.0, "quality_weight": 0.6,
                "refurb_effort": 1.0},
    }  # fmt: skip
    raw = scenario_dict(
        families=families, end="2024-12", losses=0.0, capacity=60.0, lead=1,
        effort=(1.0, 1.7, 3.0), donors=(0.0, 0.3, 0.6), failure=(0.02, 0.07, 0.25),
        good_share=0.3, fair_share=0.3, good_to_fair=0.0, fair_to_poor=0.0,
        production_per_year=0.0,
        priority=[f"{f}:{c}" for c in ("poor", "fair", "good") for f in families],
    )  # fmt: skip
    raw["refurbishment"]["order"] = order
    return build_scenario(raw, {}, name="u", files=("u",))


def quality_output_per_effort(scenario):
    """Quality-weighted usable tanks started per effort unit, by month with work, (T',)."""
    inputs = build_inputs(scenario, expected_params(scenario), integer=False)
    trace = simulate(inputs, ExpectedFlows(1))
    started = np.diff(trace.pipeline + trace.refurbished, axis=0, prepend=0)[..., 0]  # (T, F)
    weighted = started @ inputs.quality_weight[:, 0]
    effort = trace.effort_spent[:, 0]
    return weighted[effort > 1e-9] / effort[effort > 1e-9]


def test_quality_weighted_output_per_effort_never_rises_as_better_hulls_run_out():
    ratio = quality_output_per_effort(usefulness_scenario("usefulness"))
    assert len(ratio) > 12 and ratio[0] > 1.5 * ratio[-1]  # better hulls did run out
    assert (np.diff(ratio) <= 1e-9).all(), np.diff(ratio).max()


def test_listed_order_can_spend_capacity_on_less_useful_hulls_first():
    # The same hulls, poor first as listed: output per effort rises when they run out.
    ratio = quality_output_per_effort(usefulness_scenario("listed"))
    assert np.diff(ratio).max() > 0.01


def test_usefulness_ranks_quality_per_effort_per_usable_tank():
    scenario = usefulness_scenario("usefulness")
    score = usefulness(scenario)
    assert score[("OLD", "good")] == pytest.approx(0.3 * 0.98 / 0.4)
    assert score[("MID", "poor")] == pytest.approx(0.6 * 0.75 / 3.0)
    ranked = [score[e] for e in scenario.priority]
    assert ranked == sorted(ranked, reverse=True)


# ---------------------------------------------------------------------------------------------
# The bundled scenarios (issue 16's done-when)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_calibrated_baseline_never_loses_more_than_its_committed_share_in_a_month():
    scenario = load_scenario(SCENARIOS / "baseline.toml")
    result = run_scenario(scenario, reps=2000, seed=1)
    committed = draw_params(scenario, seed=1, first_rep=0, reps=2000)
    upper = scenario.params()["losses.committed_share.2022-02"].dist.arg("high")
    worst = result.metrics["worst_month_loss_share"]
    assert (worst <= committed["losses.committed_share.2022-02"] + 1e-12).all()
    assert np.quantile(worst, 0.95) <= upper and worst.max() < 1.0


def test_ceasefire_fleet_stays_within_15_percent_of_its_requirement_from_two_years_on():
    scenario = load_scenario(SCENARIOS / "ceasefire.toml")
    reps = 1024
    result = run_scenario(scenario, reps=reps, seed=1, keep_paths=True)
    values = draw_params(scenario, seed=1, first_rep=0, reps=reps)
    required = build_inputs(scenario, values, integer=True).required
    two_years_on = scenario.thresholds.rebuild_after + 24 - scenario.start
    ratio = np.median(result.active_paths[two_years_on:] / required[two_years_on:], axis=1)
    assert (np.abs(ratio - 1.0) <= 0.15).all(), ratio


def test_an_analyst_can_impose_counts_on_the_calibrated_baseline(tmp_path):
    # A file extending the hazard baseline imposes 3,000 confirmed losses a month from 2026.
    path = tmp_path / "counts.toml"
    path.write_text(
        f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\n[losses]\nmodel = "counts"\n'
        '[losses.confirmed_per_month]\n"2022-02" = 100\n"2026-01" = 3000\n'
    )
    scenario = load_scenario(path)
    assert not scenario.loss_hazard and scenario.hazard_schedule  # kept, drawing nothing
    result = run_scenario(scenario, reps=256, seed=1)
    # An imposed count can take the whole fleet in a month (capped at the active stock).
    assert (result.metrics["worst_month_loss_share"] == 1.0).mean() > 0.9
