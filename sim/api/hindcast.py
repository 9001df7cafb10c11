"""The public API for hindcasts: calibrate on the record up to a cut-off, score the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from sim.model.facts import load_facts
from sim.runs.run import DEFAULT_SEED

#: Replications of the calibrated projection behind each target's band.
HINDCAST_REPS = 4_000


@dataclass(frozen=True)
class HindcastRun:
    """A hindcast: ``until`` (month index) the cut-off; ``fitted`` the targets calibrated
    on; ``rows`` one dict per later target (:func:`sim.analysis.hindcast.score_targets`);
    ``summary`` the shares inside the 50% and 90% bands and the mean scores; ``meta`` what
    hindcast.json records besides; ``caption`` the figure's sources."""

    source: Path
    name: str
    until: int
    fitted: tuple[str, ...]
    rows: list
    summary: dict
    caption: str
    meta: dict = field(default_factory=dict)


def run_hindcast(
    scenario: str | Path,
    until: str,
    *,
    targets_file: str | Path | None = None,
    draws: int = 20_000,
    particles: int = 1_000,
    generations: int = 10,
    reps: int = HINDCAST_REPS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int], None] | None = None,
    report: Callable | None = None,
    announce: Callable[[str], None] | None = None,
    engine: str | None = None,
    record: str | Path | None = None,
    use_record: bool = True,
) -> HindcastRun:
    """Calibrate ``scenario`` (its priors; every hypothesis it names, mixed by evidence) on
    the targets dated up to ``until`` (``YYYY-MM``), project ``reps`` replications and score
    every later target. ``engine`` (``numpy`` or ``compiled``, None for the default) runs
    the month step, recorded in hindcast.json and manifest.json; the same numbers either way.
    ``record``/``use_record``: the loss record's observations (by family group, each at its
    snapshot date) join the targets, as in :func:`sim.api.calibration.run_calibration`;
    those dated after the cut-off are withheld from calibration and scored.

    Raises
    ------
    ValueError (``ScenarioError``, ``TargetsError``, ``CalibrationError``) with one line, also
    when no target falls on either side of the cut-off.
    """
    from sim.analysis.calibrate import POSTERIOR_ROWS
    from sim.analysis.calibrate import calibrate as _calibrate
    from sim.analysis.hindcast import score_targets, share_inside, split_targets, target_date
    from sim.analysis.targets import check_parameters
    from sim.api.calibration import _check_budget, record_observations, targets
    from sim.api.evidence import calibrate_hypotheses
    from sim.api.scenarios import load_scenario
    from sim.figures.style import sources_caption
    from sim.io.calibration_outputs import posterior_predictive, with_posterior
    from sim.model.calendar import format_month, parse_month
    from sim.present.manifest import git_revision, scenario_files
    from sim.runs.engines import resolve

    engine = resolve(engine)
    try:
        cut = parse_month(until)
    except ValueError:
        raise ValueError(f"--until = {until!r}: must be a month as YYYY-MM") from None
    full = load_scenario(scenario)
    observed = record_observations(full, record) if use_record else None
    chosen = targets(targets_file) + (observed.targets if observed else [])
    check_parameters(chosen, full.params(), str(scenario))
    before, after = split_targets(chosen, cut)
    if not before or not after:
        first, last = min(map(target_date, chosen)), max(map(target_date, chosen))
        dates = f"{format_month(first)}..{format_month(last)}"
        raise ValueError(f"--until = {until}: needs targets on both sides of the cut-off "
                         f"(the targets span {dates})")  # fmt: skip
    last_fit = max(map(target_date, before))
    _check_budget(full, before, draws, generations)

    def fit_one(prior):
        return _calibrate(prior, before, draws=draws, particles=particles,
                          generations=generations, seed=seed, progress=progress,
                          report=report, engine=engine)  # fmt: skip

    cal, rows, hypotheses = calibrate_hypotheses(scenario, format_month(last_fit), fit_one,
                                                 POSTERIOR_ROWS, announce)  # fmt: skip
    last = max(map(target_date, after))
    future = with_posterior(replace(full, end=last, posterior=None), cal, rows, "hindcast")
    scored = score_targets(after, posterior_predictive(future, after, reps=reps, seed=seed + 1,
                                                       engine=engine))  # fmt: skip
    for row in scored:
        row["date"] = format_month(row["date"])
    summary = {
        "scored": len(scored), "inside_50_share": share_inside(scored, "inside_50"),
        "inside_90_share": share_inside(scored, "inside_90"),
        "mean_interval_score_90_relative": _mean_relative(scored, "interval_score_90"),
        "mean_crps_relative": _mean_relative(scored, "crps"),
    }  # fmt: skip
    facts = load_facts()
    sources = sorted({facts[t.fact].citation() for t in chosen if t.fact in facts})
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
    }  # fmt: skip
    return HindcastRun(
        source=Path(scenario), name=full.name, until=cut, fitted=tuple(t.id for t in before),
        rows=scored, summary=summary, caption=sources_caption(sources, full.description),
        meta=meta,
    )  # fmt: skip


def _mean_relative(rows: list[dict], key: str) -> float:
    """Mean of ``row[key] / row["observed"]`` over rows with a non-zero observed value (NaN
    when there are none): a record period can see no loss of a rare type."""
    ratios = [r[key] / abs(r["observed"]) for r in rows if r["observed"]]
    return float(np.mean(ratios)) if ratios else float("nan")
