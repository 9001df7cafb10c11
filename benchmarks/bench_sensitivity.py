"""Benchmark: Sobol' analysis of a scenario over all its uncertain parameters.

Run: ``python benchmarks/bench_sensitivity.py [--scenario scenarios/baseline.toml] [--n 4096]``.
Times the N (d + 3) replications and the bootstrap separately and prints the five largest
total indices of each outcome. Prints figures; asserts nothing. Timings vary with machine
load.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from sim.analysis.outcomes import factors, parse_outcome
from sim.analysis.sensitivity import run_sobol
from sim.model.facts import load_facts
from sim.model.loader import load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default=str(BASELINE))
    parser.add_argument("--n", type=int, default=4096, help="base samples (a power of two)")
    parser.add_argument("--seed", type=int, default=20220224)
    parser.add_argument("--metric", nargs="+", default=["active_end", "storage_exhausted"])
    args = parser.parse_args()
    scenario = load_scenario(args.scenario, fact_ids=set(load_facts()))
    outcomes = tuple(parse_outcome(m, scenario) for m in args.metric)
    d = len(factors(scenario))
    print(f"{scenario.name}: {d} uncertain inputs, N = {args.n:,}, "
          f"{args.n * (d + 3):,} replications; Python {platform.python_version()}, "
          f"numpy {np.__version__}, {os.cpu_count()} CPUs")  # fmt: skip
    done = [0]
    began = time.perf_counter()

    def progress(reps: int) -> None:
        done[0] += reps

    result = run_sobol(scenario, outcomes, n=args.n, seed=args.seed, progress=progress)
    wall = time.perf_counter() - began
    print(f"wall time {wall:.1f} s ({wall / 60:.1f} min), "
          f"{result.evaluations / wall:,.0f} replications/s including the bootstrap")  # fmt: skip
    for s, outcome in enumerate(result.outcomes):
        order = np.argsort(-result.total[s])[:5]
        print(f"  {outcome.name}: random flows {result.random_flows[s]:.1%} of the variance; "
              f"first-order sum {result.first[s].sum():.2f}")  # fmt: skip
        for j in order:
            print(f"    {result.parameters[j]:<44} ST {result.total[s, j]:.3f} "
                  f"[{result.total_low[s, j]:.3f}, {result.total_high[s, j]:.3f}]  "
                  f"S1 {result.first[s, j]:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
