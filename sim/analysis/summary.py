"""The headline summary of a :class:`RunResult` as JSON-ready data, what ``summary.json``
holds: the run's settings, the scenario's description, each headline metric's statistics
and how they converge."""

from __future__ import annotations

from sim.analysis.convergence import convergence_summary
from sim.analysis.stats import count_stats, month_stats
from sim.engine.metrics import COUNT_METRICS, MONTH_METRICS
from sim.model.calendar import format_month
from sim.runs.reduce import STAT_NAMES
from sim.runs.run import RunResult

TRAJECTORY_COLUMNS = ("date", "family", "variable") + STAT_NAMES
#: Rebuild month metrics and the names of their "months after ``rebuild_after``" summaries.
REBUILD_MONTHS = {
    "rebuild_active": "months_to_rebuild",
    "rebuild_restorable": "months_to_rebuild_restorable",
    "reach_requirement": "months_to_reach_requirement",
}


def summary(result: RunResult) -> dict:
    """The headline metrics as JSON-ready data."""
    scen = result.scenario
    metrics = {k: count_stats(result.metrics[k]) for k in COUNT_METRICS}
    for k in MONTH_METRICS:
        if k in result.metrics:
            metrics[k] = month_stats(
                result.metrics[k], scen.months, lambda t: format_month(scen.start + t)
            )
    if "rebuild_active" in result.metrics:
        origin = scen.thresholds.rebuild_after - scen.start
        for key, name in REBUILD_MONTHS.items():
            metrics[name] = month_stats(result.metrics[key], scen.months, lambda t: t - origin)
    return {
        "scenario": scen.name,
        "start": format_month(scen.start),
        "end": format_month(scen.end),
        "reps": result.reps,
        "seed": result.seed,
        "deterministic": result.deterministic,
        "sampling": result.sampling,
        "description": scen.description,
        "metrics": metrics,
        "convergence": None if result.deterministic else _convergence(result),
    }


def _convergence(result: RunResult) -> dict | None:
    """How p05/p50/p95 of each headline metric move as replications grow."""
    scen = result.scenario
    return convergence_summary(
        result.metrics, scen.months, lambda t: format_month(scen.start + t),
        count_metrics=COUNT_METRICS, month_metrics=MONTH_METRICS,
    )  # fmt: skip
