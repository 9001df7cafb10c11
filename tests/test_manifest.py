"""manifest.json detects any changed input and records what a rerun needs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sim.model.facts import load_facts
from sim.model.loader import load_scenario
from sim.present.manifest import (
    LIBRARIES,
    MANIFEST_KEYS,
    run_manifest,
    scenario_settings,
    settings_sha256,
    sha256_file,
)
from sim.runs.run import run_scenario

REPO = Path(__file__).resolve().parents[1]
FACTS = load_facts()


@pytest.fixture()
def scenarios(tmp_path):
    """A private copy of the bundled scenarios (with their posterior), safe to edit."""
    return Path(shutil.copytree(REPO / "scenarios", tmp_path / "scenarios"))


def manifest_of(path, *, deterministic=False, argv=("tanksim", "run", "x")):
    scenario = load_scenario(path, fact_ids=set(FACTS), end="2022-12")
    result = run_scenario(scenario, reps=1 if deterministic else 64, seed=3,
                          deterministic=deterministic)  # fmt: skip
    return run_manifest(result, FACTS, argv=list(argv))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_editing_the_supply_start_changes_the_merged_hash_and_the_file_hash(scenarios):
    before = manifest_of(scenarios / "nk-t62.toml")
    edit(scenarios / "nk-t62.toml", 'start = "2025-09"', 'start = "2026-06"')
    after = manifest_of(scenarios / "nk-t62.toml")
    assert after["details"]["scenario_sha256"] != before["details"]["scenario_sha256"]
    assert after["details"]["settings"]["supplies"][0]["start"] == "2026-06"
    hashes = [[f["sha256"] for f in m["inputs"]] for m in (before, after)]
    assert [a == b for a, b in zip(*hashes)] == [True, True, False, True, True]


@pytest.mark.parametrize(("old", "new"), [
    ('description = "Baseline plus', 'description = "Edited: baseline plus'),
    ('quality_weight = {value = 0.4', 'quality_weight = {value = 0.5'),
    ('note = "as the Russian T-62"', 'note = "edited"'),
])  # fmt: skip
def test_editing_any_setting_numeric_or_not_changes_the_merged_hash(scenarios, old, new):
    path = scenarios / "nk-t62.toml"
    before = settings_sha256(scenario_settings(load_scenario(path)))
    edit(path, old, new)
    assert settings_sha256(scenario_settings(load_scenario(path))) != before


def test_an_edited_parent_changes_its_childs_manifest(scenarios):
    before = manifest_of(scenarios / "nk-t62.toml")
    parent = scenarios / "baseline.toml"
    parent.write_text(parent.read_text() + "# a comment added to a parent\n")
    after = manifest_of(scenarios / "nk-t62.toml")
    assert [f["path"] for f in after["inputs"]][:3] == [
        str(scenarios / n) for n in ("prior.toml", "baseline.toml", "nk-t62.toml")
    ]
    assert after["inputs"][1]["sha256"] != before["inputs"][1]["sha256"]


def test_the_manifest_records_command_line_files_versions_and_the_marker(scenarios):
    argv = ("tanksim", "run", "b.toml", "--reps", "64")
    man = manifest_of(scenarios / "baseline.toml", argv=argv)
    assert man["tool"] == "tanksim"
    assert man["command_line"] == ["tanksim", "run", "b.toml", "--reps", "64"]
    assert tuple(man) == MANIFEST_KEYS and man["command"] == "run"
    files = man["inputs"]
    assert [Path(f["path"]).name for f in files] == [
        "prior.toml", "baseline.toml", "baseline.csv", "baseline.json"
    ]
    assert all(f["sha256"] == sha256_file(f["resolved"]) for f in files)
    assert set(LIBRARIES) | {"python", "tanksim", "git_revision"} <= set(man["versions"])
    assert man["versions"]["scipy"] and man["versions"]["matplotlib"]
    assert man["details"]["settings"]["priority"] and man["details"]["settings"]["description"]
    assert man["details"]["deterministic_values"] is None
    assert man["arguments"]["files"] == [f["path"] for f in files[:2]]
    json.dumps(man)  # JSON-ready throughout


def test_a_deterministic_manifest_holds_the_values_the_path_used(scenarios):
    man = manifest_of(scenarios / "prior.toml", deterministic=True)["details"]
    values = man["deterministic_values"]
    assert set(values) == set(man["parameters"])
    lead = man["parameters"]["refurbishment.lead_time_months"]
    assert lead["dist"] == "pert"
    mean = (lead["low"] + 4 * lead["mode"] + lead["high"]) / 6
    # the engine runs whole months: the value the path used is the mean rounded
    assert values["refurbishment.lead_time_months"] == round(mean)


def test_sources_are_ranked_by_how_many_parameters_cite_them(scenarios):
    man = manifest_of(scenarios / "baseline.toml")["details"]
    counts = [s["parameters"] for s in man["sources"]]
    assert counts == sorted(counts, reverse=True) and counts[0] > 1
    assert len({s["citation"] for s in man["sources"]}) == len(counts)
