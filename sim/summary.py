"""Plain data views of a :class:`RunResult`: summary, trajectory rows, manifest."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import numpy as np

import sim
from sim.calendar import format_month
from sim.convergence import convergence_summary
from sim.metrics import COUNT_METRICS, MONTH_METRICS, NEVER, VARIABLES
from sim.reduce import QUANTILES, STAT_NAMES
from sim.run import RunResult

TRAJECTORY_COLUMNS = ("date", "family", "variable") + STAT_NAMES
#: Rebuild month metrics and the names of their "months after ``rebuild_after``" summaries.
REBUILD_MONTHS = {
    "rebuild_active": "months_to_rebuild",
    "rebuild_restorable": "months_to_rebuild_restorable",
    "reach_requirement": "months_to_reach_requirement",
}


def _count_summary(values: np.ndarray) -> dict[str, float]:
    qs = np.quantile(values, QUANTILES, method="inverted_cdf")
    return {"mean": float(values.mean()), **{n: float(q) for n, q in zip(STAT_NAMES[1:], qs)}}


def _month_summary(values: np.ndarray, months: int, label) -> dict:
    """Month indices summarised; "never" counts as later than every month, so a percentile
    that falls among those replications is null. ``label`` turns an index into output.

    ``mean`` is over the replications in which the event happens (null if none).
    """
    happened = values != NEVER
    later = np.where(happened, values, months + 1)
    qs = np.quantile(later, QUANTILES, method="inverted_cdf")
    out = {"mean": label(round(values[happened].mean())) if happened.any() else None}
    for name, q in zip(STAT_NAMES[1:], qs):
        out[name] = label(int(q)) if q < months else None
    out["never_share"] = float(1 - happened.mean())
    return out


def summary(result: RunResult) -> dict:
    """The headline metrics as JSON-ready data."""
    scen = result.scenario
    metrics = {k: _count_summary(result.metrics[k]) for k in COUNT_METRICS}
    for k in MONTH_METRICS:
        if k in result.metrics:
            metrics[k] = _month_summary(
                result.metrics[k], scen.months, lambda t: format_month(scen.start + t)
            )
    if "rebuild_active" in result.metrics:
        origin = scen.thresholds.rebuild_after - scen.start
        for key, name in REBUILD_MONTHS.items():
            metrics[name] = _month_summary(result.metrics[key], scen.months, lambda t: t - origin)
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


def trajectory_rows(result: RunResult):
    """Rows of trajectories.csv: date, family, variable, mean and percentiles."""
    scen = result.scenario
    families = scen.family_names + ("all",)
    for t in range(scen.months):
        date = format_month(scen.start + t)
        for f, family in enumerate(families):
            for v, variable in enumerate(VARIABLES):
                stats = result.stats[t, v, f]
                yield (date, family, variable, *(f"{x:.10g}" for x in stats))


def git_revision() -> str | None:
    """The git commit of the tanksim source tree, with "-dirty" if modified; None if unknown."""
    here = Path(sim.__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    if rev.returncode != 0:
        return None
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def posterior_manifest(posterior) -> dict | None:
    """Which calibrated file a run drew from, its checksum, and which parameters it set."""
    if posterior is None:
        return None
    return {
        "file": posterior.path,
        "sha256": posterior.sha256,
        "sets": len(posterior.values),
        "drawn_jointly": list(posterior.names),
        "overridden_by_scenario": list(posterior.overridden),
        "targets": posterior.meta.get("targets", []),
        "calibration_seed": posterior.meta.get("seed"),
    }


def manifest(result: RunResult, facts: dict) -> dict:
    """Everything needed to reproduce the run and trace each parameter to its sources."""
    scen = result.scenario
    params = {}
    for name, param in scen.params().items():
        params[name] = {
            "dist": param.dist.kind,
            **dict(param.dist.args),
            "domain": param.domain,
            "facts": list(param.facts),
            "sources": [facts[f].citation() for f in param.facts if f in facts],
            "note": param.note,
        }
    return {
        "scenario": scen.name,
        "files": list(scen.files),
        "start": format_month(scen.start),
        "end": format_month(scen.end),
        "reps": result.reps,
        "seed": result.seed,
        "seed_sequence_entropy": result.seed,
        "chunk": result.chunk,
        "execution": result.execution,
        "deterministic": result.deterministic,
        "sampling": result.sampling,
        "families": list(scen.family_names),
        "priority": [f"{f}:{c}" for f, c in scen.priority],
        "priority_order": scen.priority_order,
        "thresholds": vars(scen.thresholds),
        "parameters": params,
        "posterior": posterior_manifest(scen.posterior),
        "tanksim_version": sim.__version__,
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "wall_time_seconds": round(result.seconds, 3),
    }
