"""``tanksim hindcast``: calibrate on the record up to a cut-off and score the later targets.

Parses, calls :func:`sim.api.calibration_folders.save_hindcast` (which calibrates at each
cut-off, scores and writes the folder, as a Python caller gets it), prints.
"""

from __future__ import annotations

import click

from sim import defaults
from sim.cli.calibrate import abc_smc_progress, print_saved
from sim.cli.options import engine_option, record_options

# The name of the default as this module had it (:mod:`sim.defaults`).
HINDCAST_REPS = defaults.HINDCAST_REPS


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--until", "untils", required=True, multiple=True,
              help="Cut-off month YYYY-MM: calibrate on targets dated up to it, score the later "
              "ones. Repeat it to run several cut-offs, each into its own subfolder.")  # fmt: skip
@click.option("--seed", default=defaults.SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--draws", default=defaults.DRAWS, show_default=True, type=click.IntRange(min=100),
              help="Parameter sets simulated per ABC-SMC generation.")  # fmt: skip
@click.option("--particles", default=defaults.PARTICLES, show_default=True,
              type=click.IntRange(min=10), help="Parameter sets kept per generation.")  # fmt: skip
@click.option("--generations", default=defaults.GENERATIONS, show_default=True,
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
    from sim.api.calibration_folders import save_hindcast

    with abc_smc_progress(draws, generations, as_json, runs=len(untils)) as callbacks:
        saved = save_hindcast(
            scenario, untils, draws=draws, particles=particles, generations=generations,
            reps=reps, seed=seed, targets_file=targets_file, record=record,
            use_record=not no_record, out=out, force=force, engine=engine, **callbacks,
        )  # fmt: skip
    print_saved(saved, as_json)
