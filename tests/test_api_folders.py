"""Every folder a command writes, a Python caller writes with one api call: the same files,
byte for byte (manifest.json aside from the keys that record when and how it ran)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import run_cli, toy_toml

from sim.present.manifest import VOLATILE

TOY = toy_toml()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def assert_same_folder(cli: Path, api: Path) -> None:
    """The two folders hold the same files with the same bytes; manifest.json the same
    keys and values but those of :data:`sim.present.manifest.VOLATILE`."""
    one, two = _files(cli), _files(api)
    assert sorted(one) == sorted(two)
    for name in one:
        if Path(name).name == "manifest.json":
            a, b = json.loads(one[name]), json.loads(two[name])
            assert {k: v for k, v in a.items() if k not in VOLATILE} == \
                {k: v for k, v in b.items() if k not in VOLATILE}, name  # fmt: skip
        else:
            assert one[name] == two[name], name


@pytest.fixture
def toy(tmp_path) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(TOY)
    return path


#: (command-line arguments after SCENARIO, the api function, its arguments after scenario).
COMMANDS = {
    "sweep": (["--param", "families.A.storage=300:600:3", "--reps", "20", "--seed", "5"],
              "save_sweep", (["families.A.storage=300:600:3"],), {"reps": 20, "seed": 5}),
    "sensitivity": (["--method", "morris", "--n", "4", "--metric", "active_end", "--seed", "5"],
                    "save_sensitivity", (),
                    {"method": "morris", "n": 4, "metrics": ["active_end"], "seed": 5}),
    "discover": (["--where", "active_end < 1600", "--n", "60", "--seed", "5"],
                 "save_discovery", ("active_end < 1600",), {"n": 60, "seed": 5}),
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_api_writes_the_folder_the_command_writes(capsys, tmp_path, toy, command):
    from sim.api import explore_folders

    argv, function, args, kwargs = COMMANDS[command]
    code, _, err = run_cli(capsys, command, toy, *argv, "--engine", "numpy",
                           "--out", tmp_path / "cli")  # fmt: skip
    assert code == 0, err
    saved = getattr(explore_folders, function)(toy, *args, **kwargs, engine="numpy",
                                               out=tmp_path / "api")  # fmt: skip
    assert saved.folder == tmp_path / "api"
    assert_same_folder(tmp_path / "cli", tmp_path / "api")


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
def test_the_calibration_commands_only_call_their_api_function(capsys, monkeypatch, tmp_path,
                                                               toy, command, function, argv):  # fmt: skip
    """``calibrate`` and ``hindcast`` (too slow to run twice here) hand every option to one
    api call, which writes the folder, and print what it returns."""
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
    assert stdout == "the text\n" and err == f"wrote {tmp_path / 'o'}/\n"
    assert not (tmp_path / "o").exists()
    if command == "hindcast":
        assert list(args[1]) == ["2022-12", "2023-01"]
    else:
        assert (kwargs["draws"], kwargs["particles"], kwargs["use_record"]) == (300, 30, False)
    code, stdout, _ = run_cli(capsys, command, toy, *argv, "--json", "--out", tmp_path / "o")
    assert json.loads(stdout) == {"done": True}
