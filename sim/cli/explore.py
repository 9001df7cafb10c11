"""``tanksim sweep``, ``tanksim sensitivity`` and ``tanksim discover``: parse, call one
function of :mod:`sim.api.explore_folders` (which checks, runs and writes the folder with
its manifest.json, as a Python caller gets it), print.

Input errors are the library's :class:`~sim.model.errors.InputError`, which ``tanksim``'s
``main`` prints as one line naming the option (exit 2). The library is imported inside the
commands, so ``tanksim --help`` does not load it; the defaults come from :mod:`sim.defaults`.
"""

from __future__ import annotations

import functools
import json
import math

import click

from sim import defaults
from sim.cli.options import engine_option, parallel_options
from sim.cli.progress import progress_bar

# The names of the defaults as this module had them (other commands import them from here).
DEFAULT_SEED = defaults.SEED
SAMPLINGS = defaults.SAMPLINGS
DEFAULT_OUTCOMES = defaults.SENSITIVITY_OUTCOMES
METHODS = defaults.SENSITIVITY_METHODS
MIN_DENSITY = defaults.MIN_DENSITY
SAMPLING_HELP = "How parameters are drawn: independent (random), Latin hypercube, Sobol'."


class FiniteShare(click.ParamType):
    """A float in [0, 1]; NaN and inf refused (click's FloatRange lets NaN through)."""

    name = "share"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or not 0 <= number <= 1:
            self.fail(f"{value!r} is not a share in [0, 1]", param, ctx)
        return number


def _common(command):
    """--seed, --out, --force and --json, shared by the three commands."""
    for option in reversed((
        click.option("--seed", default=DEFAULT_SEED, show_default=True,
                     type=click.IntRange(min=0)),
        click.option("--out", default=None, type=click.Path(file_okay=False),
                     help="Results folder."),
        click.option("--force", is_flag=True, help="Replace an existing results folder."),
        click.option("--json", "as_json", is_flag=True,
                     help="Print the JSON result only, to stdout."),
    )):  # fmt: skip
        command = option(command)
    return command


def _track(as_json: bool):
    """The progress bar of a command (none with ``--json``)."""
    return functools.partial(progress_bar, enabled=not as_json)


def _finish(saved, as_json: bool) -> None:
    """Print what a command made: its JSON only, or the ``wrote`` line, warnings and text."""
    for warning in saved.warnings:
        click.echo(f"tanksim: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(saved.data, indent=2))
        return
    click.echo(f"wrote {saved.folder}/ in {saved.seconds:.1f} s{saved.note}", err=True)
    click.echo(saved.text)


@click.command(name="sweep")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--param", "params", multiple=True, required=True, metavar="KEY=LOW:HIGH:STEPS",
              help="A parameter (dotted key, as tanksim validate lists them) and its values; "
              "repeat for several.")  # fmt: skip
@click.option("--grid", is_flag=True, help="Every combination (default: one at a time).")
@click.option("--reps", default=defaults.SWEEP_REPS, show_default=True, type=click.IntRange(min=2),
              help="Replications per point.")  # fmt: skip
@click.option("--sampling", type=click.Choice(SAMPLINGS), default=defaults.SWEEP_SAMPLING,
              show_default=True,
              help=SAMPLING_HELP)  # fmt: skip
@_common
@engine_option
@parallel_options
def sweep_command(scenario, params, grid, reps, sampling, seed, out, force, as_json, engine,
                  executor) -> None:  # fmt: skip
    """Sweep parameters of SCENARIO, every point on the same random numbers; writes
    sweep.csv, sweep.json and (one at a time) tornado.png (default: results/sweep-<name>/)."""
    from sim.api.explore_folders import save_sweep

    saved = save_sweep(scenario, params, grid=grid, reps=reps, sampling=sampling, seed=seed,
                       out=out, force=force, engine=engine, executor=executor,
                       track=_track(as_json))  # fmt: skip
    _finish(saved, as_json)


@click.command(name="sensitivity")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--method", type=click.Choice(METHODS), default=METHODS[0], show_default=True,
              help="Sobol' indices (variance-based) or Morris elementary effects "
              "(screening).")  # fmt: skip
@click.option("--n", "n", type=click.IntRange(min=2), default=None,
              help=f"Sobol': base samples N, a power of two (default {defaults.SOBOL_N}; "
              "N (d + 3) replications). Morris: trajectories (default "
              f"{defaults.MORRIS_TRAJECTORIES}; r (d + 1) replications).")  # fmt: skip
@click.option("--metric", "metrics", multiple=True, metavar="METRIC",
              help="A headline metric or VARIABLE@YYYY-MM; repeat for several "
              f"(default: {', '.join(DEFAULT_OUTCOMES)}).")  # fmt: skip
@_common
@engine_option
@parallel_options
def sensitivity_command(scenario, method, n, metrics, seed, out, force, as_json, engine,
                        executor) -> None:  # fmt: skip
    """Global sensitivity of SCENARIO's outcomes to all its uncertain parameters; writes
    indices.csv, indices.json and sensitivity.png
    (default: results/sensitivity-<method>-<name>/). Warns (stderr, and "warnings" in
    indices.json) when n is too small for the indices to mean anything."""
    from sim.api.explore_folders import save_sensitivity

    saved = save_sensitivity(scenario, method=method, n=n, metrics=metrics, seed=seed, out=out,
                             force=force, engine=engine, executor=executor,
                             track=_track(as_json))  # fmt: skip
    _finish(saved, as_json)


@click.command(name="discover")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--where", "where", required=True, metavar="EXPRESSION",
              help="Outcome of interest, e.g. 'active_end < 1500' or "
              "'storage_exhausted <= 2026-06 and lost_end > 12000'.")  # fmt: skip
@click.option("--n", "n", default=defaults.DISCOVER_N, show_default=True,
              type=click.IntRange(min=50),
              help="Replications (parameter sets) sampled.")  # fmt: skip
@click.option("--sampling", type=click.Choice(SAMPLINGS), default=defaults.DISCOVER_SAMPLING,
              show_default=True,
              help=SAMPLING_HELP)  # fmt: skip
@click.option("--min-density", default=MIN_DENSITY, show_default=True, type=FiniteShare(),
              help="The box reported is the widest (highest coverage) with at least this "
              "density.")  # fmt: skip
@_common
@engine_option
@parallel_options
def discover_command(scenario, where, n, sampling, min_density, seed, out, force,
                     as_json, engine, executor) -> None:  # fmt: skip
    """Find the region of SCENARIO's input space where EXPRESSION holds (PRIM); writes
    discover.json, box.csv, peeling.csv, samples.csv and discovery.png
    (default: results/discover-<name>/)."""
    from sim.api.explore_folders import save_discovery

    saved = save_discovery(scenario, where, n=n, sampling=sampling, min_density=min_density,
                           seed=seed, out=out, force=force, engine=engine, executor=executor,
                           track=_track(as_json))  # fmt: skip
    _finish(saved, as_json)
