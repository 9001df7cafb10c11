"""Run chunks of replications on Dask: local worker processes or an existing cluster.

The model never sees Dask. :func:`sim.runs.chunks.map_chunks` hands a pure chunk task and the
list of chunks to a :class:`~sim.runs.chunks.ChunkExecutor`; :class:`DaskExecutor` is one that
submits the chunks to a ``dask.distributed`` cluster and yields their reductions back in
chunk order. Random streams are keyed by replication block, never by chunk or worker, so the
results are bit-identical to a single-process run with the same seed, however many workers
run them and whichever worker runs (or re-runs) each chunk.

For commands, :func:`sim.cli.options.parallel_options` adds ``--workers N`` and ``--scheduler
ADDRESS`` and builds an :class:`OnDemandDaskExecutor` from them; this module imports no click.
Dask is imported only when one of them is given: single-process runs import nothing of it,
and it is an optional dependency (``pip install 'tanksim[dask]'``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from sim.runs.chunks import Chunk

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")

#: Seconds to wait for a scheduler to answer before giving up (structural: fail fast).
CONNECT_TIMEOUT = 5.0
#: Chunks submitted and not yet handed back, per worker thread: enough to keep every worker
#: busy while results travel, few enough that the client holds a bounded number of results.
IN_FLIGHT_PER_THREAD = 2
#: Worker deaths a chunk may live through before Dask gives up on it (Dask's default).
ALLOWED_FAILURES = 3
#: Re-runs of a chunk whose task raised. Chunk tasks are pure, so an error raised by one
#: repeats; one retry only covers a transient failure of its worker (e.g. memory).
RETRIES = 1
#: Times a run scatters its task again after the scheduler lost it with a dead worker.
RESCATTERS = 2
#: Dask's setting for worker processes that we undo: Dask sets ``MALLOC_TRIM_THRESHOLD_`` in
#: them to hand freed memory back to the system at once, which also turns off glibc's
#: adaptive mmap threshold, so each of the engine's large temporary arrays costs fresh pages:
#: a chunk of the baseline took 2x the time with it (benchmarks/bench_parallel.py).
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
#: Threads the compiled engine's parallel loop may use in a local worker process: one, as the
#: worker itself is one single-threaded process per core (more would oversubscribe the cores).
WORKER_NUMBA_THREADS = 1


#: Characters of a stranger's answer or an import error kept in the one-line reason.
REASON_CHARS = 160


class SchedulerUnreachable(ConnectionError):
    """No Dask scheduler answered at the given address."""


class DaskUnavailable(ImportError):
    """Dask is installed but does not import (one line, saying why)."""


def dask_setup(worker: object) -> None:
    """Run by each local worker process as it starts (Dask's preload hook): ignore Ctrl-C,
    keep Dask's own log quiet below CRITICAL, and hold the compiled engine to
    :data:`WORKER_NUMBA_THREADS` thread.

    The terminal sends Ctrl-C to every process of the command; the command then shuts its
    cluster down, so the workers need not (and would only print tracebacks). A worker whose
    heartbeat races the scheduler's shutdown logs a traceback at ERROR ("Stream is closed");
    a failed task reaches the client as an exception, so nothing the user needs is lost.

    The thread limit is set without importing numba: ``NUMBA_NUM_THREADS`` in the worker's
    environment, read when a compiled chunk first imports numba (and, should numba be
    loaded already, ``numba.set_num_threads``). Results do not depend on it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    limit_numba_threads(WORKER_NUMBA_THREADS)


def limit_numba_threads(threads: int) -> None:
    """Hold numba's parallel loops in this process to ``threads`` threads, without importing
    numba (``NUMBA_NUM_THREADS``, read at its import), or at once if it is imported."""
    os.environ["NUMBA_NUM_THREADS"] = str(threads)
    numba = sys.modules.get("numba")
    if numba is not None:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def _call_chunk(task: Callable[[int, int], T], first: int, size: int) -> T:
    """Run one chunk on a worker (module level, so workers import it by name)."""
    return task(first, size)


class DaskExecutor:
    """Runs chunk tasks on a ``dask.distributed`` cluster through ``client``.

    The task (which may hold large arrays, e.g. an ensemble's parameter values) is sent to
    the workers once per :meth:`map`, not with every chunk. At most ``in_flight`` chunks are
    submitted and not yet handed back (default: :data:`IN_FLIGHT_PER_THREAD` per worker
    thread, re-read as workers come and go), which bounds the results the client holds.
    A worker that dies takes its chunks with it; the scheduler runs them again elsewhere (up
    to :data:`ALLOWED_FAILURES` times on a cluster this module starts), and since a chunk is
    a pure function of its replications, the results do not change.
    """

    def __init__(self, client: Client, *, in_flight: int | None = None) -> None:
        if in_flight is not None and in_flight < 1:
            raise ValueError(f"in_flight must be at least 1, got {in_flight}")
        self.client = client
        self.in_flight = in_flight

    def describe(self) -> dict[str, Any]:
        """The scheduler's address and its workers and threads now, for a manifest."""
        threads = self.client.nthreads()
        return {"executor": "dask", "scheduler": self.client.scheduler.address,
                "workers": len(threads), "threads": sum(threads.values())}  # fmt: skip

    def _window(self) -> int:
        if self.in_flight is not None:
            return self.in_flight
        threads = sum(self.client.nthreads().values())
        return IN_FLIGHT_PER_THREAD * max(threads, 1)

    def map(
        self,
        task: Callable[[int, int], T],
        chunks: list[Chunk],
        progress: Callable[[int], None] | None,
    ) -> Iterator[T]:
        """Yield ``task(first, size)`` for each chunk, in chunk order.

        Chunks finish in any order; early finishers wait here until their turn. ``progress``
        is called with a chunk's size as soon as it finishes.
        """
        from concurrent.futures import CancelledError

        from distributed import as_completed

        client = self.client
        run_id = uuid.uuid4().hex[:12]
        (shared_task,) = client.scatter([task], broadcast=True, hash=False)
        finished = as_completed(loop=client.loop)
        pending = {}  # chunk index -> future
        buffered: dict[int, T] = {}
        next_submit = next_yield = scatters = 0

        def submit(index: int) -> None:
            first, size = chunks[index]
            pending[index] = client.submit(
                _call_chunk, shared_task, first, size,
                key=f"tanksim-chunk-{run_id}-{scatters}-{index}", pure=False,
                priority=-index, retries=RETRIES,
            )  # fmt: skip
            finished.add(pending[index])

        try:
            while next_yield < len(chunks):
                limit = min(len(chunks), next_yield + self._window())
                while next_submit < limit:
                    submit(next_submit)
                    next_submit += 1
                if next_yield in buffered:
                    yield buffered.pop(next_yield)
                    next_yield += 1
                    continue
                future = next(finished)
                index = int(future.key.rsplit("-", 1)[1])
                if pending.get(index) is not future:  # cancelled with a lost task, resubmitted
                    future.release()
                    continue
                try:
                    buffered[index] = future.result()
                except CancelledError:
                    # the scheduler lost the scattered task with a dead worker (a copy was on
                    # no other worker yet): scatter it again and resubmit every pending chunk
                    if scatters >= RESCATTERS:
                        raise
                    scatters += 1
                    shared_task.release()
                    (shared_task,) = client.scatter([task], broadcast=True, hash=False)
                    for waiting in list(pending):
                        submit(waiting)
                    continue
                del pending[index]
                future.release()
                if progress is not None:
                    progress(chunks[index][1])
        finally:
            finished.clear()
            if pending:
                client.cancel(list(pending.values()))
            shared_task.release()


def _reason(err: BaseException) -> str:
    """The innermost cause of a connection error, on one line."""
    while err.__cause__ is not None:
        err = err.__cause__
    text = re.sub(r"^in <[^>]*>: ", "", str(err))  # distributed's "in <Connector ...>: "
    text = " ".join(text.split())
    return text or type(err).__name__


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Connect to ``address``, ask who answers (Dask's ``identity``) and close.

    Raises :class:`SchedulerUnreachable` after at most ``timeout`` seconds in all, when
    nothing answers, when what answers does not speak Dask's protocol (an HTTP server, a
    listener that never replies: Dask's own handshake waits for a reply without a limit), or
    when it is a Dask process but not a scheduler (a worker). (Done apart from creating the
    ``Client``, which on failure leaves a half-made client that stalls the interpreter's
    exit.)
    """
    from distributed.comm import connect
    from distributed.core import send_recv
    from distributed.security import Security

    async def probe() -> object:
        args = Security().get_connection_args("client")
        comm = await connect(address, timeout=timeout, **args)
        try:
            return await send_recv(comm, op="identity")
        finally:
            comm.abort()

    async def bounded() -> object:
        return await asyncio.wait_for(probe(), timeout)

    try:
        identity = asyncio.run(bounded())
    except TimeoutError:  # asyncio.wait_for: nothing answered in time
        reason = (f"no answer in Dask's protocol within {timeout:g} s (something that is "
                  "not a Dask scheduler, or one too busy to reply)")
    except OSError as err:
        reason = " ".join(str(err).split())
        if err.__cause__ is not None:  # distributed's timeout, caused by the real failure
            reason = f"no connection in {timeout:g} s ({_reason(err)})"
    except (ValueError, TypeError) as err:  # a malformed address, a missing TLS setup
        reason = _reason(err)
    except Exception as err:  # noqa: BLE001 - whatever a stranger answers, it is one line
        reason = f"not a Dask scheduler ({type(err).__name__}: {_reason(err)[:REASON_CHARS]})"
    else:
        kind = identity.get("type") if isinstance(identity, dict) else None
        if isinstance(kind, str) and kind.endswith("Scheduler"):
            return
        reason = f"not a Dask scheduler (it says it is a {str(kind)[:REASON_CHARS]})"
    raise SchedulerUnreachable(f"cannot reach Dask scheduler at {address}: {reason}")


@contextlib.contextmanager
def dask_executor(
    *, workers: int | None = None, scheduler: str | None = None,
    connect_timeout: float | None = None,
) -> Iterator[DaskExecutor]:  # fmt: skip
    """A :class:`DaskExecutor` on ``workers`` local processes or on the cluster whose
    scheduler is at ``scheduler`` (e.g. ``"tcp://10.0.0.5:8786"``); give exactly one.

    A local cluster (one single-threaded worker process each, on loopback, no dashboard) is
    shut down on leaving the block, also after an error or Ctrl-C; an existing cluster is
    only disconnected from. Raises :class:`SchedulerUnreachable` when ``scheduler`` does not
    answer as a Dask scheduler within ``connect_timeout`` seconds, and
    :class:`DaskUnavailable` when Dask does not import. ``connect_timeout`` None is
    :data:`CONNECT_TIMEOUT`.
    """
    if (workers is None) == (scheduler is None):
        raise ValueError("give exactly one of workers and scheduler")
    try:
        import dask
        from distributed import Client, LocalCluster
    except Exception as err:  # noqa: BLE001 - an optional part: whatever breaks its import
        reason = " ".join(str(err).split())[:REASON_CHARS]
        raise DaskUnavailable(
            f"Dask is installed but does not import ({type(err).__name__}: {reason})"
        ) from None

    if connect_timeout is None:
        connect_timeout = CONNECT_TIMEOUT
    if scheduler is not None:
        check_scheduler(scheduler, connect_timeout)
        try:
            client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
        except OSError as err:
            raise SchedulerUnreachable(
                f"cannot reach Dask scheduler at {scheduler}: {_reason(err)}"
            ) from None
        with client:
            yield DaskExecutor(client)
        return
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    with contextlib.ExitStack() as stack:
        with interrupts_ignored(), dask.config.set(WORKER_ENVIRON):
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.CRITICAL, preload=[__name__],
                # No dashboard; the scheduler's plain HTTP routes on a free port, not 8787.
                scheduler_kwargs={"allowed_failures": ALLOWED_FAILURES, "dashboard_address": ":0"},
            )  # fmt: skip
            stack.enter_context(cluster)
            client = stack.enter_context(Client(cluster, set_as_default=False))
        yield DaskExecutor(client)


@contextlib.contextmanager
def interrupts_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while local worker processes start (they inherit the setting).

    The terminal sends Ctrl-C to every process of the command, and a worker interrupted
    before :func:`dask_setup` has run fails its start with a traceback. So a Ctrl-C in the
    few seconds the workers take to start is dropped; one after stops the command cleanly.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield  # signals are set from the main thread only; None: set outside Python
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class OnDemandDaskExecutor:
    """A :class:`DaskExecutor` made by :func:`dask_executor` on the first :meth:`map` and
    kept open on ``stack``, so a command that stops early (bad input, an expected-value run)
    starts no cluster. Closing ``stack`` closes the cluster or the connection."""

    def __init__(
        self, stack: contextlib.ExitStack, *, workers: int | None, scheduler: str | None
    ) -> None:
        self.stack = stack
        self.workers = workers
        self.scheduler = scheduler
        self.executor: DaskExecutor | None = None

    def describe(self) -> dict[str, Any]:
        """The cluster's description once started; until then what was asked for."""
        if self.executor is not None:
            return self.executor.describe()
        return {"executor": "dask", "scheduler": self.scheduler, "workers": self.workers}

    def map(
        self,
        task: Callable[[int, int], T],
        chunks: list[Chunk],
        progress: Callable[[int], None] | None,
    ) -> Iterator[T]:
        """Start (or reuse) the Dask executor and map ``task`` over ``chunks`` on it."""
        if self.executor is None:
            self.executor = self.stack.enter_context(
                dask_executor(workers=self.workers, scheduler=self.scheduler)
            )
        return self.executor.map(task, chunks, progress)
