"""Progress bars on stderr for long commands (shell side: the library only takes a
``progress`` callable, called with the number of replications each finished chunk held)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

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


class ProgressBarExecutor:
    """Draws a progress bar (replications done, as chunks finish anywhere) over another
    executor's chunks, on ``file`` (default stderr) when it is a terminal.

    A caller that follows progress itself (passes a ``progress`` callable, e.g. a command
    with its own :func:`progress_bar`) gets no second bar: its callable is called as chunks
    finish on the cluster.
    """

    def __init__(self, inner, file: IO[str] | None = None) -> None:
        self.inner = inner
        self.file = file

    def describe(self) -> dict[str, Any]:
        """The inner executor's description."""
        from sim.runs.chunks import describe_executor

        return describe_executor(self.inner)

    def map(self, task: Callable, chunks: list, progress: Callable[[int], None] | None):
        """The inner executor's results, with the bar advancing per finished chunk."""
        file = self.file if self.file is not None else sys.stderr
        if progress is not None or not file.isatty():
            yield from self.inner.map(task, chunks, progress)
            return
        total = sum(size for _, size in chunks)
        label = f"{total:,} replications, {len(chunks)} chunks"
        with click.progressbar(length=total, label=label, file=file) as bar:
            yield from self.inner.map(task, chunks, bar.update)
