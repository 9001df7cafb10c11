"""``tanksim run``, ``tanksim compare`` and ``tanksim supply-needed``: parse, call
:mod:`sim.api`, print. Scenarios are read and every option checked before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sim.api.scenarios import THRESHOLD_SHARE
from sim.cli.options import FiniteFloat, engine_option, month, parallel_options
from sim.cli.progress import progress_bar
from sim.engine.streams import BLOCK
from sim.runs.designs import SAMPLINGS, sobol_points_used
from sim.runs.run import DEFAULT_CHUNK, DEFAULT_REPS, DEFAULT_SEED

RESULTS_ROOT = Path("results")
#: Highest --max-rate searched by supply-needed, tanks/month: far above any plausible
#: supply, and low enough that the counts it implies fit the engine's integers.
MAX_SUPPLY_RATE = 100_000.0


def _load(paths: tuple[str, ...], start: str | None = None, end: str | None = None):
    from sim.api import scenarios

    facts = scenarios.facts()
    return [scenarios.load_scenario(p, start=start, end=end, facts=facts) for p in paths], facts


def _targets(names: list[str], out: str | None) -> list[Path]:
    if len(set(names)) != len(names):
        raise click.UsageError(f"two scenarios share a name: {', '.join(names)}")
    if out is None:
        return [RESULTS_ROOT / n for n in names]
    if len(names) == 1:
        return [Path(out)]
    return [Path(out) / n for n in names]


def _sobol_note(sampling: str, reps: int, quiet: bool) -> None:
    """Say so when Sobol' points are cut short of a power of two."""
    if sampling == "sobol" and sobol_points_used(reps) != reps and not quiet:
        click.echo(f"note: --sampling sobol uses the first {reps:,} of "
                   f"{sobol_points_used(reps):,} Sobol' points; a power of two keeps "
                   "their balance properties", err=True)  # fmt: skip


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--reps", default=None, show_default=str(DEFAULT_REPS), type=click.IntRange(min=1),
              help="Replications; with --deterministic, expected-value paths, one per drawn "
              "parameter set (without it, one path at the means).")  # fmt: skip
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--start", default=None,
              help="The scenario's own first month only (its stocks describe that month).")
@click.option("--end", default=None, help="Last month, YYYY-MM (default: the scenario's).")
@click.option("--deterministic", is_flag=True,
              help="Expected-value paths, no process noise (see --reps).")  # fmt: skip
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Results folder.")
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json only, to stdout.")
@click.option("--chunk", default=DEFAULT_CHUNK, show_default=True, type=click.IntRange(min=1),
              help="Replications per chunk (memory bound); does not change results.")  # fmt: skip
@click.option("--sampling", type=click.Choice(SAMPLINGS), default="random", show_default=True,
              help="How parameters are drawn: independent, Latin hypercube or Sobol'.")  # fmt: skip
@engine_option
@parallel_options
def run(scenarios, reps, seed, start, end, deterministic, out, force, as_json, chunk,
        sampling, engine, executor) -> None:  # fmt: skip
    """Run SCENARIO files and write results (default: results/<scenario>/)."""
    if chunk % BLOCK:
        raise click.UsageError(f"--chunk = {chunk}: must be a multiple of {BLOCK}")
    if deterministic and sampling != "random" and reps is None:
        raise click.UsageError(f"--sampling {sampling}: a --deterministic run draws nothing "
                               "without --reps (one path at the means)")  # fmt: skip
    if reps is None and not deterministic:
        reps = DEFAULT_REPS
    _sobol_note(sampling, reps or 1, as_json or deterministic)
    loaded, facts = _load(scenarios, start, end)
    from sim.analysis.budget import check_run_budget

    for scenario in loaded:
        paths = reps or 1
        what = f"--reps {paths:,}" + ("" if deterministic else f" --chunk {chunk:,}")
        check_run_budget(what, scenario, paths, deterministic, chunk=chunk)
    from sim import api
    from sim.present.tables import headline_table

    targets = _targets([s.name for s in loaded], out)
    for target in targets:
        api.check_target(target, force)
    from sim.runs.engines import compiled_in_this_process

    summaries, compiled_note = [], True
    for scenario, target in zip(loaded, targets):
        quiet = as_json or reps is None  # reps is None: one path at the means
        with progress_bar(reps or 1, scenario.name, enabled=not quiet) as step:
            result = api.run(
                scenario, reps=reps, seed=seed, deterministic=deterministic, chunk=chunk,
                executor=executor, sampling=sampling, progress=step, keep_paths=False,
                engine=engine,
            )  # fmt: skip
        data = api.save_run(result, target, force=force, facts=facts)
        warning = api.record_warning(result)
        if warning:
            click.echo(warning, err=True)
        summaries.append(data.summary)
        if not as_json:
            note = ""
            if compiled_note and compiled_in_this_process():
                note = " (including compiling the compiled engine: once after installing)"
                compiled_note = False
            click.echo(f"wrote {target}/ in {result.seconds:.1f} s{note}", err=True)
    if as_json:
        data = summaries[0] if len(summaries) == 1 else {s["scenario"]: s for s in summaries}
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(headline_table(summaries))


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--reps", default=DEFAULT_REPS, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--at", "dates", multiple=True, help="Dates (YYYY-MM) for the paired gains; "
              "default: each December from 2026 and the horizon end.")  # fmt: skip
@click.option("--threshold", type=FiniteFloat(min=0), default=None,
              help="Active-fleet level (tanks) for P(stays above); default "
              f"{THRESHOLD_SHARE:.0%} of the reference's mean first-month fleet.")  # fmt: skip
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Results folder.")
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
@click.option("--json", "as_json", is_flag=True, help="Print compare.json only, to stdout.")
@click.option("--sampling", type=click.Choice(SAMPLINGS), default="random", show_default=True,
              help="How parameters are drawn: independent, Latin hypercube or Sobol'.")  # fmt: skip
@engine_option
@parallel_options
def compare(scenarios, reps, seed, dates, threshold, out, force, as_json, sampling, engine,
            executor) -> None:  # fmt: skip
    """Run SCENARIOS with the same seed; paired differences against the first."""
    if len(scenarios) < 2:
        raise click.UsageError("compare needs at least two scenarios")
    _sobol_note(sampling, reps, as_json)
    at = [month(d, "--at") for d in dates]
    loaded, _ = _load(scenarios)
    from sim.analysis.budget import check_compare_budget

    check_compare_budget(f"--reps {reps:,} x {len(loaded)} scenarios", loaded, reps)
    from sim import api
    from sim.model.calendar import format_month
    from sim.present.tables import compare_table, definitions_text

    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        raise click.UsageError(f"two scenarios share a name: {', '.join(names)}")
    first = loaded[0]
    if any((s.start, s.end) != (first.start, first.end) for s in loaded):
        raise click.UsageError("compared scenarios need the same horizon")
    target = Path(out) if out else RESULTS_ROOT / ("compare-" + "-".join(names))
    api.check_target(target, force)
    for m in at:
        if not first.start <= m <= first.end:
            raise click.UsageError(f"--at {format_month(m)}: outside the horizon")
    with progress_bar(reps * len(loaded), "compare", enabled=not as_json) as step:
        results = [
            api.run(s, reps=reps, seed=seed, keep_paths=True, executor=executor,
                    sampling=sampling, progress=step, engine=engine)
            for s in loaded
        ]  # fmt: skip
    data = api.compare(results, at=at or None, threshold=threshold)
    for name, pair in data["paired"].items():
        differ = definitions_text(pair, data["reference"], name)
        if differ:
            click.echo(f"tanksim: warning: {name} against {data['reference']}: {differ}; "
                       "a paired difference of a metric defined differently is not shown "
                       "as one", err=True)  # fmt: skip
    api.save_comparison(results, data, target, force=force)
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(f"wrote {target}/", err=True)
        click.echo(compare_table(data))


@click.command(name="supply-needed")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--keep-active", required=True, type=FiniteFloat(min=0),
              help="Active-fleet level (tanks) to stay at or above.")  # fmt: skip
@click.option("--until", required=True, help="Last month (YYYY-MM) it must hold.")
@click.option("--prob", required=True, type=FiniteFloat(0, 1), help="Required probability.")
@click.option("--family", default=None, help="Foreign family whose supply rate is searched.")
@click.option("--reps", default=1000, show_default=True, type=click.IntRange(min=10))
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--max-rate", default=100.0, show_default=True,
              type=FiniteFloat(min=0, max=MAX_SUPPLY_RATE),
              help="Highest monthly rate searched (tanks/month).")  # fmt: skip
@click.option("--grid", default=21, show_default=True, type=click.IntRange(min=3),
              help="Rates evaluated between 0 and --max-rate.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON only.")
@engine_option
@parallel_options
def supply_needed_command(scenario, keep_active, until, prob, family, reps, seed, max_rate,
                          grid, as_json, engine, executor) -> None:  # fmt: skip
    """Smallest monthly supply keeping the active fleet >= N until a date with probability P."""
    last = month(until, "--until")
    (loaded,), _ = _load((scenario,))
    # one rate at a time: each replication's active path (float64) and metrics
    from sim.analysis.budget import METRIC_BYTES, check_budget

    check_budget(f"--reps {reps:,} x --grid {grid:,}", reps * grid, loaded.months,
                 reps * (loaded.months * 8 + METRIC_BYTES))
    from sim import api
    from sim.present.tables import supply_text

    with progress_bar(reps * grid, "supply-needed", enabled=not as_json) as step:
        answer = api.supply_needed(
            loaded, keep_active=keep_active, until=last, prob=prob, family=family, reps=reps,
            seed=seed, max_rate=max_rate, grid=grid, executor=executor, engine=engine,
            progress=step,
        )  # fmt: skip
    click.echo(json.dumps(answer, indent=2) if as_json else supply_text(answer))
