"""The loss hazard after the record: a random walk of its log from the last fitted value.

Checks: the walk's arithmetic (closed form from the innovations), its spread growing as
volatility x sqrt(months) (a moment check, tolerance stated), the scenario's factor and
replacement steps, the validation messages, and that the innovations (keyed by block and
calendar month) give the same numbers whatever the chunking or the worker processes.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from factories import scenario_dict

from sim.analysis.calibrate import calibrated_names
from sim.engine.continuation import walk_shocks
from sim.engine.inputs import build_inputs
from sim.model.calendar import parse_month
from sim.model.errors import ScenarioError
from sim.model.loader import build_scenario
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

HAZARD0, DRIFT, VOLATILITY = 0.05, -0.01, 0.2
FITTED = "2022-04"


def walking(end: str = "2023-06", **losses) -> dict:
    """A small hazard scenario fitted to 2022-04, walking after it."""
    raw = scenario_dict(end=end, cv=0.2, families={
        "A": {"active": 800, "storage": 400, "vulnerability": 1.0, "quality_weight": 1.0,
              "refurb_effort": 1.0},
    })  # fmt: skip
    raw["losses"] = {
        "detection_share": 0.8, "monthly_cv": 0.2,
        "hazard_per_month": {"2022-02": HAZARD0}, "committed_share": {"2022-02": 0.5},
        "fitted_until": FITTED, "hazard_drift": DRIFT, "hazard_volatility": VOLATILITY,
    } | losses  # fmt: skip
    return raw


def build(raw: dict):
    return build_scenario(raw, {}, name="walk", files=("walk.toml",))


def hazard(scenario, reps: int, shocks=None) -> np.ndarray:
    values = draw_params(scenario, seed=1, first_rep=0, reps=reps)
    return build_inputs(scenario, values, integer=True, shocks=shocks).hazard


def test_the_walk_starts_from_the_last_fitted_hazard_and_follows_its_innovations():
    scenario = build(walking())
    walk = scenario.walk_months
    assert walk.start == parse_month(FITTED) - scenario.start + 1
    assert walk.stop == scenario.months
    z = np.random.default_rng(0).standard_normal((len(walk), 3))
    h = hazard(scenario, 3, z)
    np.testing.assert_array_equal(h[: walk.start], HAZARD0)
    expected = HAZARD0 * np.exp(np.cumsum(DRIFT + VOLATILITY * z, axis=0))
    np.testing.assert_allclose(h[walk.start :], expected, rtol=1e-12)


def test_innovations_at_zero_give_the_median_path():
    scenario = build(walking())
    h = hazard(scenario, 2)  # no shocks: an expected-value run
    k = np.arange(1, len(scenario.walk_months) + 1)
    np.testing.assert_allclose(h[scenario.walk_months.start :, 0], HAZARD0 * np.exp(DRIFT * k))


def test_the_spread_of_log_hazard_grows_as_volatility_times_root_months():
    scenario = build(walking(hazard_drift=0.0, hazard_volatility=0.1))
    reps = 4096
    shocks = walk_shocks(scenario, seed=3, first_rep=0, reps=reps)
    log_h = np.log(hazard(scenario, reps, shocks)[scenario.walk_months.start :])
    months = np.arange(1, log_h.shape[0] + 1)
    # sd of 4,096 normal draws: standard error ~1.1% of it; 6% allows 5 standard errors
    np.testing.assert_allclose(log_h.std(axis=1), 0.1 * np.sqrt(months), rtol=0.06)


def test_a_factor_multiplies_the_walk_from_its_date_and_a_later_step_replaces_it():
    plain = build(walking())
    scaled = build(walking(hazard_factor={"2022-10": 1.5}))
    ceasefire = build(walking(hazard_per_month={"2022-02": HAZARD0, "2023-01": 0.001}))
    shocks = walk_shocks(plain, seed=5, first_rep=0, reps=64)
    base, up = hazard(plain, 64, shocks), hazard(scaled, 64, shocks)
    at = parse_month("2022-10") - plain.start
    np.testing.assert_array_equal(up[:at], base[:at])
    np.testing.assert_allclose(up[at:], np.minimum(base[at:] * 1.5, 1.0), rtol=1e-12)
    stop = parse_month("2023-01") - plain.start
    assert ceasefire.walk_months == range(plain.walk_months.start, stop)
    short = walk_shocks(ceasefire, seed=5, first_rep=0, reps=64)
    np.testing.assert_array_equal(short, shocks[: len(short)])  # keyed by calendar month
    peace = hazard(ceasefire, 64, short)
    np.testing.assert_array_equal(peace[:stop], base[:stop])
    np.testing.assert_array_equal(peace[stop:], 0.001)


@pytest.mark.parametrize(
    "losses, key, words",
    [
        ({"fitted_until": None}, "losses.fitted_until", "hazard_drift and hazard_volatility"),
        ({"hazard_volatility": None}, "losses.hazard_volatility", "required with"),
        ({"hazard_factor": {"2022-03": 2.0}}, "losses.hazard_factor.2022-03", "after"),
        ({"hazard_per_month": {"2022-06": 0.05}}, "losses.hazard_per_month", "at or before"),
        ({"hazard_volatility": {"dist": "normal", "mean": 0.1, "sd": 0.1}},
         "losses.hazard_volatility", ">= 0"),
        ({"hazard_drift": 2.0}, "losses.hazard_drift", "[-1, 1]"),
    ],
)  # fmt: skip
def test_a_bad_continuation_is_a_one_line_error_naming_the_key(losses, key, words):
    raw = walking(**losses)
    raw["losses"] = {k: v for k, v in raw["losses"].items() if v is not None}
    with pytest.raises(ScenarioError) as err:
        build(raw)
    text = str(err.value)
    assert "\n" not in text and key in text and words in text


def test_calibration_to_the_fitted_record_leaves_the_walk_at_its_prior():
    raw = walking(hazard_drift={"dist": "normal", "mean": -0.01, "sd": 0.01},
                  hazard_volatility={"dist": "pert", "low": 0.05, "mode": 0.1, "high": 0.2},
                  hazard_factor={"2023-01": {"dist": "uniform", "low": 1, "high": 2}})  # fmt: skip
    raw["losses"]["hazard_per_month"] = {"2022-02": {"dist": "uniform", "low": 0.01, "high": 0.1}}
    scenario = build(raw)
    walk = {"losses.hazard_drift", "losses.hazard_volatility", "losses.hazard_factor.2023-01"}
    fitted = calibrated_names(scenario, parse_month(FITTED))
    assert "losses.hazard_per_month.2022-02" in fitted and not walk & set(fitted)
    assert {"losses.hazard_drift", "losses.hazard_volatility"} <= set(
        calibrated_names(scenario, parse_month("2022-12"))
    )


def assert_same(a, b) -> None:
    np.testing.assert_array_equal(a.stats, b.stats)
    np.testing.assert_array_equal(a.active_paths, b.active_paths)
    for name, values in a.metrics.items():
        np.testing.assert_array_equal(b.metrics[name], values, err_msg=name)


class Processes:
    """A :class:`~sim.runs.chunks.ChunkExecutor` on two worker processes."""

    def __init__(self, pool: ProcessPoolExecutor):
        self.pool = pool

    def map(self, task, chunks, progress):
        futures = [self.pool.submit(task, first, size) for first, size in chunks]
        for future, (_, size) in zip(futures, chunks):
            yield future.result()
            if progress is not None:
                progress(size)


def test_the_walk_gives_the_same_numbers_whatever_the_chunks_or_workers():
    scenario = build(walking())
    reps = 1500  # a whole block and a partial one
    one = run_scenario(scenario, reps=reps, seed=9, chunk=1024, keep_paths=True, engine="numpy")
    two = run_scenario(scenario, reps=reps, seed=9, chunk=2048, keep_paths=True, engine="numpy")
    assert_same(one, two)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        far = run_scenario(scenario, reps=reps, seed=9, chunk=1024, keep_paths=True,
                           engine="numpy", executor=Processes(pool))  # fmt: skip
    assert_same(one, far)
    shocks = walk_shocks(scenario, seed=9, first_rep=0, reps=reps)
    parts = [walk_shocks(scenario, seed=9, first_rep=f, reps=min(1024, reps - f))
             for f in range(0, reps, 1024)]  # fmt: skip
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), shocks)
    still = build(walking(hazard_volatility=0.0))
    calm = run_scenario(still, reps=reps, seed=9, chunk=1024, keep_paths=True, engine="numpy")
    after = scenario.walk_months.start + 6
    spread, calm_spread = (r.active_paths[after:].std(axis=1).mean() for r in (one, calm))
    assert spread > calm_spread


def test_validate_says_where_the_hazard_walks_and_what_replaces_it():
    from sim.present.scenario_text import walk_line

    assert walk_line(build(walking())) == (
        "losses after the record (2022-04): the log hazard walks 2022-05..2023-06")
    ceasefire = build(walking(hazard_per_month={"2022-02": HAZARD0, "2023-01": 0.001}))
    assert walk_line(ceasefire).endswith("2022-05..2022-12, replaced by the hazard step of 2023-01")
