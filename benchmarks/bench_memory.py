"""Peak memory of a run against the size of the counts.

    python benchmarks/bench_memory.py [--reps 200]

Writes scenarios extending the baseline with a T-72 storage of 10^3 and 10^6 hulls into a
temporary folder and runs each (the whole horizon, ``--reps`` replications) in a fresh
process, printing the peak resident memory and the wall time. The exact percentiles keep a
histogram per series only while it is narrower than ``2 * reps + 1024`` bins and the
series' values beyond that (:mod:`sim.runs.reduce`), so the peak should not grow with the
stock; before, 10^6 took 5.0 GB for 200 replications.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
STOCKS = (10**3, 10**6)

CHILD = """
import json, resource, sys, time
from sim.model.loader import load_scenario
from sim.runs.run import run_scenario
scenario = load_scenario(sys.argv[1])
began = time.perf_counter()
result = run_scenario(scenario, reps=int(sys.argv[2]), seed=1, engine="numpy")
seconds = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
storage = float(result.stats[0, 1, -1, 0])
print(json.dumps({"peak_bytes": peak, "seconds": seconds, "storage_at_start": storage}))
"""


def measure(stock: int, reps: int, folder: Path) -> dict:
    """Run the baseline with a T-72 storage of ``stock`` in a fresh process."""
    path = folder / f"storage-{stock}.toml"
    path.write_text(f'extends = "{BASELINE.as_posix()}"\n[families."T-72"]\nstorage = {stock}\n')
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(reps)], cwd=ROOT,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    print(f"peak memory of a baseline run, {args.reps} replications, whole horizon")
    print(f"{'T-72 storage':>14} {'peak MiB':>10} {'seconds':>9} {'all storage at start':>22}")
    with tempfile.TemporaryDirectory() as tmp:
        for stock in STOCKS:
            got = measure(stock, args.reps, Path(tmp))
            print(f"{stock:>14,} {got['peak_bytes'] / 2**20:>10,.0f} {got['seconds']:>9.1f} "
                  f"{got['storage_at_start']:>22,.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
