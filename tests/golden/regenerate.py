"""Rewrite the golden outputs of every bundled scenario, on purpose and on record.

Run this only when a change is *meant* to move the model's numbers (a model change, a
recalibrated posterior), and say why::

    python tests/golden/regenerate.py --reason "posterior recalibrated on the 2026-11 record"

It runs each bundled scenario through the command line in-process (stochastic at
:data:`REPS` replications and ``--deterministic``) on the numpy engine and on the compiled
engine (numba must be installed), and stops, writing nothing, unless both give the same
files. Then it writes ``hashes.json`` (the SHA-256 of each golden file, with the reason, the
date, the engines and the versions of numpy, scipy, numba and llvmlite), each scenario's
``summary.json`` beside it (so that a failing comparison shows what moved), and appends the
same record as one line to ``regenerations.log``, the history of every regeneration.

The hashes cover numbers, not prose: ``summary.json`` is hashed without its prose fields
(:data:`PROSE`, such as the scenario's description), so rewording a sentence moves no hash.
Exit status 0 when written, 1 when the engines disagree, 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import importlib.metadata
import io
import json
import os
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
ENGINES = ("numpy", "compiled")
#: Fields of ``summary.json`` that hold prose, left out of its hash (paths of keys).
PROSE = (("description",), ("convergence", "method"))
#: The libraries whose versions can move a number, recorded with every regeneration.
LIBRARIES = ("numpy", "scipy", "numba", "llvmlite")
HASHES = HERE / "hashes.json"
LOG = HERE / "regenerations.log"


def versions() -> dict[str, str]:
    """The installed version of each of :data:`LIBRARIES` ("not installed" if absent)."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def numbers_only(summary: dict) -> dict:
    """``summary`` (a parsed ``summary.json``) without its :data:`PROSE` fields."""
    out = json.loads(json.dumps(summary))
    for path in PROSE:
        parent = out
        for key in path[:-1]:
            parent = parent.get(key, {}) if isinstance(parent, dict) else {}
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    return out


def file_hash(path: Path) -> str:
    """SHA-256 of a golden file: its bytes, or for a ``summary.json`` (or a copy named
    ``*.summary.json``) the canonical JSON of :func:`numbers_only` (sorted keys, no spaces)."""
    if path.name.endswith("summary.json"):
        canonical = json.dumps(numbers_only(json.loads(path.read_text())), sort_keys=True,
                               separators=(",", ":"), allow_nan=True)  # fmt: skip
        return hashlib.sha256(canonical.encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_hashes(folder: Path) -> dict[str, str]:
    """:func:`file_hash` of each of :data:`FILES` in ``folder``."""
    return {name: file_hash(folder / name) for name in FILES}


def run_outputs(scenario: Path, mode: str, folder: Path, engine: str) -> dict[str, str]:
    """Run ``scenario`` in ``mode`` into ``folder`` on ``engine`` through the command line;
    the hash of each golden file."""
    from sim.cli import main

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            main(["run", str(scenario), "--out", str(folder), "--json", *MODES[mode],
                  "--engine", engine])  # fmt: skip
    except SystemExit as stop:  # pragma: no cover - a failure shows in the caller
        if stop.code:
            raise
    return folder_hashes(folder)


def differences(a: dict, b: dict) -> list[str]:
    """``scenario mode file`` of every file whose hash differs between two hash tables."""
    return [f"{scenario} {mode} {name}" for scenario in sorted(a) for mode in sorted(a[scenario])
            for name in sorted(a[scenario][mode])
            if b.get(scenario, {}).get(mode, {}).get(name) != a[scenario][mode][name]]  # fmt: skip


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then renamed)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    os.replace(temporary, path)


def regenerate(reason: str) -> list[str]:
    """Run every bundled scenario and mode on both engines; when they agree, write the
    golden files with ``reason`` and return []; else write nothing and return the files
    that differ between the engines."""
    runs: dict[str, dict] = {engine: {} for engine in ENGINES}
    summaries = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in SCENARIOS:
            for mode in MODES:
                for engine in ENGINES:
                    folder = Path(tmp) / f"{scenario.stem}-{mode}-{engine}"
                    hashes = run_outputs(scenario, mode, folder, engine)
                    runs[engine].setdefault(scenario.stem, {})[mode] = hashes
                numpy_summary = Path(tmp) / f"{scenario.stem}-{mode}-numpy" / "summary.json"
                summaries[f"{scenario.stem}-{mode}.summary.json"] = numpy_summary.read_text()
    moved = differences(runs["numpy"], runs["compiled"])
    if moved:
        return moved
    record = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reason": reason,
        "engines": list(ENGINES),
        "versions": versions(),
    }
    for name, text in summaries.items():
        _write(HERE / name, text)
    _write(HASHES, json.dumps({"recorded": record, "scenarios": runs["numpy"]}, indent=2,
                              sort_keys=True) + "\n")  # fmt: skip
    with LOG.open("a") as log:
        log.write(json.dumps(record, sort_keys=True) + "\n")
    return []


def main(argv: list[str] | None = None) -> int:
    """The command line: ``--reason`` is required."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reason", required=True,
                        help="why the numbers move (recorded with the hashes)")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.reason.strip():
        parser.error("--reason must say why the numbers move")
    from sim.runs.engines import available

    if not available():
        print("regenerate.py: the compiled engine is needed (pip install numba): the golden "
              "files are checked on both engines", file=sys.stderr)  # fmt: skip
        return 2
    moved = regenerate(args.reason.strip())
    if moved:
        print("regenerate.py: the engines disagree, nothing written:\n  " + "\n  ".join(moved),
              file=sys.stderr)  # fmt: skip
        return 1
    print(f"wrote golden outputs of {len(SCENARIOS)} scenarios to {HERE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
