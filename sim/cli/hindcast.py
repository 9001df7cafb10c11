"""``tanksim hindcast``: calibrate on the record up to a cut-off and score the later targets.

Parses, calls :func:`sim.api.hindcast.run_hindcast`, writes the folder with
:func:`sim.io.hindcast_outputs.write_hindcast`, prints
:func:`sim.present.explore_text.hindcast_text`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from sim.cli.calibrate import (
    DEFAULT_DRAWS,
    DEFAULT_GENERATIONS,
    DEFAULT_PARTICLES,
    abc_smc_progress,
)
from sim.cli.explore import DEFAULT_SEED
from sim.cli.options import engine_option, record_options

HINDCAST_REPS = 4_000


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--until", required=True, help="Cut-off month YYYY-MM: calibrate on targets "
              "dated up to it, score the later ones.")  # fmt: skip
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--draws", default=DEFAULT_DRAWS, show_default=True, type=click.IntRange(min=100),
              help="Parameter sets simulated per ABC-SMC generation.")  # fmt: skip
@click.option("--particles", default=DEFAULT_PARTICLES, show_default=True,
              type=click.IntRange(min=10), help="Parameter sets kept per generation.")  # fmt: skip
@click.option("--generations", default=DEFAULT_GENERATIONS, show_default=True,
              type=click.IntRange(min=1), help="Most ABC-SMC generations.")  # fmt: skip
@click.option("--reps", default=HINDCAST_REPS, show_default=True, type=click.IntRange(min=100),
              help="Replications of the calibrated projection.")  # fmt: skip
@click.option("--targets", "targets_file", default=None, type=click.Path(dir_okay=False),
              help="Targets TOML (default: seeds/targets.toml).")  # fmt: skip
@record_options
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON only.")
@engine_option
def hindcast_command(scenario, until, seed, draws, particles, generations, reps, targets_file,
                     record, no_record, out, force, as_json, engine) -> None:  # fmt: skip
    """Calibrate SCENARIO on the record up to --until and score every later target.

    The targets and the loss record's observations (by family group) dated after --until
    are withheld from the calibration and scored.

    Writes hindcast.json (scores and settings), hindcast.csv (one row per later target:
    projected p05-p95, inside the 50%/90% bands, interval score, CRPS), hindcast.png and
    manifest.json.
    """
    from sim.api.hindcast import run_hindcast
    from sim.io.folders import check_target, write_folder
    from sim.io.hindcast_outputs import write_hindcast
    from sim.present.explore_text import hindcast_text

    if particles > draws:
        raise click.UsageError(f"--particles = {particles}: cannot exceed --draws ({draws})")
    name = Path(scenario).stem
    target = Path(out) if out else Path("results") / f"hindcast-{name}-{until}"
    check_target(target, force)

    with abc_smc_progress(scenario, draws, generations, as_json) as callbacks:
        try:
            run = run_hindcast(scenario, until, targets_file=targets_file, draws=draws,
                               particles=particles, generations=generations, reps=reps,
                               seed=seed, engine=engine, record=record,
                               use_record=not no_record, **callbacks)  # fmt: skip
        except ValueError as err:
            raise click.ClickException(str(err)) from None
    write_folder(target, lambda folder: write_hindcast(folder, run), force=force)
    if as_json:
        click.echo(json.dumps({"summary": run.summary, "scored": run.rows}, indent=2))
        return
    click.echo(f"wrote {target}/", err=True)
    click.echo(hindcast_text(run))
