"""Progress bars on stderr for long commands (shell side: the library only takes a
``progress`` callable, called with the number of replications each finished chunk held)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click


def _ignore(done: int) -> None:
    """A progress callback that shows nothing."""


def steady_eta(bar):
    """Make ``bar``'s ETA (a click progress bar) the pace since its first update.

    click estimates the time left from the time since the bar was drawn divided by the
    work done, averaged over its last seven estimates. The first chunk's time holds the
    command's start (loading the engine, drawing the design), so for a short job the
    estimate was many times the job (about 2 minutes shown for a 3-second sensitivity run)
    and stayed high for seven seconds. Here the ETA is shown from the second update on, as
    the time since the first update per replication done since, times those left.
    """
    first: list[tuple[float, int]] = []
    click_step = bar.make_step

    def make_step(n_steps: int) -> None:
        click_step(n_steps)
        now = time.monotonic()
        if not first:
            first.append((now, bar.pos))
            bar.avg, bar.eta_known = [], False
            return
        since, done = first[0]
        if bar.pos > done and now > since:
            bar.avg = [(now - since) / (bar.pos - done)]
            bar.eta_known = bar.length is not None

    bar.make_step = make_step
    return bar


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
        yield steady_eta(bar).update


class StagedProgress:
    """One bar for a job of ``stages`` runs (e.g. one ABC-SMC run per competing hypothesis)
    of about ``per_stage`` replications each, so the bar counts the whole job.

    Call it with replications done (as a ``progress`` callable); call :meth:`next_stage`
    when a run starts. A run that simulates more than ``per_stage`` lengthens the bar by the
    excess; one that ends early skips the rest of its share, so the bar ends full.
    """

    def __init__(self, bar, stages: int, per_stage: int, label: str) -> None:
        self.bar, self.stages, self.per_stage, self.label = bar, max(stages, 1), per_stage, label
        self.stage, self.done = 0, 0

    def __call__(self, done: int) -> None:
        if self.bar is None:
            return
        self.done += done
        if self.done > self.per_stage:  # this run goes on past its share: lengthen the bar
            self.bar.length += min(done, self.done - self.per_stage)
        self.bar.update(done)

    def plan(self, stages: int) -> None:
        """The job makes ``stages`` runs (known once its input is read): the bar's length."""
        self.stages = max(stages, 1)
        if self.bar is not None:
            self.bar.length = self.stages * self.per_stage

    def next_stage(self, name: str = "") -> None:
        """A new run begins: skip what the previous one left of its share."""
        if self.bar is None:
            return
        if self.stage:
            self.bar.update(max(self.per_stage - self.done, 0))
        self.stage, self.done = self.stage + 1, 0
        if self.stages > 1:
            self.bar.label = f"{self.label} {self.stage}/{self.stages}"

    def finish(self) -> None:
        """The job is done: fill what the last run left of its share."""
        if self.bar is not None:
            self.bar.update(max(self.per_stage - self.done, 0))
            self.done = self.per_stage


@contextmanager
def staged_progress_bar(
    stages: int, per_stage: int, label: str, *, enabled: bool = True
) -> Iterator[StagedProgress]:
    """A :class:`StagedProgress` over a bar of ``stages * per_stage`` replications on stderr,
    shown only when ``enabled`` and stderr is a terminal (otherwise it does nothing)."""
    if not enabled or not sys.stderr.isatty():
        yield StagedProgress(None, stages, per_stage, label)
        return
    with click.progressbar(
        length=max(stages, 1) * per_stage, label=label, file=sys.stderr, show_eta=True,
        show_percent=True, item_show_func=None, width=30,
    ) as bar:  # fmt: skip
        yield StagedProgress(steady_eta(bar), stages, per_stage, label)


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
            yield from self.inner.map(task, chunks, steady_eta(bar).update)
