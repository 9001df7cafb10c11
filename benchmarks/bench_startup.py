"""Benchmark: how long ``tanksim`` takes to start, against importing numpy alone.

Each command is started in a fresh process ``--runs`` times; the best (shortest) wall time
is printed, as the least disturbed by other load. ``python -c "import numpy"`` is the floor
any numpy program pays. Also lists whether matplotlib, scipy.stats or dask were imported.

Run: ``python benchmarks/bench_startup.py [--runs 7]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
COMMANDS = {
    'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
    "tanksim --help": [sys.executable, "-m", "sim", "--help"],
    "tanksim facts": [sys.executable, "-m", "sim", "facts"],
    "tanksim validate baseline": [sys.executable, "-m", "sim", "validate", str(BASELINE)],
}
HEAVY = ("matplotlib", "scipy.stats", "dask")


def best_seconds(command: list[str], runs: int) -> float:
    """The shortest wall time of ``runs`` starts of ``command``, seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def heavy_imports(command: list[str]) -> list[str]:
    """Which of :data:`HEAVY` the command imports (from ``python -X importtime``)."""
    proc = subprocess.run([command[0], "-X", "importtime", *command[1:]], cwd=REPO,
                          capture_output=True, text=True)  # fmt: skip
    found = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    return [h for h in HEAVY if any(m == h or m.startswith(h + ".") for m in found)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="starts per command (best kept)")
    args = parser.parse_args()
    floor = None
    print(f"{'command':<28}{'best (s)':>10}{'x numpy':>9}  heavy imports")
    for name, command in COMMANDS.items():
        seconds = best_seconds(command, args.runs)
        floor = floor or seconds
        heavy = ", ".join(heavy_imports(command)) or "none"
        print(f"{name:<28}{seconds:>10.3f}{seconds / floor:>9.1f}  {heavy}")


if __name__ == "__main__":
    main()
