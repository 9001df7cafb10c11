"""``tanksim rerun MANIFEST``: run a results folder's scenario again, as its manifest records,
and say whether every output file is byte for byte the same."""

from __future__ import annotations

import sys

import click

from sim.cli.options import ENGINES


@click.command(name="rerun")
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Results folder (default: the original folder's name + '-rerun').")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
@click.option("--allow-changed", is_flag=True,
              help="Rerun even if a scenario file changed since the run.")  # fmt: skip
@click.option("--engine", type=click.Choice(ENGINES), default=None,
              help="Month step: numpy or compiled (the same numbers). Default: the one the "
              "manifest records (numpy if it records none).")  # fmt: skip
def rerun_command(manifest, out, force, allow_changed, engine) -> None:
    """Rerun the run MANIFEST describes and say whether its files come out identical.

    MANIFEST is the manifest.json of any command's folder (run, deterministic or not,
    compare, report, sweep, sensitivity, discover, calibrate, hindcast): the same scenario
    files, seed, replications, chunk, sampling, horizon, options, targets and engine, under
    the same limits as the command it replays; every file the manifest lists is compared
    with the original's byte for byte. The rerun never writes into the original folder.

    Exit 0 when every file is identical, 1 when some differ or are missing on either side,
    2 for a manifest that cannot be replayed (one line naming the file, key and value).
    """
    from sim.api.rerun import rerun  # imports matplotlib: only when the command runs
    from sim.runs.engines import EngineError

    try:
        done = rerun(manifest, out, force=force, allow_changed=allow_changed, engine=engine)
    except EngineError as err:
        raise click.UsageError(str(err)) from None
    click.echo(f"wrote {done.folder}/", err=True)
    if done.original is None:
        click.echo("no original outputs beside the manifest; nothing compared")
        return
    if done.identical:
        click.echo(f"identical: {len(done.compared)} files ({', '.join(done.compared)}) "
                   f"match {done.original}/")  # fmt: skip
        return
    if done.differ:
        click.echo(f"differ: {', '.join(done.differ)}")
    if done.missing:
        click.echo(f"missing from the rerun: {', '.join(done.missing)}")
    if done.lost:
        click.echo(f"missing from the original (its manifest lists them): {', '.join(done.lost)}")
    sys.exit(1)
