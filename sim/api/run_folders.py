"""The folders of ``tanksim run`` and ``tanksim compare``, written with one call each from
Python exactly as the commands write them (:class:`~sim.api.saved.Saved`).

Every scenario is read and every check made (names, horizons, dates, replication and
memory budgets, target folders) before the first replication runs. Nothing here prints or
imports click; ``track(total, label)`` is how a caller shows progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim import defaults
from sim.api.checks import check_run, distinct_names
from sim.api.saved import Saved, Track, untracked
from sim.model.errors import InputError

if TYPE_CHECKING:
    from sim.runs.chunks import ChunkExecutor


def _sobol_note(sampling: str, reps: int) -> tuple[str, ...]:
    """A note when Sobol' points are cut short of a power of two."""
    from sim.runs.designs import sobol_points_used

    if sampling == "sobol" and sobol_points_used(reps) != reps:
        return (f"note: {{arg:sampling}} sobol uses the first {reps:,} of "
                f"{sobol_points_used(reps):,} Sobol' points; a power of two keeps "
                "their balance properties",)  # fmt: skip
    return ()


def _loaded(paths: Sequence[str | Path], start: str | None = None, end: str | None = None):
    from sim.api import scenarios

    facts = scenarios.facts()
    return [scenarios.load_scenario(p, start=start, end=end, facts=facts) for p in paths], facts


def save_runs(
    scenarios: Sequence[str | Path],
    *,
    reps: int | None = None,
    seed: int = defaults.SEED,
    start: str | None = None,
    end: str | None = None,
    deterministic: bool = False,
    chunk: int | None = None,
    sampling: str = "random",
    out: str | Path | None = None,
    force: bool = False,
    engine: str | None = None,
    executor: ChunkExecutor | None = None,
    track: Track = untracked,
) -> Saved:
    """Run each scenario file and write its results folder, as ``tanksim run`` does: at
    ``out`` for one scenario, ``out/<name>/`` for several (default ``results/<name>/``).
    ``reps`` defaults to :data:`sim.defaults.REPS` (deterministic: one path at the means).
    ``data`` is summary.json (one scenario) or each scenario's by name; ``text`` the
    headline table; ``notes`` the lines saying where each folder went."""
    from sim.io.folders import check_target

    chunk = defaults.CHUNK if chunk is None else chunk
    if reps is None and not deterministic:
        reps = defaults.REPS
    loaded, facts = _loaded(scenarios, start, end)
    for scenario in loaded:
        check_run(scenario, reps=reps, deterministic=deterministic, chunk=chunk,
                  sampling=sampling)  # fmt: skip
    names = [s.name for s in loaded]
    distinct_names(names)
    root = Path(defaults.RESULTS_ROOT) if out is None else Path(out)
    targets = [Path(out)] if out is not None and len(names) == 1 else [root / n for n in names]
    for target in targets:
        check_target(target, force)
    from sim import api  # the figures' libraries: once the input is known good
    from sim.present.tables import headline_table
    from sim.runs.engines import compiled_in_this_process

    lines = [] if deterministic else list(_sobol_note(sampling, reps or 1))
    summaries, warnings, note = [], [], True
    for scenario, target in zip(loaded, targets):
        with track(reps or 1, scenario.name) as step:
            result = api.run(scenario, reps=reps, seed=seed, deterministic=deterministic,
                             chunk=chunk, executor=executor, sampling=sampling, progress=step,
                             keep_paths=False, engine=engine)  # fmt: skip
        summaries.append(api.save_run(result, target, force=force, facts=facts).summary)
        warning = api.record_warning(result)  # the scenario's own assumptions against the record
        if warning:
            warnings.append(warning)
        first = note and compiled_in_this_process()
        note = note and not first
        lines.append(f"wrote {target}/ in {result.seconds:.1f} s" + (
            " (including compiling the compiled engine: once after installing)" if first
            else ""))  # fmt: skip
    data = summaries[0] if len(summaries) == 1 else {s["scenario"]: s for s in summaries}
    folder = targets[0] if len(targets) == 1 else root
    return Saved(folder, 0.0, summaries, data, headline_table(summaries), tuple(warnings),
                 notes=tuple(lines))


def save_compare(
    scenarios: Sequence[str | Path],
    *,
    reps: int = defaults.REPS,
    seed: int = defaults.SEED,
    at: Sequence[str] = (),
    threshold: float | None = None,
    sampling: str = "random",
    out: str | Path | None = None,
    force: bool = False,
    engine: str | None = None,
    executor: ChunkExecutor | None = None,
    track: Track = untracked,
) -> Saved:
    """Run the scenario files with one seed and write the paired comparison against the
    first, as ``tanksim compare`` does (default ``results/compare-<names joined by ->/``).
    ``data`` is compare.json; ``text`` the comparison table; ``warnings`` the metrics
    defined differently in two scenarios (not paired)."""
    from sim.analysis.budget import check_compare_budget
    from sim.io.folders import check_target
    from sim.model.calendar import format_month, parse_month

    if len(scenarios) < 2:
        raise InputError("compare needs at least two scenarios")
    notes = list(_sobol_note(sampling, reps))
    months = []
    for date in at:
        try:
            months.append(parse_month(date))
        except ValueError:
            raise InputError(f"{{arg:at}} = {date!r}: must be YYYY-MM") from None
    loaded, _ = _loaded(scenarios)
    check_compare_budget(f"{{arg:reps}} {reps:,} x {len(loaded)} scenarios", loaded, reps)
    names = [s.name for s in loaded]
    distinct_names(names)
    first = loaded[0]
    if any((s.start, s.end) != (first.start, first.end) for s in loaded):
        raise InputError("compared scenarios need the same horizon")
    target = Path(out) if out else Path(defaults.RESULTS_ROOT) / ("compare-" + "-".join(names))
    check_target(target, force)
    for m in months:
        if not first.start <= m <= first.end:
            raise InputError(f"{{arg:at}} {format_month(m)}: outside the horizon")
    from sim import api  # the figures' libraries: once the input is known good
    from sim.present.tables import compare_table, definitions_text

    with track(reps * len(loaded), "compare") as step:
        results = [api.run(s, reps=reps, seed=seed, keep_paths=True, executor=executor,
                           sampling=sampling, progress=step, engine=engine)
                   for s in loaded]  # fmt: skip
    data = api.compare(results, at=months or None, threshold=threshold)
    warnings = []
    for name, pair in data["paired"].items():
        differ = definitions_text(pair, data["reference"], name)
        if differ:
            warnings.append(f"{name} against {data['reference']}: {differ}; a paired "
                            "difference of a metric defined differently is not shown as one")
    api.save_comparison(results, data, target, force=force)
    return Saved(target, 0.0, results, data, compare_table(data), tuple(warnings),
                 notes=tuple(notes))  # fmt: skip
