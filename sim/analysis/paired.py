"""Paired statistics of several runs under common random numbers: each scenario's active
fleet and its gain over the reference in the same replication, month by month
(:class:`~sim.analysis.results.CompareData`). Pure functions of runs in memory."""

from __future__ import annotations

import numpy as np

from sim.analysis.results import CompareData
from sim.runs.reduce import QUANTILES
from sim.runs.run import RunResult


def path_stats(paths: np.ndarray) -> np.ndarray:
    """(T, R) values -> (T, 6): mean and inverted-CDF p05, p25, p50, p75, p95 by month."""
    paths = np.asarray(paths, dtype=float)
    qs = np.quantile(paths, QUANTILES, axis=1, method="inverted_cdf")
    return np.column_stack([paths.mean(axis=1), qs.T])


def compare_data(results: list[RunResult], threshold: float | None = None) -> CompareData:
    """Paired differences of each run's active fleet against the first, month by month.

    Needs runs made with ``keep_paths`` and the same seed, replications and horizon.
    """
    ref = results[0]
    for res in results:
        if res.active_paths is None:
            raise ValueError(f"{res.scenario.name}: run without keep_paths; cannot pair")
        same = (res.reps, res.seed, res.scenario.start, res.scenario.months)
        if same != (ref.reps, ref.seed, ref.scenario.start, ref.scenario.months):
            raise ValueError("compared runs need the same reps, seed and horizon")
    base = ref.active_paths.astype(np.int64)
    return CompareData(
        reference=ref.scenario.name,
        start=ref.scenario.start,
        reps=ref.reps,
        seed=ref.seed,
        threshold=threshold,
        gains={r.scenario.name: path_stats(r.active_paths - base) for r in results[1:]},
        active={r.scenario.name: path_stats(r.active_paths) for r in results},
    )
