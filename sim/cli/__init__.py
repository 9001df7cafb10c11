"""The ``tanksim`` command: a thin shell that parses, calls the model, and writes files.

Every input error is one line on stderr and exit code 2, with no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sim import __version__
from sim.analysis.compare import COMPARE_COLUMNS, compare_rows, compare_runs
from sim.analysis.summary import summary
from sim.analysis.supply_needed import SupplyNeededError, supply_needed
from sim.cli.calibrate import calibrate_command
from sim.cli.explore import discover_command, sensitivity_command, sweep_command
from sim.cli.progress import progress_bar
from sim.cli.report import plot, report
from sim.cli.rerun import rerun_command
from sim.engine.streams import BLOCK
from sim.io.output import (
    OutputExistsError,
    check_target,
    write_csv,
    write_folder,
    write_json,
    write_results,
)
from sim.io.plots import comparison_chart
from sim.model.calendar import format_month, parse_month
from sim.model.facts import FactsError, format_facts, load_facts
from sim.model.loader import ScenarioError, load_scenario
from sim.parallel import parallel_options
from sim.present.tables import compare_table, headline_table, supply_text
from sim.runs.designs import SAMPLINGS, sobol_points_used
from sim.runs.run import DEFAULT_CHUNK, DEFAULT_REPS, DEFAULT_SEED, run_scenario

USAGE_ERROR = 2
RESULTS_ROOT = Path("results")


def _load(paths: tuple[str, ...], start: str | None = None, end: str | None = None):
    fact_ids = set(load_facts())
    return [load_scenario(p, fact_ids=fact_ids, start=start, end=end) for p in paths]


def _targets(names: list[str], out: str | None) -> list[Path]:
    if len(set(names)) != len(names):
        raise click.UsageError(f"two scenarios share a name: {', '.join(names)}")
    if out is None:
        return [RESULTS_ROOT / n for n in names]
    if len(names) == 1:
        return [Path(out)]
    return [Path(out) / n for n in names]


@click.group()
@click.version_option(__version__, prog_name="tanksim")
def cli() -> None:
    """Russia's tank inventory under attrition, with and without North Korean supply."""


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--reps", default=None, show_default=str(DEFAULT_REPS), type=click.IntRange(min=1),
              help="Replications; with --deterministic, expected-value paths, one per drawn "
              "parameter set (without it, one path at the means).")  # fmt: skip
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--start", default=None, help="First month, YYYY-MM (default: the scenario's).")
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
@parallel_options
def run(scenarios, reps, seed, start, end, deterministic, out, force, as_json, chunk,
        sampling, executor) -> None:  # fmt: skip
    """Run SCENARIO files and write results (default: results/<scenario>/)."""
    if chunk % BLOCK:
        raise click.UsageError(f"--chunk = {chunk}: must be a multiple of {BLOCK}")
    if deterministic and sampling != "random" and reps is None:
        raise click.UsageError(f"--sampling {sampling}: a --deterministic run draws nothing "
                               "without --reps (one path at the means)")  # fmt: skip
    if reps is None and not deterministic:
        reps = DEFAULT_REPS
    _sobol_note(sampling, reps or 1, as_json or deterministic)
    loaded = _load(scenarios, start, end)
    targets = _targets([s.name for s in loaded], out)
    for target in targets:
        check_target(target, force)
    facts = load_facts()
    summaries = []
    for scenario, target in zip(loaded, targets):
        quiet = as_json or reps is None  # reps is None: one path at the means
        with progress_bar(reps or 1, scenario.name, enabled=not quiet) as step:
            result = run_scenario(
                scenario, reps=reps, seed=seed, deterministic=deterministic, chunk=chunk,
                executor=executor, sampling=sampling, progress=step,
            )  # fmt: skip
        write_results(result, target, facts, force=force)
        summaries.append(summary(result))
        if not as_json:
            click.echo(f"wrote {target}/ in {result.seconds:.1f} s", err=True)
    if as_json:
        data = summaries[0] if len(summaries) == 1 else {s["scenario"]: s for s in summaries}
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(headline_table(summaries))


def _sobol_note(sampling: str, reps: int, quiet: bool) -> None:
    """Say so when Sobol' points are cut short of a power of two."""
    if sampling == "sobol" and sobol_points_used(reps) != reps and not quiet:
        click.echo(f"note: --sampling sobol uses the first {reps:,} of "
                   f"{sobol_points_used(reps):,} Sobol' points; a power of two keeps "
                   "their balance properties", err=True)  # fmt: skip


def _month_option(value: str, option: str) -> int:
    try:
        return parse_month(value)
    except ValueError:
        raise click.UsageError(f"{option} = {value!r}: must be YYYY-MM") from None


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--reps", default=DEFAULT_REPS, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--at", "dates", multiple=True, help="Dates (YYYY-MM) for the paired gains; "
              "default: each December from 2026 and the horizon end.")  # fmt: skip
@click.option("--threshold", type=float, default=None,
              help="Active-fleet level for P(stays above); default 75% of the reference's "
              "mean first-month fleet.")  # fmt: skip
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Results folder.")
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
@click.option("--json", "as_json", is_flag=True, help="Print compare.json only, to stdout.")
@click.option("--sampling", type=click.Choice(SAMPLINGS), default="random", show_default=True,
              help="How parameters are drawn: independent, Latin hypercube or Sobol'.")  # fmt: skip
@parallel_options
def compare(scenarios, reps, seed, dates, threshold, out, force, as_json, sampling,
            executor) -> None:  # fmt: skip
    """Run SCENARIOS with the same seed; paired differences against the first."""
    if len(scenarios) < 2:
        raise click.UsageError("compare needs at least two scenarios")
    _sobol_note(sampling, reps, as_json)
    loaded = _load(scenarios)
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        raise click.UsageError(f"two scenarios share a name: {', '.join(names)}")
    first = loaded[0]
    if any((s.start, s.end) != (first.start, first.end) for s in loaded):
        raise click.UsageError("compared scenarios need the same horizon")
    target = Path(out) if out else RESULTS_ROOT / ("compare-" + "-".join(names))
    check_target(target, force)
    at = [_month_option(d, "--at") for d in dates] or default_dates(first.start, first.end)
    for month in at:
        if not first.start <= month <= first.end:
            raise click.UsageError(f"--at {format_month(month)}: outside the horizon")
    total = reps * len(loaded)
    with progress_bar(total, "compare", enabled=not as_json) as step:
        results = [
            run_scenario(s, reps=reps, seed=seed, keep_paths=True, executor=executor,
                         sampling=sampling, progress=step)
            for s in loaded
        ]  # fmt: skip
    if threshold is None:
        threshold = round(0.75 * float(results[0].active_paths[0].mean()))
    data = compare_runs(results, at, threshold)

    def write(folder: Path) -> None:
        write_json(folder / "compare.json", data)
        write_csv(folder / "compare.csv", COMPARE_COLUMNS, compare_rows(data))
        comparison_chart(results, threshold).savefig(
            folder / "compare.png", dpi=150, bbox_inches="tight"
        )

    write_folder(target, write, force=force)
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(f"wrote {target}/", err=True)
        click.echo(compare_table(data))


def default_dates(start: int, end: int) -> list[int]:
    """Each December from 2026 on, and the horizon end."""
    decembers = [y * 12 + 11 for y in range(2026, end // 12 + 1) if start <= y * 12 + 11 <= end]
    return sorted({*decembers, end})


@cli.command(name="supply-needed")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--keep-active", required=True, type=click.FloatRange(min=0),
              help="Active-fleet level (tanks) to stay at or above.")  # fmt: skip
@click.option("--until", required=True, help="Last month (YYYY-MM) it must hold.")
@click.option("--prob", required=True, type=click.FloatRange(0, 1), help="Required probability.")
@click.option("--family", default=None, help="Foreign family whose supply rate is searched.")
@click.option("--reps", default=1000, show_default=True, type=click.IntRange(min=10))
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--max-rate", default=100.0, show_default=True, type=click.FloatRange(min=0),
              help="Highest monthly rate searched (tanks/month).")  # fmt: skip
@click.option("--grid", default=21, show_default=True, type=click.IntRange(min=3),
              help="Rates evaluated between 0 and --max-rate.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON only.")
@parallel_options
def supply_needed_command(scenario, keep_active, until, prob, family, reps, seed, max_rate,
                          grid, as_json, executor) -> None:  # fmt: skip
    """Smallest monthly supply keeping the active fleet >= N until a date with probability P."""
    (loaded,) = _load((scenario,))
    answer = supply_needed(
        loaded, keep_active=keep_active, until=_month_option(until, "--until"), prob=prob,
        family=family, reps=reps, seed=seed, max_rate=max_rate, grid=grid, executor=executor,
    )  # fmt: skip
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    click.echo(supply_text(answer))


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
def validate(scenario) -> None:
    """Check SCENARIO and print every resolved parameter with its sources."""
    (loaded,) = _load((scenario,))
    facts = load_facts()
    click.echo(f"{loaded.name}: valid ({' <- '.join(reversed(loaded.files))})")
    if loaded.description:
        click.echo(f"description: {loaded.description}")
    click.echo(f"families: {', '.join(loaded.family_names)}")
    click.echo(f"priority: {', '.join(f'{f}:{c}' for f, c in loaded.priority)}")
    if loaded.posterior is not None:
        post = loaded.posterior
        targets = len(post.meta.get("targets", []))
        import numpy as np  # rows, distinct sets and ESS: what the posterior really holds

        held = f"{len(post.values):,} rows: {len(np.unique(post.values, axis=0)):,} distinct sets"
        ess = post.meta.get("effective_sample_size",
                            (post.meta.get("generations") or [{}])[-1].get("ess"))  # fmt: skip
        if ess is not None:
            held += f", effective sample size {ess:,.0f}"
        click.echo(f"posterior: {post.path} ({held}, {targets} targets); {len(post.names)} "
                   "parameters marked [calibrated] drawn jointly")  # fmt: skip
        if post.overridden:
            click.echo(f"    overridden here, own distribution: {', '.join(post.overridden)}")
    for name, param in loaded.params().items():
        calibrated = loaded.posterior is not None and name in loaded.posterior.names
        click.echo(f"{name} = {param.describe()}" + (" [calibrated]" if calibrated else ""))
        for fact_id in param.facts:
            click.echo(f"    {fact_id}: {facts[fact_id].figure()} {facts[fact_id].unit}, "
                       f"{facts[fact_id].citation()}")  # fmt: skip


@cli.command(name="facts")
@click.option("--kind", type=click.Choice(["article", "external", "assumption"]), default=None)
def facts_command(kind) -> None:
    """List the sourced facts in seeds/."""
    click.echo(format_facts(load_facts(), kind))


cli.add_command(sweep_command)
cli.add_command(sensitivity_command)
cli.add_command(discover_command)


cli.add_command(calibrate_command, name="calibrate")
cli.add_command(plot)
cli.add_command(report)
cli.add_command(rerun_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the click group, turning input errors into one line and exit 2."""
    try:
        cli.main(args=argv, prog_name="tanksim", standalone_mode=False)
    except (ScenarioError, FactsError, OutputExistsError, SupplyNeededError) as err:
        click.echo(f"tanksim: error: {err}", err=True)
        sys.exit(USAGE_ERROR)
    except click.ClickException as err:
        click.echo(f"tanksim: error: {err.format_message()}", err=True)
        sys.exit(USAGE_ERROR)
    except click.exceptions.Abort:
        click.echo("tanksim: aborted", err=True)
        sys.exit(1)
