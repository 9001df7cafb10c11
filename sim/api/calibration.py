"""The public API for calibration: targets, ABC-SMC, prior against posterior, fit."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim import defaults
from sim.analysis.results import CalibrationRun, RecordObservations
from sim.api.runs import load_scenario
from sim.model.errors import InputError
from sim.model.facts import load_facts
from sim.model.params import Scenario
from sim.model.record import RECORD_ENV
from sim.runs.run import DEFAULT_SEED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.runs.chunks import ChunkExecutor

#: Replications of the calibrated model checked against the targets (fit.csv).
CHECK_REPS = defaults.CHECK_REPS
#: Replications behind each band of fit.png.
FIGURE_REPS = 4_000
#: Replications per hypothesis behind evidence.json's projections.
PROJECTION_REPS = 2_000


def targets(path: str | Path | None = None) -> list:
    """The calibration targets (default ``seeds/targets.toml``): dated observed figures, each
    with its interval and the fact it rests on (:class:`sim.analysis.targets.Target`).
    Raises :class:`sim.analysis.targets.TargetsError` (a ValueError) naming file and key."""
    from sim.analysis.targets import load_targets

    return load_targets(Path(path) if path else None, set(load_facts()))


#: The fact every target read from the loss record cites.
RECORD_FACT = "oryx-record-by-type"


def record_observations(scenario: Scenario, path: str | Path | None = None) -> RecordObservations:
    """Calibration targets from the loss record (default: the bundled record; ``path``
    another record file) for ``scenario``'s families, up to its horizon's end: by family
    group when the scenario declares ``losses.unknown_share``, else the total only.

    Raises ValueError with one line naming the file when the record cannot be read.
    """
    import hashlib

    from sim.analysis.record_targets import TOTAL, chosen_snapshots, group_series, record_targets
    from sim.model.calendar import format_month
    from sim.model.params import UNKNOWN
    from sim.model.record import confirmed_by_family, load_record

    try:
        record = load_record(Path(path) if path is not None else None)
        dates, families, counts = confirmed_by_family(record)
    except (OSError, ValueError) as err:
        where = f"{{arg:record}} = {path}" if path is not None else "the bundled loss record"
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(text if str(path or "") and str(path) in text else f"{where}: {text}") \
            from None
    source = Path(getattr(record, "path", None) or path or "")
    dates = np.asarray(dates, dtype="datetime64[D]")
    end = np.datetime64(format_month(scenario.end), "M") + 1
    keep = dates < end.astype("datetime64[D]")
    if not keep.any():
        raise InputError(f"{source}: no snapshot within the scenario's horizon "
                         f"(it ends {format_month(scenario.end)})")  # fmt: skip
    dates, counts = dates[keep], np.asarray(counts)[keep]
    chosen = record_targets(dates, families, counts, scenario.family_names, fact=RECORD_FACT)
    series = tuple((name, dates, values) for name, _, values in
                   group_series(families, counts, scenario.family_names))  # fmt: skip
    if UNKNOWN not in scenario.params():
        chosen = [t for t in chosen if t.series == TOTAL]
        series = tuple(s for s in series if s[0] == TOTAL)
    digest = getattr(record, "sha256", "") or (
        hashlib.sha256(source.read_bytes()).hexdigest() if source.is_file() else "")
    shown = "bundled: " + source.name if path is None and not os.environ.get(RECORD_ENV) \
        else str(source)  # a machine's own folders do not belong in a shipped posterior
    return RecordObservations(chosen, shown, digest, str(dates[0]), str(dates[-1]),
                              series, dates[chosen_snapshots(dates)])  # fmt: skip


def _check_budget(scenario: Scenario, chosen: list, draws: int, generations: int) -> None:
    """Refuse a calibration beyond :mod:`sim.analysis.budget`'s caps (BudgetError)."""
    from sim.analysis.budget import check_budget
    from sim.analysis.calibrate import FINAL_BATCHES

    months = max(t.month for t in chosen) - scenario.start + 1
    check_budget(f"{{arg:draws}} {draws:,} {{arg:generations}} {generations}",
                 draws * (generations - 1 + FINAL_BATCHES), months,
                 draws * (4 * len(scenario.params()) + 2 * len(chosen)) * 8.0)  # fmt: skip


def prior_posterior(scenario: Scenario, calibration=None) -> list[dict]:
    """Per calibrated parameter: prior and posterior p05/p50/p95 (its own units) and the
    ratio of the 90% widths (small: the record pins it down; near 1: left open). The
    posterior is ``calibration``'s, or by default the one ``scenario`` draws from."""
    from sim.analysis.calibration_fit import prior_posterior_rows
    from sim.io.calibration_outputs import PRIOR_POSTERIOR_COLUMNS

    if calibration is not None:
        names, values = calibration.names, calibration.resample()
    elif scenario.posterior is not None:
        names, values = scenario.posterior.names, scenario.posterior.values
    else:
        raise InputError(f"scenario {scenario.name!r} has no posterior; pass a calibration")
    rows, _, _ = prior_posterior_rows(scenario, names, values)
    return [dict(zip(PRIOR_POSTERIOR_COLUMNS, row)) for row in rows]


def fit_table(
    scenario: Scenario, *, target_list: list | None = None, reps: int = 4000,
    seed: int = DEFAULT_SEED, engine: str | None = None,
) -> list[dict]:  # fmt: skip
    """Each target's observed value and interval against ``scenario``'s p05/p50/p95 over
    ``reps`` replications (its horizon cut at the last target), with ``inside_90``."""
    from dataclasses import replace

    from sim.analysis.calibration_fit import fit_rows, posterior_predictive

    chosen = target_list if target_list is not None else targets()
    cut = replace(scenario, end=min(scenario.end, max(t.month for t in chosen)))
    return fit_rows(chosen, posterior_predictive(cut, chosen, reps=reps, seed=seed,
                                                 engine=engine))  # fmt: skip


def plot_calibration_fit(
    prior: Scenario, calibrated: Scenario, *, target_list: list | None = None,
    reps: int = 2000, seed: int = DEFAULT_SEED, engine: str | None = None,
) -> Figure:  # fmt: skip
    """Calibrated bands against the prior's 5-95% range and the observed figures."""
    from dataclasses import replace

    from sim.api.calibration_figures import fit_panels
    from sim.figures.calibration import fit_figure
    from sim.figures.style import sources_caption

    chosen = target_list if target_list is not None else targets()
    last = max(t.month for t in chosen)
    panels = fit_panels(replace(prior, end=last, posterior=None), replace(calibrated, end=last),
                        chosen, reps=reps, seed=seed, engine=engine)  # fmt: skip
    known = load_facts()
    sources = sorted({known[t.fact].citation() for t in chosen if t.fact in known})
    return fit_figure(panels, sources_caption(sources, calibrated.description),
                      f"'{calibrated.name}' against the record, {reps:,} replications")  # fmt: skip


def calibrate(
    scenario: str | Path,
    *,
    targets_file: str | Path | None = None,
    target_list: list | None = None,
    draws: int = defaults.DRAWS,
    particles: int = defaults.PARTICLES,
    generations: int = defaults.GENERATIONS,
    seed: int = DEFAULT_SEED,
    check_reps: int = CHECK_REPS,
    figure_reps: int = FIGURE_REPS,
    projection_reps: int = PROJECTION_REPS,
    record: str | Path | None = None,
    use_record: bool = True,
    engine: str | None = None,
    executor: ChunkExecutor | None = None,
    progress: Callable[[int], None] | None = None,
    report: Callable | None = None,
    announce: Callable[[str], None] | None = None,
    plan: Callable[[int], None] | None = None,
) -> CalibrationRun:
    """Calibrate the scenario file ``scenario`` by ABC-SMC and check the fit: what
    ``tanksim calibrate`` computes (:func:`sim.api.save_calibration` writes its folder).

    Every hypothesis the file names is fitted, the hypotheses are weighed by their evidence
    and the posterior mixes them by weight; the calibrated model is then checked against
    every target and drawn against the record. For one ABC-SMC run of one scenario (a
    :class:`~sim.model.params.Scenario` built in code, no hypotheses, no fit check), call
    :func:`sim.analysis.calibrate.calibrate`.

    Parameters
    ----------
    scenario : path of the scenario file whose uncertain parameters are calibrated (a file:
        its hypotheses are read from it and its bytes recorded in the manifest).
    targets_file : targets TOML (default ``seeds/targets.toml``).
    target_list : the targets to fit instead of ``targets_file`` and the loss record (for
        example a subset of :func:`targets` or of :func:`record_observations`); then
        ``targets_file`` and ``record`` must not be given.
    draws, particles, generations : parameter sets simulated per generation, kept per
        generation, and most generations.
    seed : root seed; the fit check uses ``seed + 1``, the figures ``seed + 2``, the
        projections ``seed + 3``.
    check_reps, figure_reps : replications of the calibrated model behind fit.csv and fit.png.
    projection_reps : replications per hypothesis behind evidence.json's projections.
    record, use_record : the loss record fitted beside the targets (default the bundled one;
        :func:`record_observations`), or none with ``use_record=False``.
    engine : ``numpy`` or ``compiled`` (None for the default, :func:`sim.runs.engines.default`):
        the month step of every run, recorded in posterior.json and manifest.json
        (``execution``); the same numbers either way.
    executor, progress, report, announce : where chunks run; replications done; each
        generation's :class:`~sim.analysis.calibrate.Generation`; each hypothesis' name
        before it is fitted.
    plan : called once, after every check and before the first ABC-SMC run, with how many
        runs the calibration makes (one per hypothesis).

    Returns
    -------
    :class:`~sim.analysis.results.CalibrationRun`: the mixed posterior (``calibration``,
    ``rows`` (R, D)), the fit to each target (``fit``), ``converged``, prior against
    posterior, the hypotheses' evidence (``evidence``, None without hypotheses) and the
    manifest's fields.

    Raises
    ------
    ValueError (a ``ScenarioError``, ``TargetsError``, ``CalibrationError`` or
    ``BudgetError``) with one line.
    """
    from dataclasses import replace

    from sim.analysis.calibrate import POSTERIOR_ROWS, distinct_sets
    from sim.analysis.calibrate import calibrate as _calibrate
    from sim.analysis.calibration_fit import (
        fit_rows,
        joint_share_in_intervals,
        posterior_predictive,
        prior_posterior_rows,
        with_posterior,
    )
    from sim.analysis.observe import band_coverage, rejected_by_source
    from sim.analysis.targets import check_parameters, default_targets_path
    from sim.api.calibration_figures import fit_panels, record_panels
    from sim.api.checks import check_sizes
    from sim.api.evidence import (
        calibrate_hypotheses,
        hypothesis_count,
        hypothesis_meta,
        hypothesis_rows,
        projections,
    )
    from sim.figures.style import sources_caption
    from sim.model.calendar import format_month
    from sim.present.manifest import git_revision, input_files, manifest
    from sim.runs.engines import resolve

    if isinstance(scenario, Scenario):
        raise InputError(f"{{arg:scenario}} {scenario.name!r}: calibrate reads a scenario file "
                         "(its hypotheses and checksums); pass its path, or call "
                         "sim.analysis.calibrate.calibrate for a Scenario built in code")
    if target_list is not None and (targets_file is not None or record is not None):
        raise InputError("{arg:target_list} replaces the targets file and the record; "
                         "give one or the other")
    engine = resolve(engine)
    check_sizes(draws, particles)
    facts = load_facts()
    full = load_scenario(scenario)
    if target_list is not None:
        observed, chosen = None, list(target_list)
    else:
        observed = record_observations(full, record) if use_record else None
        chosen = targets(targets_file) + (observed.targets if observed else [])
    if not chosen:
        raise InputError("{arg:target_list} is empty: nothing to calibrate to")
    check_parameters(chosen, full.params(), str(scenario))
    last = max(t.month for t in chosen)
    if not full.start <= min(t.month for t in chosen) or last > full.end:
        raise InputError(f"{scenario}: horizon does not cover the targets")
    _check_budget(full, chosen, draws, generations)
    prior = replace(load_scenario(scenario, end=format_month(last)), posterior=None)
    if plan is not None:
        plan(hypothesis_count(scenario))

    def fit_one(candidate: Scenario):
        return _calibrate(candidate, chosen, draws=draws, particles=particles,
                          generations=generations, seed=seed, progress=progress,
                          executor=executor, report=report, engine=engine)  # fmt: skip

    cal, rows, hypotheses = calibrate_hypotheses(scenario, format_month(last), fit_one,
                                                 POSTERIOR_ROWS, announce)  # fmt: skip
    calibrated = with_posterior(prior, cal, rows, "posterior.csv")
    predictive = posterior_predictive(calibrated, chosen, reps=check_reps, seed=seed + 1,
                                      engine=engine)  # fmt: skip
    fit = fit_rows(chosen, predictive)
    joint = joint_share_in_intervals(chosen, predictive)
    coverage = band_coverage(chosen, predictive)
    by_source = rejected_by_source(fit, [t.source or (facts[t.fact].source if t.fact in facts
                                                      else t.fact) for t in chosen])  # fmt: skip
    panels_record = [] if observed is None else record_panels(
        calibrated, observed, reps=figure_reps, seed=seed + 2, engine=engine)
    pp_rows, prior_q, post_q = prior_posterior_rows(prior, cal.names, rows)
    panels = fit_panels(replace(full, posterior=None, end=last), calibrated, chosen,
                        reps=figure_reps, seed=seed + 2, engine=engine)  # fmt: skip
    distinct = distinct_sets(rows)
    inside = all(r["inside_90"] for r in fit)
    params = prior.params()
    last_gen = cal.generations[-1]
    meta = {
        "scenario": str(scenario), "targets": [t.id for t in chosen], "seed": seed,
        "draws_per_generation": draws, "particles": particles,
        "converged": cal.converged and inside and cal.tolerance <= 1.0,
        "particles_collected": cal.converged, "all_targets_inside_90": inside,
        "targets_outside_90": [r["target"] for r in fit if not r["inside_90"]],
        "rows": len(rows), "particles_kept": len(cal.values), "distinct_sets": distinct,
        "effective_sample_size": round(cal.ess, 1),
        "generations": [g.__dict__ for g in cal.generations],
        "acceptance_rate_final": last_gen.accepted / last_gen.proposed,
        "final_tolerance": cal.tolerance,
        "joint_share_in_intervals": joint,
        "horizon": [format_month(prior.start), format_month(last)],
        "priors": {name: params[name].describe() for name in cal.names},
        "git_revision": git_revision(), "execution": {"engine": engine},
        "record": observed.meta() if observed else None,
        "series_coverage": coverage, "sources": by_source,
    }  # fmt: skip
    evidence = None
    if hypotheses is not None:
        meta |= hypothesis_meta(hypotheses, meta["priors"])
        future = replace(full, posterior=replace(calibrated.posterior, overridden=()))
        evidence = {
            "scenario": str(scenario), "seed": seed, "draws_per_generation": draws,
            "targets": [t.id for t in chosen],
            "method": ("acceptance rate at the final tolerance (every target inside its "
                       "interval) of generation 0's prior draws; weights = rates / their sum "
                       "(equal prior odds); Monte Carlo errors binomial, delta method"),
            "variants": hypotheses.variants, "hypotheses": hypotheses.evidence,
            "rows": hypothesis_rows(hypotheses),
            "projections": projections(future, hypotheses, reps=projection_reps,
                                       seed=seed + 3, engine=engine),
        }  # fmt: skip
    sources = sorted({facts[t.fact].citation() for t in chosen if t.fact in facts})
    where = Path(targets_file).name if targets_file else "seeds/targets.toml"
    if target_list is not None:
        where = "a list given in Python"
    elif observed is not None:
        where += f" and the loss record to {observed.last_snapshot}"
    description = f"{full.description} (calibrated to {len(chosen)} targets in {where})"
    record_caption = "" if observed is None else (
        f"Record: Oryx, visually confirmed Russian tank losses by type, snapshots "
        f"{observed.first_snapshot} to {observed.last_snapshot} ({Path(observed.path).name}); "
        f"model: detection share x (1 - unknown share) x true losses of the group's families. "
        f"Scenario: {description}")  # fmt: skip
    arguments = {
        "scenario": full.files[-1], "seed": seed, "draws": draws, "particles": particles,
        "generations": generations, "check_reps": check_reps, "figure_reps": figure_reps,
        "projection_reps": projection_reps,
        "targets_file": None if targets_file is None else str(targets_file),
        "target_list": None if target_list is None else [t.id for t in chosen],
        "record": None if record is None else str(record), "use_record": use_record,
    }  # fmt: skip
    return CalibrationRun(
        source=Path(scenario), name=full.name, description=description, calibration=cal,
        rows=rows, distinct=distinct, fit=fit, converged=meta["converged"],
        prior_posterior=pp_rows, prior_q=prior_q, posterior_q=post_q, panels=panels,
        caption=sources_caption(sources, full.description), meta=meta, evidence=evidence,
        provenance=manifest("calibrate", arguments=arguments, inputs=input_files(
            [full], extra=(() if target_list is not None else
                           (Path(targets_file or default_targets_path()),))
            + ((Path(record),) if record is not None else ())),
            execution={"engine": engine}),
        coverage=coverage, sources=by_source, record_panels=panels_record,
        record_caption=record_caption,
    )  # fmt: skip
