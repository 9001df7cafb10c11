"""``tanksim validate`` and ``tanksim facts``: read and describe (validate runs a short check
of North Korean families against the loss record, nothing else)."""

from __future__ import annotations

import click


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--deterministic", is_flag=True,
              help="Also print the value each parameter takes in a --deterministic run.")
def validate(scenario, deterministic) -> None:
    """Check SCENARIO and print every resolved parameter with its sources."""
    from sim.api.scenarios import validate as validate_scenario

    done = validate_scenario(scenario, deterministic=deterministic)
    click.echo(done.text)
    if done.warning:
        click.echo(f"tanksim: warning: {done.warning}", err=True)


@click.command(name="facts")
@click.option("--kind", type=click.Choice(["article", "external", "assumption"]), default=None)
def facts_command(kind) -> None:
    """List the sourced facts in seeds/."""
    from sim.api import scenarios as api
    from sim.model.facts import format_facts

    click.echo(format_facts(api.facts(), kind))
