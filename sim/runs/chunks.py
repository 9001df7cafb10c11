"""Split replications into chunks and map a task over them, in chunk order.

A chunk is ``(first, size)``: replications ``first .. first + size - 1``. Random streams are
keyed by replication block (:data:`sim.engine.streams.BLOCK`), never by chunk or worker, so how the
replications are chunked, and where each chunk runs, changes no number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from sim.engine.streams import BLOCK

T = TypeVar("T")
Chunk = tuple[int, int]


def plan_chunks(reps: int, chunk: int) -> list[Chunk]:
    """``(first, size)`` for each chunk of at most ``chunk`` replications, in order."""
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if chunk < 1 or chunk % BLOCK:
        raise ValueError(f"chunk must be a positive multiple of {BLOCK}, got {chunk}")
    return [(first, min(chunk, reps - first)) for first in range(0, reps, chunk)]


class ChunkExecutor(Protocol):
    """Runs chunk tasks somewhere else (e.g. on Dask workers)."""

    def map(
        self,
        task: Callable[[int, int], T],
        chunks: list[Chunk],
        progress: Callable[[int], None] | None,
    ) -> Iterator[T]:
        """Yield ``task(first, size)`` for each chunk, in chunk order."""
        ...


def map_chunks(
    task: Callable[[int, int], T],
    chunks: list[Chunk],
    *,
    progress: Callable[[int], None] | None = None,
    executor: ChunkExecutor | None = None,
) -> Iterator[T]:
    """Yield ``task(first, size)`` for each chunk, in chunk order, one at a time.

    ``task`` must be a pure function of its chunk (so it may run anywhere); ``progress``,
    if given, is called with the number of replications each finished chunk held. Without an
    ``executor`` the chunks run here, one after another.
    """
    if executor is not None:
        yield from executor.map(task, chunks, progress)
        return
    for first, size in chunks:
        result = task(first, size)
        if progress is not None:
            progress(size)
        yield result


def describe_executor(executor: ChunkExecutor | None) -> dict[str, Any]:
    """Where chunks ran, for a run's manifest (it changes no number, but explains timings):
    ``{"executor": "this process"}`` without an executor, else the executor's own
    ``describe()`` when it has one, else its class name."""
    if executor is None:
        return {"executor": "this process"}
    describe = getattr(executor, "describe", None)
    return describe() if callable(describe) else {"executor": type(executor).__name__}
