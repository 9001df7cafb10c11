"""Common random numbers: shared flows draw the same numbers; paired differences are tight."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from cli_helpers import tanksim
from factories import make_scenario
from scipy import stats

from sim.analysis.compare import compare_runs
from sim.analysis.summary import summary
from sim.engine.inputs import build_inputs
from sim.engine.simulate import simulate
from sim.engine.streams import RandomFlows, poisson_inverse_cdf
from sim.model.loader import load_scenario
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

REPO = Path(__file__).resolve().parents[1]
FAMILY = {"vulnerability": 1.0, "quality_weight": 0.5, "refurb_effort": 1.0}


def with_supply(cap: int, start: str = "2022-04"):
    families = {
        "A": {"active": 300, "storage": 400, **FAMILY},
        "B": {"active": 200, "storage": 300, **FAMILY, "vulnerability": 1.5},
    }
    base = make_scenario(families=dict(families), end="2023-06", cv=0.3, losses=40, capacity=30)
    supply = {"nk": {"family": "NK", "start": start, "tanks_per_month": 8, "total_cap": cap,
                     "delivery_lag_months": 1}}  # fmt: skip
    extended = make_scenario(
        families={**families, "NK": dict(FAMILY)}, end="2023-06", cv=0.3, losses=40,
        capacity=30, supply=supply,
        priority=[f"{f}:{c}" for c in ("good", "fair", "poor") for f in ("A", "B")],
    )  # fmt: skip
    return base, extended


def traces(scenario, seed=9, reps=1500):
    inputs = build_inputs(scenario, draw_params(scenario, seed=seed, first_rep=0, reps=reps), True)
    return simulate(inputs, RandomFlows(seed, 0, reps))


def test_adding_a_supply_family_that_delivers_nothing_changes_no_draw_of_the_others():
    base, extended = with_supply(cap=0)
    a, b = traces(base), traces(extended)
    for name in ("active", "storage", "pipeline", "lost", "scrapped", "refurbished", "produced"):
        shared = getattr(b, name)[:, ..., :2, :] if name != "storage" else b.storage[:, :, :2]
        np.testing.assert_array_equal(getattr(a, name), shared, err_msg=name)


def test_a_supply_family_leaves_every_replication_identical_until_its_first_delivery():
    base, extended = with_supply(cap=500, start="2022-09")
    a, b = traces(base), traces(extended)
    first_delivery = 8  # 2022-09 plus a one-month lag, counted from 2022-02
    np.testing.assert_array_equal(a.active[:first_delivery], b.active[:first_delivery, :2])
    np.testing.assert_array_equal(a.storage[:first_delivery], b.storage[:first_delivery, :, :2])
    assert not np.array_equal(a.active[first_delivery:], b.active[first_delivery:, :2])


def test_paired_differences_have_far_smaller_variance_than_unpaired_ones():
    base = load_scenario(REPO / "scenarios" / "baseline.toml", end="2027-12")
    nk = load_scenario(REPO / "scenarios" / "nk-t62.toml", end="2027-12")
    ref = run_scenario(base, reps=1024, seed=1, keep_paths=True)
    same = run_scenario(nk, reps=1024, seed=1, keep_paths=True)
    other = run_scenario(nk, reps=1024, seed=2, keep_paths=True)
    paired = same.active_paths[-1].astype(float) - ref.active_paths[-1]
    unpaired = other.active_paths[-1].astype(float) - ref.active_paths[-1]
    assert paired.var() < 0.05 * unpaired.var()
    data = compare_runs([ref, same], [nk.end], threshold=2000)
    gain = data["paired"]["nk-t62"]["active_gain"]["2027-12"]
    assert gain["se_paired"] < 0.25 * gain["se_unpaired"]
    assert gain["ci95"][0] > 0  # North Korean tanks add to the fleet, clearly


def test_poisson_by_inversion_matches_scipy_and_never_falls_as_the_rate_rises():
    u = np.random.default_rng(4).random(20_000)
    for lam in (0.0, 0.7, 6.0, 45.0, 320.0):
        expected = stats.poisson.ppf(u, lam) if lam > 0 else np.zeros_like(u)
        np.testing.assert_array_equal(poisson_inverse_cdf(u, np.full(u.shape, lam)), expected)
    rates = np.linspace(0, 60, 31)
    counts = np.stack([poisson_inverse_cdf(u[:500], np.full(500, r)) for r in rates])
    assert (np.diff(counts, axis=0) >= 0).all()


def test_compare_command_writes_json_csv_and_figure(tmp_path):
    out = tmp_path / "cmp"
    proc = tanksim("compare", "scenarios/baseline.toml", "scenarios/nk-chonma2.toml",
                   "--reps", "64", "--out", out, "--json", "--at", "2026-12",
                   "--threshold", "1500", cwd=REPO)  # in this process: tests/cli_helpers.py
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data == json.loads((out / "compare.json").read_text())
    assert data["reference"] == "baseline" and data["threshold"] == 1500
    gain = data["paired"]["nk-chonma2"]["active_gain"]["2026-12"]
    assert gain["ci95"][0] <= gain["mean"] <= gain["ci95"][1]
    header = (out / "compare.csv").read_text().splitlines()[0]
    assert header.startswith("scenario,reference,metric,date,mean,ci95_low,ci95_high")
    assert (out / "compare.png").stat().st_size > 10_000


def test_ceasefire_scenario_reports_the_three_rebuild_months():
    scenario = load_scenario(REPO / "scenarios" / "ceasefire.toml")
    assert scenario.thresholds.rebuild_after == 2026 * 12 + 6
    result = run_scenario(dataclasses.replace(scenario), reps=200, seed=1)
    ceasefire = 2026 * 12 + 6 - scenario.start
    for metric in ("rebuild_active", "rebuild_restorable", "reach_requirement"):
        month = result.metrics[metric]
        assert (month[month >= 0] >= ceasefire).all(), metric
    # Some replications reach the requirement and regain the pre-war active fleet (how
    # many depends on the calibrated posterior: storage of the families still rebuilt in
    # peacetime and the new-build rate, docs/refurbishment.md).
    assert (result.metrics["reach_requirement"] >= 0).any()
    assert (result.metrics["rebuild_active"] >= 0).any()
    # Losses are permanent and production stops at the requirement, so active plus
    # restorable storage never regains its pre-war level within the horizon.
    assert (result.metrics["rebuild_restorable"] < 0).all()
    months = summary(result)["metrics"]
    assert {"months_to_rebuild", "months_to_rebuild_restorable",
            "months_to_reach_requirement"} <= set(months)  # fmt: skip
