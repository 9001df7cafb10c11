"""Run a scenario over many replications, chunk by chunk, and reduce to statistics.

This is the model's public entry point: ``run_scenario(scenario, reps=..., seed=...)``
returns a :class:`RunResult` and touches no files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sim.engine import simulate
from sim.inputs import build_inputs
from sim.metrics import headline_metrics, trajectory_series
from sim.params import Scenario
from sim.reduce import ExactReducer, HistogramReducer
from sim.sampling import draw_params, expected_params
from sim.streams import BLOCK, ExpectedFlows, RandomFlows

DEFAULT_SEED = 20220224  # the date of the full-scale invasion; any fixed integer would do
DEFAULT_REPS = 10_000
DEFAULT_CHUNK = 4 * BLOCK


@dataclass(frozen=True)
class RunResult:
    """Statistics of one scenario run.

    ``stats`` is (T, V, F + 1, 6): mean, p05, p25, p50, p75, p95 of each trajectory;
    ``metrics`` holds per-replication headline metrics, each shape (reps,);
    ``active_paths`` the total active fleet per month and replication, (T, reps), when asked.
    """

    scenario: Scenario
    reps: int
    seed: int
    deterministic: bool
    chunk: int
    stats: np.ndarray
    metrics: dict[str, np.ndarray]
    seconds: float
    active_paths: np.ndarray | None = None


def run_scenario(
    scenario: Scenario,
    *,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    deterministic: bool = False,
    chunk: int = DEFAULT_CHUNK,
    keep_paths: bool = False,
) -> RunResult:
    """Simulate ``reps`` replications (one expected-value path if ``deterministic``).

    ``chunk`` (a multiple of the random-number block) bounds memory; it does not change
    any number in the result. ``keep_paths`` keeps every replication's total active fleet
    by month, for paired comparisons.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if chunk < 1 or chunk % BLOCK:
        raise ValueError(f"chunk must be a positive multiple of {BLOCK}, got {chunk}")
    began = time.perf_counter()
    rebuild = scenario.thresholds.rebuild_after
    rebuild_from = None if rebuild is None else rebuild - scenario.start
    if deterministic:
        reps = 1
        inputs = build_inputs(scenario, expected_params(scenario), integer=False)
        trace = simulate(inputs, ExpectedFlows(1))
        series = trajectory_series(trace, inputs)
        reducer = ExactReducer()
        reducer.add(series.reshape(-1, 1))
        metric_parts = [headline_metrics(series, trace, inputs, scenario.thresholds, rebuild_from)]
        paths = [series[:, 0, -1]]
    else:
        reducer = HistogramReducer()
        metric_parts, paths = [], []
        for first in range(0, reps, chunk):
            size = min(chunk, reps - first)
            values = draw_params(scenario, seed=seed, first_rep=first, reps=size)
            inputs = build_inputs(scenario, values, integer=True)
            trace = simulate(inputs, RandomFlows(seed, first, size))
            series = trajectory_series(trace, inputs)
            reducer.add(series.reshape(-1, size))
            if keep_paths:
                paths.append(series[:, 0, -1].astype(np.int32))
            metric_parts.append(
                headline_metrics(series, trace, inputs, scenario.thresholds, rebuild_from)
            )
    stats = reducer.result().reshape(*series.shape[:3], -1)
    metrics = {k: np.concatenate([m[k] for m in metric_parts]) for k in metric_parts[0]}
    return RunResult(
        scenario=scenario,
        reps=reps,
        seed=seed,
        deterministic=deterministic,
        chunk=chunk,
        stats=stats,
        metrics=metrics,
        seconds=time.perf_counter() - began,
        active_paths=np.concatenate(paths, axis=1) if keep_paths else None,
    )
