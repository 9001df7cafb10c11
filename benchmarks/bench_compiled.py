"""Benchmark the compiled month step against the numpy engine, in one run, on the baseline.

Prints (processor seconds, ``cpu``, are the steadier figure on a shared machine; the
compiled kernel's threads are counted in them):

1. a whole run (draw parameters, simulate, reduce) of ``--reps`` replications on each
   engine: replications per cpu-second and per wall-second;
2. the month step alone (``simulate`` on one chunk), cpu microseconds per replication, on
   each engine, and within the compiled one the keyed uniforms against the kernel (with the
   compiled step's figure before its speed work, from CHANGELOG.md, for comparison);
3. the SimPy reference and the plain-Python loop (bench_reference.py), replications per
   cpu-second, and the ratios;
4. the floor: the uniforms the compiled engine draws plus the inversion of the engine's
   own mix of binomial draws in compiled code (sim.engine.compiled_draws: the kernel's own
   batched inversion, and the one-draw-at-a-time inversion the floor used before), per
   replication;
5. compile time: the first call with an empty numba cache, and a start from the cache
   (each in a fresh process: import, then one small chunk);
6. ``--big-reps`` (10**6) replications on the compiled engine in a child process (one
   process; the kernel uses every core), wall time and peak resident memory: with each
   chunk reduced after it is simulated, then reduced while the next is simulated.

The numpy engine's whole run goes first: once the compiled engine is loaded the reducer
counts its histograms in compiled code (sim.runs.reduce), which would flatter numpy's figure.

Run: ``python benchmarks/bench_compiled.py`` (about 10 minutes here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import _CapturingFlows, timed  # noqa: E402
from bench_reference import plain_replication  # noqa: E402

from sim.engine import compiled  # noqa: E402
from sim.engine.inputs import build_inputs  # noqa: E402
from sim.engine.simulate import simulate as numpy_simulate  # noqa: E402
from sim.engine.streams import HALF_STEP, RandomFlows  # noqa: E402
from sim.model.loader import load_scenario  # noqa: E402
from sim.reference import draw_values, simulate_reference  # noqa: E402
from sim.runs import run as run_module  # noqa: E402
from sim.runs.run import DEFAULT_CHUNK, run_scenario  # noqa: E402
from sim.runs.sampling import draw_params  # noqa: E402

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
#: The compiled month step before its speed work (CHANGELOG.md, 2026-11-30, chunk of
#: 8,192): cpu us per replication, and the numpy engine's in the same run.
BEFORE = {"compiled": 184.9, "numpy": 111.5}
START = (
    "import time; t = time.perf_counter()\n"
    "from sim.model.loader import load_scenario\n"
    "from sim.runs.run import run_scenario\n"
    "run_scenario(load_scenario({path!r}), reps=1024, seed=1, engine='compiled')\n"
    "print(time.perf_counter() - t)\n"
)


def best_cpu(fn, repeat: int = 2) -> float:
    """Least processor seconds of ``repeat`` calls of ``fn`` (after one warm-up)."""
    fn()
    return min(timed(fn)[1] for _ in range(repeat))


def month_step(scenario, reps: int) -> dict[str, float]:
    """cpu microseconds per replication of ``simulate`` on one chunk, each engine, and of
    the compiled engine's two parts (uniforms from the keyed streams; the kernel)."""
    values = draw_params(scenario, seed=1, first_rep=0, reps=reps)
    inputs = build_inputs(scenario, values, integer=True)
    months = scenario.months

    def uniforms():
        flows = RandomFlows(1, 0, reps)
        flows.plan(months)
        for first in range(0, months, compiled.BATCH):
            compiled._draws(inputs, flows, first, min(first + compiled.BATCH, months))

    out = {
        "numpy": best_cpu(lambda: numpy_simulate(inputs, RandomFlows(1, 0, reps))),
        "compiled": best_cpu(lambda: compiled.simulate(inputs, RandomFlows(1, 0, reps)) and None),
        "uniforms": best_cpu(uniforms),
    }
    return {k: v / reps * 1e6 for k, v in out.items()}


def floor(scenario, reps: int) -> dict[str, float]:
    """The floor per replication (cpu us): the compiled engine's uniforms plus, in compiled
    code, the inversion of the binomial draws the engine made (its own mix of n and p):
    ``batched`` as the kernel inverts them (a tile's draws together, the exact searches in
    lockstep; log1p computed for every exact draw), ``one_by_one`` a draw at a time."""
    import numba

    from sim.engine.compiled_draws import binomial, invert_binomials, push

    @numba.njit
    def one_by_one(u, n, p):
        total = 0.0
        for i in range(len(u)):
            total += binomial(u[i], n[i], p[i])
        return total

    @numba.njit
    def batched(u, n, p, block):
        draws, work = np.empty((6, block)), np.empty((8, block))
        slots, iwork = np.empty(block, np.int64), np.empty((2, block), np.int64)
        out = np.empty(block)
        total = 0.0
        for first in range(0, len(u), block):
            size = 0
            for i in range(first, min(first + block, len(u))):
                q = 1.0 - p[i] if p[i] > 0.5 else p[i]
                size = push(draws, slots, size, size, u[i], n[i], p[i], q, np.nan, np.nan)
            invert_binomials(size, draws, slots, out, work, iwork)
            total += out[:size].sum()
        return total

    values = draw_params(scenario, seed=1, first_rep=0, reps=reps)
    inputs = build_inputs(scenario, values, integer=True)
    flows = _CapturingFlows(1, 0, reps)
    numpy_simulate(inputs, flows)
    n = np.concatenate([b[0] for b in flows.batches])
    p = np.concatenate([b[1] for b in flows.batches])
    u = np.random.default_rng(0).random(len(n)).astype(np.float32).astype(np.float64) + HALF_STEP
    block = 64 * 10  # about a tile's draws of degradation and losses in a month
    assert one_by_one(u, n, p) == batched(u, n, p, block)
    return {"draws_per_rep_month": len(n) / (reps * scenario.months),
            "batched_us": best_cpu(lambda: batched(u, n, p, block)) / reps * 1e6,
            "one_by_one_us": best_cpu(lambda: one_by_one(u, n, p)) / reps * 1e6}  # fmt: skip


def start_seconds(cache: str) -> float:
    """Seconds for a fresh process to import tanksim and run one chunk on the compiled engine,
    with numba's cache in ``cache``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    proc = subprocess.run([sys.executable, "-c", START.format(path=str(BASELINE))], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return float(proc.stdout.strip().splitlines()[-1])


def big_run(reps: int, chunk: int, overlap: bool) -> None:
    """The 10**6 run, in this (child) process: prints JSON with seconds and peak memory
    (the process's largest resident size: one process, whose threads share it).
    ``overlap`` False reduces each chunk in the main thread after simulating it (as before
    sim.runs.run.OVERLAP)."""
    run_module.OVERLAP = overlap
    scenario = load_scenario(BASELINE)
    run_scenario(scenario, reps=1024, seed=1, engine="compiled")  # load the cached kernel
    wall, cpu, result = timed(
        lambda: run_scenario(scenario, reps=reps, seed=1, chunk=chunk, engine="compiled")
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "peak_bytes": peak,
                      "active_end_mean": float(result.metrics["active_end"].mean())}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=32_768)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--simpy-reps", type=int, default=20)
    parser.add_argument("--plain-reps", type=int, default=50)
    parser.add_argument("--big-reps", type=int, default=1_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-overlap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        big_run(args.big_reps, args.chunk, overlap=not args.no_overlap)
        return
    scenario = load_scenario(BASELINE)
    print(f"tanksim compiled-engine benchmark, {time.strftime('%Y-%m-%d')}: baseline, "
          f"{scenario.months} months, {len(scenario.families)} families, "
          f"{len(scenario.priority)} priority entries")  # fmt: skip
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus; "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip

    print("\n1. whole runs")
    rates = {}
    for engine in ("numpy", "compiled"):
        run_scenario(scenario, reps=1024, seed=1, engine=engine)  # warm-up
        wall, cpu, _ = timed(lambda e=engine: run_scenario(scenario, reps=args.reps, seed=1,
                                                           chunk=args.chunk, engine=e))  # fmt: skip
        rates[engine] = args.reps / cpu
        print(f"{engine:<9} {args.reps:,} reps: {wall:.1f} s wall, {cpu:.1f} s cpu, "
              f"{args.reps / cpu:,.0f} reps/cpu-s, {args.reps / wall:,.0f} reps/wall-s")

    print(f"\n2. the month step alone, one chunk of {args.chunk:,} (cpu us per replication)")
    step = month_step(scenario, args.chunk)
    print(f"numpy engine {step['numpy']:.1f}; compiled engine {step['compiled']:.1f} "
          f"(uniforms {step['uniforms']:.1f}, kernel {step['compiled'] - step['uniforms']:.1f}); "
          f"compiled / numpy {step['compiled'] / step['numpy']:.2f}")  # fmt: skip
    print(f"before the speed work (CHANGELOG.md): compiled {BEFORE['compiled']:.1f} against numpy "
          f"{BEFORE['numpy']:.1f} ({BEFORE['compiled'] / BEFORE['numpy']:.2f}x numpy); now "
          f"{step['compiled'] / step['numpy']:.2f}x numpy")  # fmt: skip

    print("\n3. the SimPy reference and the plain-Python loop")
    _, ref_cpu, _ = timed(lambda: simulate_reference(scenario, reps=args.simpy_reps, seed=2))

    def plain():
        rng = np.random.default_rng(3)
        values = draw_values(scenario, args.plain_reps, rng)
        for r in range(args.plain_reps):
            plain_replication(scenario, {k: float(a[r]) for k, a in values.items()}, rng)

    _, plain_cpu, _ = timed(plain)
    simpy, loop = args.simpy_reps / ref_cpu, args.plain_reps / plain_cpu
    print(f"SimPy {simpy:,.1f} reps/cpu-s; plain loop {loop:,.1f} reps/cpu-s")
    for engine, rate in rates.items():
        print(f"{engine}: {rate / simpy:,.0f}x SimPy, {rate / loop:,.0f}x the plain loop "
              f"(1,000x SimPy would be {1000 * simpy:,.0f} reps/cpu-s)")  # fmt: skip

    print(f"\n4. the floor, one chunk of {args.chunk:,} (cpu us per replication)")
    low = floor(scenario, args.chunk)
    for name in ("batched", "one_by_one"):
        bound = step["uniforms"] + low[f"{name}_us"]
        print(f"{name.replace('_', ' ')} inversion: uniforms {step['uniforms']:.1f} + "
              f"{low[f'{name}_us']:.1f} = {bound:.1f}; the compiled month step is "
              f"{step['compiled'] / bound:.2f}x it, the whole run "
              f"({1e6 / rates['compiled']:.1f} us) "
              f"{1e6 / rates['compiled'] / bound:.2f}x")  # fmt: skip
    print(f"({low['draws_per_rep_month']:.1f} binomial draws with n > 0 per replication-month)")

    print("\n5. compile time (a fresh process: import, one chunk of 1,024)")
    with tempfile.TemporaryDirectory() as cache:
        first = start_seconds(cache)
        cached = start_seconds(cache)
    print(f"empty cache {first:.1f} s; from the cache {cached:.1f} s")

    print(f"\n6. {args.big_reps:,} replications, compiled engine, one process: each chunk "
          "reduced in the main thread after it is simulated (before), then in a second thread "
          "while the next is simulated (sim.runs.run.OVERLAP)")  # fmt: skip
    for label, extra in (("chunks one after another", ["--no-overlap"]), ("overlapped", [])):
        proc = subprocess.run([sys.executable, __file__, "--child", "--big-reps",
                               str(args.big_reps), "--chunk", str(args.chunk), *extra],
                              capture_output=True, text=True, check=True)  # fmt: skip
        big = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{label}: {big['seconds']:.1f} s wall, {big['cpu_seconds']:.1f} s cpu "
              f"({big['cpu_seconds'] / args.big_reps * 1e6:.1f} us a replication, "
              f"{big['cpu_seconds'] / big['seconds']:.2f} cores), "
              f"{args.big_reps / big['seconds']:,.0f} reps/wall-s, peak "
              f"{big['peak_bytes'] / 2**30:.2f} GiB, active_end mean "
              f"{big['active_end_mean']!r}; load average {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
