"""The public API for single runs and comparisons: load, run, summarise, compare, plot,
save, report. Plain objects out; no click, no printing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.compare import compare_runs
from sim.analysis.paired import compare_data
from sim.analysis.results import RunData
from sim.analysis.summary import summary
from sim.api.checks import check_run, distinct_names
from sim.api.scenarios import THRESHOLD_SHARE, default_dates, load_scenario
from sim.api.scenarios import facts as facts  # re-exported
from sim.io.compare_data import compare_figure
from sim.io.output import check_target, write_comparison, write_run
from sim.io.report import read_run
from sim.io.report_figures import active_figure, months_figure, storage_figure
from sim.io.report_figures import redraw as _redraw
from sim.io.report_html import Comparison, write_report
from sim.model.calendar import format_month, parse_month
from sim.model.errors import InputError
from sim.model.facts import load_facts
from sim.model.params import Scenario
from sim.present.run_data import run_data
from sim.present.tables import compare_table as _compare_table
from sim.present.tables import headline_table as _headline_table
from sim.runs.chunks import ChunkExecutor
from sim.runs.run import DEFAULT_CHUNK, DEFAULT_REPS, DEFAULT_SEED, RunResult, run_scenario

DEFAULT_REPORT = Path("results") / "report"


def run(
    scenario: Scenario | str | Path,
    *,
    reps: int | None = None,
    seed: int = DEFAULT_SEED,
    deterministic: bool = False,
    keep_paths: bool = True,
    chunk: int = DEFAULT_CHUNK,
    sampling: str = "random",
    executor: ChunkExecutor | None = None,
    progress: Callable[[int], None] | None = None,
    engine: str | None = None,
) -> RunResult:
    """Simulate a scenario (or a scenario file) ``reps`` times.

    Parameters
    ----------
    scenario : a :class:`~sim.model.params.Scenario`, or the path of its TOML file.
    reps : replications, R (default 10,000); with ``deterministic``, expected-value paths,
        one per drawn parameter set (default: one path at the means).
    seed : root seed; runs with the same seed share their random numbers (common random
        numbers), so their differences are paired.
    deterministic : expected values instead of sampled counts (no process noise).
    keep_paths : keep the total active fleet of every replication (needed by :func:`compare`).
    chunk : replications per chunk (a multiple of 1,024); bounds memory, changes no number.
    sampling : how parameters are drawn: ``random``, ``lhs`` or ``sobol``.
    executor : runs the chunks elsewhere (e.g. on Dask); None runs them here.
    progress : called with the replications each finished chunk held.
    engine : ``numpy`` or ``compiled`` (numba; the same numbers), None for the default
        (:mod:`sim.runs.engines`).

    Returns
    -------
    A :class:`~sim.runs.run.RunResult`: ``stats`` (T, V, F + 1, 6), mean, p05, p25, p50, p75,
    p95 over replications of each trajectory (variables in
    :data:`sim.engine.metrics.VARIABLES`, families in ``scenario.family_names`` then
    ``all``), tanks at each month's end; ``metrics``, the per-replication headline metrics,
    (R,) each (months as indices from the start, -1 for never); ``active_paths``, the total
    active fleet (T, R) when ``keep_paths``.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    check_run(scenario, reps=reps, deterministic=deterministic, chunk=chunk,
              sampling=sampling)  # fmt: skip
    return run_scenario(scenario, reps=reps, seed=seed, deterministic=deterministic,
                        chunk=chunk, keep_paths=keep_paths, sampling=sampling,
                        executor=executor, progress=progress, engine=engine)  # fmt: skip




def summarise(result: RunResult) -> dict:
    """The headline metrics as plain data (what ``summary.json`` holds).

    ``metrics`` maps ``active_end``, ``active_weighted_end`` and ``lost_end`` (tanks, or
    T-90M equivalents) to ``{mean, p05, p25, p50, p75, p95}``, and each event month
    (``storage_exhausted``, ``refurb_below_half``, ``active_down_25``) to the same keys as
    ``"YYYY-MM"`` (``None`` past the horizon) plus ``never_share``.
    """
    return summary(result)


def _month(value: str | int) -> int:
    return parse_month(value) if isinstance(value, str) else int(value)


def default_threshold(result: RunResult) -> float:
    """:data:`~sim.api.scenarios.THRESHOLD_SHARE` of the mean first-month active fleet,
    rounded to whole tanks (needs ``keep_paths``)."""
    return float(round(THRESHOLD_SHARE * float(result.active_paths[0].mean())))


def comparison_dates(scenario: Scenario, at: Sequence[str | int] | None = None) -> list[int]:
    """The months of a comparison: ``at`` (``"YYYY-MM"`` or month indices), checked to lie
    within ``scenario``'s horizon, or :func:`~sim.api.scenarios.default_dates`.

    Raises :class:`ValueError` naming a date outside the horizon.
    """
    dates = [_month(d) for d in at] if at else default_dates(scenario.start, scenario.end)
    for month in dates:
        if not scenario.start <= month <= scenario.end:
            raise InputError(f"{{arg:at}} {format_month(month)}: outside the horizon")
    return dates


def compare(
    results: Sequence[RunResult],
    *,
    at: Sequence[str | int] | None = None,
    threshold: float | None = None,
    summaries: dict | None = None,
) -> dict:
    """Paired differences of each run against the first (what ``compare.json`` holds).

    Parameters
    ----------
    results : runs made with ``keep_paths`` and the same seed, replications and horizon.
    at : dates (``"YYYY-MM"`` or month indices) for the active-fleet gains; default each
        December from 2026 and the horizon end (:func:`~sim.api.scenarios.default_dates`).
    threshold : tanks for P(active fleet stays at or above it every month); default
        :func:`default_threshold` of the reference.
    summaries : each run's summary by scenario name, if already computed.

    Returns
    -------
    JSON-ready data: ``reference``, ``reps``, ``seed``, ``threshold``, ``dates``,
    ``summaries`` and ``paired``; each paired difference has its mean, 95% confidence
    interval, p05/p50/p95 and both standard errors (paired and unpaired). A scenario with
    North Korean (supplied) families also has ``conditioned``: the record's foreign entries,
    P(zero confirmed) before and after conditioning on them, and the active-fleet gains with
    its replications weighted by the record (docs/north-korea.md).
    """
    ref = results[0]
    if ref.active_paths is None:
        raise InputError(f"{ref.scenario.name}: run with keep_paths=True to compare")
    dates = comparison_dates(ref.scenario, at)
    if threshold is None:
        threshold = default_threshold(ref)
    from sim.api.foreign import conditioned_weights

    weighed = conditioned_weights(results)
    return compare_runs(list(results), dates, threshold, summaries=summaries,
                        record_weights=weighed)  # fmt: skip


def results(source: RunResult | RunData | str | Path) -> RunData:
    """Figure data of a run in memory, or read back from a results folder.

    Parameters
    ----------
    source : a run, its :class:`~sim.io.report.RunData` (returned as is), or a results
        folder written by ``tanksim run`` (read, not re-run).
    """
    if isinstance(source, RunData):
        return source
    if isinstance(source, RunResult):
        return run_data(source, load_facts())
    return read_run(source)


def plot_fan(source: RunResult | RunData | str | Path, *, ax: Axes | None = None) -> Figure:
    """Fan chart of the active fleet (tanks, p05-p95, p25-p75, median, mean) with published
    estimates of the fleet as observed points; on ``ax`` if given."""
    return active_figure(results(source), load_facts(), ax=ax)


def plot_storage(
    source: RunResult | RunData | str | Path, *, axes: Sequence[Axes] | None = None
) -> Figure:
    """Mean hulls in storage stacked by family and by condition (tanks); two panels."""
    return storage_figure(results(source), load_facts(), axes=axes)


def plot_months(source: RunResult | RunData | str | Path, *, ax: Axes | None = None) -> Figure:
    """ECDFs of the months good+fair storage is exhausted, refurbishment falls below its
    threshold share of capacity and the active fleet falls its threshold share (the run's
    ``[metrics]`` thresholds, stated in the legend), with the share never within the horizon."""
    figure = months_figure(results(source), load_facts(), ax=ax)
    if figure is None:
        raise InputError("no per-replication metrics (metrics.csv) in this results folder")
    return figure


def redraw(folder: str | Path, *, fmt: str = "png") -> list[Path]:
    """Redraw a results folder's figures from its files, as ``<stem>.<fmt>`` inside it (what
    ``tanksim plot`` does); the paths written. Raises
    :class:`~sim.io.report.NotResultsFolder` for anything else."""
    return _redraw(folder, load_facts(), fmt)


def plot_comparison(
    runs: Sequence[RunResult],
    *,
    threshold: float | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Median active fleets and each run's paired-gain fan against the first (tanks).

    The runs need ``keep_paths`` (the default of :func:`run`) and one seed.
    """
    if threshold is None and runs[0].active_paths is not None:
        threshold = default_threshold(runs[0])
    return compare_figure(compare_data(list(runs), threshold), axes=axes)


def save_run(
    result: RunResult, folder: str | Path, *, force: bool = False, facts: dict | None = None
) -> RunData:
    """Write a run's results folder and return what was written, as :class:`RunData`.

    The summary (``.summary``, what ``summary.json`` holds) and manifest are computed once,
    here; ``facts`` (default: read now) are the facts its manifest and captions cite.
    """
    known = load_facts() if facts is None else facts
    data = run_data(result, known)
    write_run(data, Path(folder), known, force=force)
    return data


def save_comparison(
    results: Sequence[RunResult], comparison: dict, folder: str | Path, *, force: bool = False
) -> Path:
    """Write a comparison folder: compare.json (``comparison``, from :func:`compare`),
    compare.csv and compare.png; refuses an existing one unless ``force``."""
    from sim.present.manifest import compare_manifest

    figure = compare_figure(compare_data(list(results), comparison["threshold"]))
    return write_comparison(Path(folder), comparison, figure, force=force,
                            manifest=compare_manifest(list(results), comparison))  # fmt: skip


def headline_table(runs: Sequence[RunResult | dict]) -> str:
    """A plain-text table of the headline metrics (runs or their summaries)."""
    return _headline_table([r if isinstance(r, dict) else summary(r) for r in runs])


def compare_table(comparison: dict) -> str:
    """A plain-text table of a :func:`compare` result."""
    return _compare_table(comparison)


def report(
    sources: Sequence[RunResult | Scenario | str | Path],
    out: str | Path = DEFAULT_REPORT,
    *,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    engine: str | None = None,
    progress: Callable[[int], None] | None = None,
    track: Callable | None = None,
) -> Path:
    """Write a self-contained report folder (``report.html``, figures, CSV) for runs.

    Parameters
    ----------
    sources : runs, scenarios or scenario files (run here with ``reps`` and ``seed``), or
        results folders (read, not re-run). With several, the report compares each against
        the first when all are runs or scenarios with one seed, replication count and
        horizon.
    out : the report folder; refused if it exists unless ``force``. Nothing appears there
        until it is done.
    engine : ``numpy`` or ``compiled`` for the scenarios run here (the same numbers), None
        for the default (:func:`sim.runs.engines.default`); each run's manifest records it.
    progress : called with each finished chunk's replications of the scenarios run here
        (``reps`` times their number in all; see :func:`report_replications`).
    track : instead of ``progress``, ``track(total, label)``, a context manager yielding it
        (:data:`sim.api.saved.Track`), entered only when something runs here.

    Returns
    -------
    The report folder's path.
    """
    if track is not None:
        total = report_replications(sources, reps)
        with track(max(total, 1), "report") if total else nullcontext(None) as step:
            return report(sources, out, reps=reps, seed=seed, force=force, engine=engine,
                          progress=step)  # fmt: skip
    from sim.analysis.budget import check_compare_budget
    from sim.present.manifest import input_files, manifest

    target = Path(out)
    check_target(target, force)
    known = load_facts()
    loaded: list[RunResult | RunData | Scenario] = []
    given = []
    for src in sources:
        if isinstance(src, RunResult | Scenario):
            loaded.append(src)
            given.append({"kind": "memory", "path": None})
        elif Path(src).is_dir():
            loaded.append(read_run(src))
            given.append({"kind": "results", "path": str(src)})
        else:
            loaded.append(load_scenario(src, facts=known))
            given.append({"kind": "scenario", "path": str(src)})
    names = [x.name if isinstance(x, RunData | Scenario) else x.scenario.name for x in loaded]
    if len(set(names)) != len(names):
        distinct_names(names)
    to_run = [x for x in loaded if isinstance(x, Scenario)]
    if to_run:
        check_compare_budget(f"{{arg:reps}} {reps:,} x {len(to_run)} scenarios", to_run, reps)
    runs = [
        run_scenario(x, reps=reps, seed=seed, keep_paths=True, engine=engine,
                     progress=progress)
        if isinstance(x, Scenario) else x
        for x in loaded
    ]
    data = [x if isinstance(x, RunData) else run_data(x, known) for x in runs]
    comparison, notes = paired_comparison(runs, summaries={d.name: d.summary for d in data})
    engines = {(r.execution or {}).get("engine") for r in runs if isinstance(r, RunResult)}
    record = manifest(
        "report",
        arguments={"sources": [{"name": n, **g} for n, g in zip(names, given)], "reps": reps,
                   "seed": seed},
        inputs=input_files([r.scenario for r in runs if isinstance(r, RunResult)],
                           extra=tuple(Path(g["path"]) / "manifest.json" for g in given
                                       if g["kind"] == "results")),
        execution={"engine": engines.pop() if len(engines) == 1 else None},
    )  # fmt: skip
    return write_report(target, data, known, comparison=comparison, notes=notes, force=force,
                        provenance=record)  # fmt: skip


def report_replications(sources: Sequence, reps: int) -> int:
    """Replications :func:`report` runs for ``sources``: ``reps`` for each that is not a
    results folder or a finished run (for a progress bar's length)."""
    return reps * sum(
        1 for src in sources
        if isinstance(src, Scenario) or (not isinstance(src, RunResult) and not Path(src).is_dir())
    )  # fmt: skip


def paired_comparison(
    runs: list, *, summaries: dict | None = None
) -> tuple[Comparison | None, tuple[str, ...]]:
    """The report's comparison of runs against the first, or None and the reason why not;
    ``summaries`` (by scenario name) are reused rather than computed again."""
    if len(runs) < 2:
        return None, ()
    if not all(isinstance(r, RunResult) and r.active_paths is not None for r in runs):
        return None, (
            "No paired comparison: it needs every replication's path, which results "
            "folders do not keep; give scenario files instead to run them together.",
        )
    ref = runs[0]
    key = (ref.reps, ref.seed, ref.scenario.start, ref.scenario.end)
    if any((r.reps, r.seed, r.scenario.start, r.scenario.end) != key for r in runs):
        return None, ("No paired comparison: the runs differ in seed, replications or horizon.",)
    threshold = default_threshold(ref)
    table = compare(runs, threshold=threshold, summaries=summaries)
    return Comparison(compare_data(runs, threshold), table), ()


def supply_needed(
    scenario: Scenario | str | Path,
    *,
    keep_active: float,
    until: str | int,
    prob: float,
    family: str | None = None,
    reps: int = 1000,
    seed: int = DEFAULT_SEED,
    max_rate: float = 100.0,
    grid: int = 21,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """The smallest monthly supply of ``family`` (tanks/month) keeping the active fleet at
    or above ``keep_active`` tanks in every month from the supply's start to ``until``
    (``"YYYY-MM"``) with probability at least ``prob``; JSON-ready data (see
    :mod:`sim.analysis.supply_needed`). ``grid`` rates from 0 to ``max_rate`` are each run
    ``reps`` times with one ``seed``, on ``engine`` (``numpy`` or ``compiled``, None for the
    default; the same numbers); ``progress`` is called with each finished chunk's
    replications (``reps * grid`` in all). ``conditioned`` gives the answer with the
    replications weighed against the loss record's foreign entries, when the record reads
    the supplied family within the horizon. Raises
    :class:`~sim.analysis.supply_needed.SupplyNeededError` when it cannot be asked so.
    """
    from sim.analysis.budget import METRIC_BYTES, check_budget
    from sim.analysis.supply_needed import supply_needed as answer
    from sim.model.record import load_record

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    try:
        last = _month(until)
    except ValueError:
        raise InputError(f"{{arg:until}} = {until!r}: must be YYYY-MM") from None
    # one rate at a time: each replication's active path (float64) and metrics
    check_budget(f"{{arg:reps}} {reps:,} x {{arg:grid}} {grid:,}", reps * grid, scenario.months,
                 reps * (scenario.months * 8 + METRIC_BYTES))  # fmt: skip
    return answer(scenario, keep_active=keep_active, until=last, prob=prob,
                  family=family, reps=reps, seed=seed, max_rate=max_rate, grid=grid,
                  executor=executor, engine=engine, progress=progress,
                  record=load_record())  # fmt: skip
