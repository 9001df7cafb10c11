"""Every bundled scenario's outputs are byte-identical to the recorded golden files, on
both engines (numpy, and compiled when numba is installed).

A refactor must not move a number. A model change that is meant to move numbers
regenerates them on purpose (``python tests/golden/regenerate.py --reason "..."``), which
records why, with the library versions. The hashes cover numbers, not prose
(``summary.json`` without its description). A failing comparison names the files that
moved, the summary's values that moved, and the library versions recorded against now.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(HERE))
import regenerate  # noqa: E402

GOLDEN = json.loads(regenerate.HASHES.read_text())
HASHES, RECORDED = GOLDEN["scenarios"], GOLDEN["recorded"]
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
    return regenerate.folder_hashes(folder)


def moved_values(golden, now, path=""):
    """``key: golden -> now`` for every leaf of two parsed ``summary.json`` that differs."""
    if isinstance(golden, dict) and isinstance(now, dict):
        return [
            line
            for key in sorted(set(golden) | set(now))
            for line in moved_values(golden.get(key), now.get(key), f"{path}.{key}")
        ]
    return [] if golden == now else [f"{path.lstrip('.')}: {golden!r} -> {now!r}"]


def failure_report(scenario: str, mode: str, engine: str, hashes: dict, folder: Path) -> str:
    """What a failing comparison says: the files that moved, the summary's values that
    moved (the first few) and the library versions recorded with the golden files and now."""
    files = [name for name in regenerate.FILES if hashes[name] != HASHES[scenario][mode][name]]
    golden = json.loads((HERE / f"{scenario}-{mode}.summary.json").read_text())
    now = json.loads((folder / "summary.json").read_text())
    values = moved_values(regenerate.numbers_only(golden), regenerate.numbers_only(now))
    recorded, current = RECORDED["versions"], regenerate.versions()
    libraries = ", ".join(
        f"{name} {recorded.get(name)}" + ("" if recorded.get(name) == v else f" (now {v})")
        for name, v in current.items()
    )  # fmt: skip
    return (f"{scenario} ({mode}, {engine}): {', '.join(files)} moved; summary values moved: "
            f"{values[:5] or 'none'}; golden files recorded {RECORDED['date']} with "
            f"{libraries} ({RECORDED['reason']!r})")  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", sorted(regenerate.MODES))
@pytest.mark.parametrize("scenario", regenerate.SCENARIOS, ids=lambda p: p.stem)
def test_bundled_scenario_outputs_match_the_golden_files(scenario, mode, engine, tmp_path):
    if engine == "numpy":  # the command line, as regenerate.py writes them
        hashes = regenerate.run_outputs(scenario, mode, tmp_path / "out", engine)
    else:
        hashes = engine_outputs(scenario, mode, tmp_path / "out", engine)
    assert hashes == HASHES[scenario.stem][mode], failure_report(
        scenario.stem, mode, engine, hashes, tmp_path / "out"
    )


def test_every_bundled_scenario_has_golden_outputs():
    assert sorted(HASHES) == sorted(p.stem for p in regenerate.SCENARIOS)


def test_the_summary_hash_covers_its_numbers_not_its_prose(tmp_path):
    golden = HERE / "baseline-stochastic.summary.json"
    summary = json.loads(golden.read_text())
    reworded = tmp_path / "reworded" / "summary.json"
    reworded.parent.mkdir()
    summary["description"] += " Reworded."
    summary["convergence"]["method"] = "another sentence"
    reworded.write_text(json.dumps(summary, indent=2))
    assert regenerate.file_hash(reworded) == regenerate.file_hash(golden)
    summary["metrics"]["active_end"]["p50"] += 1
    reworded.write_text(json.dumps(summary, indent=2))
    assert regenerate.file_hash(reworded) != regenerate.file_hash(golden)


@pytest.mark.parametrize("argv", [[], ["--reason", "  "]], ids=["no-reason", "blank-reason"])
def test_regeneration_refuses_to_run_without_a_reason(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        regenerate.main(argv)
    assert stop.value.code == 2
    assert "--reason" in capsys.readouterr().err


def test_the_golden_files_record_their_reason_engines_and_library_versions():
    assert RECORDED["reason"].strip()
    assert RECORDED["engines"] == list(regenerate.ENGINES)
    assert set(RECORDED["versions"]) == set(regenerate.LIBRARIES)
    last = json.loads(regenerate.LOG.read_text().splitlines()[-1])
    assert last == RECORDED, "the log's last line is the regeneration the hashes come from"


def test_a_failing_comparison_names_the_files_that_moved_and_the_versions(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    golden = json.loads((HERE / "baseline-stochastic.summary.json").read_text())
    golden["metrics"]["active_end"]["p50"] += 1
    (folder / "summary.json").write_text(json.dumps(golden))
    hashes = dict(HASHES["baseline"]["stochastic"], **{"summary.json": "0" * 64})
    report = failure_report("baseline", "stochastic", "numpy", hashes, folder)
    assert "summary.json moved" in report and "trajectories.csv" not in report
    assert "metrics.active_end.p50" in report
    for name, version in RECORDED["versions"].items():
        assert f"{name} {version}" in report


def test_each_summary_copy_is_the_one_its_hash_was_taken_from():
    for scenario, modes in HASHES.items():
        for mode, hashes in modes.items():
            copy = HERE / f"{scenario}-{mode}.summary.json"
            assert regenerate.file_hash(copy) == hashes["summary.json"], copy.name
