"""``tanksim run``, ``tanksim compare`` and ``tanksim supply-needed``: parse, call
:mod:`sim.api`, print. Scenarios are read and every option checked before anything runs."""

from __future__ import annotations

import functools
import json

import click

from sim import defaults
from sim.api.scenarios import THRESHOLD_SHARE
from sim.cli.options import FiniteFloat, engine_option, parallel_options
from sim.cli.progress import progress_bar
from sim.defaults import SAMPLINGS

DEFAULT_SEED, DEFAULT_REPS, DEFAULT_CHUNK = defaults.SEED, defaults.REPS, defaults.CHUNK

#: Highest --max-rate searched by supply-needed, tanks/month: far above any plausible
#: supply, and low enough that the counts it implies fit the engine's integers.
MAX_SUPPLY_RATE = 100_000.0


def _track(quiet: bool):
    """The progress bar of a command (none when ``quiet``)."""
    return functools.partial(progress_bar, enabled=not quiet)


def _print(saved, as_json: bool, *, wrote: bool = False) -> None:
    """Warnings, then the JSON only, or the notes (each option named as this command
    names it), where the folder went and the table."""
    from sim.cli.options import option_names

    for warning in saved.warnings:
        click.echo(f"tanksim: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(saved.data, indent=2))
        return
    for line in saved.notes:
        click.echo(option_names(click.get_current_context().command, line), err=True)
    if wrote:
        click.echo(f"wrote {saved.folder}/", err=True)
    click.echo(saved.text)


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
    from sim.api.run_folders import save_runs

    saved = save_runs(scenarios, reps=reps, seed=seed, start=start, end=end,
                      deterministic=deterministic, chunk=chunk, sampling=sampling, out=out,
                      force=force, engine=engine, executor=executor,
                      track=_track(as_json or (reps is None and deterministic)))  # fmt: skip
    _print(saved, as_json)


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
    from sim.api.run_folders import save_compare

    saved = save_compare(scenarios, reps=reps, seed=seed, at=dates, threshold=threshold,
                         sampling=sampling, out=out, force=force, engine=engine,
                         executor=executor, track=_track(as_json))  # fmt: skip
    _print(saved, as_json, wrote=True)


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
    from sim import api
    from sim.present.tables import supply_text

    with progress_bar(reps * grid, "supply-needed", enabled=not as_json) as step:
        answer = api.supply_needed(
            scenario, keep_active=keep_active, until=until, prob=prob, family=family, reps=reps,
            seed=seed, max_rate=max_rate, grid=grid, executor=executor, engine=engine,
            progress=step,
        )  # fmt: skip
    click.echo(json.dumps(answer, indent=2) if as_json else supply_text(answer))
