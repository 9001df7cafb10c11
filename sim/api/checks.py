"""The checks of the api's arguments that span more than one, made once here for the
command line and Python callers alike, each an :class:`~sim.model.errors.InputError`
naming the arguments (``{arg:NAME}``). Imports nothing heavy: a command with bad input
fails before numpy's figures are loaded."""

from __future__ import annotations

from collections.abc import Sequence

from sim.model.errors import InputError
from sim.model.params import Scenario


def distinct_names(names: Sequence[str]) -> None:
    """Scenarios run or compared together need distinct names (their folders, columns)."""
    if len(set(names)) != len(names):
        raise InputError(f"two scenarios share a name: {', '.join(names)}")


def check_sizes(draws: int, particles: int) -> None:
    """ABC-SMC keeps ``particles`` of the ``draws`` of each generation."""
    if particles > draws:
        raise InputError(f"{{arg:particles}} = {particles}: cannot exceed {{arg:draws}} ({draws})")


def check_run(scenario: Scenario, *, reps: int | None, deterministic: bool, chunk: int,
                    sampling: str) -> None:  # fmt: skip
    """Refuse a run :func:`run` cannot make, before it starts (an
    :class:`~sim.model.errors.InputError` naming the argument): a chunk that is not a whole
    number of blocks, a design for a deterministic run that draws nothing, or replications
    and memory beyond :mod:`sim.analysis.budget`'s caps."""
    from sim.analysis.budget import check_run_budget
    from sim.engine.streams import BLOCK

    if chunk % BLOCK:
        raise InputError(f"{{arg:chunk}} = {chunk}: must be a multiple of {BLOCK}")
    if deterministic and sampling != "random" and reps is None:
        raise InputError(f"{{arg:sampling}} {sampling}: a {{arg:deterministic}} run draws "
                         "nothing without {arg:reps} (one path at the means)")  # fmt: skip
    paths = reps or 1
    what = f"{{arg:reps}} {paths:,}" + ("" if deterministic else f" {{arg:chunk}} {chunk:,}")
    check_run_budget(what, scenario, paths, deterministic, chunk=chunk)
