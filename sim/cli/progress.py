"""Progress bars on stderr for long commands (shell side: the library only takes a
``progress`` callable, called with the number of replications each finished chunk held)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


def _ignore(done: int) -> None:
    """A progress callback that shows nothing."""


@contextmanager
def progress_bar(
    total: int, label: str, *, enabled: bool = True
) -> Iterator[Callable[[int], None]]:
    """A callable advancing a bar of ``total`` replications on stderr.

    The bar is shown only when ``enabled`` and stderr is a terminal (so nothing reaches logs,
    pipes or ``--json`` output); otherwise the callable does nothing.
    """
    if not enabled or not sys.stderr.isatty():
        yield _ignore
        return
    with click.progressbar(
        length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True,
        item_show_func=None, width=30,
    ) as bar:  # fmt: skip
        yield bar.update
