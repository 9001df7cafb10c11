"""Every bundled scenario's outputs are byte-identical to the recorded golden files, on
both engines (numpy, and compiled when numba is installed).

A refactor must not move a number. A model change that is meant to move numbers
regenerates them on purpose (``python tests/golden/regenerate.py``) and says so.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(HERE))
import regenerate  # noqa: E402

HASHES = json.loads((HERE / "hashes.json").read_text())
ENGINES = [
    "numpy",
    pytest.param("compiled", marks=pytest.mark.skipif(
        importlib.util.find_spec("numba") is None, reason="numba not installed")),
]  # fmt: skip


def engine_outputs(scenario: Path, mode: str, folder: Path, engine: str) -> dict[str, str]:
    """The golden files of ``scenario`` run in ``mode`` on ``engine`` through the API, written
    without figures (half the time of the command line, whose own path the numpy engine
    checks here, and ``--engine`` tests/test_engines.py): their SHA-256."""
    from sim.api import load_scenario
    from sim.io.output import write_run_files
    from sim.model.facts import load_facts
    from sim.present.run_data import run_data
    from sim.runs.run import run_scenario

    facts = load_facts()
    how = ({"reps": regenerate.REPS, "seed": regenerate.SEED} if mode == "stochastic"
           else {"deterministic": True})  # fmt: skip
    result = run_scenario(load_scenario(scenario, facts=facts), engine=engine, **how)
    assert result.execution["engine"] == engine
    folder.mkdir()
    write_run_files(folder, run_data(result, facts), facts, figure=False)
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            for name in regenerate.FILES}  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", sorted(regenerate.MODES))
@pytest.mark.parametrize("scenario", regenerate.SCENARIOS, ids=lambda p: p.stem)
def test_bundled_scenario_outputs_match_the_golden_files(scenario, mode, engine, tmp_path):
    if engine == "numpy":  # the command line, as regenerate.py writes them
        hashes = regenerate.run_outputs(scenario, mode, tmp_path / "out", engine)
    else:
        hashes = engine_outputs(scenario, mode, tmp_path / "out", engine)
    if hashes != HASHES[scenario.stem][mode]:
        golden = json.loads((HERE / f"{scenario.stem}-{mode}.summary.json").read_text())
        now = json.loads((tmp_path / "out" / "summary.json").read_text())
        assert now == golden, f"{scenario.stem} ({mode}, {engine}): summary.json moved"
        assert hashes == HASHES[scenario.stem][mode], f"{scenario.stem} ({mode}): files moved"


def test_every_bundled_scenario_has_golden_outputs():
    assert sorted(HASHES) == sorted(p.stem for p in regenerate.SCENARIOS)
