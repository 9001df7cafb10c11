"""``tanksim record``: show the loss record; ``tanksim record import``: add a snapshot.

Parses, calls :mod:`sim.api.record`, prints :mod:`sim.present.record_text` (or JSON).
"""

from __future__ import annotations

import json

import click

from sim.model.record import GROUPS


@click.group("record", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
@click.option("--record", "record_path", default=None, type=click.Path(dir_okay=False),
              help="A record file to show (default: $TANKSIM_RECORD, else the packaged one).")
@click.option("--family", default=None, type=click.Choice(GROUPS),
              help="Also list this family's confirmed losses by snapshot date.")
@click.pass_context
def record_command(ctx: click.Context, as_json: bool, record_path: str | None,
                   family: str | None) -> None:
    """Show the loss record: Oryx's confirmed Russian tank losses by family, status and date.

    The snapshots' date range, the latest snapshot's losses by family and status (with Oryx's
    "Unknown tank" bucket) and where each figure came from. `tanksim record import FILE` adds
    a snapshot from a saved copy of Oryx's page.
    """
    if ctx.invoked_subcommand is not None:
        return
    from sim.api.record import record_summary
    from sim.present.record_text import summary_text

    summary = record_summary(record_path, family)
    click.echo(json.dumps(summary, indent=2) if as_json else summary_text(summary))


@record_command.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--date", default=None,
              help="The date of the page state, YYYY-MM-DD (default: the page's own; "
                   "required for a CSV).")
@click.option("--record", "record_path", default=None, type=click.Path(dir_okay=False),
              help="The record file to extend (default: $TANKSIM_RECORD, else "
                   "record/oryx-russia-tanks.csv here, started from the packaged record).")
@click.option("--force", is_flag=True, help="Replace a snapshot of the same date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def import_command(file: str, date: str | None, record_path: str | None, force: bool,
                   as_json: bool) -> None:
    """Add one snapshot to a record from a saved copy of Oryx's page (HTML) or a scraper CSV.

    The page's tank section is counted model by model and checked against its heading; a
    mismatch, an unknown model name or a date before the record's last is refused and the
    record left as it was.
    """
    from dataclasses import asdict

    from sim.api.record import import_record
    from sim.present.record_text import import_text

    result = import_record(file, date=date, record=record_path, force=force)
    click.echo(json.dumps(asdict(result), indent=2) if as_json else import_text(result))
