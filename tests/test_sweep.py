"""Parameter sweeps: parsing --param, common random numbers across points, tornado data,
the ``tanksim sweep`` folder, and a clean stop on Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import interruptible
from factories import make_scenario, run_cli, toy_toml
from matplotlib.figure import Figure

from sim.analysis.sweep import (
    SweepError,
    SweepParam,
    parse_sweep,
    point_count,
    run_sweep,
    sweep_points,
    tornado_bars,
)
from sim.figures.tornado import TornadoPanel, draw_tornado
from sim.io.output import write_folder
from sim.runs.ensemble import run_ensemble
from sim.runs.sampling import draw_params

REPO = Path(__file__).resolve().parents[1]
U = {"dist": "uniform"}
LOSSES = "losses.confirmed_per_month.2022-02"
#: Capacity 0: nothing is refurbished, so the failure rate of good hulls has no effect.
A = {"active": 2000, "storage": 500, "vulnerability": 1.0, "quality_weight": 1.0,
     "refurb_effort": 1.0}  # fmt: skip
INERT = make_scenario(
    families={"A": A}, end="2022-12", cv=0.3, capacity=0,
    losses=U | {"low": 5, "high": 20}, failure=(U | {"low": 0.0, "high": 0.1}, 0.1, 0.5),
)  # fmt: skip
TOY = toy_toml(
    description="toy scenario for CLI tests",
    failure_good='{dist = "uniform", low = 0.0, high = 0.1}',
)


@pytest.fixture
def toy(tmp_path) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(TOY)
    return path


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tanksim: error: "), err
    return lines[0]


# ---------------------------------------------------------------------------------------------
# --param


def test_param_spec_is_parsed_with_toml_quoting_accepted():
    family = {"active": 10, "storage": 5, "vulnerability": 1, "quality_weight": 1,
              "refurb_effort": 1}  # fmt: skip
    scenario = make_scenario(families={"T-54/55": family})
    spec = parse_sweep('families."T-54/55".storage=0:100:5', scenario)
    assert spec == SweepParam("families.T-54/55.storage", 0.0, 100.0, 5)
    np.testing.assert_allclose(spec.values(), [0, 25, 50, 75, 100])


def test_unknown_key_names_the_key_and_suggests_the_closest():
    with pytest.raises(SweepError, match=r"no parameter 'losses.detection_shar'; did you mean "
                       r"'losses.detection_share'\?"):  # fmt: skip
        parse_sweep("losses.detection_shar=0.5:0.9:3", INERT)


def test_a_schedule_named_without_its_date_lists_its_dated_steps():
    scenario = make_scenario(family_weight={"A": {"2022-02": 1.0, "2022-06": 2.0}})
    with pytest.raises(SweepError, match=r"it has dated steps: "
                       r"'refurbishment.family_weight.A.2022-02', "
                       r"'refurbishment.family_weight.A.2022-06'$"):  # fmt: skip
        parse_sweep("refurbishment.family_weight.A=0:2:3", scenario)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("losses.detection_share", "expected KEY=LOW:HIGH:STEPS"),
        ("losses.detection_share=0.5:0.9", "'0.5:0.9' is not LOW:HIGH:STEPS"),
        ("losses.detection_share=0.5:x:3", "'x' is not a number"),
        ("losses.detection_share=0.5:0.9:three", "STEPS 'three' is not a whole number"),
        ("losses.detection_share=0.5:0.9:1", "STEPS must be at least 2"),
        ("losses.detection_share=0.9:0.5:3", "LOW must be below HIGH"),
        ("losses.detection_share=0:0.9:3", "must be in (0, 1]"),
        ("storage.good_share=0.5:1.5:3", "must be in [0, 1]"),
        ("losses.monthly_cv=0.1:inf:3", "'inf' is not a finite number"),
    ],
)
def test_bad_low_high_steps_is_refused_naming_the_value(text, message):
    with pytest.raises(SweepError) as err:
        parse_sweep(text, INERT)
    assert message in str(err.value) and repr(text) in str(err.value)


def test_one_at_a_time_and_grid_points():
    a, b = SweepParam("x", 0, 1, 3), SweepParam("y", 0, 2, 2)
    oat = sweep_points([a, b], grid=False)
    assert [p.varied for p in oat] == ["base", "x", "x", "x", "y", "y"]
    assert oat[2].values == {"x": 0.5}
    grid = sweep_points([a, b], grid=True)
    assert len(grid) == point_count([a, b], True) == 7
    assert grid[1].values == {"x": 0.0, "y": 0.0} and grid[-1].values == {"x": 1.0, "y": 2.0}


# ---------------------------------------------------------------------------------------------
# Common random numbers


def test_a_parameter_with_no_effect_gives_identical_metrics_at_every_point():
    spec = parse_sweep("refurbishment.failure.good=0:0.1:4", INERT)
    result = run_sweep(INERT, [spec], reps=600, seed=3)
    assert len(result.stats) == 5
    for stats in result.stats[1:]:
        assert stats == result.stats[0]


def test_sweep_points_are_the_ensemble_of_the_same_draws_with_the_value_fixed():
    spec = parse_sweep(f"{LOSSES}=5:20:4", INERT)
    result = run_sweep(INERT, [spec], reps=500, seed=8)
    values = draw_params(INERT, seed=8, first_rep=0, reps=500) | {LOSSES: np.full(500, 10.0)}
    direct = run_ensemble(INERT, values, seed=8)
    assert result.stats[2]["active_end"]["mean"] == pytest.approx(
        direct.metrics["active_end"].mean()
    )
    means = [s["active_end"]["mean"] for s in result.stats[1:]]
    assert all(np.diff(means) < 0)  # more losses, fewer tanks: no noise breaks the order


def test_grid_runs_every_combination_and_tornado_needs_one_at_a_time():
    specs = [
        parse_sweep(f"{LOSSES}=5:20:2", INERT),
        parse_sweep("storage.good_share=0.2:0.6:2", INERT),
    ]
    result = run_sweep(INERT, specs, grid=True, reps=100, seed=1)
    assert len(result.points) == 5
    with pytest.raises(SweepError, match="one-at-a-time"):
        tornado_bars(result, "active_end")


def test_tornado_bars_are_sorted_by_swing_and_drawn_one_per_parameter():
    specs = [parse_sweep("refurbishment.failure.good=0:0.1:3", INERT),
             parse_sweep(f"{LOSSES}=5:20:3", INERT)]  # fmt: skip
    result = run_sweep(INERT, specs, reps=300, seed=2)
    base, bars = tornado_bars(result, "active_end")
    assert [b.name for b in bars] == [LOSSES, "refurbishment.failure.good"]
    assert bars[0].at_low > base > bars[0].at_high and bars[1].swing == 0
    ax = Figure().add_subplot()
    draw_tornado(ax, TornadoPanel("Active fleet", "tanks", base, bars))
    assert len(ax.patches) == 2 * len(bars)
    labels = {t.get_position()[1]: t.get_text().split("\n")[0] for t in ax.get_yticklabels()}
    assert [labels[y] for y in sorted(labels, reverse=True)] == [b.name for b in bars]


# ---------------------------------------------------------------------------------------------
# The command


def test_sweep_command_writes_its_folder_with_a_manifest(capsys, toy, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "sweep", toy, "--param", f"{LOSSES}=20:80:3",
                                "--param", "families.A.storage=300:600:2", "--reps", "200",
                                "--seed", "5", "--out", out, "--sampling", "lhs")  # fmt: skip
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {
        "sweep.csv",
        "sweep.json",
        "tornado.png",
        "manifest.json",
    }
    manifest = json.loads((out / "manifest.json").read_text())
    arguments = manifest["arguments"]
    assert (arguments["seed"], arguments["sampling"], manifest["command"]) == (5, "lhs", "sweep")
    assert arguments["n"] == 200 * 6 and "git_revision" in manifest["versions"]
    assert manifest["details"]["parameters"][LOSSES]["dist"] == "uniform"
    with (out / "sweep.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["point"] for r in rows} == {str(i) for i in range(6)}
    exhausted = [r for r in rows if r["metric"] == "storage_exhausted"]
    assert all(r["unit"] == "month" and r["never_share"] != "" for r in exhausted)
    assert "sweep of toy (one at a time)" in stdout


def test_sweep_command_refuses_an_existing_folder_and_bad_params(capsys, toy, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run_cli(capsys, "sweep", toy, "--param", f"{LOSSES}=20:80:3", "--out", out)
    assert code == 2 and "--force" in one_error_line(err)
    assert list(out.iterdir()) == []
    code, _, err = run_cli(capsys, "sweep", toy, "--param", "losses.detection_shar=1:2:3")
    line = one_error_line(err)
    assert code == 2 and "did you mean 'losses.detection_share'?" in line
    code, _, err = run_cli(capsys, "sweep", toy, "--param", f"{LOSSES}=20:80:0")
    assert code == 2 and "STEPS must be at least 2" in one_error_line(err)


def test_sweep_json_prints_only_the_result(capsys, toy, tmp_path):
    code, stdout, _ = run_cli(capsys, "sweep", toy, "--param", f"{LOSSES}=20:80:2",
                              "--reps", "50", "--out", tmp_path / "o", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(stdout) == json.loads((tmp_path / "o" / "sweep.json").read_text())


# ---------------------------------------------------------------------------------------------
# Stopping


def test_interrupt_during_the_write_leaves_no_folder(tmp_path):
    target = tmp_path / "out"

    def write(folder: Path) -> None:
        (folder / "half.csv").write_text("a,b\n")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_folder(target, write)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_stops_with_one_line_and_no_folder(toy, tmp_path):
    """SIGINT once the progress bar shows (stderr is a terminal): exit 130, 'tanksim: aborted',
    no traceback, nothing left in the output's parent."""
    out = tmp_path / "results" / "sweep"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(toy), "--param", f"{LOSSES}=20:80:200",
         "--reps", "5000", "--out", str(out)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL,
        preexec_fn=interruptible,
    )  # fmt: skip
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 120
    while b"sweep toy" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            seen += os.read(leader, 4096)
    assert b"sweep toy" in seen, seen  # the progress bar is up: the sweep is running
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    while True:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    text = seen.decode(errors="replace")
    assert proc.returncode == 130, text
    assert "tanksim: aborted" in text and "Traceback" not in text
    assert not out.exists()
    assert list(out.parent.iterdir()) == [] if out.parent.exists() else True
