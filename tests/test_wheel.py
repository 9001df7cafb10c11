"""An installed copy works: build a wheel, install it outside the repository, run tanksim there.

The wheel is built without build isolation (no network: the test environment's setuptools
builds it) and installed with ``pip install --no-deps --target`` into a temporary folder; the
commands run with that folder on ``PYTHONPATH`` from a temporary working directory holding a
copy of ``scenarios/``, so neither the repository's ``sim/`` nor its ``seeds/`` can be reached.
Dependencies (numpy, scipy, ...) come from the test environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.model.facts import load_facts
from sim.model.record import load_record

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.wheel


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(working directory outside the repository, environment that imports the wheel)."""
    root = tmp_path_factory.mktemp("wheel")
    dist, site, work = root / "dist", root / "site", root / "work"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(dist), str(REPO)],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("tanksim-*.whl")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site),
         str(wheel)],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    shutil.copytree(REPO / "scenarios", work / "scenarios")
    env = {k: v for k, v in os.environ.items() if k not in ("TANKSIM_SEEDS", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    return work, env


def tanksim(installed, *args: str) -> subprocess.CompletedProcess:
    work, env = installed
    return _run(["-c", "from sim.cli import main; main()", *args], work, env)


def test_the_wheel_holds_the_seeds_the_limits_text_and_the_loss_record(installed):
    work, env = installed
    probe = _run(["-c", (
        "import json, sim; from sim.model.facts import seeds_dir, load_facts; "
        "from sim.data import limits_text; from sim.model.record import load_record; "
        "r = load_record(); "
        "print(json.dumps([sim.__file__, str(seeds_dir()), len(load_facts()), limits_text(), "
        "r.path, r.sha256]))"
    )], work, env)  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    sim_file, seeds, n_facts, limits, record, record_sha = json.loads(probe.stdout)
    site = Path(env["PYTHONPATH"])
    assert Path(sim_file).is_relative_to(site)  # the installed copy, not the repository's
    assert Path(seeds) == site / "sim" / "seeds"
    assert n_facts == len(load_facts(REPO / "seeds"))
    assert limits == (REPO / "sim" / "data" / "limits.md").read_text(encoding="utf-8").strip()
    assert Path(record) == site / "sim" / "data" / "record" / "oryx-russia-tanks.csv"
    assert record_sha == load_record(REPO / "sim" / "data" / "record" / "oryx-russia-tanks.csv"
                                     ).sha256


def test_installed_wheel_validates_runs_and_reports_outside_the_repository(installed):
    work, _ = installed
    validate = tanksim(installed, "validate", "scenarios/baseline.toml")
    assert validate.returncode == 0, validate.stderr
    assert "families.T-72.storage" in validate.stdout
    run = tanksim(installed, "run", "scenarios/nk-t62.toml", "--reps", "64", "--end", "2022-12",
                  "--out", "out")  # fmt: skip
    assert run.returncode == 0, run.stderr
    summary = json.loads((work / "out" / "summary.json").read_text())
    assert summary["reps"] == 64
    report = tanksim(installed, "report", "scenarios/baseline.toml", "--reps", "32",
                     "--out", "report")  # fmt: skip
    assert report.returncode == 0, report.stderr
    page = (work / "report" / "report.html").read_text()
    assert "It is <strong>not</strong> a forecast of Russian decisions" in page  # packaged limits


def test_installed_wheel_reports_a_bad_scenario_in_one_line(installed):
    work, _ = installed
    bad = work / "bad.toml"
    bad.write_text('extends = "scenarios/baseline.toml"\n[storage]\ngood_share = 1.5\n')
    proc = tanksim(installed, "validate", "bad.toml")
    assert proc.returncode == 2
    assert proc.stderr.startswith("tanksim: error: bad.toml: storage.good_share = 1.5")
    assert len(proc.stderr.splitlines()) == 1

