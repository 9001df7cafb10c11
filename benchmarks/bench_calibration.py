"""Benchmark a full calibration and one hindcast cut-off, on the numpy and the compiled engine.

Runs, each in a child process (``python -m sim``, so the figures include start-up and, on
the compiled engine, loading the numba cache), and prints wall seconds and the child's
processor seconds (user + system; on a shared machine the steadier figure):

1. ``tanksim calibrate scenarios/prior.toml`` with the shipped settings
   (``--draws 80000 --generations 12``, 1,000 particles, seed 20220224: every hypothesis);
2. ``tanksim hindcast scenarios/baseline.toml --until 2024-06`` with the docs'
   hindcast settings (``--draws 20000 --generations 8``, seed 20220224), which also scores
   the record against the naive forecast.

The shipped settings take many minutes on a 2-core machine (docs/calibration.md: minutes for
the calibration); ``--small`` runs both at a small size (``--draws 1000 --particles 50
--generations 2``, ``--reps 500``) to check the benchmark itself, and ``--draws``,
``--particles``, ``--generations``, ``--reps`` set any size. Outputs go to a temporary folder.

Run: ``python benchmarks/bench_calibration.py --small`` (100 processor-seconds; 6 minutes
of wall time at load 8 on this shared 2-core machine) or without
``--small`` for the shipped settings.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The shipped calibration and hindcast settings (docs/calibration.md and docs/evidence.md,
#: "Hindcasts").
SHIPPED = {"draws": 80_000, "particles": 1_000, "generations": 12, "reps": 4_000,
           "hindcast_draws": 20_000, "hindcast_generations": 8}  # fmt: skip
#: A small size that checks the benchmark runs, not how fast the shipped one is.
SMALL = {"draws": 1_000, "particles": 50, "generations": 2, "reps": 500,
         "hindcast_draws": 1_000, "hindcast_generations": 2}  # fmt: skip
SEED = 20220224
HINDCAST_CUT = "2024-06"


def timed_child(args: list[str]) -> tuple[float, float]:
    """Wall and processor seconds (user + system) of ``python -m sim ARGS`` in a child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=REPO, capture_output=True,
                          text=True)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"tanksim {' '.join(args)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def jobs(size: dict, out: Path, engine: str) -> list[tuple[str, list[str]]]:
    """The two commands of the benchmark on ``engine``, writing under ``out``."""
    common = ["--seed", str(SEED), "--particles", str(size["particles"]), "--engine", engine,
              "--json"]  # fmt: skip
    return [
        ("calibrate prior.toml", ["calibrate", "scenarios/prior.toml", "--draws",
                                  str(size["draws"]), "--generations", str(size["generations"]),
                                  "--check-reps", str(size["reps"]), "--out",
                                  str(out / f"calibrate-{engine}"), *common]),
        (f"hindcast baseline.toml --until {HINDCAST_CUT}",
         ["hindcast", "scenarios/baseline.toml", "--until", HINDCAST_CUT, "--draws",
          str(size["hindcast_draws"]), "--generations", str(size["hindcast_generations"]),
          "--reps", str(size["reps"]), "--out", str(out / f"hindcast-{engine}"), *common]),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="A small size (checks it runs).")
    for name in ("draws", "particles", "generations", "reps"):
        parser.add_argument(f"--{name}", type=int, default=None)
    parser.add_argument("--engines", default="numpy,compiled",
                        help="Comma-separated engines (default: numpy,compiled).")
    args = parser.parse_args()
    size = dict(SMALL if args.small else SHIPPED)
    for name in ("draws", "particles", "generations", "reps"):
        if getattr(args, name) is not None:
            size[name] = getattr(args, name)
            if name in ("draws", "generations"):
                size[f"hindcast_{name}"] = getattr(args, name)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}; python {platform.python_version()}")
    print("settings: " + ", ".join(f"{k} {v:,}" for k, v in size.items()) + f", seed {SEED}")
    print(f"{'engine':9} {'command':40} {'wall s':>8} {'cpu s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            for label, command in jobs(size, Path(tmp), engine):
                wall, cpu = timed_child(command)
                print(f"{engine:9} {label:40} {wall:8.1f} {cpu:8.1f}", flush=True)
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
