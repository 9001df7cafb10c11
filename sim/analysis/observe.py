"""The model observed as the sources observe it: model values at the observations' dates
for a predictive ensemble, and what the fit says about each record series and each source.

This is the interface other analyses (hindcast scoring, forecasts against a naive method)
use: :func:`predict_observations` runs a scenario's own parameter draws and returns (R, K)
model values of K observations (:class:`sim.analysis.targets.Target`, from seeds/targets.toml
or from the loss record); :func:`values_at_observations` does the same for an ensemble the
caller ran itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.analysis.targets import Target, model_values, target_probes
from sim.model.params import Scenario
from sim.runs.ensemble import Ensemble, run_ensemble
from sim.runs.sampling import draw_params


def observation_probes(observations: Sequence[Target], scenario: Scenario):
    """The probes to run an ensemble with so :func:`values_at_observations` can read
    ``observations``, and each observation's slice of them."""
    return target_probes(list(observations), scenario.start)


def values_at_observations(
    observations: Sequence[Target], ensemble: Ensemble, params: dict[str, np.ndarray],
    scenario: Scenario,
) -> np.ndarray:  # fmt: skip
    """(R, K) model values at the K observations' dates (interpolated within the month), each
    through its observation process (detection, unknown share, coverage).

    ``ensemble`` must have been run on ``scenario`` with :func:`observation_probes`;
    ``params`` are its parameter values (name -> (R,)), as given to
    :func:`sim.runs.ensemble.run_ensemble`.
    """
    _, slices = observation_probes(observations, scenario)
    return model_values(list(observations), slices, ensemble.probes, params)


def predict_observations(
    scenario: Scenario, observations: Sequence[Target], *, reps: int, seed: int,
    engine: str | None = None,
) -> np.ndarray:  # fmt: skip
    """(reps, K) model values of each observation under ``scenario``'s own parameter draws
    (its posterior, if it has one); ``engine`` (``numpy`` or ``compiled``, None for the
    default) changes no number."""
    probes, _ = observation_probes(observations, scenario)
    values = draw_params(scenario, seed=seed, first_rep=0, reps=reps)
    ensemble = run_ensemble(scenario, values, seed=seed, probes=probes, engine=engine)
    return values_at_observations(observations, ensemble, values, scenario)


def band_coverage(observations: Sequence[Target], predictive: np.ndarray) -> list[dict]:
    """Posterior predictive coverage of each record series (observations sharing a
    ``series``): how many of its observations fall inside the central 50% and 90% bands of
    ``predictive`` (R, K). One dict per series, in first-seen order."""
    q = np.nanquantile(predictive, [0.05, 0.25, 0.75, 0.95], axis=0)
    observed = np.array([t.observed for t in observations])
    in50 = (q[1] <= observed) & (observed <= q[2])
    in90 = (q[0] <= observed) & (observed <= q[3])
    rows: dict[str, dict] = {}
    for k, target in enumerate(observations):
        if not target.series:
            continue
        row = rows.setdefault(target.series, {"series": target.series, "observations": 0,
                                              "inside_50": 0, "inside_90": 0})  # fmt: skip
        row["observations"] += 1
        row["inside_50"] += int(in50[k])
        row["inside_90"] += int(in90[k])
    for row in rows.values():
        row["coverage_50"] = row["inside_50"] / row["observations"]
        row["coverage_90"] = row["inside_90"] / row["observations"]
    return list(rows.values())


def rejected_by_source(fit: Sequence[dict], sources: Sequence[str]) -> list[dict]:
    """Which sources the fit rejects: per source (``sources[k]`` of fit row ``k``), its
    observations and those outside the calibrated 90% band (``inside_90`` false), by id.
    Sources with a rejected observation first, then by name."""
    out: dict[str, dict] = {}
    for row, source in zip(fit, sources):
        entry = out.setdefault(source, {"source": source, "observations": 0, "outside_90": []})
        entry["observations"] += 1
        if not row["inside_90"]:
            entry["outside_90"].append(row["target"])
    return sorted(out.values(), key=lambda e: (not e["outside_90"], e["source"]))


def monthly_readings(target: Target, start: int, end: int) -> list[Target]:
    """Month-end readings of ``target``'s cumulative quantity (its variables, families and
    observation process; no ``since``) for every month ``start..end``: the band of a series.
    Their observed values and intervals are placeholders (0 in [-1, 1])."""
    from dataclasses import replace

    return [
        replace(target, id=f"{target.series}:{m}", month=m, day=None, since=None,
                since_day=None, drawdown_to=None, observed=0.0, low=-1.0, high=1.0)
        for m in range(start, end + 1)
    ]  # fmt: skip


def series_bands(
    scenario: Scenario, observations: Sequence[Target], *, reps: int, seed: int,
    engine: str | None = None, quantiles: Sequence[float] = (0.05, 0.5, 0.95),
) -> dict[str, np.ndarray]:  # fmt: skip
    """Per record series (the ``series`` of ``observations``), the month-end quantiles of its
    cumulative model counterpart over ``scenario``'s months: {series: (T, len(quantiles))},
    from one ensemble of ``reps`` replications of the scenario's own draws."""
    firsts: dict[str, Target] = {}
    for target in observations:
        if target.series and target.series not in firsts:
            firsts[target.series] = target
    readings = [monthly_readings(t, scenario.start, scenario.end) for t in firsts.values()]
    flat = [r for series in readings for r in series]
    if not flat:
        return {}
    values = predict_observations(scenario, flat, reps=reps, seed=seed, engine=engine)
    q = np.nanquantile(values, list(quantiles), axis=0).T  # (K, Q)
    months = scenario.months
    return {name: q[i * months : (i + 1) * months] for i, name in enumerate(firsts)}
