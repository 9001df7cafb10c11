"""Every folder a command writes, a Python caller writes with one api call: the command only
parses, calls it and prints. (tests/test_rerun_explore.py writes each explore folder both
ways, through ``tanksim rerun``, and finds the same bytes.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import run_cli, toy_toml

TOY = toy_toml()


@pytest.fixture
def toy(tmp_path) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(TOY)
    return path


def test_an_api_call_refuses_an_existing_folder_as_the_command_does(tmp_path, toy):
    from sim.api.explore_folders import save_sweep
    from sim.io.folders import OutputExistsError

    swept = ["families.A.storage=300:600:2"]
    save_sweep(toy, swept, reps=4, out=tmp_path / "o", engine="numpy")
    with pytest.raises(OutputExistsError, match="--force"):
        save_sweep(toy, swept, reps=4, out=tmp_path / "o", engine="numpy")


def test_an_api_error_names_the_argument_and_the_command_the_option(capsys, tmp_path, toy):
    from sim.api.explore_folders import save_sensitivity
    from sim.model.errors import InputError

    with pytest.raises(InputError, match=r"^n 100: Sobol' analysis needs a power of two"):
        save_sensitivity(toy, n=100, out=tmp_path / "o")
    code, _, err = run_cli(capsys, "sensitivity", toy, "--n", "100", "--out", tmp_path / "o")
    assert code == 2
    assert err.startswith("tanksim: error: --n 100: Sobol' analysis needs a power of two")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("command", "function", "argv"),
    [
        ("calibrate", "save_calibration", ["--draws", "300", "--particles", "30", "--no-record"]),
        ("hindcast", "save_hindcast", ["--until", "2022-12", "--until", "2023-01"]),
    ],
)  # fmt: skip
def test_the_calibration_commands_only_call_their_api_function(
    capsys, monkeypatch, tmp_path, toy, command, function, argv
):
    """``calibrate`` and ``hindcast`` hand every option to one api call, which writes the
    folder, and print what it returns (tests/test_api_commands.py runs both ways, tiny, and
    finds the same bytes)."""
    from sim.api import calibration_folders
    from sim.api.saved import Saved

    calls = []

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return Saved(tmp_path / "o", 0.0, None, {"done": True}, "the text")

    monkeypatch.setattr(calibration_folders, function, spy)
    code, stdout, err = run_cli(capsys, command, toy, *argv, "--out", tmp_path / "o")
    assert code == 0, err
    (args, kwargs), = calls
    assert args[0] == str(toy) and kwargs["out"] == str(tmp_path / "o")
    assert callable(kwargs["plan"])  # the api says how many ABC-SMC runs the bar counts
    assert stdout == "the text\n" and err == f"wrote {tmp_path / 'o'}/\n"
    assert not (tmp_path / "o").exists()
    if command == "hindcast":
        assert list(args[1]) == ["2022-12", "2023-01"]
    else:
        assert (kwargs["draws"], kwargs["particles"], kwargs["use_record"]) == (300, 30, False)
    code, stdout, _ = run_cli(capsys, command, toy, *argv, "--json", "--out", tmp_path / "o")
    assert json.loads(stdout) == {"done": True}
