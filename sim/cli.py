"""The ``tanksim`` command: a thin shell that parses, calls the model, and writes files.

Every input error is one line on stderr and exit code 2, with no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sim import __version__
from sim.facts import FactsError, format_facts, load_facts
from sim.loader import ScenarioError, load_scenario
from sim.output import OutputExistsError, check_target, write_results
from sim.run import DEFAULT_CHUNK, DEFAULT_REPS, DEFAULT_SEED, run_scenario
from sim.streams import BLOCK
from sim.summary import summary

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


def headline_table(summaries: list[dict]) -> str:
    """A short plain-text table of the headline metrics, one block per scenario."""
    lines = []
    for s in summaries:
        lines.append(
            f"{s['scenario']}  ({s['start']}..{s['end']}, {s['reps']:,} reps, seed {s['seed']})"
        )
        lines.append(f"  {'metric':<22}{'mean':>10}{'p05':>10}{'p50':>10}{'p95':>10}{'never':>8}")
        for name, m in s["metrics"].items():
            cells = [m[k] if isinstance(m[k], str) else "-" if m[k] is None else f"{m[k]:,.0f}"
                     for k in ("mean", "p05", "p50", "p95")]  # fmt: skip
            never = f"{m['never_share']:.0%}" if "never_share" in m else ""
            lines.append(f"  {name:<22}" + "".join(f"{c:>10}" for c in cells) + f"{never:>8}")
    return "\n".join(lines)


@click.group()
@click.version_option(__version__, prog_name="tanksim")
def cli() -> None:
    """Russia's tank inventory under attrition, with and without North Korean supply."""


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--reps", default=DEFAULT_REPS, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--start", default=None, help="First month, YYYY-MM (default: the scenario's).")
@click.option("--end", default=None, help="Last month, YYYY-MM (default: the scenario's).")
@click.option("--deterministic", is_flag=True, help="One expected-value path, no sampling.")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Results folder.")
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json only, to stdout.")
@click.option("--chunk", default=DEFAULT_CHUNK, show_default=True, type=click.IntRange(min=1),
              help="Replications per chunk (memory bound); does not change results.")  # fmt: skip
def run(scenarios, reps, seed, start, end, deterministic, out, force, as_json, chunk) -> None:
    """Run SCENARIO files and write results (default: results/<scenario>/)."""
    if chunk % BLOCK:
        raise click.UsageError(f"--chunk = {chunk}: must be a multiple of {BLOCK}")
    loaded = _load(scenarios, start, end)
    targets = _targets([s.name for s in loaded], out)
    for target in targets:
        check_target(target, force)
    facts = load_facts()
    summaries = []
    for scenario, target in zip(loaded, targets):
        result = run_scenario(
            scenario, reps=reps, seed=seed, deterministic=deterministic, chunk=chunk
        )
        write_results(result, target, facts, force=force)
        summaries.append(summary(result))
        if not as_json:
            click.echo(f"wrote {target}/ in {result.seconds:.1f} s", err=True)
    if as_json:
        data = summaries[0] if len(summaries) == 1 else {s["scenario"]: s for s in summaries}
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(headline_table(summaries))


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
    for name, param in loaded.params().items():
        click.echo(f"{name} = {param.describe()}")
        for fact_id in param.facts:
            click.echo(f"    {fact_id}: {facts[fact_id].figure()} {facts[fact_id].unit}, "
                       f"{facts[fact_id].citation()}")  # fmt: skip


@cli.command(name="facts")
@click.option("--kind", type=click.Choice(["article", "external", "assumption"]), default=None)
def facts_command(kind) -> None:
    """List the sourced facts in seeds/."""
    click.echo(format_facts(load_facts(), kind))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the click group, turning input errors into one line and exit 2."""
    try:
        cli.main(args=argv, prog_name="tanksim", standalone_mode=False)
    except (ScenarioError, FactsError, OutputExistsError) as err:
        click.echo(f"tanksim: error: {err}", err=True)
        sys.exit(USAGE_ERROR)
    except click.ClickException as err:
        click.echo(f"tanksim: error: {err.format_message()}", err=True)
        sys.exit(USAGE_ERROR)
    except click.exceptions.Abort:
        click.echo("tanksim: aborted", err=True)
        sys.exit(1)
