"""The month step's cost in two source trees, measured in one run: before and after a change.

Runs ``month_step`` of ``benchmarks/bench_compiled.py`` (``simulate`` on one chunk of the
baseline, numpy and compiled engines, least processor time of two calls after a warm-up)
in a child process per tree, alternating the trees ``--rounds`` times so that both see the
same machine load, and prints cpu microseconds per replication-month of each engine in
each tree (median over the rounds) and their ratio, after / before. Each tree is imported
from its own folder (its own numba cache); ``--base`` is the "before" tree, for example an
export of main (``git archive main | tar -x -C /tmp/base``), and this checkout is "after".

``--unweighted`` also times this tree's baseline with its family weights removed (the
priority list alone). Run: ``python benchmarks/bench_step_ab.py --base /tmp/base [--reps
4096] [--rounds 3] [--unweighted]`` (a few minutes). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
CHILD = """
import dataclasses, json, sys
sys.path[:0] = [{root!r}, {root!r} + "/benchmarks"]
from bench_compiled import BASELINE, month_step
from sim.model.loader import load_scenario
scenario = load_scenario(BASELINE)
if {unweighted}:
    scenario = dataclasses.replace(scenario, family_weights=())
step = month_step(scenario, {reps})
print(json.dumps({{k: v / scenario.months for k, v in step.items()}}))
"""


def measure(root: Path, reps: int, unweighted: bool = False) -> dict[str, float]:
    """cpu microseconds per replication-month of each engine, the tree at ``root``
    (``unweighted``: the baseline without its family weights, list order alone)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(root)}
    code = CHILD.format(root=str(root), reps=reps, unweighted=unweighted)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, cwd=root)  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the 'before' source tree")
    parser.add_argument("--reps", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--unweighted", action="store_true",
                        help="also time this tree's baseline without its family weights")
    args = parser.parse_args()
    trees = {"before": (args.base.resolve(), False), "after": (HERE, False)}
    if args.unweighted:
        trees["after, no weights"] = (HERE, True)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    print(f"load average {os.getloadavg()[0]:.1f} at start; {args.reps:,} replications a chunk")
    for i in range(args.rounds):
        for name, (root, unweighted) in trees.items():
            runs[name].append(measure(root, args.reps, unweighted))
            print(f"round {i + 1} {name:<17} " + ", ".join(
                f"{k} {v:.3f}" for k, v in runs[name][-1].items()), flush=True)  # fmt: skip
    print("\ncpu us per replication-month (median of the rounds):")
    for engine in ("numpy", "compiled"):
        median = {n: statistics.median(r[engine] for r in runs[n]) for n in trees}
        print(f"{engine:<9} " + "  ".join(f"{n} {v:.3f}" for n, v in median.items())
              + "; after/before " + ", ".join(f"{median[n] / median['before']:.3f}"
                                              for n in trees if n != "before"))  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
