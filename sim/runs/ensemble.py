"""Simulate an ensemble of given parameter sets, one per replication, and keep per-replication
outputs: the headline metrics and the trajectory values at chosen points ("probes").

This is what calibration, sweeps, sensitivity analysis and scenario discovery share: they
choose the parameter values, the engine runs them all at once in chunks, and each gets back
one row of outputs per parameter set. Replication ``i`` uses the random streams of
replication ``i`` whatever the values, so two ensembles differing only in their values see
common random numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from sim.engine.continuation import walk_shocks
from sim.engine.inputs import build_inputs
from sim.engine.metrics import VARIABLES, headline_metrics, trajectory_series
from sim.engine.streams import RandomFlows
from sim.model.params import Scenario
from sim.runs.chunks import ChunkExecutor, map_chunks, plan_chunks
from sim.runs.engines import resolve, simulate
from sim.runs.run import DEFAULT_CHUNK, rebuild_month

ALL = "all"


@dataclass(frozen=True)
class Probe:
    """One trajectory value per replication: ``variable`` of ``family`` (or ``"all"``) at
    ``month`` (``year * 12 + month - 1``)."""

    variable: str
    month: int
    family: str = ALL


@dataclass(frozen=True)
class Ensemble:
    """Per-replication outputs of an ensemble of N parameter sets.

    ``probes`` is (N, P) in the order the probes were given; ``metrics`` maps each headline
    metric to (N,) (months as indices from the scenario's start, -1 for never).
    """

    probes: np.ndarray
    metrics: dict[str, np.ndarray]


def probe_index(scenario: Scenario, probes: tuple[Probe, ...]) -> np.ndarray:
    """(P, 3) indices (month, variable, family slot) into a trajectory series.

    Raises ``ValueError`` naming the probe when it lies outside the scenario.
    """
    families = {name: i for i, name in enumerate(scenario.family_names)}
    families[ALL] = len(scenario.family_names)
    rows = []
    for probe in probes:
        month = probe.month - scenario.start
        if not 0 <= month < scenario.months:
            raise ValueError(f"{probe}: month outside the scenario's horizon")
        if probe.variable not in VARIABLES:
            raise ValueError(f"{probe}: unknown variable (one of {', '.join(VARIABLES)})")
        if probe.family not in families:
            raise ValueError(f"{probe}: unknown family")
        rows.append((month, VARIABLES.index(probe.variable), families[probe.family]))
    return np.array(rows, dtype=np.intp).reshape(-1, 3)


def complete_values(scenario: Scenario, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``values`` with every fixed parameter filled in; raises ``KeyError`` for a missing
    uncertain parameter and ``ValueError`` for arrays of unequal length."""
    lengths = {len(v) for v in values.values()}
    if len(lengths) != 1:
        raise ValueError(f"parameter arrays differ in length: {sorted(lengths)}")
    (n,) = lengths
    out = {}
    for name, param in scenario.params().items():
        if name in values:
            out[name] = np.asarray(values[name], dtype=np.float64)
        elif param.dist.kind == "fixed":
            out[name] = np.full(n, param.dist.arg("value"))
        else:
            raise KeyError(f"no values for uncertain parameter {name}")
    return out


def ensemble_chunk(
    scenario: Scenario,
    values: dict[str, np.ndarray],
    seed: int,
    index: np.ndarray,
    first: int,
    size: int,
    *,
    engine: str | None = None,
) -> Ensemble:
    """Simulate parameter sets ``first .. first + size - 1`` (a pure function)."""
    chunk_values = {k: v[first : first + size] for k, v in values.items()}
    shocks = walk_shocks(scenario, seed=seed, first_rep=first, reps=size)
    inputs = build_inputs(scenario, chunk_values, integer=True, shocks=shocks)
    trace = simulate(inputs, RandomFlows(seed, first, size), engine)
    series = trajectory_series(trace, inputs)
    probes = series[index[:, 0], index[:, 1], index[:, 2]].T
    metrics = headline_metrics(series, trace, inputs, scenario.thresholds, rebuild_month(scenario))
    return Ensemble(probes=probes, metrics=metrics)


def run_ensemble(
    scenario: Scenario,
    values: dict[str, np.ndarray],
    *,
    seed: int,
    probes: tuple[Probe, ...] = (),
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
) -> Ensemble:
    """Simulate one replication per parameter set in ``values`` (name -> (N,) array).

    Fixed parameters may be left out of ``values``. Returns per-replication outputs; the
    numbers do not depend on ``chunk`` or ``engine`` (:mod:`sim.runs.engines`).
    """
    full = complete_values(scenario, values)
    n = len(next(iter(full.values())))
    index = probe_index(scenario, probes)
    task = partial(ensemble_chunk, scenario, full, seed, index, engine=resolve(engine))
    parts = list(map_chunks(task, plan_chunks(n, chunk), progress=progress, executor=executor))
    return Ensemble(
        probes=np.concatenate([p.probes for p in parts], axis=0),
        metrics={k: np.concatenate([p.metrics[k] for p in parts]) for k in parts[0].metrics},
    )
