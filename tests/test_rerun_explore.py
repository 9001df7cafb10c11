"""tanksim rerun replays a sweep, sensitivity or discovery folder from its manifest and
finds every file byte for byte the same, or says which differ.

The replay writes through the Python API (:mod:`sim.api.explore_folders`), so the same
test shows that a Python caller's folder is the command's, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import run_cli, toy_toml

from sim.present.manifest import MANIFEST_KEYS, stable

#: Each command's arguments after SCENARIO: small, so the pair of runs takes seconds.
COMMANDS = {
    "sweep": ["--param", "families.A.storage=300:600:3", "--reps", "20", "--seed", "5"],
    "sensitivity": ["--method", "morris", "--n", "4", "--metric", "active_end", "--seed", "5"],
    "discover": ["--where", "active_end < 1600", "--n", "60", "--seed", "5"],
}


@pytest.fixture
def toy(tmp_path) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(toy_toml())
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_rerun_of_an_explore_folder_says_identical(capsys, tmp_path, toy, command):
    original, again = tmp_path / "A", tmp_path / "B"
    code, _, err = run_cli(capsys, command, toy, *COMMANDS[command], "--engine", "numpy",
                           "--out", original)  # fmt: skip
    assert code == 0, err
    code, stdout, err = run_cli(capsys, "rerun", original / "manifest.json", "--out", again)
    assert code == 0, err
    written = sorted(p.name for p in original.iterdir() if p.name != "manifest.json")
    assert stdout.startswith(f"identical: {len(written)} files ({', '.join(written)})")
    first, second = (json.loads((d / "manifest.json").read_text()) for d in (original, again))
    assert (second["command"], second["arguments"]["seed"]) == (command, 5)
    assert tuple(first) == tuple(second) == MANIFEST_KEYS
    assert stable(first) == stable(second)  # but the rerun's own command line and wall time


def test_rerun_of_a_sweep_says_which_file_differs(capsys, tmp_path, toy):
    original = tmp_path / "A"
    code, _, err = run_cli(capsys, "sweep", toy, *COMMANDS["sweep"], "--out", original)
    assert code == 0, err
    (original / "sweep.csv").write_text("edited\n")
    code, stdout, _ = run_cli(capsys, "rerun", original / "manifest.json", "--out",
                              tmp_path / "B")  # fmt: skip
    assert code == 1 and stdout.strip() == "differ: sweep.csv"


def test_rerun_names_a_bad_option_of_an_explore_manifest(capsys, tmp_path, toy):
    original = tmp_path / "A"
    code, _, err = run_cli(capsys, "sensitivity", toy, *COMMANDS["sensitivity"],
                           "--out", original)  # fmt: skip
    assert code == 0, err
    manifest = original / "manifest.json"
    data = json.loads(manifest.read_text())
    data["arguments"]["options"]["method"] = "guess"
    manifest.write_text(json.dumps(data))
    code, _, err = run_cli(capsys, "rerun", manifest, "--out", tmp_path / "B")
    assert code == 2
    assert err.strip() == (f'tanksim: error: {manifest}: arguments.options.method = "guess": '
                           "must be one of sobol, morris")  # fmt: skip
    assert not (tmp_path / "B").exists()
