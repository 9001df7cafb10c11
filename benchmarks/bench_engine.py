"""Benchmark: replications per second of the baseline, and where the time goes.

Run: ``python benchmarks/bench_engine.py [--reps 10000 100000] [--profile-reps 8192]``.
Prints wall and processor seconds and a profile (processor time per function); asserts
nothing. ``benchmarks/bench.py`` prints every figure of the numpy engine in
docs/performance.md (speed against the reference implementations, the million-replication
run, the machine's limit) in one run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import time
from pathlib import Path

import numpy as np

from sim.model.loader import load_scenario
from sim.runs.run import run_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def time_run(scenario, reps: int) -> tuple[float, float]:
    began, cpu = time.perf_counter(), time.process_time()
    run_scenario(scenario, reps=reps, seed=1, engine="numpy")
    return time.perf_counter() - began, time.process_time() - cpu


def profile_run(scenario, reps: int, top: int) -> None:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    run_scenario(scenario, reps=reps, seed=1, engine="numpy")
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    print(f"\nwhere the time goes ({reps:,} replications, own time per function):")
    wall = max(v[3] for v in stats.stats.values())
    for (file, line, name), (_cc, calls, own, _cum, _callers) in rows:
        where = f"{Path(file).name}:{line}({name})" if line else name
        print(f"  {own:7.2f} s  {100 * own / wall:5.1f} %  {calls:>9,} calls  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--profile-reps", type=int, default=8192)
    parser.add_argument("--top", type=int, default=14)
    args = parser.parse_args()
    scenario = load_scenario(BASELINE)
    print(
        f"tanksim benchmark: baseline {scenario.months} months, {len(scenario.families)} families"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}, cpus {os.cpu_count()}")
    time_run(scenario, 1024)  # warm-up: imports, scipy distribution set-up
    for reps in args.reps:
        wall, cpu = time_run(scenario, reps)
        print(f"{reps:>9,} replications: {wall:8.1f} s wall {cpu:8.1f} s cpu "
              f"{reps / cpu:10,.0f} replications/s (cpu)")  # fmt: skip
    if args.profile_reps:
        profile_run(scenario, args.profile_reps, args.top)


if __name__ == "__main__":
    main()
