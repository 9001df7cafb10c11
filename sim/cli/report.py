"""``tanksim plot`` and ``tanksim report``: redraw a results folder's figures, and write a
self-contained report folder. Thin shells over :mod:`sim.api`."""

from __future__ import annotations

import click

from sim import defaults
from sim.api import runs as api
from sim.cli.options import engine_option


@click.command()
@click.argument("results_dir", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="File format of the figures.")  # fmt: skip
def plot(results_dir, fmt) -> None:
    """Redraw the figures of RESULTS_DIR (a tanksim run or report folder) without re-running.

    A run folder gets fan_chart, storage and months; a report's runs/compare folder gets
    compare; a report folder gets each of its runs/ folders redrawn so. Each file is
    written beside the data and renamed into place.
    """
    written = api.redraw(results_dir, fmt=fmt)
    for path in written:
        click.echo(f"wrote {path}", err=True)


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path())
@click.option("--out", default=str(api.DEFAULT_REPORT), show_default=True,
              type=click.Path(file_okay=False), help="Report folder.")  # fmt: skip
@click.option("--reps", default=defaults.REPS, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=defaults.SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--force", is_flag=True, help="Replace an existing report folder.")
@engine_option
def report(scenarios, out, reps, seed, force, engine) -> None:
    """Run SCENARIO files (or read results folders) and write a report folder.

    report.html (figures, headline metrics with intervals, the paired comparison against
    the first scenario, every parameter with its sources, the model's limits), the figures
    as PNG and PDF, and the CSV behind each; it works offline from the folder.
    """
    from sim.cli.progress import progress_bar

    written = api.report(scenarios, out, reps=reps, seed=seed, force=force, engine=engine,
                         track=progress_bar)  # fmt: skip
    click.echo(f"wrote {written}/report.html", err=True)
