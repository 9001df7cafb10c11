"""What a ``save_*`` call of the api returns (:class:`Saved`), and the steps every one
shares: the scenario loaded, the target folder checked before anything runs (default
``results/<command>-<name>/``), progress shown through the caller's ``track``, the folder
written atomically (:func:`sim.io.output.write_folder`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import defaults
from sim.model.params import Scenario

#: ``track(total replications, label)``: a context manager yielding ``progress(done)``.
Track = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class Saved:
    """A folder a ``save_*`` call wrote: where, in how many seconds of wall time, the
    analysis itself (``result``), what ``--json`` prints (``data``), the plain-text summary
    (``text``), warnings about the result, a note for the ``wrote`` line, and ``notes``: lines
    the command prints on stderr as they are (each argument named ``{arg:NAME}``, as in
    :class:`~sim.model.errors.InputError`)."""

    folder: Path
    seconds: float
    result: Any
    data: dict
    text: str
    warnings: tuple[str, ...] = ()
    note: str = ""
    notes: tuple[str, ...] = ()


def untracked(total: int, label: str) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(None)


def target_folder(out: str | Path | None, default: str, force: bool) -> Path:
    from sim.io.output import check_target

    target = Path(out) if out is not None else Path(defaults.RESULTS_ROOT) / default
    check_target(target, force)
    return target


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    from sim.api.scenarios import load_scenario

    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def write_atomically(target: Path, force: bool, write: Callable[[Path], None]) -> None:
    from sim.io.output import write_folder

    write_folder(target, write, force=force)
