"""Run a scenario over many replications, chunk by chunk, and reduce to statistics.

This is the model's public entry point: ``run_scenario(scenario, reps=..., seed=...)``
returns a :class:`RunResult` and touches no files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from sim.chunks import ChunkExecutor, describe_executor, map_chunks, plan_chunks
from sim.designs import Design
from sim.engine import simulate
from sim.inputs import build_inputs
from sim.metrics import headline_metrics, trajectory_series
from sim.params import Scenario
from sim.reduce import ExactReducer, HistogramReducer
from sim.sampling import draw_params, expected_params
from sim.streams import BLOCK, ExpectedFlows, RandomFlows

DEFAULT_SEED = 20220224  # the date of the full-scale invasion; any fixed integer would do
DEFAULT_REPS = 10_000
DEFAULT_CHUNK = 8 * BLOCK  # measured fastest of 4k, 8k, 16k replications (README, Performance)


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
    sampling: str = "random"
    execution: dict | None = None  # where the chunks ran (:func:`sim.chunks.describe_executor`)


@dataclass
class ChunkOutput:
    """What one chunk of replications reduces to: histograms, headline metrics, paths."""

    reducer: HistogramReducer
    metrics: dict[str, np.ndarray]
    paths: np.ndarray | None
    shape: tuple[int, ...]


def run_chunk(
    scenario: Scenario,
    seed: int,
    keep_paths: bool,
    first: int,
    size: int,
    *,
    design: Design | None = None,
) -> ChunkOutput:
    """Simulate replications ``first .. first + size - 1`` and reduce them (a pure function)."""
    values = draw_params(scenario, seed=seed, first_rep=first, reps=size, design=design)
    inputs = build_inputs(scenario, values, integer=True)
    trace = simulate(inputs, RandomFlows(seed, first, size))
    series = trajectory_series(trace, inputs)
    reducer = HistogramReducer()
    reducer.add(series.reshape(-1, size))
    metrics = headline_metrics(series, trace, inputs, scenario.thresholds, rebuild_month(scenario))
    paths = series[:, 0, -1].astype(np.int32) if keep_paths else None
    return ChunkOutput(reducer, metrics, paths, series.shape[:3])


def rebuild_month(scenario: Scenario) -> int | None:
    """Month index from which the rebuild metrics are measured, or None."""
    rebuild = scenario.thresholds.rebuild_after
    return None if rebuild is None else rebuild - scenario.start


def run_scenario(
    scenario: Scenario,
    *,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    deterministic: bool = False,
    chunk: int = DEFAULT_CHUNK,
    keep_paths: bool = False,
    progress: Callable[[int], None] | None = None,
    executor: ChunkExecutor | None = None,
    sampling: str = "random",
) -> RunResult:
    """Simulate ``reps`` replications (one expected-value path if ``deterministic``).

    ``chunk`` (a multiple of the random-number block) bounds memory; it does not change
    any number in the result. ``keep_paths`` keeps every replication's total active fleet
    by month, for paired comparisons. ``progress`` is called with each finished chunk's size.
    ``sampling`` (``random``, ``lhs`` or ``sobol``, :mod:`sim.designs`) is how parameters
    are drawn; ``random`` is the per-block keyed streams.
    """
    design = None if sampling == "random" or deterministic else Design(sampling, reps)
    chunks = plan_chunks(reps, chunk)
    began = time.perf_counter()
    if deterministic:
        reps = 1
        inputs = build_inputs(scenario, expected_params(scenario), integer=False)
        trace = simulate(inputs, ExpectedFlows(1))
        series = trajectory_series(trace, inputs)
        reducer = ExactReducer()
        reducer.add(series.reshape(-1, 1))
        metric_parts = [
            headline_metrics(series, trace, inputs, scenario.thresholds, rebuild_month(scenario))
        ]
        paths = [series[:, 0, -1]]
        shape = series.shape[:3]
    else:
        reducer = HistogramReducer()
        metric_parts, paths = [], []
        task = partial(run_chunk, scenario, seed, keep_paths, design=design)
        for out in map_chunks(task, chunks, progress=progress, executor=executor):
            reducer.merge(out.reducer)
            metric_parts.append(out.metrics)
            paths.append(out.paths)
            shape = out.shape
    stats = reducer.result().reshape(*shape, -1)
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
        sampling="deterministic" if deterministic else sampling,
        execution=describe_executor(None if deterministic else executor),
    )
