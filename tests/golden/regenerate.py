"""Rewrite the golden outputs of every bundled scenario, on purpose.

Run this only when a change is *meant* to move the model's numbers, and say so in the commit::

    python tests/golden/regenerate.py

It runs each bundled scenario through the command line in-process (stochastic at
:data:`REPS` replications and ``--deterministic``) and records the SHA-256 of the files a run
writes, plus each ``summary.json`` itself so that a failing comparison shows what moved.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
REPS = 2048
SEED = 7
FILES = ("trajectories.csv", "summary.json", "metrics.csv")
MODES = {
    "stochastic": ["--reps", str(REPS), "--seed", str(SEED)],
    "deterministic": ["--deterministic"],
}


def run_outputs(
    scenario: Path, mode: str, folder: Path, engine: str | None = None
) -> dict[str, str]:
    """Run ``scenario`` in ``mode`` into ``folder`` on ``engine`` (None: the default); the
    SHA-256 of each golden file."""
    from sim.cli import main

    chosen = [] if engine is None else ["--engine", engine]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            main(["run", str(scenario), "--out", str(folder), "--json", *MODES[mode], *chosen])
    except SystemExit as stop:  # pragma: no cover - a failure shows in the caller
        if stop.code:
            raise
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


def main() -> None:
    """Regenerate on the numpy engine, the readable statement of the model (the compiled
    one must give the same bytes: tests/test_golden.py checks both)."""
    hashes: dict[str, dict[str, dict[str, str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in SCENARIOS:
            hashes[scenario.stem] = {}
            for mode in MODES:
                folder = Path(tmp) / f"{scenario.stem}-{mode}"
                hashes[scenario.stem][mode] = run_outputs(scenario, mode, folder, "numpy")
                summary = (folder / "summary.json").read_text()
                (HERE / f"{scenario.stem}-{mode}.summary.json").write_text(summary)
    (HERE / "hashes.json").write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    print(f"wrote golden outputs of {len(SCENARIOS)} scenarios to {HERE}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
