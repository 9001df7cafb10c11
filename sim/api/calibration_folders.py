"""The folders of ``tanksim calibrate`` and ``tanksim hindcast``, written with one call each
from Python exactly as the commands write them (:class:`~sim.api.saved.Saved`).

``progress``, ``report``, ``announce`` and ``plan`` are the callbacks of
:func:`sim.api.calibration.calibrate`: replications done, each ABC-SMC generation,
each hypothesis before it is fitted, and how many ABC-SMC runs the job makes (once, before
the first). Nothing here prints or imports click.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim import defaults
from sim.api.checks import check_sizes
from sim.api.saved import Saved, target_folder, write_atomically

if TYPE_CHECKING:
    from sim.runs.chunks import ChunkExecutor


def save_calibration(
    scenario: str | Path,
    *,
    draws: int = defaults.DRAWS,
    particles: int = defaults.PARTICLES,
    generations: int = defaults.GENERATIONS,
    seed: int = defaults.SEED,
    targets_file: str | Path | None = None,
    record: str | Path | None = None,
    use_record: bool = True,
    check_reps: int = defaults.CHECK_REPS,
    figure_reps: int | None = None,
    projection_reps: int | None = None,
    out: str | Path | None = None,
    force: bool = False,
    engine: str | None = None,
    executor: ChunkExecutor | None = None,
    progress: Callable[[int], None] | None = None,
    report: Callable | None = None,
    announce: Callable[[str], None] | None = None,
    plan: Callable[[int], None] | None = None,
) -> Saved:
    """Calibrate the scenario file ``scenario`` by ABC-SMC (every hypothesis it names, mixed
    by evidence: :func:`sim.api.calibration.calibrate`) and write its folder to ``out``
    (default ``results/calibrate-<file name>/``), as ``tanksim calibrate`` does. ``data`` is
    what ``--json`` prints: whether it converged, rows, distinct sets, effective sample
    size and the fit to each target. ``figure_reps`` and ``projection_reps`` (None: the
    command's, :data:`sim.api.calibration.FIGURE_REPS` and ``PROJECTION_REPS``) are the
    replications behind fit.png's bands and evidence.json's projections."""
    from sim.api.calibration import FIGURE_REPS, PROJECTION_REPS, calibrate
    from sim.io.calibration_outputs import write_calibration
    from sim.present.explore_text import fit_text

    check_sizes(draws, particles)
    target = target_folder(out, f"calibrate-{Path(scenario).stem}", force)
    run = calibrate(
        scenario, targets_file=targets_file, draws=draws, particles=particles,
        generations=generations, seed=seed, check_reps=check_reps,
        figure_reps=FIGURE_REPS if figure_reps is None else figure_reps,
        projection_reps=PROJECTION_REPS if projection_reps is None else projection_reps,
        executor=executor,
        engine=engine, record=record, use_record=use_record, progress=progress, report=report,
        announce=announce, plan=plan,
    )  # fmt: skip
    write_atomically(target, force, lambda folder: write_calibration(folder, run))
    data = {"converged": run.converged, "rows": len(run.rows), "distinct_sets": run.distinct,
            "effective_sample_size": round(run.ess, 1), "fit": run.fit}  # fmt: skip
    return Saved(target, 0.0, run, data, fit_text(run))


def save_hindcast(
    scenario: str | Path,
    untils: Sequence[str],
    *,
    draws: int = defaults.DRAWS,
    particles: int = defaults.PARTICLES,
    generations: int = defaults.GENERATIONS,
    reps: int = defaults.HINDCAST_REPS,
    seed: int = defaults.SEED,
    targets_file: str | Path | None = None,
    record: str | Path | None = None,
    use_record: bool = True,
    out: str | Path | None = None,
    force: bool = False,
    engine: str | None = None,
    progress: Callable[[int], None] | None = None,
    report: Callable | None = None,
    announce: Callable[[str], None] | None = None,
    plan: Callable[[int], None] | None = None,
) -> Saved:
    """Hindcast the scenario file at each cut-off of ``untils`` (``YYYY-MM``;
    :func:`sim.api.hindcasting.hindcast`) and write its folder to ``out`` (default
    ``results/hindcast-<file name>-<cut-offs joined by +>/``; with several cut-offs one
    subfolder each and cuts.csv across them), as ``tanksim hindcast`` does."""
    from sim.api.hindcasting import cut_rows, hindcast, json_safe
    from sim.io.hindcast_outputs import write_hindcast, write_hindcast_cuts
    from sim.present.explore_text import hindcast_cuts_text, hindcast_text

    untils = [untils] if isinstance(untils, str) else list(untils)
    check_sizes(draws, particles)
    target = target_folder(out, f"hindcast-{Path(scenario).stem}-{'+'.join(untils)}", force)
    runs = hindcast(scenario, untils, targets_file=targets_file, draws=draws,
                    particles=particles, generations=generations, reps=reps, seed=seed,
                    engine=engine, record=record, use_record=use_record, progress=progress,
                    report=report, announce=announce, plan=plan)  # fmt: skip
    documents = [{"until": r.meta["until"], "summary": r.summary, "scored": r.rows,
                  "by_horizon": r.meta["forecast_scores"]["by_horizon"]} for r in runs]
    text = "\n\n".join(hindcast_text(run) for run in runs)
    if len(runs) == 1:
        write_atomically(target, force, lambda folder: write_hindcast(folder, runs[0]))
        return Saved(target, 0.0, runs, documents[0], text)
    cuts = cut_rows(runs)
    write_atomically(target, force, lambda folder: write_hindcast_cuts(folder, runs, cuts))
    return Saved(target, 0.0, runs, {"cuts": json_safe(cuts), "runs": documents},
                 text + "\n\n" + hindcast_cuts_text(cuts))  # fmt: skip
