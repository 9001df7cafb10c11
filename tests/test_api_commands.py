"""The commands are shells over one api call each: ``validate`` prints what ``api.validate``
returns, and ``calibrate`` and ``hindcast`` write, byte for byte, the folders
``api.save_calibration`` and ``api.save_hindcast`` write (manifest.json's volatile fields
aside: who ran it from where, when, how fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import TWO_WIDE_TARGETS, run_cli, toy_toml

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


@pytest.fixture
def toy_inputs(tmp_path) -> tuple[Path, Path]:
    scenario, targets = tmp_path / "toy.toml", tmp_path / "targets.toml"
    scenario.write_text(toy_toml(end="2023-06"))
    targets.write_text(TOY_TARGETS)
    return scenario, targets


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


def test_calibrate_writes_the_folder_save_calibration_writes(capsys, tmp_path, toy_inputs):
    scenario, targets = toy_inputs
    code, _, err = run_cli(capsys, "calibrate", scenario, "--targets", targets, "--no-record",
                           *(f"--{k}={v}" for k, v in TINY.items()), "--check-reps", "100",
                           "--engine", "numpy", "--out", tmp_path / "cli")  # fmt: skip
    assert code == 0, err
    api.save_calibration(scenario, targets_file=targets, use_record=False, **TINY,
                         check_reps=100, engine="numpy", out=tmp_path / "python")  # fmt: skip
    assert_same_folders(tmp_path / "cli", tmp_path / "python")


def test_hindcast_writes_the_folder_save_hindcast_writes(capsys, tmp_path, toy_inputs):
    scenario, targets = toy_inputs
    code, _, err = run_cli(capsys, "hindcast", scenario, "--until", "2022-10", "--targets",
                           targets, "--no-record", *(f"--{k}={v}" for k, v in TINY.items()),
                           "--reps", "100", "--engine", "numpy", "--out", tmp_path / "cli")
    assert code == 0, err
    api.save_hindcast(scenario, ["2022-10"], targets_file=targets, use_record=False, **TINY,
                      reps=100, engine="numpy", out=tmp_path / "python")  # fmt: skip
    assert_same_folders(tmp_path / "cli", tmp_path / "python")
