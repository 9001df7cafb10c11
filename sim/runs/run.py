"""Run a scenario over many replications, chunk by chunk, and reduce to statistics.

``run_scenario(scenario, reps=..., seed=...)`` returns a :class:`RunResult` and touches no
files. Python users call :func:`sim.api.run`, which runs it; this layer knows nothing of
folders, figures or the command line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np

from sim import defaults
from sim.engine.continuation import walk_shocks
from sim.engine.inputs import Inputs, build_inputs
from sim.engine.metrics import ACTIVE, ALL, LOST, headline_metrics, trajectory_series
from sim.engine.simulate import Trace
from sim.engine.streams import ExpectedFlows, RandomFlows
from sim.model.params import Scenario
from sim.runs.chunks import ChunkExecutor, describe_executor, map_chunks, plan_chunks
from sim.runs.designs import Design
from sim.runs.engines import resolve, simulate
from sim.runs.reduce import ExactReducer, HistogramReducer
from sim.runs.sampling import draw_params, expected_params

DEFAULT_SEED = defaults.SEED
DEFAULT_REPS = defaults.REPS
DEFAULT_CHUNK = defaults.CHUNK  # a multiple of BLOCK (sim.defaults)
#: On the compiled engine, reduce each chunk in a second thread while the next one is
#: simulated (:func:`overlapped_chunks`; a speed setting: changes no number).
OVERLAP = True


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
    #: (T, G, reps) cumulative true losses of the families that arrive by supply
    #: (``Scenario.supplied_families``, G of them), kept whenever the scenario has any: what
    #: :mod:`sim.analysis.foreign_record` weighs against the loss record; None otherwise
    supplied_lost: np.ndarray | None = None
    #: where the chunks ran (:func:`sim.runs.chunks.describe_executor`) and on which engine
    execution: dict | None = None


@dataclass
class ChunkOutput:
    """What one chunk of replications reduces to: histograms, headline metrics, paths."""

    reducer: HistogramReducer | ExactReducer
    metrics: dict[str, np.ndarray]
    paths: np.ndarray | None
    shape: tuple[int, ...]
    supplied_lost: np.ndarray | None = None  # (T, G, R): see RunResult.supplied_lost


def run_chunk(
    scenario: Scenario,
    seed: int,
    keep_paths: bool,
    first: int,
    size: int,
    *,
    design: Design | None = None,
    engine: str | None = None,
) -> ChunkOutput:
    """Simulate replications ``first .. first + size - 1`` and reduce them (a pure function)."""
    simulated = simulate_chunk(scenario, seed, first, size, design=design, engine=engine)
    return reduce_chunk(scenario, keep_paths, *simulated)


def simulate_chunk(
    scenario: Scenario,
    seed: int,
    first: int,
    size: int,
    *,
    design: Design | None = None,
    engine: str | None = None,
) -> tuple[Trace, Inputs]:
    """The trace and inputs of replications ``first .. first + size - 1`` (:func:`run_chunk`'s
    first half)."""
    values = draw_params(scenario, seed=seed, first_rep=first, reps=size, design=design)
    shocks = walk_shocks(scenario, seed=seed, first_rep=first, reps=size)
    inputs = build_inputs(scenario, values, integer=True, shocks=shocks)
    return simulate(inputs, RandomFlows(seed, first, size), engine), inputs


def reduce_chunk(scenario: Scenario, keep_paths: bool, trace: Trace, inputs: Inputs) -> ChunkOutput:
    """A chunk's histograms, headline metrics and paths (:func:`run_chunk`'s second half)."""
    series = trajectory_series(trace, inputs)
    size = series.shape[-1]
    reducer = HistogramReducer()
    reducer.add(series.reshape(-1, size))
    metrics = headline_metrics(series, trace, inputs, scenario.thresholds, rebuild_month(scenario))
    paths = series[:, ACTIVE, ALL].astype(np.int32) if keep_paths else None
    return ChunkOutput(reducer, metrics, paths, series.shape[:3], supplied_lost(scenario, series))


def supplied_lost(scenario: Scenario, series: np.ndarray) -> np.ndarray | None:
    """(T, G, R) cumulative true losses of the scenario's supplied families (a copy), or None
    when it has none; ``series`` (T, V, F + 1, R)."""
    names = scenario.family_names
    index = [names.index(f) for f in scenario.supplied_families]
    return series[:, LOST][:, index].copy() if index else None


def overlapped_chunks(
    scenario: Scenario,
    seed: int,
    keep_paths: bool,
    chunks: list[tuple[int, int]],
    *,
    design: Design | None = None,
    engine: str | None = None,
    progress: Callable[[int], None] | None = None,
    into: HistogramReducer | None = None,
) -> Iterator[ChunkOutput]:
    """:func:`run_chunk` of each chunk, in chunk order, as :func:`map_chunks` runs it here;
    but each chunk is reduced in a second thread while the next one is simulated (the
    compiled kernel releases the GIL), and merged there into ``into`` when given, in chunk
    order (one thread). The same outputs in the same order: no number changes."""
    task = partial(_reduce_into, scenario, keep_paths, into)
    with ThreadPoolExecutor(1) as reducing:
        pending = None
        for first, size in chunks:
            simulated = simulate_chunk(scenario, seed, first, size, design=design, engine=engine)
            if pending is not None:
                yield _finished(*pending, progress)
            pending = reducing.submit(task, *simulated), size
            del simulated  # the series array is free for reuse once it is reduced
        if pending is not None:
            yield _finished(*pending, progress)


def _reduce_into(scenario, keep_paths, into, trace, inputs) -> ChunkOutput:
    out = reduce_chunk(scenario, keep_paths, trace, inputs)
    if into is not None:
        into.merge(out.reducer)
    return out


def _finished(future: Future, size: int, progress: Callable[[int], None] | None) -> ChunkOutput:
    out = future.result()
    if progress is not None:
        progress(size)
    return out


def rebuild_month(scenario: Scenario) -> int | None:
    """Month index from which the rebuild metrics are measured, or None."""
    rebuild = scenario.thresholds.rebuild_after
    return None if rebuild is None else rebuild - scenario.start


def run_scenario(
    scenario: Scenario,
    *,
    reps: int | None = None,
    seed: int = DEFAULT_SEED,
    deterministic: bool = False,
    chunk: int = DEFAULT_CHUNK,
    keep_paths: bool = False,
    progress: Callable[[int], None] | None = None,
    executor: ChunkExecutor | None = None,
    sampling: str = "random",
    engine: str | None = None,
) -> RunResult:
    """Simulate ``reps`` replications (default :data:`DEFAULT_REPS`).

    ``deterministic`` runs expected-value paths (no process noise): one path at the
    parameters' means when ``reps`` is None, else ``reps`` paths, one per parameter set
    drawn as a stochastic run with the same ``seed`` and ``sampling`` draws them (parameter
    uncertainty alone, as a system-dynamics analyst would sweep it).

    ``chunk`` (a multiple of the random-number block) bounds memory; it does not change
    any number in the result. ``keep_paths`` keeps every replication's total active fleet
    by month, for paired comparisons. ``progress`` is called with each finished chunk's size.
    ``sampling`` (``random``, ``lhs`` or ``sobol``, :mod:`sim.runs.designs`) is how parameters
    are drawn; ``random`` is the per-block keyed streams. ``engine`` (``numpy`` or
    ``compiled``, :mod:`sim.runs.engines`; None for the default) changes no number.
    """
    engine = resolve(engine)
    mean_path = deterministic and reps is None
    reps = 1 if mean_path else DEFAULT_REPS if reps is None else reps
    design = None if sampling == "random" or mean_path else Design(sampling, reps)
    chunks = plan_chunks(reps, chunk)
    began = time.perf_counter()
    if mean_path:
        out = expected_chunk(scenario, expected_params(scenario), keep_paths, engine=engine)
        reducer, metric_parts, paths, shape = out.reducer, [out.metrics], [out.paths], out.shape
        supplied = [out.supplied_lost]
    elif deterministic:
        reducer = ExactReducer()
        metric_parts, paths, supplied = [], [], []
        task = partial(drawn_expected_chunk, scenario, seed, keep_paths, design=design,
                       engine=engine)  # fmt: skip
        for out in map_chunks(task, chunks, progress=progress):
            reducer.add(out.reducer.values())
            metric_parts.append(out.metrics)
            paths.append(out.paths)
            supplied.append(out.supplied_lost)
            shape = out.shape
    else:
        reducer = HistogramReducer()
        metric_parts, paths, supplied = [], [], []
        task = partial(run_chunk, scenario, seed, keep_paths, design=design, engine=engine)
        overlap = OVERLAP and executor is None and engine == "compiled"
        outs = (
            overlapped_chunks(scenario, seed, keep_paths, chunks, design=design, engine=engine,
                              progress=progress, into=reducer)  # fmt: skip
            if overlap
            else map_chunks(task, chunks, progress=progress, executor=executor)
        )
        for out in outs:
            if not overlap:  # else merged in the reducing thread
                reducer.merge(out.reducer)
            metric_parts.append(out.metrics)
            paths.append(out.paths)
            supplied.append(out.supplied_lost)
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
        supplied_lost=None if supplied[0] is None else np.concatenate(supplied, axis=-1),
        sampling="deterministic" if mean_path else sampling,
        execution=describe_executor(None if deterministic else executor) | {"engine": engine},
    )


def expected_chunk(
    scenario: Scenario,
    values: dict[str, np.ndarray],
    keep_paths: bool,
    *,
    engine: str | None = None,
):
    """Expected-value paths (no process noise) for the parameter sets in ``values``
    (name -> (R,) array); a :class:`ChunkOutput` whose reducer keeps every value."""
    reps = len(values[next(iter(values))])
    inputs = build_inputs(scenario, values, integer=False)
    trace = simulate(inputs, ExpectedFlows(reps), engine)
    series = trajectory_series(trace, inputs)
    reducer = ExactReducer()
    reducer.add(series.reshape(-1, reps))
    metrics = headline_metrics(series, trace, inputs, scenario.thresholds, rebuild_month(scenario))
    paths = series[:, ACTIVE, ALL] if keep_paths else None
    return ChunkOutput(reducer, metrics, paths, series.shape[:3], supplied_lost(scenario, series))


def drawn_expected_chunk(
    scenario: Scenario,
    seed: int,
    keep_paths: bool,
    first: int,
    size: int,
    *,
    design: Design | None = None,
    engine: str | None = None,
) -> ChunkOutput:
    """Expected-value paths for parameter sets ``first .. first + size - 1``, drawn as
    :func:`run_chunk` draws them (a pure function)."""
    values = draw_params(scenario, seed=seed, first_rep=first, reps=size, design=design)
    return expected_chunk(scenario, values, keep_paths, engine=engine)
