"""tanksim rerun: a manifest reproduces its run byte for byte, or says what changed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import cli

REPO = Path(__file__).resolve().parents[1]
OUTPUTS = ("trajectories.csv", "summary.json", "metrics.csv", "fan_chart.png")


def tanksim(*args, cwd: Path):
    """Run the CLI in process from ``cwd``; exceptions propagate (main turns them into one
    line, exit 2)."""
    before = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(before)


@pytest.fixture()
def scenarios(tmp_path):
    return Path(shutil.copytree(REPO / "scenarios", tmp_path / "scenarios"))


def test_rerun_of_a_bundled_run_is_byte_identical(tmp_path):
    scenario = REPO / "scenarios" / "baseline.toml"
    done = tanksim("run", scenario, "--reps", "1024", "--out", "A", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    again = tanksim("rerun", "A/manifest.json", "--out", "B", cwd=tmp_path)
    assert again.exit_code == 0, again.output
    assert "identical: 4 files" in again.stdout
    for name in OUTPUTS:
        assert (tmp_path / "B" / name).read_bytes() == (tmp_path / "A" / name).read_bytes()
    first, second = (json.loads((tmp_path / d / "manifest.json").read_text()) for d in "AB")
    assert second["details"]["scenario_sha256"] == first["details"]["scenario_sha256"]
    assert second["inputs"] == first["inputs"]


def test_rerun_keeps_seed_reps_sampling_and_horizon(tmp_path, scenarios):
    args = ("run", scenarios / "nk-t62.toml", "--reps", "512", "--seed", "11", "--sampling",
            "lhs", "--end", "2024-06", "--out", "A")  # fmt: skip
    assert tanksim(*args, cwd=tmp_path).exit_code == 0
    again = tanksim("rerun", "A/manifest.json", cwd=tmp_path)  # default: A-rerun
    assert again.exit_code == 0, again.output
    summary = json.loads((tmp_path / "A-rerun" / "summary.json").read_text())
    assert (summary["seed"], summary["reps"], summary["sampling"], summary["end"]) == (
        11, 512, "lhs", "2024-06"
    )


def test_rerun_refuses_a_changed_scenario_file_and_names_it(tmp_path, scenarios):
    assert tanksim("run", scenarios / "nk-t62.toml", "--reps", "256", "--end", "2026-12",
                   "--out", "A", cwd=tmp_path).exit_code == 0  # fmt: skip
    path = scenarios / "nk-t62.toml"
    path.write_text(path.read_text().replace('start = "2025-09"', 'start = "2026-06"'))
    from sim.api.rerun import ManifestError

    with pytest.raises(ManifestError, match=r"nk-t62.toml: sha256 = .*changed since the run"):
        tanksim("rerun", "A/manifest.json", "--out", "B", cwd=tmp_path)
    assert not (tmp_path / "B").exists()
    # told to go ahead, it reruns with the file as it is now and says what differs
    forced = tanksim("rerun", "A/manifest.json", "--out", "B", "--allow-changed", cwd=tmp_path)
    assert forced.exit_code == 1 and "differ: " in forced.stdout
    assert (tmp_path / "B" / "trajectories.csv").read_bytes() != (
        tmp_path / "A" / "trajectories.csv"
    ).read_bytes()


def test_rerun_says_which_files_differ(tmp_path):
    scenario = REPO / "scenarios" / "baseline.toml"
    assert tanksim("run", scenario, "--reps", "256", "--end", "2023-06", "--out", "A",
                   cwd=tmp_path).exit_code == 0  # fmt: skip
    (tmp_path / "A" / "summary.json").write_text("{}")
    again = tanksim("rerun", "A/manifest.json", "--out", "B", cwd=tmp_path)
    assert again.exit_code == 1
    assert again.stdout.strip().splitlines()[-1] == "differ: summary.json"


def test_rerun_refuses_what_is_not_a_tanksim_run_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text('{"name": "x"}')
    from sim.api.rerun import ManifestError

    with pytest.raises(ManifestError, match="not a tanksim manifest"):
        tanksim("rerun", "manifest.json", cwd=tmp_path)
