"""``tanksim calibrate``: history-match a scenario to the dated record (seeds/targets.toml).

Parses, calls :func:`sim.api.calibration_folders.save_calibration` (which calibrates and
writes the folder, as a Python caller gets it), prints.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import click

from sim import defaults
from sim.cli.options import engine_option, parallel_options, record_options
from sim.cli.progress import staged_progress_bar

# The names of the defaults as this module had them (:mod:`sim.defaults`).
DEFAULT_DRAWS, DEFAULT_PARTICLES = defaults.DRAWS, defaults.PARTICLES
DEFAULT_GENERATIONS, CHECK_REPS = defaults.GENERATIONS, defaults.CHECK_REPS


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--draws", default=DEFAULT_DRAWS, show_default=True, type=click.IntRange(min=100),
              help="Parameter sets simulated per generation.")  # fmt: skip
@click.option("--particles", default=DEFAULT_PARTICLES, show_default=True,
              type=click.IntRange(min=10), help="Parameter sets kept per generation.")  # fmt: skip
@click.option("--generations", default=DEFAULT_GENERATIONS, show_default=True,
              type=click.IntRange(min=1), help="Most ABC-SMC generations.")  # fmt: skip
@click.option("--seed", default=defaults.SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--targets", "targets_file", default=None, type=click.Path(dir_okay=False),
              help="Targets TOML (default: seeds/targets.toml).")  # fmt: skip
@record_options
@click.option("--check-reps", default=CHECK_REPS, show_default=True, type=click.IntRange(min=100),
              help="Replications of the calibrated model checked against the targets.")  # fmt: skip
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the fit as JSON only.")
@engine_option
@parallel_options
def calibrate_command(scenario, draws, particles, generations, seed, targets_file, record,
                      no_record, check_reps, out, force, as_json, engine,
                      executor) -> None:  # fmt: skip
    """Calibrate SCENARIO's uncertain parameters to the record by ABC-SMC.

    Fits seeds/targets.toml and the loss record (Oryx's confirmed losses by family group,
    each snapshot read at its date). Writes posterior.csv (+ posterior.json: rows, distinct
    sets, effective sample size, the record's path, sha256 and last snapshot),
    calibrated.toml (SCENARIO merged into one file, drawing from the posterior), fit.csv /
    fit.png, record-fit.png, coverage.csv (each record series' 50%/90% band coverage),
    sources.csv (observations outside the 90% band, by source), prior_posterior.csv /
    prior_posterior.png, generations.csv and manifest.json;
    for a SCENARIO naming competing hypotheses, fits each and writes evidence.json (their
    weights), the posterior mixing them by weight.
    """
    from sim.api.calibration_folders import save_calibration

    name = Path(scenario).stem
    with abc_smc_progress(draws, generations, as_json,
                          f"calibrating {name} against the record") as callbacks:  # fmt: skip
        saved = save_calibration(
            scenario, draws=draws, particles=particles, generations=generations, seed=seed,
            targets_file=targets_file, record=record, use_record=not no_record,
            check_reps=check_reps, out=out, force=force, engine=engine, executor=executor,
            **callbacks,
        )  # fmt: skip
    print_saved(saved, as_json)


def print_saved(saved, as_json: bool) -> None:
    """What ``calibrate`` and ``hindcast`` print: the JSON only, or where and the text."""
    if as_json:
        click.echo(json.dumps(saved.data, indent=2))
        return
    click.echo(f"wrote {saved.folder}/", err=True)
    click.echo(saved.text)


@contextlib.contextmanager
def abc_smc_progress(
    draws: int, generations: int, as_json: bool, heading: str | None = None, runs: int = 1,
) -> Iterator[dict]:
    """The progress bar and stderr lines of an ABC-SMC job (``calibrate``, ``hindcast``):
    yields the ``progress``, ``report`` and ``announce`` keyword arguments of
    :func:`sim.api.calibration.calibrate` and :func:`sim.api.hindcasting.hindcast`, and
    ``plan``, which the api calls with the number of ABC-SMC runs once it has read the
    scenario.

    One ABC-SMC run per hypothesis (and cut-off), each of up to ``generations`` batches of
    ``draws`` (the last generation may take more; StagedProgress lengthens the bar): the bar
    counts them all. ``heading`` is printed before the first hypothesis or generation line
    (not before: an input error stays the only line on stderr); with ``as_json`` nothing is
    printed. ``runs``: the runs the bar counts until the api plans them (a hindcast's
    cut-offs).
    """
    from sim.present.explore_text import generation_line

    shown = []

    def say(line: str) -> None:
        if as_json:
            return
        if heading and not shown:
            click.echo(heading, err=True)
            shown.append(True)
        click.echo(line, err=True)

    def report(step) -> None:
        say(generation_line(step))

    def announce(hypothesis: str) -> None:
        progress.next_stage(hypothesis)
        say(f"hypothesis {hypothesis}:")

    bar = staged_progress_bar(runs, draws * generations, "ABC-SMC", enabled=not as_json)
    with bar as progress:
        yield {"progress": progress, "report": report, "announce": announce,
               "plan": progress.plan}
        progress.finish()
