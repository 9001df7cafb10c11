"""``tanksim sweep``, ``tanksim sensitivity`` and ``tanksim discover``: parse, call
:mod:`sim.api.explore`, write the folder with :mod:`sim.io.explore_outputs`, print
:mod:`sim.present.explore_text`.

Each command writes its folder atomically (:func:`sim.io.output.write_folder`; never over an
existing folder without ``--force``) with a manifest.json. Input errors are click usage
errors, which ``tanksim``'s ``main`` prints as one line (exit 2). The library is imported
inside the commands, so ``tanksim --help`` does not load it.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import click

from sim.cli.options import engine_option, parallel_options
from sim.cli.progress import progress_bar

RESULTS_ROOT = Path("results")
#: As :data:`sim.runs.run.DEFAULT_SEED`, :data:`sim.runs.designs.SAMPLINGS`,
#: :data:`sim.api.explore.SENSITIVITY_OUTCOMES`, :data:`sim.analysis.sensitivity.METHODS` and
#: :data:`sim.analysis.discover.MIN_DENSITY`, repeated so that ``tanksim --help`` imports
#: neither the engine nor scipy (tests/test_explore_limits.py checks they agree).
DEFAULT_SEED = 20220224
SAMPLINGS = ("random", "lhs", "sobol")
DEFAULT_OUTCOMES = ("active_end", "storage_exhausted")
METHODS = ("sobol", "morris")
MIN_DENSITY = 0.8
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


def _target(out: str | None, default: str, force: bool) -> Path:
    from sim.io.output import check_target

    target = Path(out) if out else RESULTS_ROOT / default
    check_target(target, force)
    return target


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


def _errors():
    """The one-line input errors of the library, shown as usage errors."""
    from sim.analysis.budget import BudgetError
    from sim.analysis.condition import ExpressionError
    from sim.analysis.discover import DiscoveryError
    from sim.analysis.outcomes import OutcomeError
    from sim.analysis.sweep import SweepError

    return BudgetError, ExpressionError, DiscoveryError, OutcomeError, SweepError


def _finish(target: Path, seconds: float, as_json: bool, data: dict, text: str,
            extra: str = "") -> None:  # fmt: skip
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"wrote {target}/ in {seconds:.1f} s{extra}", err=True)
    click.echo(text)


@click.command(name="sweep")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--param", "params", multiple=True, required=True, metavar="KEY=LOW:HIGH:STEPS",
              help="A parameter (dotted key, as tanksim validate lists them) and its values; "
              "repeat for several.")  # fmt: skip
@click.option("--grid", is_flag=True, help="Every combination (default: one at a time).")
@click.option("--reps", default=1000, show_default=True, type=click.IntRange(min=2),
              help="Replications per point.")  # fmt: skip
@click.option("--sampling", type=click.Choice(SAMPLINGS), default="random", show_default=True,
              help=SAMPLING_HELP)  # fmt: skip
@_common
@engine_option
@parallel_options
def sweep_command(scenario, params, grid, reps, sampling, seed, out, force, as_json, engine,
                  executor) -> None:  # fmt: skip
    """Sweep parameters of SCENARIO, every point on the same random numbers; writes
    sweep.csv, sweep.json and (one at a time) tornado.png (default: results/sweep-<name>/)."""
    from sim.analysis.sweep import SweepError, parse_sweep, point_count
    from sim.api import explore as api
    from sim.io.explore_outputs import manifest, write_sweep
    from sim.io.output import write_folder
    from sim.present.explore_text import sweep_text

    loaded = api.load_scenario(scenario)
    try:
        specs = [parse_sweep(text, loaded) for text in params]
    except SweepError as err:
        raise click.UsageError(f"--param {err}") from None
    target = _target(out, f"sweep-{loaded.name}", force)
    began = time.perf_counter()
    total = point_count(specs, grid) * reps
    try:
        with progress_bar(total, f"sweep {loaded.name}", enabled=not as_json) as step:
            result = api.sweep(loaded, params, grid=grid, reps=reps, seed=seed,
                               sampling=sampling, progress=step, executor=executor,
                               engine=engine)  # fmt: skip
    except _errors() as err:
        raise click.UsageError(str(err)) from None
    seconds = time.perf_counter() - began
    facts = api.facts()
    options = {"mode": "grid" if grid else "one-at-a-time", "params": list(params),
               "reps_per_point": reps, "points": len(result.points)}  # fmt: skip
    meta = manifest(loaded, facts, command="sweep", seed=seed, sampling=sampling,
                    n=reps * len(result.points), options=options, seconds=seconds)  # fmt: skip
    meta["execution"] = {"engine": engine}
    write_folder(target, lambda folder: write_sweep(folder, result, facts, meta), force=force)
    _finish(target, seconds, as_json, api.sweep_data(result), sweep_text(result))


@click.command(name="sensitivity")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--method", type=click.Choice(METHODS), default="sobol", show_default=True,
              help="Sobol' indices (variance-based) or Morris elementary effects "
              "(screening).")  # fmt: skip
@click.option("--n", "n", type=click.IntRange(min=2), default=None,
              help="Sobol': base samples N, a power of two (default 1024; N (d + 3) "
              "replications). Morris: trajectories (default 64; r (d + 1) "
              "replications).")  # fmt: skip
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
    from sim.analysis.outcomes import OutcomeError, factors, parse_outcome
    from sim.api import explore as api
    from sim.io.explore_outputs import manifest, write_sensitivity
    from sim.io.output import write_folder
    from sim.present.explore_text import sensitivity_text

    loaded = api.load_scenario(scenario)
    outcomes = tuple(dict.fromkeys(metrics or DEFAULT_OUTCOMES))
    try:
        for name in outcomes:
            parse_outcome(name, loaded)
    except OutcomeError as err:
        raise click.UsageError(f"--metric {err}") from None
    if not factors(loaded):
        raise click.UsageError(f"{loaded.name}: no uncertain parameters to analyse")
    n = n or (1024 if method == "sobol" else 64)
    if method == "sobol" and n & (n - 1):
        below, above = 1 << (n.bit_length() - 1), 1 << n.bit_length()
        raise click.UsageError(
            f"--n {n}: Sobol' analysis needs a power of two (e.g. {below} or {above})"
        )
    target = _target(out, f"sensitivity-{method}-{loaded.name}", force)
    total = api.sensitivity_replications(loaded, method, n)
    began = time.perf_counter()
    run = api.sobol if method == "sobol" else api.morris
    size = {"n": n} if method == "sobol" else {"trajectories": n}
    try:
        with progress_bar(total, f"{method} {loaded.name}", enabled=not as_json) as step:
            analysis = run(loaded, outcomes, **size, seed=seed, progress=step,
                           executor=executor, engine=engine)  # fmt: skip
    except _errors() as err:
        raise click.UsageError(str(err)) from None
    seconds = time.perf_counter() - began
    facts = api.facts()
    data = api.sensitivity_data(analysis)
    meta = manifest(loaded, facts, command="sensitivity", seed=seed, sampling=method, n=n,
                    options={"method": method, "metrics": list(outcomes),
                             "replications": analysis.indices.evaluations,
                             "warnings": list(analysis.warnings)},
                    seconds=seconds)  # fmt: skip
    meta["execution"] = {"engine": engine}
    write_folder(target, lambda folder: write_sensitivity(folder, analysis, data, facts, meta),
                 force=force)  # fmt: skip
    for warning in analysis.warnings:
        click.echo(f"tanksim: warning: {warning}", err=True)
    _finish(target, seconds, as_json, data, sensitivity_text(data, warnings=False),
            f" ({analysis.indices.evaluations:,} replications)")  # fmt: skip


@click.command(name="discover")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--where", "where", required=True, metavar="EXPRESSION",
              help="Outcome of interest, e.g. 'active_end < 1500' or "
              "'storage_exhausted <= 2026-06 and lost_end > 12000'.")  # fmt: skip
@click.option("--n", "n", default=2000, show_default=True, type=click.IntRange(min=50),
              help="Replications (parameter sets) sampled.")  # fmt: skip
@click.option("--sampling", type=click.Choice(SAMPLINGS), default="lhs", show_default=True,
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
    from sim.analysis.condition import ExpressionError, parse_condition
    from sim.analysis.discover import DiscoveryError
    from sim.api import discovery as api
    from sim.io.explore_outputs import manifest, write_discovery
    from sim.io.output import write_folder
    from sim.present.explore_text import discover_text

    loaded = api.load_scenario(scenario)
    try:
        parse_condition(where, loaded)
    except ExpressionError as err:
        shown = where if len(where) <= 80 else where[:60] + "..."
        raise click.UsageError(f"--where {shown!r}: {err}") from None
    target = _target(out, f"discover-{loaded.name}", force)
    began = time.perf_counter()
    try:
        with progress_bar(n, f"discover {loaded.name}", enabled=not as_json) as step:
            result = api.discover(loaded, where, n=n, sampling=sampling,
                                  min_density=min_density, seed=seed, progress=step,
                                  executor=executor, engine=engine)  # fmt: skip
    except DiscoveryError as err:
        raise click.UsageError(f"--where {err}") from None
    except _errors() as err:
        raise click.UsageError(str(err)) from None
    seconds = time.perf_counter() - began
    facts = api.facts()
    data = api.discovery_data(result)
    meta = manifest(loaded, facts, command="discover", seed=seed, sampling=sampling, n=n,
                    options={"where": where, "min_density": min_density},
                    seconds=seconds)  # fmt: skip
    meta["execution"] = {"engine": engine}
    write_folder(target, lambda folder: write_discovery(folder, result, data, facts, meta),
                 force=force)  # fmt: skip
    _finish(target, seconds, as_json, data, discover_text(data))
