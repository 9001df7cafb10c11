"""Competing hypotheses in calibration: fit each, weigh them, mix their posteriors.

A scenario whose file names hypotheses (``[hypothesis]`` / ``[hypotheses.GROUP.NAME]``,
:mod:`sim.model.hypotheses`) is calibrated once per joint selection. Each hypothesis'
evidence is its acceptance rate at the final tolerance (:mod:`sim.analysis.evidence`); the
shipped posterior mixes the hypotheses' posteriors by those weights, its rows tagged in
``posterior.json`` (``hypothesis_rows``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim.analysis.results import HypothesisFit
from sim.model.errors import InputError
from sim.model.params import Scenario


def scenario_hypotheses(path: str | Path) -> tuple[dict[str, str], dict]:
    """The file's selection {group: variant} and its variants (:class:`Variant` by name)."""
    from sim.model.chain import merge_chain, read_chain
    from sim.model.facts import load_facts
    from sim.model.hypotheses import read_hypotheses

    raw, origins = merge_chain(read_chain(Path(path)))
    return read_hypotheses(raw, origins, set(load_facts()))


def hypothesis_count(path: str | Path) -> int:
    """How many hypotheses (joint selections) ``tanksim calibrate`` fits for the scenario
    file: 1 without hypotheses, or when the file cannot be read (the calibration itself then
    reports why)."""
    from sim.model.hypotheses import combinations

    try:
        _, variants = scenario_hypotheses(path)
    except (ValueError, OSError):
        return 1
    return len(combinations(variants)) if variants else 1


def calibrate_hypotheses(
    scenario: str | Path,
    end: str,
    fit: Callable,
    rows: int,
    announce: Callable[[str], None] | None = None,
) -> tuple[object, np.ndarray, HypothesisFit | None]:
    """Calibrate every hypothesis the file names and mix them by evidence.

    Parameters
    ----------
    scenario : the scenario file.
    end : ``YYYY-MM``, the last target month (the calibration's horizon).
    fit : ``fit(prior_scenario) -> Calibration`` (ABC-SMC with the caller's settings).
    rows : rows of the equal-weight posterior.
    announce : called with each hypothesis' name before it is fitted.

    Returns
    -------
    The file's own selection's Calibration with its particles replaced by the weighted
    mixture, the (rows, D) posterior rows (grouped by hypothesis, in order), and the
    :class:`HypothesisFit` (None for a file without hypotheses).
    """
    from sim.analysis.calibrate import CalibrationError
    from sim.analysis.evidence import allocate_rows, evidence_table
    from sim.api.scenarios import load_scenario
    from sim.model.hypotheses import combinations, label

    selection, variants = scenario_hypotheses(scenario)
    if not variants:
        prior = replace(load_scenario(scenario, end=end), posterior=None)
        cal = fit(prior)
        return cal, cal.resample(rows), None
    selections = combinations(variants)
    labels = [label(s) for s in selections]
    cals, rates, errors, priors = [], [], [], []
    for name, chosen in zip(labels, selections):
        if announce is not None:
            announce(name)
        prior = replace(load_scenario(scenario, end=end, hypothesis=chosen), posterior=None)
        priors.append({n: p.describe() for n, p in prior.params().items()})
        try:
            cal = fit(prior)
        except CalibrationError:
            cal = None
        cals.append(cal)
        rates.append(cal.evidence if cal is not None else 0.0)
        errors.append(cal.evidence_se if cal is not None else 0.0)
    fitted = [c for c in cals if c is not None]
    common = max((c.tolerance for c in fitted), default=1.0)
    if common > 1.0:  # no hypothesis fits every target: weigh them at a common tolerance
        pairs = [c.evidence_at(common) if c is not None else (0.0, 0.0) for c in cals]
        rates, errors = [p[0] for p in pairs], [p[1] for p in pairs]
    try:
        table = evidence_table(labels, rates, errors)
    except ValueError as err:
        raise CalibrationError(str(err)) from None
    for row, cal in zip(table, cals):
        row["particles"] = 0 if cal is None else len(cal.values)
        row["particles_collected"] = cal is not None and bool(cal.converged)
    counts = allocate_rows([row["weight"] for row in table], rows)
    own = cals[selections.index(selection)] or next(c for c in cals if c is not None)
    names = own.names
    parts, values, u, weights, model = [], [], [], [], []
    for cal, row, count in zip(cals, table, counts):
        if cal is None or row["weight"] == 0:
            continue
        if cal.names != names:
            raise InputError(f"hypothesis {row['hypothesis']}: its uncertain parameters differ "
                             "from the others' (a variant may change a prior, not fix it)")
        if count:
            parts.append(cal.resample(count))
        values.append(cal.values)
        u.append(cal.u)
        weights.append(cal.weights * row["weight"])
        model.append(cal.model)
    mixed = replace(own, values=np.concatenate(values), u=np.concatenate(u),
                    weights=np.concatenate(weights) / np.concatenate(weights).sum(),
                    model=np.concatenate(model),
                    converged=all(row["particles_collected"] for row in table),
                    tolerance=common)  # fmt: skip
    info = {g: {n: {"sources": list(v.sources), "note": v.note} for n, v in vs.items()}
            for g, vs in variants.items()}  # fmt: skip
    kept = [{n: p[n] for n in names} for p in priors]
    own_rows = tuple(None if c is None else c.resample(rows) for c in cals)
    return mixed, np.concatenate(parts), HypothesisFit(
        tuple(labels), tuple(selections), table, tuple(counts), info, tuple(kept), own_rows)


def hypothesis_rows(fit: HypothesisFit) -> dict[str, list[int]]:
    """Each hypothesis' rows of the mixed posterior as ``[first, stop)`` (0-based)."""
    out, start = {}, 0
    for name, count in zip(fit.labels, fit.counts):
        out[name] = [start, start + count]
        start += count
    return out


def hypothesis_meta(fit: HypothesisFit, priors: dict[str, str]) -> dict:
    """posterior.json's keys for a mixed posterior: each hypothesis' rows ``[first, stop)``,
    its {group: variant} and the columns whose prior differs from ``priors`` (the file's
    own selection's) under it, so that a scenario selecting a variant draws its own rows
    (:func:`sim.model.posterior.hypothesis_subset`)."""
    return {
        "hypothesis_rows": hypothesis_rows(fit),
        "hypothesis_selections": dict(zip(fit.labels, fit.selections)),
        "hypothesis_priors": {
            label: {n: d for n, d in own.items() if priors.get(n) != d}
            for label, own in zip(fit.labels, fit.priors)
        },
    }  # fmt: skip


def projections(
    calibrated: Scenario, fit: HypothesisFit, *, reps: int, seed: int,
    dates: tuple[str, ...] = ("2027-12", "2030-12"), engine: str | None = None,
) -> dict[str, dict]:  # fmt: skip
    """What each hypothesis says for the future: the median active fleet at ``dates`` and
    the median storage-exhaustion month, from ``reps`` replications of ``calibrated`` (the
    full horizon) drawing only that hypothesis' own rows (``fit.own_rows``: its particles
    resampled; else its rows of the mixed posterior)."""
    from sim.analysis.summary import summary
    from sim.model.calendar import parse_month
    from sim.runs.run import run_scenario

    out = {}
    post = calibrated.posterior
    for h, (name, (first, stop)) in enumerate(hypothesis_rows(fit).items()):
        values = fit.own_rows[h] if len(fit.own_rows) > h else None
        if values is None:
            values = post.values[first:stop]
        if not len(values):
            out[name] = None
            continue
        own = replace(calibrated, posterior=replace(post, values=values))
        result = run_scenario(own, reps=reps, seed=seed, keep_paths=True, engine=engine)
        entry = {}
        for date in dates:
            t = parse_month(date) - own.start
            if 0 <= t < result.active_paths.shape[0]:
                entry[f"active_p50_{date}"] = float(np.median(result.active_paths[t]))
        entry["storage_exhausted_p50"] = summary(result)["metrics"]["storage_exhausted"]["p50"]
        out[name] = entry
    return out
