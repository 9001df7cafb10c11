"""Plain data views of a :class:`RunResult`: summary, trajectory rows, manifest."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import numpy as np

import sim
from sim.analysis.convergence import convergence_summary
from sim.analysis.posterior_info import posterior_counts
from sim.analysis.stats import count_stats, month_stats
from sim.engine.metrics import COUNT_METRICS, MONTH_METRICS, VARIABLES
from sim.model.calendar import format_month
from sim.runs.reduce import STAT_NAMES
from sim.runs.run import RunResult

TRAJECTORY_COLUMNS = ("date", "family", "variable") + STAT_NAMES


def summary(result: RunResult) -> dict:
    """The headline metrics as JSON-ready data."""
    scen = result.scenario
    metrics = {k: count_stats(result.metrics[k]) for k in COUNT_METRICS}
    for k in MONTH_METRICS:
        if k in result.metrics:
            metrics[k] = month_stats(
                result.metrics[k], scen.months, lambda t: format_month(scen.start + t)
            )
    if "active_rebuilt" in result.metrics:
        origin = scen.thresholds.rebuild_after - scen.start
        metrics["months_to_rebuild"] = month_stats(
            result.metrics["active_rebuilt"], scen.months, lambda t: t - origin
        )
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
    """Which calibrated file a run drew from, its checksum, how many sets it holds (rows,
    distinct rows, effective sample size), and which parameters it set."""
    if posterior is None:
        return None
    counts = posterior_counts(posterior)
    return {
        "file": posterior.path,
        "sha256": posterior.sha256,
        "sets": counts["rows"],
        "distinct_sets": counts["distinct"],
        "effective_sample_size": counts["ess"],
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
        "thresholds": vars(scen.thresholds),
        "parameters": params,
        "posterior": posterior_manifest(scen.posterior),
        "tanksim_version": sim.__version__,
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "wall_time_seconds": round(result.seconds, 3),
    }
