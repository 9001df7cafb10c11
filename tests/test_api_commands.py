"""The commands are shells over one api call each: ``validate`` prints what ``api.validate``
returns, and ``calibrate`` and ``hindcast`` write, byte for byte, the folders
``api.save_calibration`` and ``api.save_hindcast`` write (manifest.json's volatile fields
aside: when and how fast, and the command line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import TWO_WIDE_TARGETS, run_cli, toy_toml

from sim import api

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
