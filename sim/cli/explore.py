"""``tanksim sweep``, ``tanksim sensitivity`` and ``tanksim discover``: the shell around
:mod:`sim.analysis.sweep`, :mod:`sim.analysis.sensitivity` and :mod:`sim.analysis.discover`.

Each command loads one scenario, runs, and writes its folder atomically
(:func:`sim.io.output.write_folder`; never over an existing folder without ``--force``) with a
manifest.json (seed, sampling, size, resolved parameters with sources, git revision). Input
errors are click usage errors, which ``tanksim``'s ``main`` prints as one line (exit 2).
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import click
import numpy as np
import scipy

import sim
from sim.analysis.discover import (
    BOX_COLUMNS,
    MIN_DENSITY,
    PEELING_COLUMNS,
    ExpressionError,
    box_rows,
    describe_month,
    discover,
    discovery_data,
    parse_condition,
    peeling_rows,
)
from sim.analysis.sensitivity import (
    METHODS,
    MORRIS_STATS,
    SOBOL_STATS,
    Evaluator,
    OutcomeError,
    factors,
    indices_data,
    morris_rows,
    parse_outcome,
    run_morris,
    run_sobol,
    sobol_rows,
    uncertain_params,
)
from sim.analysis.summary import git_revision
from sim.analysis.sweep import (
    SweepError,
    SweepResult,
    parse_sweep,
    point_count,
    run_sweep,
    sweep_columns,
    sweep_data,
    sweep_rows,
)
from sim.cli.progress import progress_bar
from sim.figures.explore import discovery_figure, explore_caption, indices_figure, sweep_figure
from sim.io.output import check_target, write_csv, write_folder, write_json
from sim.model.calendar import format_month
from sim.model.facts import load_facts
from sim.model.loader import load_scenario
from sim.model.params import Scenario
from sim.parallel import parallel_options
from sim.runs.designs import SAMPLINGS, Design
from sim.runs.run import DEFAULT_SEED
from sim.runs.sampling import draw_params

RESULTS_ROOT = Path("results")
DPI = 150
DEFAULT_OUTCOMES = ("active_end", "storage_exhausted")
SAMPLING_HELP = "How parameters are drawn: independent (random), Latin hypercube, Sobol'."


def _load(path: str) -> Scenario:
    return load_scenario(path, fact_ids=set(load_facts()))


def _caption(scenario: Scenario, names, facts: dict, lead: str) -> str:
    """Caption: what was run, the scenario, and the publications behind the parameters shown."""
    tail = "every input and its source: manifest.json."
    return explore_caption(scenario, names, lead, facts, tail, noun="parameter")


def _manifest(scenario: Scenario, facts: dict, *, command: str, seed: int, sampling: str,
              n: int, options: dict, seconds: float) -> dict:  # fmt: skip
    """What reproduces the command's output and traces each parameter to its sources."""
    params = {
        name: {
            "dist": p.dist.kind, **dict(p.dist.args), "domain": p.domain,
            "facts": list(p.facts),
            "sources": [facts[f].citation() for f in p.facts if f in facts], "note": p.note,
        }
        for name, p in scenario.params().items()
    }  # fmt: skip
    return {
        "command": command, "scenario": scenario.name, "files": list(scenario.files),
        "start": format_month(scenario.start), "end": format_month(scenario.end),
        "seed": seed, "seed_sequence_entropy": seed, "sampling": sampling, "n": n,
        "options": options, "parameters": params, "tanksim_version": sim.__version__,
        "git_revision": git_revision(), "python": platform.python_version(),
        "numpy": np.__version__, "scipy": scipy.__version__,
        "wall_time_seconds": round(seconds, 3),
    }  # fmt: skip


def _target(out: str | None, default: str, force: bool) -> Path:
    target = Path(out) if out else RESULTS_ROOT / default
    check_target(target, force)
    return target


def _save(figure, path: Path) -> None:
    figure.savefig(path, dpi=DPI, bbox_inches="tight")


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


# ---------------------------------------------------------------------------------------------
# sweep


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
@parallel_options
def sweep_command(scenario, params, grid, reps, sampling, seed, out, force, as_json,
                  executor) -> None:  # fmt: skip
    """Sweep parameters of SCENARIO, every point on the same random numbers; writes
    sweep.csv, sweep.json and (one at a time) tornado.png (default: results/sweep-<name>/)."""
    loaded = _load(scenario)
    try:
        specs = [parse_sweep(text, loaded) for text in params]
    except SweepError as err:
        raise click.UsageError(f"--param {err}") from None
    mode = "grid" if grid else "one-at-a-time"
    target = _target(out, f"sweep-{loaded.name}", force)
    began = time.perf_counter()
    total = point_count(specs, grid) * reps
    try:
        with progress_bar(total, f"sweep {loaded.name}", enabled=not as_json) as step:
            result = run_sweep(loaded, specs, grid=grid, reps=reps, seed=seed,
                               sampling=sampling, progress=step, executor=executor)  # fmt: skip
    except SweepError as err:
        raise click.UsageError(str(err)) from None
    seconds = time.perf_counter() - began
    facts = load_facts()
    data = sweep_data(result)
    options = {"mode": mode, "params": list(params), "reps_per_point": reps,
               "points": len(result.points)}  # fmt: skip

    def write(folder: Path) -> None:
        write_csv(folder / "sweep.csv", sweep_columns(result), sweep_rows(result))
        write_json(folder / "sweep.json", data)
        if not grid:
            _save(_tornado(result, facts), folder / "tornado.png")
        write_json(folder / "manifest.json", _manifest(
            loaded, facts, command="sweep", seed=seed, sampling=sampling,
            n=reps * len(result.points), options=options, seconds=seconds))  # fmt: skip

    write_folder(target, write, force=force)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"wrote {target}/ in {seconds:.1f} s", err=True)
    click.echo(sweep_text(result))


def _tornado(result: SweepResult, facts: dict):
    scen = result.scenario
    return sweep_figure(result, lambda names, lead: _caption(scen, names, facts, lead),
                        span="over")  # fmt: skip


def sweep_text(result: SweepResult) -> str:
    """A plain-text table: each point's active fleet at the end and exhaustion month."""
    scen = result.scenario
    mode = "grid" if result.grid else "one at a time"
    lines = [f"sweep of {scen.name} ({mode}): {result.reps:,} replications per point, "
             f"seed {result.seed}, {result.sampling} sampling",
             f"  {'point':<5} {'fixed values':<48}{'active_end':>12}{'p05..p95':>16}"
             f"{'exhausted':>11}{'p50':>9}{'never':>7}"]  # fmt: skip
    for i, (point, stats) in enumerate(zip(result.points, result.stats)):
        fixed = ", ".join(f"{k}={v:.4g}" for k, v in point.values.items()) or "(all drawn)"
        a, e = stats["active_end"], stats["storage_exhausted"]
        spread = f"{a['p05']:,.0f}..{a['p95']:,.0f}"
        lines.append(
            f"  {i:<5} {fixed[:47]:<48}{a['mean']:>12,.0f}{spread:>16}"
            f"{describe_month(scen, round(e['mean'])):>11}"
            f"{describe_month(scen, scen.months if e['p50'] is None else e['p50']):>9}"
            f"{e['never_share']:>7.0%}"
        )
    lines.append("  (exhausted: mean month good+fair storage is exhausted, never counted as the "
                 "month after the horizon)")  # fmt: skip
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# sensitivity


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
@parallel_options
def sensitivity_command(scenario, method, n, metrics, seed, out, force, as_json,
                          executor) -> None:  # fmt: skip
    """Global sensitivity of SCENARIO's outcomes to all its uncertain parameters; writes
    indices.csv, indices.json and sensitivity.png
    (default: results/sensitivity-<method>-<name>/)."""
    loaded = _load(scenario)
    try:
        outcomes = tuple(
            parse_outcome(m, loaded) for m in dict.fromkeys(metrics or DEFAULT_OUTCOMES)
        )
    except OutcomeError as err:
        raise click.UsageError(f"--metric {err}") from None
    d = len(factors(loaded))
    if d == 0:
        raise click.UsageError(f"{loaded.name}: no uncertain parameters to analyse")
    n = n or (1024 if method == "sobol" else 64)
    if method == "sobol" and n & (n - 1):
        below, above = 1 << (n.bit_length() - 1), 1 << n.bit_length()
        raise click.UsageError(
            f"--n {n}: Sobol' analysis needs a power of two (e.g. {below} or {above})"
        )
    target = _target(out, f"sensitivity-{method}-{loaded.name}", force)
    total = n * (d + 3) if method == "sobol" else n * (d + 1)
    began = time.perf_counter()
    with progress_bar(total, f"{method} {loaded.name}", enabled=not as_json) as step:
        if method == "sobol":
            result = run_sobol(loaded, outcomes, n=n, seed=seed, progress=step,
                               executor=executor)  # fmt: skip
        else:
            result = run_morris(loaded, outcomes, trajectories=n, seed=seed, progress=step,
                                executor=executor)  # fmt: skip
    seconds = time.perf_counter() - began
    facts = load_facts()
    data = {"scenario": loaded.name, "method": method, "n": n,
            "replications": result.evaluations, "seed": seed, "parameters": d,
            "outcomes": indices_data(result)}  # fmt: skip
    columns = ("outcome", "parameter") + (SOBOL_STATS if method == "sobol" else MORRIS_STATS)

    def write(folder: Path) -> None:
        rows = sobol_rows(result) if method == "sobol" else morris_rows(result)
        write_csv(folder / "indices.csv", columns, rows)
        write_json(folder / "indices.json", data)
        _save(_sensitivity_figure(loaded, result, facts, seed), folder / "sensitivity.png")
        write_json(folder / "manifest.json", _manifest(
            loaded, facts, command="sensitivity", seed=seed, sampling=method, n=n,
            options={"method": method, "metrics": [o.name for o in outcomes],
                     "replications": result.evaluations}, seconds=seconds))  # fmt: skip

    write_folder(target, write, force=force)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"wrote {target}/ in {seconds:.1f} s ({result.evaluations:,} replications)",
               err=True)  # fmt: skip
    click.echo(sensitivity_text(data))


def _sensitivity_figure(scenario: Scenario, result, facts: dict, seed: int):
    return indices_figure(
        scenario, result, seed=seed, top=15, all_hint="all in indices.csv", noun="parameter",
        caption_for=lambda names, lead: _caption(scenario, names, facts, lead),
    )  # fmt: skip


def sensitivity_text(data: dict, top: int = 10) -> str:
    """The ``top`` parameters per outcome, with their indices and intervals."""
    lines = [f"{data['method']} sensitivity of {data['scenario']}: {data['parameters']} "
             f"parameters, n = {data['n']:,}, {data['replications']:,} replications, "
             f"seed {data['seed']}"]  # fmt: skip
    for name, entry in data["outcomes"].items():
        rows = list(entry["parameters"].items())[:top]
        if data["method"] == "sobol":
            lines.append(f"  {name}: first-order indices sum to {entry['sum_first_order']:.2f};"
                         f" random flows {entry['random_flows']:.0%} of the variance")  # fmt: skip
            lines.append(f"    {'parameter':<44}{'total [95%]':>22}{'first-order [95%]':>24}")
            for param, s in rows:
                total = f"{s['total']:.3f} [{s['total_low']:.3f}, {s['total_high']:.3f}]"
                first = f"{s['first']:.3f} [{s['first_low']:.3f}, {s['first_high']:.3f}]"
                lines.append(f"    {param:<44}{total:>22}{first:>24}")
        else:
            lines.append(f"  {name} ({entry['unit']})")
            lines.append(f"    {'parameter':<44}{'mu* [95%]':>26}{'mu':>10}{'sigma':>10}")
            for param, s in rows:
                mu_star = (
                    f"{_num(s['mu_star'])} [{_num(s['mu_star_low'])}, {_num(s['mu_star_high'])}]"
                )
                lines.append(
                    f"    {param:<44}{mu_star:>26}{_num(s['mu']):>10}{_num(s['sigma']):>10}"
                )
    return "\n".join(lines)


def _num(value: float) -> str:
    """Whole numbers with separators from 100 up, three significant digits below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


# ---------------------------------------------------------------------------------------------
# discover


@click.command(name="discover")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--where", "where", required=True, metavar="EXPRESSION",
              help="Outcome of interest, e.g. 'active_end < 1500' or "
              "'storage_exhausted <= 2026-06 and lost_end > 12000'.")  # fmt: skip
@click.option("--n", "n", default=2000, show_default=True, type=click.IntRange(min=50),
              help="Replications (parameter sets) sampled.")  # fmt: skip
@click.option("--sampling", type=click.Choice(SAMPLINGS), default="lhs", show_default=True,
              help=SAMPLING_HELP)  # fmt: skip
@click.option("--min-density", default=MIN_DENSITY, show_default=True,
              type=click.FloatRange(0, 1),
              help="The box reported is the widest (highest coverage) with at least this "
              "density.")  # fmt: skip
@_common
@parallel_options
def discover_command(scenario, where, n, sampling, min_density, seed, out, force,
                     as_json, executor) -> None:  # fmt: skip
    """Find the region of SCENARIO's input space where EXPRESSION holds (PRIM); writes
    discover.json, box.csv, peeling.csv, samples.csv and discovery.png
    (default: results/discover-<name>/)."""
    loaded = _load(scenario)
    try:
        condition = parse_condition(where, loaded)
    except ExpressionError as err:
        raise click.UsageError(f"--where {where!r}: {err}") from None
    target = _target(out, f"discover-{loaded.name}", force)
    params = uncertain_params(loaded)
    began = time.perf_counter()
    design = None if sampling == "random" else Design(sampling, n)
    values = draw_params(loaded, seed=seed, first_rep=0, reps=n, design=design)
    with progress_bar(n, f"discover {loaded.name}", enabled=not as_json) as step:
        outputs = Evaluator(loaded, condition.outcomes, seed, progress=step,
                            executor=executor)(values)  # fmt: skip
    y = condition.evaluate({o.name: outputs[:, k] for k, o in enumerate(condition.outcomes)})
    if not y.any() or y.all():
        which = "no" if not y.any() else "every"
        raise click.ClickException(f"--where {where!r}: {which} replication of {n:,} meets it; "
                                   "nothing to discover")  # fmt: skip
    x = np.column_stack([values[name] for name in params])
    found = discover(x, y, tuple(params), min_density=min_density)
    seconds = time.perf_counter() - began
    facts = load_facts()
    data = {"scenario": loaded.name, "seed": seed, "sampling": sampling,
            **discovery_data(found, condition)}  # fmt: skip

    def write(folder: Path) -> None:
        write_json(folder / "discover.json", data)
        write_csv(folder / "box.csv", BOX_COLUMNS, box_rows(found))
        write_csv(folder / "peeling.csv", PEELING_COLUMNS, peeling_rows(found))
        header = (*params, *(o.name for o in condition.outcomes), "case")
        rows = (
            (*(f"{v:.6g}" for v in x[i]), *(f"{v:.6g}" for v in outputs[i]), int(y[i]))
            for i in range(n)
        )
        write_csv(folder / "samples.csv", header, rows)
        _save(_discovery_figure(loaded, found, condition.text, facts, sampling, seed),
              folder / "discovery.png")  # fmt: skip
        write_json(folder / "manifest.json", _manifest(
            loaded, facts, command="discover", seed=seed, sampling=sampling, n=n,
            options={"where": where, "min_density": min_density}, seconds=seconds))  # fmt: skip

    write_folder(target, write, force=force)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"wrote {target}/ in {seconds:.1f} s", err=True)
    click.echo(discover_text(data))


def _discovery_figure(scenario: Scenario, found, where: str, facts: dict, sampling: str,
                      seed: int):  # fmt: skip
    return discovery_figure(
        scenario, found, where=where, sampling=sampling, seed=seed, noun="parameter",
        caption_for=lambda names, lead: _caption(scenario, names, facts, lead),
    )  # fmt: skip


def discover_text(data: dict) -> str:
    """The chosen box in a few lines."""
    box = data["box"]
    lines = [
        f"{data['scenario']}: {data['cases']:,} of {data['n']:,} replications "
        f"({data['base_rate']:.0%}) meet '{data['where']}'",
        f"  box (step {data['chosen_step']} of {len(data['trajectory']) - 1}): coverage "
        f"{box['coverage']:.2f}, density {box['density']:.2f}, mass {box['mass']:.2f}",
    ]
    for name, lim in box["limits"].items():
        low = "" if lim["low"] is None else f"{lim['low']:.4g} <= "
        high = "" if lim["high"] is None else f" <= {lim['high']:.4g}"
        sampled = f"sampled {lim['sampled'][0]:.4g}..{lim['sampled'][1]:.4g}"
        lines.append(f"    {low}{name}{high}   ({sampled}; quasi-p {lim['quasi_p']:.2g})")
    if not box["limits"]:
        lines.append("    no parameter restricted")
    return "\n".join(lines)
