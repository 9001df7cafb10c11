"""Cross-validation of the vectorised engine against the SimPy tank-by-tank reference model.

The two share only the scenario: different code, different random streams. Stochastic
checks run on a shortened horizon (to 2026-12, past the usual storage-exhaustion month) so
the file stays near a minute: the unpaired checks on the baseline, the paired check (far
sharper: the same parameter draws) on the North Korean T-62 scenario, whose supply it adds.
Thresholds: means within 4 combined standard errors (a two-sided false-alarm rate of about
6e-5 per check), KS two-sample tests rejected only at p <= 0.001 (a 0.1% false-alarm rate
per test); the seeds are fixed, so a pass is repeatable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factories import scenario_dict
from scipy import stats

from sim.engine.metrics import VARIABLES
from sim.model.loader import build_scenario, load_scenario
from sim.reference import simulate_reference
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
END = "2026-12"
#: The SimPy reference costs about 45 ms of CPU a replication over the baseline to END: 200
#: of them against 4,096 engine replications resolve a mean gap of 4 x 0.072 standard
#: deviations (300 cost 6.6 s more for 4 x 0.060).
ENGINE_REPS, REF_REPS = 4096, 200
Z_MAX = 4.0  # combined standard errors
KS_ALPHA = 0.001  # significance level of the KS tests
NEVER_AS = 10**6  # storage never exhausted: beyond any month, for the KS test


def z_score(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(float), b.astype(float)
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float((a.mean() - b.mean()) / se) if se > 0 else float(a.mean() != b.mean()) * np.inf


def months(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, NEVER_AS, x)


@pytest.fixture(scope="module", params=["baseline"])
def pair(request):
    scenario = load_scenario(SCENARIOS / f"{request.param}.toml", end=END)
    engine = run_scenario(scenario, reps=ENGINE_REPS, seed=101)
    reference = simulate_reference(scenario, reps=REF_REPS, seed=202)
    return scenario, engine, reference


def test_reference_conserves_every_family_every_month(pair):
    _, _, ref = pair
    assert ref["conserved"].all()


@pytest.mark.parametrize("metric", ["active_end", "lost_end", "worst_month_loss_share"])
def test_means_agree(pair, metric):
    _, engine, ref = pair
    z = z_score(ref[metric], engine.metrics[metric])
    assert abs(z) < Z_MAX, f"{metric}: z = {z:.2f}"


@pytest.mark.parametrize("metric", ["active_end", "storage_exhausted"])
def test_distributions_agree(pair, metric):
    _, engine, ref = pair
    ref_x, eng_x = ref[metric], engine.metrics[metric]
    if metric == "storage_exhausted":
        ref_x, eng_x = months(ref_x), months(eng_x)
    p = stats.ks_2samp(ref_x, eng_x).pvalue
    assert p > KS_ALPHA, f"{metric}: KS p = {p:.2g}"


def test_mean_active_path_agrees(pair):
    """Mean active fleet, all families, every 6 months (4 standard errors)."""
    _, engine, ref = pair
    eng_mean = engine.stats[:, VARIABLES.index("active"), -1, 0]
    path = ref["active_path"].astype(float)
    se = path.std(axis=0, ddof=1) * np.sqrt(1 / REF_REPS + 1 / ENGINE_REPS)
    for t in range(0, path.shape[1], 6):
        gap = path[:, t].mean() - eng_mean[t]
        assert abs(gap) <= Z_MAX * se[t] + 1e-9, f"month {t}: gap {gap:.1f}, se {se[t]:.1f}"


def test_paired_with_the_same_parameter_draws_conserves_and_agrees():
    """With each replication's parameters shared, only the flows differ: the paired
    difference removes parameter uncertainty and gives a far sharper test of the dynamics."""
    scenario = load_scenario(SCENARIOS / "nk-t62.toml", end="2025-12")
    reps = 200
    engine = run_scenario(scenario, reps=reps, seed=7).metrics
    values = draw_params(scenario, seed=7, first_rep=0, reps=reps)
    ref = simulate_reference(scenario, reps=reps, seed=8, values=values)
    assert ref["conserved"].all()
    for metric in ("active_end", "lost_end", "storage_exhausted", "worst_month_loss_share"):
        diff = (months(ref[metric]) - months(engine[metric])).astype(float)
        z = diff.mean() / (diff.std(ddof=1) / np.sqrt(reps))
        assert abs(z) < Z_MAX, f"{metric}: paired z = {z:.2f} (mean gap {diff.mean():.1f})"


# ---------------------------------------------------------------------------------------------
# No randomness at all: every share 0 or 1, no noise, no Poisson rates. Must match exactly.


PRIORITY = ["B:good", "A:good", "A:fair", "B:fair", "B:poor", "A:poor"]


def tiny(g2f, f2p, lead, donors, failure, capacity, priority=PRIORITY):
    raw = scenario_dict(
        families={
            "A": {
                "active": 40,
                "storage": 30,
                "vulnerability": 1.0,
                "quality_weight": 1.0,
                "refurb_effort": 1.0,
            },
            "B": {
                "active": 25,
                "storage": 21,
                "vulnerability": 2.0,
                "quality_weight": 0.5,
                "refurb_effort": 0.5,
            },
            "NK": {"vulnerability": 1.0, "quality_weight": 0.5, "refurb_effort": 1.0},
        },
        end="2022-10",
        losses=0.0,
        capacity=capacity,
        lead=lead,
        effort=(1.0, 1.5, 2.5),
        donors=donors,
        failure=failure,
        good_share=0.5,
        fair_share=0.25,
        good_to_fair=g2f,
        fair_to_poor=f2p,
        production_per_year=0.0,
        priority=list(priority),
        supply={
            "nk": {
                "family": "NK",
                "start": "2022-03",
                "tanks_per_month": 0,
                "total_cap": 5,
                "delivery_lag_months": 1,
                "first_batch": 7,
            },
        },
    )
    raw["losses"]["confirmed_per_month"]["2022-06"] = 1e6  # every active tank lost
    raw["losses"]["confirmed_per_month"]["2022-07"] = 0.0
    raw["refurbishment"]["capacity_per_month"]["2022-05"] = capacity + 3.25
    raw["parts"] = {
        "p": {"start": "2022-04", "families": ["B"], "effort_factor": 2.0, "failure_factor": 1.0}
    }
    return build_scenario(raw, {}, name="tiny", files=("tiny",))


LEFTOVER = ["A:poor", *PRIORITY[:-1]]  # 3 A:poor hulls use 7.5 of 9; 1.5 would fit 3 B:good


@pytest.mark.parametrize(
    "g2f, f2p, lead, donors, failure, capacity, priority",
    [
        (0.0, 0.0, 1.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 10.0, PRIORITY),
        (1.0, 0.0, 0.0, (0.0, 1.0, 1.0), (0.0, 0.0, 1.0), 7.5, PRIORITY),
        (1.0, 1.0, 2.0, (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), 12.25, PRIORITY),
        (0.0, 1.0, 3.0, (1.0, 1.0, 0.0), (1.0, 0.0, 0.0), 4.0, PRIORITY),
        (0.0, 0.0, 0.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 9.0, LEFTOVER),
    ],
)
def test_no_randomness_matches_engine_exactly(g2f, f2p, lead, donors, failure, capacity, priority):
    scenario = tiny(g2f, f2p, lead, donors, failure, capacity, priority)
    engine = run_scenario(scenario, reps=3, seed=1)
    ref = simulate_reference(scenario, reps=2, seed=2)
    assert ref["conserved"].all()
    mean = engine.stats[:, :, -1, 0]  # (T, V), all families

    def var(name):
        return mean[:, VARIABLES.index(name)]

    for r in range(2):
        np.testing.assert_array_equal(ref["active_path"][r], var("active"))
        np.testing.assert_array_equal(ref["storage_path"][r], var("storage"))
        good_fair = var("storage_good") + var("storage_fair")
        np.testing.assert_array_equal(ref["good_fair_path"][r], good_fair)
        for name in ("lost", "scrapped", "refurbished", "produced", "imported", "pipeline"):
            assert ref[f"{name}_end"][r] == var(name)[-1], name
    for metric in ("active_end", "lost_end", "storage_exhausted"):
        assert (engine.metrics[metric] == ref[metric][0]).all(), metric


def test_effort_an_entry_cannot_use_is_not_passed_on():
    """The engine's rule, pinned: an entry that cannot be fully served takes whole hulls out
    of the remaining effort, and the remainder (less than one of its hulls) is idle that
    month, even when a cheaper entry below could use it."""
    scenario = tiny(0.0, 0.0, 0.0, (0.0,) * 3, (0.0,) * 3, 9.0, LEFTOVER)
    first = run_scenario(scenario, reps=1, seed=1).stats[0, VARIABLES.index("refurbished"), -1, 0]
    kept = simulate_reference(scenario, reps=1, seed=2)["active_path"][0, 0]
    passed = simulate_reference(scenario, reps=1, seed=2, pass_leftover=True)["active_path"][0, 0]
    active0 = 40 + 25
    assert first == 3 and kept - active0 == 3 and passed - active0 == 3 + 3


def closed_loop(donors, failure, order, peace_share):
    """``tiny`` with the closed loop: every committed tank lost at hazard 1 (a no-randomness
    hazard), then none; a required fleet that changes; a peacetime ramp; either order."""
    raw = scenario_dict(
        families={
            "A": {"active": 40, "storage": 30, "vulnerability": 1.0, "quality_weight": 1.0,
                  "refurb_effort": 1.0},
            "B": {"active": 25, "storage": 21, "vulnerability": 2.0, "quality_weight": 0.5,
                  "refurb_effort": 0.5},
        },
        end="2023-06", capacity=6.0, lead=1.0, effort=(1.0, 1.5, 2.5), donors=donors,
        failure=failure, good_share=0.5, fair_share=0.25, good_to_fair=0.0, fair_to_poor=0.0,
        production_per_year=0.0, priority=PRIORITY,
    )  # fmt: skip
    raw["losses"].pop("confirmed_per_month")
    raw["losses"]["hazard_per_month"] = {"2022-02": 1.0, "2022-04": 0.0}
    raw["losses"]["committed_share"] = {"2022-02": 0.5}
    raw["demand"] = {"required_active": {"2022-02": 50.0, "2022-09": 45.0}}
    raw["peace"] = {"start": "2022-09", "capacity_share": peace_share,
                    "production_share": 1.0, "ramp_months": 3}  # fmt: skip
    raw["refurbishment"]["order"] = order
    return build_scenario(raw, {}, name="loop", files=("loop",))


@pytest.mark.parametrize(
    "donors, failure, order, peace_share",
    [
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), "listed", 0.5),
        ((0.0, 1.0, 1.0), (0.0, 0.0, 1.0), "usefulness", 0.25),
        ((1.0, 1.0, 1.0), (0.0, 1.0, 0.0), "usefulness", 1.0),
    ],
)
def test_closed_loop_without_randomness_matches_engine_exactly(donors, failure, order, peace_share):
    scenario = closed_loop(donors, failure, order, peace_share)
    engine = run_scenario(scenario, reps=3, seed=1)
    ref = simulate_reference(scenario, reps=2, seed=2)
    assert ref["conserved"].all()
    mean = engine.stats[:, :, -1, 0]
    lost = mean[:, VARIABLES.index("lost")]
    assert lost[-1] == 20 + 12 + 10 + 6  # floor(half) of each family committed and lost, twice
    for r in range(2):
        np.testing.assert_array_equal(ref["active_path"][r], mean[:, VARIABLES.index("active")])
        np.testing.assert_array_equal(ref["storage_path"][r], mean[:, VARIABLES.index("storage")])
        for name in ("lost", "scrapped", "refurbished", "pipeline"):
            assert ref[f"{name}_end"][r] == mean[-1, VARIABLES.index(name)], name
    np.testing.assert_allclose(
        engine.metrics["worst_month_loss_share"], ref["worst_month_loss_share"][0]
    )


def test_the_reference_imports_nothing_from_the_engine_or_the_runs():
    """Independence: the oracle shares only the scenario types and the model's constants
    (sim.model.constants: slots, conditions, tolerances) with the vectorised engines."""
    import ast

    package = Path(__file__).resolve().parents[1] / "sim" / "reference"
    imported = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    sim_modules = {m for m in imported if m.split(".")[0] == "sim"}
    assert sim_modules, "the reference reads the scenario types from sim.model"
    assert all(m.startswith(("sim.model", "sim.reference")) for m in sim_modules), sim_modules
