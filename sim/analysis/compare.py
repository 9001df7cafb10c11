"""Paired comparison of scenarios run with the same seed (common random numbers).

Replication r of every scenario draws the same numbers for every parameter and flow the
scenarios share, so "scenario minus reference" is taken replication by replication. Its
spread is far smaller than that of two independent runs; both standard errors are reported.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.analysis.foreign_record import RecordWeights, weighted_stats
from sim.analysis.summary import summary
from sim.engine.metrics import NEVER
from sim.model.calendar import format_month
from sim.model.params import Scenario, Thresholds
from sim.runs.reduce import QUANTILES
from sim.runs.run import RunResult

Z95 = 1.959964  # two-sided 95% normal quantile


def paired_stats(scenario: np.ndarray, reference: np.ndarray) -> dict:
    """Mean paired difference with its 95% interval, percentiles, and both standard errors.

    ``se_unpaired`` is what the same comparison would have from independent runs.
    """
    a, b = scenario.astype(float), reference.astype(float)
    diff = a - b
    n = len(diff)
    se = diff.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    se_unpaired = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / n) if n > 1 else float("nan")
    p05, _, p50, _, p95 = np.quantile(diff, QUANTILES, method="inverted_cdf")
    mean = float(diff.mean())
    return {
        "mean": mean,
        "ci95": [mean - Z95 * se, mean + Z95 * se],
        "p05": float(p05),
        "p50": float(p50),
        "p95": float(p95),
        "se_paired": float(se),
        "se_unpaired": float(se_unpaired),
    }


#: The paired difference each metric definition changes (the others change only the
#: headline metrics, each shown with its own scenario's definition).
DEFINES = {"exhausted_share": "exhaustion_delay_months"}


def _shown(name: str, value) -> object:
    return format_month(value) if name == "rebuild_after" and value is not None else value


def definitions_differ(reference: Scenario, scenario: Scenario) -> dict[str, dict]:
    """The metric definitions (``[metrics]`` thresholds) in which ``scenario`` differs from
    ``reference``: ``{"metrics.exhausted_share": {"reference": 0.1, "scenario": 0.3}}``;
    empty when they agree. A paired difference of a metric defined differently is no
    difference at all (a delay of storage "exhaustion" at 10% against 30% of its start)."""
    out = {}
    for f in dataclasses.fields(Thresholds):
        ours, theirs = getattr(reference.thresholds, f.name), getattr(scenario.thresholds, f.name)
        if ours != theirs:
            out[f"metrics.{f.name}"] = {"reference": _shown(f.name, ours),
                                        "scenario": _shown(f.name, theirs)}  # fmt: skip
    return out


def stays_above(paths: np.ndarray, threshold: float, upto: int) -> np.ndarray:
    """Per replication: is the active fleet at or above ``threshold`` in months 0..upto?"""
    return paths[: upto + 1].min(axis=0) >= threshold


def conditioned_gain(
    res: RunResult, ref: RunResult, index: dict[int, int], weights: RecordWeights
) -> dict:
    """The paired active-fleet gains of ``res`` over ``ref`` at ``index`` ({month: row})
    with ``res``'s replications weighted by the loss record (:mod:`sim.analysis.
    foreign_record`), beside the record's figures."""
    return weights.summary() | {"active_gain": {
        format_month(d): weighted_stats(res.active_paths[i] - ref.active_paths[i].astype(float),
                                        weights.weights)
        for d, i in index.items()
    }}  # fmt: skip


def compare_runs(
    results: list[RunResult], at: list[int], threshold: float, *, summaries: dict | None = None,
    record_weights: dict[str, RecordWeights] | None = None,
) -> dict:
    """Paired differences of each run against the first, at months ``at`` (month numbers).

    Parameters
    ----------
    results : runs made with ``keep_paths``, one seed, replications and horizon.
    at : month indices of the active-fleet gains.
    threshold : active-fleet level for P(stays at or above it every month), tanks.
    summaries : each run's :func:`~sim.analysis.summary.summary` by scenario name, when
        already computed (default: computed here).
    record_weights : by scenario name, its replications weighed against the loss record's
        foreign entries (:func:`~sim.analysis.foreign_record.record_weights`); each pair
        whose scenario has them gains ``conditioned`` (:func:`conditioned_gain`).

    Exhaustion months that never happen count as the month after the horizon, so delays
    involving them are lower bounds; the shares of such replications are reported. Each
    pair lists the metric definitions in which the run differs from the reference
    (``definitions_differ``, see :func:`definitions_differ`): with a different
    ``metrics.exhausted_share`` the exhaustion delay compares two different events.
    """
    ref = results[0]
    start, months = ref.scenario.start, ref.scenario.months
    for res in results[1:]:
        same = (res.reps, res.seed, res.scenario.start, res.scenario.months)
        if same != (ref.reps, ref.seed, start, months):
            raise ValueError("compared runs need the same reps, seed and horizon")
    index = {date: date - start for date in at}
    exhausted = {
        r.scenario.name: np.where(
            r.metrics["storage_exhausted"] == NEVER, months, r.metrics["storage_exhausted"]
        )
        for r in results
    }
    paired = {}
    for res in results[1:]:
        name = res.scenario.name
        p_ref = {d: stays_above(ref.active_paths, threshold, i) for d, i in index.items()}
        p_res = {d: stays_above(res.active_paths, threshold, i) for d, i in index.items()}
        paired[name] = {
            "definitions_differ": definitions_differ(ref.scenario, res.scenario),
            "active_gain": {
                format_month(d): paired_stats(res.active_paths[i], ref.active_paths[i])
                for d, i in index.items()
            },
            "exhaustion_delay_months": paired_stats(exhausted[name], exhausted[ref.scenario.name])
            | {
                "never_share_scenario": float((res.metrics["storage_exhausted"] == NEVER).mean()),
                "never_share_reference": float((ref.metrics["storage_exhausted"] == NEVER).mean()),
            },
            "p_stays_above": {
                format_month(d): {
                    "scenario": float(p_res[d].mean()),
                    "reference": float(p_ref[d].mean()),
                }
                | paired_stats(p_res[d], p_ref[d])
                for d in index
            },
        }
        if (record_weights or {}).get(name) is not None:
            paired[name]["conditioned"] = conditioned_gain(res, ref, index, record_weights[name])
    return {
        "reference": ref.scenario.name,
        "reps": ref.reps,
        "seed": ref.seed,
        "threshold": threshold,
        "dates": [format_month(d) for d in at],
        "summaries": {
            r.scenario.name: (summaries or {}).get(r.scenario.name) or summary(r)
            for r in results
        },
        "paired": paired,
    }


COMPARE_COLUMNS = (
    "scenario", "reference", "metric", "date", "mean", "ci95_low", "ci95_high",
    "p05", "p50", "p95", "se_paired", "se_unpaired",
)  # fmt: skip


def compare_rows(data: dict):
    """Rows of compare.csv, one per scenario, metric and date."""

    def row(name, metric, date, s):
        numbers = (s["mean"], *s["ci95"], s["p05"], s["p50"], s["p95"])
        numbers += (s["se_paired"], s["se_unpaired"])
        return (name, data["reference"], metric, date, *(f"{x:.6g}" for x in numbers))

    for name, p in data["paired"].items():
        for date, s in p["active_gain"].items():
            yield row(name, "active_gain", date, s)
        yield row(name, "exhaustion_delay_months", "", p["exhaustion_delay_months"])
        for date, s in p["p_stays_above"].items():
            yield row(name, "p_stays_above_change", date, s)
        for date, s in p.get("conditioned", {}).get("active_gain", {}).items():
            yield row(name, "active_gain_conditioned", date,
                      s | {"se_paired": s["se"], "se_unpaired": float("nan")})  # fmt: skip
