"""Engine invariants: conservation, non-negativity, reproducibility, chunk invariance."""

from __future__ import annotations

import numpy as np
from factories import make_scenario, scenario_dict, scenarios
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine.inputs import build_inputs
from sim.engine.metrics import headline_metrics, trajectory_series
from sim.engine.simulate import simulate
from sim.engine.streams import ExpectedFlows, RandomFlows
from sim.model.loader import build_scenario
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params, expected_params


def balance(trace, inputs):
    """Both sides of the conservation identity, each (T, F, R)."""
    initial = inputs.storage0.sum(axis=0) + inputs.active0
    inflow = initial[None] + trace.produced + trace.imported
    stocks = trace.storage.sum(axis=1) + trace.pipeline + trace.active + trace.lost + trace.scrapped
    return inflow, stocks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1), reps=st.integers(1, 40))
def test_stocks_are_conserved_exactly_and_never_negative(scenario, seed, reps):
    values = draw_params(scenario, seed=seed, first_rep=0, reps=reps)
    inputs = build_inputs(scenario, values, integer=True)
    trace = simulate(inputs, RandomFlows(seed, 0, reps))
    inflow, stocks = balance(trace, inputs)
    np.testing.assert_array_equal(inflow, stocks)
    for name in (
        "active",
        "storage",
        "pipeline",
        "lost",
        "scrapped",
        "refurbished",
        "produced",
        "imported",
    ):
        assert getattr(trace, name).min() >= 0, name
    # Cumulative flows never decrease.
    for name in ("lost", "scrapped", "refurbished", "produced", "imported"):
        assert (np.diff(getattr(trace, name), axis=0) >= 0).all(), name
    # Supply never exceeds its cap.
    if len(inputs.supply_family):
        assert (trace.imported[-1].sum(axis=0) <= inputs.supply_cap.sum(axis=0)).all()


@settings(max_examples=30, deadline=None)
@given(scenario=scenarios())
def test_expected_value_run_conserves_stocks(scenario):
    inputs = build_inputs(scenario, expected_params(scenario), integer=False)
    trace = simulate(inputs, ExpectedFlows(1))
    inflow, stocks = balance(trace, inputs)
    np.testing.assert_allclose(inflow, stocks, rtol=1e-9, atol=1e-6)
    assert trace.active.min() >= -1e-9 and trace.storage.min() >= -1e-9


def test_vanishing_exposure_loses_everything_without_overflow_warning():
    # Expected-value mode can carry a denormal active stock (found by hypothesis in CI).
    families = {"A": {"active": 0, "storage": 0, "vulnerability": 1.0, "quality_weight": 1.0,
                      "refurb_effort": 1.0}}  # fmt: skip
    scenario = make_scenario(families=families, losses=1.0, capacity=0.0,
                             production_per_year=12 * 2.225073858507e-311)  # fmt: skip
    inputs = build_inputs(scenario, expected_params(scenario), integer=False)
    trace = simulate(inputs, ExpectedFlows(1))  # pytest turns any RuntimeWarning into an error
    assert np.isfinite(trace.lost).all() and trace.active.max() <= 2.3e-311


def test_losses_never_exceed_active_stock_even_when_intensity_does():
    scenario = make_scenario(losses=10_000, capacity=0, production_per_year=0)
    result = run_scenario(scenario, reps=64, seed=3)
    lost_all = result.stats[:, 6, -1, 0]
    assert lost_all[-1] == 100  # the whole initial active fleet, and not one more
    assert result.stats[:, 0, -1, :].max() == 0


def test_same_seed_gives_bit_identical_results_and_other_seeds_differ():
    scenario = make_scenario(cv=0.3, end="2023-06")
    a = run_scenario(scenario, reps=300, seed=11)
    b = run_scenario(scenario, reps=300, seed=11)
    c = run_scenario(scenario, reps=300, seed=12)
    np.testing.assert_array_equal(a.stats, b.stats)
    for key in a.metrics:
        np.testing.assert_array_equal(a.metrics[key], b.metrics[key])
    assert not np.array_equal(a.stats, c.stats)


def test_chunk_size_does_not_change_any_number():
    scenario = make_scenario(
        cv=0.3, end="2023-06", losses={"dist": "pert", "low": 5, "mode": 10, "high": 30}
    )
    runs = [run_scenario(scenario, reps=2500, seed=5, chunk=c) for c in (1024, 2048, 4096)]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].stats, other.stats)
        for key in runs[0].metrics:
            np.testing.assert_array_equal(runs[0].metrics[key], other.metrics[key])


def test_deterministic_run_matches_mean_of_stochastic_runs_within_sampling_error():
    # Integer capacity and unit costs keep whole-hull rounding exact; nothing caps losses.
    scenario = make_scenario(
        families={
            "A": {
                "active": 2000,
                "storage": 3000,
                "vulnerability": 1.0,
                "quality_weight": 1.0,
                "refurb_effort": 1.0,
            }
        },  # fmt: skip
        end="2023-07",
        losses=60,
        detection=0.75,
        capacity=50,
        effort=(1.0, 1.0, 1.0),
        donors=(0.0, 0.0, 0.0),
        failure=(0.1, 0.2, 0.4),
        good_share=0.3,
        fair_share=0.3,
        good_to_fair=0.02,
        fair_to_poor=0.02,
        production_per_year=120,
        priority=["A:good", "A:fair", "A:poor"],
    )
    det = run_scenario(scenario, deterministic=True)
    reps = 4000
    sto = run_scenario(scenario, reps=reps, seed=1)
    # Standard errors from the stochastic spread: (p95 - p05) / 3.29 approximates one sd.
    sd = (sto.stats[..., 5] - sto.stats[..., 1]) / 3.29
    tolerance = 5 * sd / np.sqrt(reps) + 0.5
    gap = np.abs(sto.stats[..., 0] - det.stats[..., 0])
    assert (gap <= tolerance).all(), float((gap - tolerance).max())


def busy_scenario():
    """Every flow at once: uncertain parameters, counts large enough for the Cornish-Fisher
    draws, a foreign supply and spare parts."""
    family = {"vulnerability": 1.0, "quality_weight": 0.5, "refurb_effort": 1.0}
    raw = scenario_dict(
        families={
            "A": {**family, "active": 2000, "storage": 3000},
            "B": {
                **family,
                "active": 300,
                "storage": {"dist": "pert", "low": 200, "mode": 400, "high": 900},
            },
            "NK": dict(family),
        },
        end="2023-06",
        cv=0.3,
        losses={"dist": "pert", "low": 60, "mode": 120, "high": 200},
        capacity=80,
        production_per_year=600,
        supply={
            "nk": {
                "family": "NK",
                "start": "2022-05",
                "tanks_per_month": 30,
                "total_cap": 400,
                "delivery_lag_months": 1,
            }
        },
        priority=[f"{f}:{c}" for c in ("good", "fair", "poor") for f in ("A", "B")],
    )
    raw["parts"] = {
        "p": {"start": "2022-09", "families": ["B"], "effort_factor": 0.8, "failure_factor": 0.5}
    }
    return build_scenario(raw, {}, name="busy", files=("busy",))


def test_one_chunk_or_many_give_the_same_numbers_with_every_flow():
    scenario = busy_scenario()
    runs = [run_scenario(scenario, reps=3000, seed=8, chunk=c) for c in (1024, 4096)]
    np.testing.assert_array_equal(runs[0].stats, runs[1].stats)
    for key in runs[0].metrics:
        np.testing.assert_array_equal(runs[0].metrics[key], runs[1].metrics[key])
    assert runs[0].stats[-1, 10, -1, 0] > 0  # the supply delivered


def test_busy_scenario_conserves_stocks_exactly():
    scenario = busy_scenario()
    values = draw_params(scenario, seed=4, first_rep=0, reps=2048)
    inputs = build_inputs(scenario, values, integer=True)
    trace = simulate(inputs, RandomFlows(4, 0, 2048))
    inflow, stocks = balance(trace, inputs)
    np.testing.assert_array_equal(inflow, stocks)
    families = trace.series.shape[2] - 1
    np.testing.assert_array_equal(
        trace.series[:, :11, families], trace.series[:, :11, :families].sum(axis=2)
    )


def test_headline_metrics_do_not_keep_the_chunks_trajectories_alive():
    # A view would hold each chunk's whole (T, V, F + 1, R) array until the run ends.
    scenario = busy_scenario()
    inputs = build_inputs(scenario, draw_params(scenario, seed=1, first_rep=0, reps=64), True)
    trace = simulate(inputs, RandomFlows(1, 0, 64))
    series = trajectory_series(trace, inputs)
    metrics = headline_metrics(series, trace, inputs, scenario.thresholds)
    assert not any(np.shares_memory(series, m) for m in metrics.values())
