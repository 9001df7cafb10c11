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
@click.option("--until", "untils", required=True, multiple=True,
              help="Cut-off month YYYY-MM: calibrate on targets dated up to it, score the later "
              "ones. Repeat it to run several cut-offs, each into its own subfolder.")  # fmt: skip
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
def hindcast_command(scenario, untils, seed, draws, particles, generations, reps, targets_file,
                     record, no_record, out, force, as_json, engine) -> None:  # fmt: skip
    """Calibrate SCENARIO on the record up to --until and score every later target, and every
    later record observation against the naive forecast (the recent pace carried forward).

    The targets and the loss record's observations (by family group) dated after --until
    are withheld from the calibration and scored.

    Writes hindcast.json (scores and settings), hindcast.csv (one row per later target:
    projected p05-p95, inside the 50%/90% bands, interval score, CRPS), hindcast.png,
    scores.csv (one row per later record observation, model and naive forecast side by
    side), horizon.csv and horizon.png (coverage and mean CRPS by horizon) and
    manifest.json. With several --until, one such subfolder per cut-off (until-YYYY-MM)
    and cuts.csv and cuts.png across them.
    """
    from sim.api.hindcast import cut_rows, json_safe, run_hindcast, run_hindcasts
    from sim.io.folders import check_target, write_folder
    from sim.io.hindcast_outputs import write_hindcast, write_hindcast_cuts
    from sim.present.explore_text import hindcast_cuts_text, hindcast_text

    if particles > draws:
        raise click.UsageError(f"--particles = {particles}: cannot exceed --draws ({draws})")
    name = Path(scenario).stem
    target = Path(out) if out else Path("results") / f"hindcast-{name}-{'+'.join(untils)}"
    check_target(target, force)
    settings = {"targets_file": targets_file, "draws": draws, "particles": particles,
                "generations": generations, "reps": reps, "seed": seed, "engine": engine,
                "record": record, "use_record": not no_record}
    with abc_smc_progress(scenario, draws, generations, as_json, runs=len(untils)) as callbacks:
        try:
            if len(untils) == 1:
                runs = [run_hindcast(scenario, untils[0], **settings, **callbacks)]
            else:
                runs = run_hindcasts(scenario, list(untils), **settings, **callbacks)
        except ValueError as err:
            raise click.ClickException(str(err)) from None
    if len(runs) == 1:
        (run,) = runs
        write_folder(target, lambda folder: write_hindcast(folder, run), force=force)
    else:
        cuts = cut_rows(runs)
        write_folder(target, lambda folder: write_hindcast_cuts(folder, runs, cuts), force=force)
    if as_json:
        documents = [{"until": r.meta["until"], "summary": r.summary, "scored": r.rows,
                      "by_horizon": r.meta["forecast_scores"]["by_horizon"]} for r in runs]
        click.echo(json.dumps(documents[0] if len(runs) == 1 else
                              {"cuts": json_safe(cuts), "runs": documents}, indent=2))
        return
    click.echo(f"wrote {target}/", err=True)
    click.echo("\n\n".join(hindcast_text(run) for run in runs))
    if len(runs) > 1:
        click.echo("\n" + hindcast_cuts_text(cuts))
