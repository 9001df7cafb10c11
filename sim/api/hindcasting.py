"""The public API for hindcasts: calibrate on the record up to a cut-off, score the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim import defaults
from sim.analysis.results import HindcastRun
from sim.model.errors import InputError
from sim.model.facts import load_facts
from sim.runs.run import DEFAULT_SEED

#: Replications of the calibrated projection behind each target's band.
HINDCAST_REPS = defaults.HINDCAST_REPS


#: The purpose that keys the naive forecast's random stream (sim/engine/streams.py).
NAIVE_PURPOSE = "naive-forecast"
#: What the record scores compare, for hindcast.json.
FORECAST_SCORES_NOTE = (
    "each record observation after the cut, against the model's projected sample at its "
    "date and the naive forecast's (the last observed value plus the six months' pace before "
    "it carried forward, spread by resampling those months' increments: docs/forecast-scoring.md); "
    "inside_50/inside_90: observed inside the central 50% / 90% band; crps in counts; "
    "crps_skill = 1 - mean CRPS model / mean CRPS naive (positive: the model beats it)"
)


def score_against_naive(
    record, cut: np.datetime64, model: np.ndarray, *, seed: int, reps: int
) -> list[dict]:
    """Score every observation of ``record`` dated after ``cut`` against the model and the
    naive forecast: the seam between the record and the scores.

    Parameters
    ----------
    record : :class:`sim.analysis.naive.CountSeries`, the cumulative record by group; its
        observations up to ``cut`` build the naive forecast.
    cut : datetime64[D], the last day the calibration saw.
    model : (R, K) the projected model values of the later observations, in the order of
        ``record.after(cut)`` (date by date, group by group), counts.
    seed : keys the naive forecast's stream (:data:`NAIVE_PURPOSE`).
    reps : replications of the naive forecast.

    Returns
    -------
    One dict per later observation (:func:`sim.analysis.forecast_scores.score_forecasts`).

    Raises
    ------
    NaiveForecastError (a ValueError) with fewer than two observations up to ``cut``.
    """
    from sim.analysis.forecast_scores import score_forecasts
    from sim.analysis.naive import naive_at_observations
    from sim.engine.streams import stream

    groups, dates, observed = record.after(cut)
    if model.shape[1] != len(dates):
        raise ValueError(f"model values for {model.shape[1]} observations, the record has "
                         f"{len(dates)} after {cut}")  # fmt: skip
    if not len(dates):
        return []
    naive = naive_at_observations(record, cut, groups, dates, rng=stream(seed, 0, NAIVE_PURPOSE),
                                  reps=reps)  # fmt: skip
    return score_forecasts(groups, dates, observed, model, naive, cut)


def _record_scores(chosen, after, predictive, cut, *, seed, reps) -> tuple[list, list, str]:
    """Rows, horizon table and note of the record scores, until the measurement model feeds
    the record itself: the record is the ``lost_confirmed`` totals among the targets, and the
    model's values at them the projected columns of those among ``after``."""
    from sim.analysis.forecast_scores import horizon_table
    from sim.analysis.hindcast import confirmed_record, month_end
    from sim.analysis.naive import NaiveForecastError

    record, oryx = confirmed_record(chosen)
    if record is None:
        return [], [], "no lost_confirmed target to score against the naive forecast"
    columns = [after.index(t) for t in oryx if t in after]
    try:
        rows = score_against_naive(record, month_end(cut), predictive[:, columns], seed=seed,
                                   reps=reps)  # fmt: skip
    except NaiveForecastError as err:
        return [], [], f"not scored against the naive forecast: {err}"
    if not rows:
        return [], [], "no lost_confirmed target after the cut-off"
    return rows, horizon_table(rows), ""


def _observed_scores(observed, future, cut: int, *, seed: int, reps: int, engine):
    """Rows, horizon table and note of the loss record's later observations (every group at
    every snapshot after the cut-off, cumulative) against the model projected by ``future``
    and against the naive forecast; then the rows and horizon table of the same scored on
    the losses since the last snapshot up to the cut (:func:`since_anchor`)."""
    from sim.analysis.forecast_scores import horizon_table, score_forecasts, since_anchor
    from sim.analysis.hindcast import month_end
    from sim.analysis.naive import CountSeries, NaiveForecastError, naive_at_observations
    from sim.analysis.observe import predict_observations
    from sim.analysis.record_targets import level_observations
    from sim.api.calibration import RECORD_FACT
    from sim.engine.streams import stream

    record = CountSeries(observed.series[0][1], tuple(name for name, _, _ in observed.series),
                         np.column_stack([values for _, _, values in observed.series]))
    cut_day = month_end(cut)
    groups, dates, counts = record.after(cut_day)
    if not len(dates):
        return [], [], "no record snapshot after the cut-off", [], []
    up_to = np.flatnonzero(record.dates <= cut_day)
    if not len(up_to):
        return [], [], "no record snapshot up to the cut-off", [], []
    anchor_day, anchor = record.dates[up_to[-1]], record.counts[up_to[-1]]
    column = np.array([record.groups.index(g) for g in groups], dtype=np.int64)
    # The later observations, then each group at the anchor, simulated together: probes
    # only read the paths, so the first columns are what they are without the others.
    levels = level_observations(
        [*groups, *record.groups], np.array([*dates, *[anchor_day] * len(record.groups)]),
        np.concatenate([counts, anchor]), future.family_names, fact=RECORD_FACT)
    model = predict_observations(future, levels, reps=reps, seed=seed + 1, engine=engine)
    model, model_anchor = model[:, : len(dates)], model[:, len(dates):][:, column]
    try:
        rows = score_against_naive(record, cut_day, model, seed=seed, reps=reps)
    except NaiveForecastError as err:
        return [], [], f"not scored against the naive forecast: {err}", [], []
    naive = naive_at_observations(record, cut_day, groups, dates,
                                  rng=stream(seed, 0, NAIVE_PURPOSE), reps=reps)  # fmt: skip
    since = score_forecasts(groups, dates, *since_anchor(counts, model, naive, anchor[column],
                                                         model_anchor), cut_day)  # fmt: skip
    return rows, horizon_table(rows), "", since, horizon_table(since)


def _check_cut(until: str, chosen: list) -> tuple[int, list, list]:
    """The cut's month index and the targets before and after it; ValueError (one line)
    for a malformed month or a cut with no target on either side."""
    from sim.analysis.hindcast import split_targets, target_date
    from sim.model.calendar import format_month, parse_month

    try:
        cut = parse_month(until)
    except ValueError:
        raise InputError(f"= {until!r}: must be a month as YYYY-MM", argument="until") from None
    before, after = split_targets(chosen, cut)
    if not before or not after:
        first, last = min(map(target_date, chosen)), max(map(target_date, chosen))
        dates = f"{format_month(first)}..{format_month(last)}"
        raise InputError(f"= {until}: needs targets on both sides of the cut-off "
                         f"(the targets span {dates})", argument="until")  # fmt: skip
    return cut, before, after


def run_hindcast(
    scenario: str | Path,
    until: str,
    *,
    targets_file: str | Path | None = None,
    draws: int = defaults.DRAWS,
    particles: int = defaults.PARTICLES,
    generations: int = defaults.GENERATIONS,
    reps: int = HINDCAST_REPS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int], None] | None = None,
    report: Callable | None = None,
    announce: Callable[[str], None] | None = None,
    engine: str | None = None,
    record: str | Path | None = None,
    use_record: bool = True,
    plan: Callable[[int], None] | None = None,
) -> HindcastRun:
    """Calibrate ``scenario`` (its priors; every hypothesis it names, mixed by evidence) on
    the targets dated up to ``until`` (``YYYY-MM``), project ``reps`` replications and score
    every later target. ``engine`` (``numpy`` or ``compiled``, None for the default) runs
    the month step, recorded in hindcast.json and manifest.json; the same numbers either way.
    ``record``/``use_record``: the loss record's observations (by family group, each at its
    snapshot date) join the targets, as in :func:`sim.api.calibration.calibrate`;
    those dated after the cut-off are withheld from calibration and scored. ``plan`` is
    called once, after every check, with how many ABC-SMC runs follow (one per hypothesis).

    Raises
    ------
    ValueError (``ScenarioError``, ``TargetsError``, ``CalibrationError``) with one line, also
    when no target falls on either side of the cut-off.
    """
    from sim.analysis.calibrate import POSTERIOR_ROWS
    from sim.analysis.calibrate import calibrate as _calibrate
    from sim.analysis.calibration_fit import posterior_predictive, with_posterior
    from sim.analysis.hindcast import confirmed_record, score_targets, share_inside, target_date
    from sim.analysis.targets import check_parameters, default_targets_path
    from sim.api.calibration import _check_budget, record_observations, targets
    from sim.api.evidence import calibrate_hypotheses, hypothesis_count
    from sim.api.scenarios import load_scenario
    from sim.figures.style import sources_caption
    from sim.model.calendar import format_month
    from sim.present.manifest import git_revision, input_files, manifest, scenario_files
    from sim.runs.engines import resolve

    engine = resolve(engine)
    full = load_scenario(scenario)
    observed = record_observations(full, record) if use_record else None
    chosen = targets(targets_file) + (observed.targets if observed else [])
    check_parameters(chosen, full.params(), str(scenario))
    cut, before, after = _check_cut(until, chosen)
    last_fit = max(map(target_date, before))
    _check_budget(full, before, draws, generations)
    if plan is not None:
        plan(hypothesis_count(scenario))

    def fit_one(prior):
        return _calibrate(prior, before, draws=draws, particles=particles,
                          generations=generations, seed=seed, progress=progress,
                          report=report, engine=engine)  # fmt: skip

    cal, rows, hypotheses = calibrate_hypotheses(scenario, format_month(last_fit), fit_one,
                                                 POSTERIOR_ROWS, announce)  # fmt: skip
    last = max(map(target_date, after))
    future = with_posterior(replace(full, end=last, posterior=None), cal, rows, "hindcast")
    predictive = posterior_predictive(future, after, reps=reps, seed=seed + 1, engine=engine)
    scored = score_targets(after, predictive)
    if observed is not None:
        forecast_rows, horizon, note, since_rows, since_horizon = _observed_scores(
            observed, future, cut, seed=seed, reps=reps, engine=engine)
    else:
        forecast_rows, horizon, note = _record_scores(chosen, after, predictive, cut,
                                                      seed=seed, reps=reps)  # fmt: skip
        since_rows, since_horizon = [], []
    for row in scored:
        row["date"] = format_month(row["date"])
    summary = {
        "scored": len(scored), "inside_50_share": share_inside(scored, "inside_50"),
        "inside_90_share": share_inside(scored, "inside_90"),
        "mean_interval_score_90_relative": _mean_relative(scored, "interval_score_90"),
        "mean_crps_relative": _mean_relative(scored, "crps"),
        "record_at_cut": json_safe(horizon[-1]) if horizon else None,
        "record_since_cut": json_safe(since_horizon[-1]) if since_horizon else None,
    }  # fmt: skip
    facts = load_facts()
    sources = sorted({facts[t.fact].citation() for t in chosen if t.fact in facts})
    from_record = [*confirmed_record(chosen)[1], *(t for t in chosen if t.series)]
    record_sources = sorted({facts[t.fact].citation() for t in from_record if t.fact in facts})
    meta = {
        "scenario": str(scenario), "until": until, "seed": seed, "reps": reps,
        "draws_per_generation": draws, "particles": particles, "generations": generations,
        "fitted_targets": [t.id for t in before], "scored_targets": [t.id for t in after],
        "particles_kept": len(cal.values), "effective_sample_size": round(cal.ess, 1),
        "hypotheses": hypotheses.evidence if hypotheses else None,
        "git_revision": git_revision(), "files": scenario_files(replace(full, posterior=None)),
        "execution": {"engine": engine},
        "record": observed.meta() if observed else None,
        "scores": ("inside_50/inside_90: observed inside the projected 25-75% / 5-95% band; "
                   "interval_score_90: width of the 5-95% band + 20 x the miss (target units); "
                   "crps: empirical CRPS of the projected sample (target units); *_relative: "
                   "divided by the observed value, averaged over rows whose observed value "
                   "is not 0 (a record period with no loss of a rare type)"),
        "forecast_scores": {"compared": FORECAST_SCORES_NOTE, "by_horizon": json_safe(horizon),
                            "note": note or None},
    }  # fmt: skip
    arguments = {
        "scenario": full.files[-1], "untils": [until], "seed": seed, "draws": draws,
        "particles": particles, "generations": generations, "reps": reps,
        "targets_file": None if targets_file is None else str(targets_file),
        "record": None if record is None else str(record), "use_record": use_record,
    }  # fmt: skip
    inputs = input_files([replace(full, posterior=None)],
                         extra=(Path(targets_file or default_targets_path()),)
                         + ((Path(record),) if record is not None else ()))  # fmt: skip
    return HindcastRun(
        source=Path(scenario), name=full.name, until=cut, fitted=tuple(t.id for t in before),
        rows=scored, summary=summary, caption=sources_caption(sources, full.description),
        meta=meta, provenance=manifest("hindcast", arguments=arguments, inputs=inputs,
                                       execution={"engine": engine}),
        forecast_rows=forecast_rows, horizon=horizon, forecast_note=note,
        since_rows=since_rows, since_horizon=since_horizon,
        record_caption=sources_caption(record_sources, full.description),
    )  # fmt: skip


def hindcast(
    scenario: str | Path,
    untils: str | Sequence[str],
    *,
    targets_file: str | Path | None = None,
    draws: int = defaults.DRAWS,
    particles: int = defaults.PARTICLES,
    generations: int = defaults.GENERATIONS,
    reps: int = HINDCAST_REPS,
    seed: int = DEFAULT_SEED,
    record: str | Path | None = None,
    use_record: bool = True,
    engine: str | None = None,
    progress: Callable[[int], None] | None = None,
    report: Callable | None = None,
    announce: Callable[[str], None] | None = None,
    plan: Callable[[int], None] | None = None,
) -> list[HindcastRun]:
    """What ``tanksim hindcast`` computes (:func:`sim.api.save_hindcast` writes its folder):
    the scenario file calibrated (every hypothesis it names, mixed by evidence) on the targets
    and record observations dated up to each cut-off of ``untils`` (``YYYY-MM``, one or
    several), its projection scored against every later one and against the naive forecast.

    Returns one :class:`~sim.analysis.results.HindcastRun` per cut-off, in the order given;
    each is the run that cut-off alone gives (:func:`run_hindcast`). ``plan`` is called
    once, before the first ABC-SMC run, with how many the job makes (one per hypothesis per
    cut-off). Raises ValueError (one line) as :func:`run_hindcast`, or for a cut-off given
    twice, before any calibration.
    """
    untils = [untils] if isinstance(untils, str) else list(untils)
    settings = {"draws": draws, "particles": particles, "generations": generations,
                "reps": reps, "seed": seed, "engine": engine, "record": record,
                "use_record": use_record, "progress": progress, "report": report,
                "plan": plan}  # fmt: skip
    if len(untils) == 1:
        return [run_hindcast(scenario, untils[0], targets_file=targets_file, announce=announce,
                             **settings)]  # fmt: skip
    return run_hindcasts(scenario, untils, targets_file=targets_file, announce=announce,
                         **settings)  # fmt: skip


def run_hindcasts(
    scenario: str | Path, untils: list[str], *, targets_file: str | Path | None = None,
    announce: Callable[[str], None] | None = None,
    plan: Callable[[int], None] | None = None, **settings,
) -> list[HindcastRun]:  # fmt: skip
    """:func:`run_hindcast` at each cut-off of ``untils`` (in the order given), with the same
    settings and seed: each cut's run is the one ``--until`` alone would give. Every cut is
    checked before any calibration starts; ``announce`` hears each hypothesis with its cut;
    ``plan`` hears, once, how many ABC-SMC runs follow (hypotheses times cut-offs).

    Raises
    ------
    ValueError with one line: a cut given twice, or as :func:`run_hindcast`.
    """
    from sim.api.calibration import record_observations, targets
    from sim.api.scenarios import load_scenario

    seen = set()
    for until in untils:
        if until in seen:
            raise InputError(f"= {until}: given twice", argument="until")
        seen.add(until)
    observed = (record_observations(load_scenario(scenario), settings.get("record"))
                if settings.get("use_record", True) else None)  # fmt: skip
    chosen = targets(targets_file) + (observed.targets if observed else [])
    for until in untils:
        _check_cut(until, chosen)
    if plan is not None:
        from sim.api.evidence import hypothesis_count

        plan(hypothesis_count(scenario) * len(untils))
    runs = []
    for until in untils:
        def say(hypothesis: str, until: str = until) -> None:
            if announce is not None:
                announce(f"{hypothesis} (cut-off {until})")

        runs.append(run_hindcast(scenario, until, targets_file=targets_file, announce=say,
                                 **settings))  # fmt: skip
    return runs


def cut_rows(runs: list[HindcastRun]) -> list[dict]:
    """One row per cut-off for cuts.csv: the cut, the targets fitted and scored, the shares
    of later targets inside the 50% and 90% bands, and the record scores at the cut (model
    against naive: :data:`sim.analysis.forecast_scores.AGGREGATE_COLUMNS`)."""
    from sim.analysis.forecast_scores import AGGREGATE_COLUMNS, aggregate
    from sim.model.calendar import format_month

    rows = []
    for run in runs:
        at_cut = run.horizon[-1] if run.horizon else aggregate([])
        rows.append({"cut": format_month(run.until), "fitted_targets": len(run.fitted),
                     "scored_targets": len(run.rows),
                     "targets_inside_90": run.summary["inside_90_share"],
                     "targets_inside_50": run.summary["inside_50_share"]}
                    | {c: at_cut[c] for c in AGGREGATE_COLUMNS})  # fmt: skip
    return rows

def json_safe(value):
    """``value`` with every NaN float replaced by None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


def _mean_relative(rows: list[dict], key: str) -> float:
    """Mean of ``row[key] / row["observed"]`` over rows with a non-zero observed value (NaN
    when there are none): a record period can see no loss of a rare type."""
    ratios = [r[key] / abs(r["observed"]) for r in rows if r["observed"]]
    return float(np.mean(ratios)) if ratios else float("nan")
