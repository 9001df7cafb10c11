"""Serial against Dask local workers on the same replications, and an estimate for 100 workers.

    python benchmarks/bench_parallel.py [--reps 100000] [--workers 2] [--chunk 4096]

Runs the scenario once in this process and once on ``--workers`` local Dask worker processes
(checking the two agree bit for bit), then measures what each chunk costs the client (result
size, unpickling, merging into the run's histograms) and the scheduler (round trip of an
empty chunk, moving a result of the same size), and from these estimates the throughput of
100 workers. The estimate's arithmetic is printed with it.
"""

from __future__ import annotations

import argparse
import functools
import pickle
import time
from pathlib import Path

import numpy as np

from sim.model.loader import load_scenario
from sim.parallel import DaskExecutor, dask_executor
from sim.runs.run import DEFAULT_CHUNK, run_chunk, run_scenario

REPO = Path(__file__).resolve().parents[1]
SEED = 20220224
ESTIMATE_WORKERS = 100
#: Network bandwidths (bytes/s) for the estimate: 1 and 10 Gbit/s Ethernet, less framing.
NETWORKS = {"1 Gbit/s": 117e6, "10 Gbit/s": 1.17e9}


def import_model() -> None:
    """Import the model on a worker, as its first chunk would."""
    import sim.runs.run  # noqa: F401


def empty_chunk(first: int, size: int) -> int:
    return size


def sized_chunk(nbytes: int, first: int, size: int) -> np.ndarray:
    return np.full(nbytes // 8, first, dtype=np.int64)


class TimedExecutor:
    """Wraps an executor; records the time the consumer spends between results (merging)."""

    def __init__(self, inner):
        self.inner = inner
        self.consumer_seconds: list[float] = []

    def map(self, task, chunks, progress):
        for result in self.inner.map(task, chunks, progress):
            handed = time.perf_counter()
            yield result
            self.consumer_seconds.append(time.perf_counter() - handed)


def per_chunk_seconds(executor, task, chunks) -> float:
    began = time.perf_counter()
    for _ in executor.map(task, chunks, None):
        pass
    return (time.perf_counter() - began) / len(chunks)


def best_of(f, n: int = 3) -> float:
    best = float("inf")
    for _ in range(n):
        began = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - began)
    return best


def same(a, b) -> bool:
    return np.array_equal(a.stats, b.stats) and all(
        np.array_equal(a.metrics[k], b.metrics[k]) for k in a.metrics
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(REPO / "scenarios" / "baseline.toml"))
    parser.add_argument("--reps", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--end", default=None, help="Last month (default: the scenario's).")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario, end=args.end)
    reps, chunk, workers = args.reps, args.chunk, args.workers
    n_chunks = -(-reps // chunk)
    print(f"{scenario.name}: {scenario.months} months, {len(scenario.family_names)} families, "
          f"{reps:,} replications in {n_chunks} chunks of {chunk:,}")  # fmt: skip

    began = time.perf_counter()
    serial = run_scenario(scenario, reps=reps, seed=SEED, chunk=chunk, engine="numpy")
    serial_s = time.perf_counter() - began
    print(f"serial:    {serial_s:8.1f} s  {reps / serial_s:8.0f} replications/s")

    output = run_chunk(scenario, SEED, False, 0, chunk, engine="numpy")
    blob = pickle.dumps(output, protocol=5)
    loads_s = best_of(lambda: pickle.loads(blob))

    began = time.perf_counter()
    with dask_executor(workers=workers) as executor:
        executor.client.run(import_model)
        startup_s = time.perf_counter() - began
        timed = TimedExecutor(executor)
        began = time.perf_counter()
        spread = run_scenario(scenario, reps=reps, seed=SEED, chunk=chunk, executor=timed,
                              engine="numpy")
        spread_s = time.perf_counter() - began
        empties = [(i * chunk, chunk) for i in range(200)]
        overhead_s = per_chunk_seconds(DaskExecutor(executor.client, in_flight=64),
                                       empty_chunk, empties)  # fmt: skip
        moves = [(i * chunk, chunk) for i in range(4 * workers)]
        move_s = per_chunk_seconds(executor, functools.partial(sized_chunk, len(blob)), moves)
    identical = same(serial, spread)
    merge_s = float(np.median(timed.consumer_seconds))
    print(f"{workers} workers: {spread_s:8.1f} s  {reps / spread_s:8.0f} replications/s  "
          f"speed-up {serial_s / spread_s:.2f}x  identical to serial: {identical}")  # fmt: skip
    print(f"           (+ {startup_s:.1f} s to start the cluster and import the model)")

    compute_s = serial_s / n_chunks - merge_s  # a worker's time for one chunk
    print("\nper chunk of", f"{chunk:,} replications:")
    print(f"  worker compute (serial time per chunk less its merge)  {compute_s:8.3f} s")
    print(f"  result size (pickled ChunkOutput)                      {len(blob) / 1e6:8.1f} MB")
    print(f"  client: unpickle                                       {loads_s:8.3f} s")
    print(f"  client: merge into the run's histograms (median)       {merge_s:8.3f} s")
    print(f"  scheduler round trip of an empty chunk (64 in flight)  {overhead_s:8.4f} s")
    print(f"  moving a result of that size to the client (loopback) {move_s:8.3f} s")

    print(f"\nestimate for {ESTIMATE_WORKERS} workers (one core each, this per-core speed):")
    demand = ESTIMATE_WORKERS / compute_s
    print(f"  workers finish {ESTIMATE_WORKERS} / {compute_s:.2f} s = {demand:.1f} chunks/s")
    client_s = loads_s + merge_s
    print(f"  the client's main thread takes {loads_s:.3f} + {merge_s:.3f} = {client_s:.3f} s a "
          f"chunk: at most {1 / client_s:.1f} chunks/s")  # fmt: skip
    print(f"  the scheduler: at most {1 / overhead_s:.0f} chunks/s")
    for name, bandwidth in NETWORKS.items():
        net_s = len(blob) / bandwidth
        limits = {
            "the workers": demand,
            "the client's merge": 1 / client_s,
            "the scheduler": 1 / overhead_s,
            "the client's network": 1 / net_s,
        }
        limit = min(limits, key=limits.get)
        rate = limits[limit]
        print(f"  {name} network: {len(blob) / 1e6:.1f} MB / {bandwidth / 1e6:.0f} MB/s = "
              f"{net_s:.3f} s a chunk, at most {1 / net_s:.1f} chunks/s")  # fmt: skip
        print(f"    -> min = {rate:.2f} chunks/s x {chunk:,} = {rate * chunk:,.0f} replications/s "
              f"({rate * chunk / (reps / serial_s):.1f}x serial), limited by {limit}")  # fmt: skip


if __name__ == "__main__":
    main()
