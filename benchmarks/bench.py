"""The performance benchmark, in one run: speed, peak memory, and the machine's limit.

1. Replications per second of the vectorised engine (``run_scenario``, one process), of the
   SimPy reference and of the plain-Python per-replication loop (from bench_reference.py),
   and their ratios.
2. Wall time and peak memory of ``--big-reps`` (default 1,000,000) replications of the
   baseline run with ``--workers`` processes, in a fresh subprocess. Peak memory is the
   largest sum of resident memory of that process and its workers, sampled every 0.2 s.
3. The machine's limit for this work, on one core: the random numbers the engine must draw
   (one float32 uniform per keyed stream row and replication-month, one gamma per
   replication-month), one plain numpy pass over the bytes it must touch each month (the
   stocks, the priority entries, the uniforms, the recorded series and its reading back),
   and one ``bincount`` per recorded value (exact percentiles need each value counted
   once); then engine time / limit time.
4. What the draws cost: the binomial counts the engine draws (n > 0) in one chunk are
   captured, then inverted again as the engine does (numpy passes) and drawn by numpy's
   compiled exact sampler, both timed on that same mix; scaled to ``--big-reps``, and
   against the time a replication may take at 1,000x the SimPy reference.

Run: ``python benchmarks/bench.py [--engine-reps 100000] [--big-reps 1000000]
[--workers 2] [--chunk N] [--scenario scenarios/baseline.toml]``. Prints figures; asserts
nothing. Timings vary with machine load: the ratios from one run are what to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reference import plain_replication  # noqa: E402

from sim.engine.inputs import build_inputs  # noqa: E402
from sim.engine.simulate import RECORDED, VARIABLES, simulate  # noqa: E402
from sim.engine.streams import RandomFlows, _binomial_quantile_1d  # noqa: E402
from sim.model.loader import load_scenario  # noqa: E402
from sim.reference import draw_values, simulate_reference  # noqa: E402
from sim.runs.run import DEFAULT_CHUNK, run_scenario  # noqa: E402
from sim.runs.sampling import draw_params  # noqa: E402

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
#: Replications whose draws are captured and timed in part 4 (one default chunk).
DRAW_REPS = DEFAULT_CHUNK


class ProcessExecutor:
    """A :class:`sim.runs.chunks.ChunkExecutor` on local worker processes: one chunk per worker
    plus one in flight, results handed back in chunk order (so few wait in memory)."""

    def __init__(self, workers: int):
        self.workers = workers

    def map(self, task, chunks, progress):
        with ProcessPoolExecutor(self.workers, mp_context=get_context("spawn")) as pool:
            pending = {}
            for index, (first, size) in enumerate(chunks):
                pending[index] = pool.submit(task, first, size)
                if len(pending) > self.workers:
                    yield from self._hand_back(pending, chunks, progress)
            while pending:
                yield from self._hand_back(pending, chunks, progress)

    @staticmethod
    def _hand_back(pending, chunks, progress):
        index = min(pending)
        result = pending.pop(index).result()
        if progress is not None:
            progress(chunks[index][1])
        yield result


def _tree_rss(root: int) -> int:
    """Resident bytes of process ``root`` and its children (from /proc)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if int(entry) == root or ppid == root:
                with open(f"/proc/{entry}/statm") as f:
                    total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return total


def child_run(scenario_path: str, reps: int, workers: int, chunk: int) -> None:
    """The big run, in its own process: prints JSON with seconds and peak memory."""
    scenario = load_scenario(scenario_path)
    peak, done = [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(os.getpid()))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    executor = ProcessExecutor(workers) if workers > 1 else None
    began, cpu = time.perf_counter(), time.process_time()
    result = run_scenario(scenario, reps=reps, seed=1, chunk=chunk, executor=executor,
                          engine="numpy")
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {
        "reps": reps,
        "workers": workers,
        "chunk": chunk,
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu + children.ru_utime + children.ru_stime,
        "peak_bytes": peak[0],
        "maxrss_self_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "maxrss_worker_bytes": children.ru_maxrss * 1024,
        "active_end_mean": float(result.metrics["active_end"].mean()),
    }
    print(json.dumps(out))


def timed(fn):
    began, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - began, time.process_time() - cpu, out


def per_second(fn, count: int, repeat: int = 3) -> float:
    """Best seconds per item of ``fn()``, which handles ``count`` items."""
    fn()
    best = min(timed(fn)[1] for _ in range(repeat))
    return best / count


def machine_limit(scenario, reps: int) -> dict[str, float]:
    """Seconds, on one core, that ``reps`` replications cannot go below (see module doc)."""
    months, families, entries = scenario.months, len(scenario.families), len(scenario.priority)
    supplies = len(scenario.supplies)
    rows = 3 * families + 2 * entries + 1 + supplies  # degradation x2 and losses; refurb x2
    rep_months = reps * months
    block = 1 << 20
    rng = np.random.default_rng(0)
    out32 = np.empty(block, np.float32)
    uniform = per_second(lambda: rng.random(out=out32, dtype=np.float32), block)
    shape = np.full(block, 16.0)
    gamma = per_second(lambda: rng.standard_gamma(shape), block)
    # One pass: read two arrays, write one (np.add), per byte moved; in cache and from memory.
    small = np.ones(families * 8192, np.int32)
    cached = per_second(lambda: np.add(small, small, out=small), 3 * small.nbytes, repeat=20)
    big = np.ones(1 << 26, np.int32)
    streamed = per_second(lambda: np.add(big, big, out=big), 3 * big.nbytes)
    series_values = len(VARIABLES) * (families + 1)
    per_month_cached = 2 * 4 * RECORDED * families + 2 * 8 * 5 * entries + 4 * rows
    per_month_streamed = 2 * 4 * series_values
    index = (np.arange(block) % 1500 + (np.arange(block) // 8192) * 1500).astype(np.int64)
    counting = per_second(lambda: np.bincount(index, minlength=int(index.max()) + 1), block)
    limit = {
        "uniforms": rep_months * rows * uniform,
        "gamma": rep_months * gamma,
        "passes_in_cache": rep_months * per_month_cached * cached,
        "passes_from_memory": rep_months * per_month_streamed * streamed,
        "histogram_counting": rep_months * series_values * counting,
    }
    limit["total"] = sum(limit.values())
    limit["rows"] = rows
    return limit


class _CapturingFlows(RandomFlows):
    """RandomFlows that keep n and p of every batch of binomial counts the engine draws
    (those with n > 0), to time drawing them apart from the model."""

    def __init__(self, *args):
        super().__init__(*args)
        self.batches: list[tuple[np.ndarray, np.ndarray]] = []

    def binomials(self, *requests):
        out = super().binomials(*requests)
        n, p = [], []
        for (_, count, prob, _), draws in zip(requests, out):
            drawn = np.broadcast_to(count, draws.shape) > 0
            n.append(np.broadcast_to(count, draws.shape)[drawn].astype(np.float64))
            p.append(np.broadcast_to(prob, draws.shape)[drawn].astype(np.float64))
        self.batches.append((np.concatenate(n), np.concatenate(p)))
        return out


def draw_cost(scenario, reps: int) -> dict[str, float]:
    """What the binomial draws cost, on the engine's own mix of (n, p) in one run of
    ``reps`` replications: draws with n > 0 per replication-month, and nanoseconds a draw
    for the engine's inversion (numpy passes) and for numpy's compiled exact sampler."""
    values = draw_params(scenario, seed=1, first_rep=0, reps=reps)
    flows = _CapturingFlows(1, 0, reps)
    simulate(build_inputs(scenario, values, integer=True), flows)
    rng = np.random.default_rng(0)
    batches = [(rng.random(len(n)), n, p) for n, p in flows.batches]
    draws = sum(len(n) for _, n, _ in batches)

    def invert():
        for u, n, p in batches:
            _binomial_quantile_1d(u, n, p)

    def sample():
        for _, n, p in batches:
            rng.binomial(n.astype(np.int64), p)

    return {
        "per_rep_month": draws / (reps * scenario.months),
        "inversion_ns": per_second(invert, draws) * 1e9,
        "numpy_sampler_ns": per_second(sample, draws) * 1e9,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(BASELINE))
    parser.add_argument("--engine-reps", type=int, default=100_000)
    parser.add_argument("--simpy-reps", type=int, default=20)
    parser.add_argument("--plain-reps", type=int, default=50)
    parser.add_argument("--big-reps", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_run(args.scenario, args.big_reps, args.workers, args.chunk)
        return

    scenario = load_scenario(args.scenario)
    families, entries = len(scenario.families), len(scenario.priority)
    print(f"tanksim benchmark: {Path(args.scenario).name}, {scenario.months} months, "
          f"{families} families, {entries} priority entries")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
          f"chunk {args.chunk:,}; load average {load:.1f} at start")  # fmt: skip

    run_scenario(scenario, reps=1024, seed=1, engine="numpy")  # warm-up: imports, PERT tables
    eng_s, eng_cpu, _ = timed(
        lambda: run_scenario(scenario, reps=args.engine_reps, seed=1, chunk=args.chunk,
                             engine="numpy")
    )
    ref_s, ref_cpu, _ = timed(lambda: simulate_reference(scenario, reps=args.simpy_reps, seed=2))

    def plain():
        rng = np.random.default_rng(3)
        values = draw_values(scenario, args.plain_reps, rng)
        for r in range(args.plain_reps):
            plain_replication(scenario, {k: float(a[r]) for k, a in values.items()}, rng)

    plain_s, plain_cpu, _ = timed(plain)
    rows = {
        "vectorised engine": (args.engine_reps, eng_s, eng_cpu),
        "SimPy reference": (args.simpy_reps, ref_s, ref_cpu),
        "plain Python loop": (args.plain_reps, plain_s, plain_cpu),
    }
    print(f"\n1. one process\n{'implementation':<20}{'reps':>10}{'wall s':>9}{'cpu s':>9}"
          f"{'reps/s (wall)':>15}{'reps/s (cpu)':>14}")  # fmt: skip
    for name, (reps, wall, cpu) in rows.items():
        print(
            f"{name:<20}{reps:>10,}{wall:>9.2f}{cpu:>9.2f}{reps / wall:>15,.1f}{reps / cpu:>14,.1f}"
        )
    rate = {name: reps / cpu for name, (reps, _, cpu) in rows.items()}
    print(f"vectorised / SimPy: {rate['vectorised engine'] / rate['SimPy reference']:,.0f}x   "
          f"vectorised / plain loop: {rate['vectorised engine'] / rate['plain Python loop']:,.0f}x"
          "  (cpu time)")  # fmt: skip

    print(f"\n2. {args.big_reps:,} replications, {args.workers} worker processes (subprocess)")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--scenario", args.scenario,
         "--big-reps", str(args.big_reps), "--workers", str(args.workers),
         "--chunk", str(args.chunk)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode:
        print(proc.stderr)
        raise SystemExit(proc.returncode)
    big = json.loads(proc.stdout.strip().splitlines()[-1])
    single = max(big["maxrss_self_bytes"], big["maxrss_worker_bytes"]) / 2**30
    print(f"wall {big['seconds']:.1f} s ({args.big_reps / big['seconds']:,.0f} reps/s), "
          f"cpu {big['cpu_seconds']:.1f} s, peak memory {big['peak_bytes'] / 2**30:.2f} GiB "
          f"(largest single process {single:.2f} GiB)")  # fmt: skip

    print(f"\n3. the machine's limit, one core, for {args.engine_reps:,} replications")
    limit = machine_limit(scenario, args.engine_reps)
    names = {
        "uniforms": f"float32 uniforms ({limit['rows']} stream rows a month)",
        "gamma": "gamma loss noise (one a month)",
        "passes_in_cache": "one pass over stocks, entries, uniforms",
        "passes_from_memory": "write and read back the recorded series",
        "histogram_counting": "one bincount per recorded value",
    }
    for key, label in names.items():
        print(f"  {label:<46}{limit[key]:8.2f} s")
    print(f"  {'limit':<46}{limit['total']:8.2f} s")
    print(f"engine cpu time / limit: {eng_cpu / limit['total']:.1f}")

    print(f"\n4. the draws, on the engine's own mix of counts ({DRAW_REPS:,} replications)")
    cost = draw_cost(scenario, DRAW_REPS)
    count = cost["per_rep_month"] * scenario.months * args.big_reps
    print(f"  {cost['per_rep_month']:.1f} counts with n > 0 per replication-month; "
          f"{count / 1e9:.2f} billion for {args.big_reps:,} replications")  # fmt: skip
    for key, label in (("inversion_ns", "the engine's inversion (numpy passes)"),
                       ("numpy_sampler_ns", "numpy's compiled exact sampler")):  # fmt: skip
        seconds = count * cost[key] * 1e-9
        print(f"  {label:<40}{cost[key]:6.0f} ns a draw: {seconds:6.1f} cpu s, "
              f"{seconds / args.workers:6.1f} s on {args.workers} cores")  # fmt: skip
    budget = 1e9 / (1000 * rate["SimPy reference"])
    per_rep = cost["per_rep_month"] * scenario.months * cost["inversion_ns"]
    print(f"  1,000x the SimPy reference allows {budget / 1e3:,.0f} us a replication; "
          f"its draws alone take {per_rep / 1e3:,.0f} us")  # fmt: skip


if __name__ == "__main__":
    main()
