"""The commands are shells over one api call each: ``validate`` prints what ``api.validate``
returns, and ``calibrate`` and ``hindcast`` write, byte for byte, the folders
``api.save_calibration`` and ``api.save_hindcast`` write (manifest.json's volatile fields
aside: who ran it from where, when, how fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import run_cli, toy_toml

from sim import api
from sim.present.manifest import MANIFEST_KEYS, stable

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"


def test_validate_prints_the_text_and_warning_api_validate_returns(capsys):
    done = api.validate(BASELINE, deterministic=True)
    assert done.scenario.name == "baseline" and done.warning is None
    assert "deterministic run (one path at the means) uses:" in done.text
    code, stdout, err = run_cli(capsys, "validate", BASELINE, "--deterministic")
    assert (code, stdout, err) == (0, done.text + "\n", "")


def test_api_calibrate_refuses_a_scenario_built_in_code_and_names_the_alternative():
    from sim.model.errors import InputError

    with pytest.raises(InputError, match="sim.analysis.calibrate.calibrate"):
        api.calibrate(api.load_scenario(BASELINE), draws=100, particles=10)


#: Targets the toy scenario (about 50 confirmed losses a month from 2022-02) can meet:
#: three totals of confirmed losses, wide, for quick ABC-SMC runs.
TOY_TARGETS = "".join(
    f'[[target]]\nid = "toy-{month}"\nfact = "oryx-tank-losses-2022-09"\n'
    f'variable = "lost_confirmed"\nmonth = "{month}"\nobserved = {observed}\nlow = {low}\n'
    f'high = {high}\nuncertainty = "wide, for a quick test"\n'
    for month, observed, low, high in (("2022-06", 200, 100, 400), ("2022-09", 350, 150, 600),
                                       ("2023-02", 600, 250, 1000))
)  # fmt: skip
#: The sizes of the byte-identity checks: the smallest the commands accept.
TINY = {"draws": 100, "particles": 10, "generations": 2}


@pytest.fixture(scope="module")
def toy_inputs(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    scenario, targets = folder / "toy.toml", folder / "targets.toml"
    scenario.write_text(toy_toml(end="2023-06"))
    targets.write_text(TOY_TARGETS)
    return scenario, targets


def command_folder(tmp_path_factory, toy_inputs, command: str, *args: str) -> Path:
    """The folder ``tanksim COMMAND toy.toml --targets targets.toml --no-record ARGS`` writes
    with the :data:`TINY` sizes, on the numpy engine."""
    from sim.cli import main

    scenario, targets = toy_inputs
    out = tmp_path_factory.mktemp(command) / "cli"
    try:
        main([command, str(scenario), "--targets", str(targets), "--no-record",
              *(f"--{k}={v}" for k, v in TINY.items()), *args, "--engine", "numpy",
              "--out", str(out)])  # fmt: skip
    except SystemExit as stop:
        assert stop.code in (0, None), stop.code
    return out


@pytest.fixture(scope="module")
def calibrate_folder(tmp_path_factory, toy_inputs) -> Path:
    return command_folder(tmp_path_factory, toy_inputs, "calibrate", "--check-reps", "100")


@pytest.fixture(scope="module")
def hindcast_folder(tmp_path_factory, toy_inputs) -> Path:
    return command_folder(tmp_path_factory, toy_inputs, "hindcast", "--until", "2022-10",
                          "--until", "2022-11", "--reps", "100")


def assert_same_folders(cli: Path, python: Path) -> None:
    """Every file in both folders, the same names and bytes; manifest.json the same but for
    its volatile fields (:data:`sim.present.manifest.VOLATILE`: the command line, the clock)."""
    names = sorted(p.relative_to(cli).as_posix() for p in cli.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(python).as_posix() for p in python.rglob("*")
                           if p.is_file())  # fmt: skip
    assert "manifest.json" in names
    for name in names:
        one, two = (cli / name).read_bytes(), (python / name).read_bytes()
        if Path(name).name == "manifest.json":
            one, two = (json.loads(b) for b in (one, two))
            assert tuple(one) == tuple(two) == MANIFEST_KEYS
            one, two = stable(one), stable(two)
        assert one == two, name


def test_calibrate_writes_the_folder_save_calibration_writes(tmp_path, toy_inputs,
                                                             calibrate_folder):
    scenario, targets = toy_inputs
    api.save_calibration(scenario, targets_file=targets, use_record=False, **TINY,
                         check_reps=100, engine="numpy", out=tmp_path / "python")  # fmt: skip
    assert_same_folders(calibrate_folder, tmp_path / "python")


def test_hindcast_writes_the_folder_save_hindcast_writes(tmp_path, toy_inputs, hindcast_folder):
    scenario, targets = toy_inputs
    api.save_hindcast(scenario, ["2022-10", "2022-11"], targets_file=targets, use_record=False,
                      **TINY, reps=100, engine="numpy", out=tmp_path / "python")  # fmt: skip
    assert_same_folders(hindcast_folder, tmp_path / "python")


@pytest.mark.parametrize("command", ["calibrate", "hindcast"])
def test_rerun_of_a_calibration_or_hindcast_folder_says_identical(capsys, tmp_path, request,
                                                                  command):
    original = request.getfixturevalue(f"{command}_folder")
    capsys.readouterr()  # what the command printed, if it ran for this test
    code, stdout, err = run_cli(capsys, "rerun", original / "manifest.json", "--out",
                                tmp_path / "again")  # fmt: skip
    assert code == 0, err
    written = sorted(p.relative_to(original).as_posix() for p in original.rglob("*")
                     if p.is_file() and p.name != "manifest.json")  # fmt: skip
    assert stdout.startswith(f"identical: {len(written)} files ({', '.join(written)})")
    first, again = (json.loads((d / "manifest.json").read_text())
                    for d in (original, tmp_path / "again"))  # fmt: skip
    assert stable(first) == stable(again)


def test_rerun_of_one_cut_off_of_a_hindcast_replays_that_cut_alone(capsys, tmp_path,
                                                                    hindcast_folder):
    original = hindcast_folder / "until-2022-11"
    capsys.readouterr()  # what the command printed, if it ran for this test
    assert json.loads((original / "manifest.json").read_text())["arguments"]["untils"] == [
        "2022-11"]
    code, stdout, err = run_cli(capsys, "rerun", original / "manifest.json", "--out",
                                tmp_path / "cut")  # fmt: skip
    assert code == 0, err
    assert stdout.startswith("identical: ") and "hindcast.csv" in stdout


def test_rerun_refuses_a_calibration_to_targets_given_in_python(capsys, tmp_path,
                                                                calibrate_folder):
    import shutil

    copy = Path(shutil.copytree(calibrate_folder, tmp_path / "copy"))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["arguments"]["target_list"] = ["toy-2022-06"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = run_cli(capsys, "rerun", copy / "manifest.json", "--out", tmp_path / "B")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert 'arguments.target_list = ["toy-2022-06"]: a calibration to targets given in Python' \
        in err
    assert not (tmp_path / "B").exists()
