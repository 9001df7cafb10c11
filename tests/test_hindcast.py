"""Hindcasts: the scores on cases with a known answer, the split at the cut-off, the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import tanksim
from factories import TWO_WIDE_TARGETS

from sim.analysis.hindcast import (
    crps_sample,
    interval_score,
    score_targets,
    split_targets,
    target_date,
)
from sim.analysis.targets import Target, load_targets
from sim.model.calendar import parse_month

REPO = Path(__file__).resolve().parents[1]


def test_crps_of_a_point_mass_is_the_absolute_error():
    assert crps_sample(np.full(50, 7.0), 10.0) == pytest.approx(3.0)
    assert crps_sample(np.full(50, 10.0), 10.0) == 0.0


def test_crps_of_a_sample_matches_the_pairwise_definition():
    x = np.random.default_rng(3).normal(size=200)
    y = 0.4
    direct = np.abs(x - y).mean() - 0.5 * np.abs(x[:, None] - x[None, :]).mean()
    assert crps_sample(x, y) == pytest.approx(direct, rel=1e-12)


def test_crps_of_a_wide_uniform_sample_approaches_the_closed_form():
    # U(0, 1) against y = 0.5: CRPS = 1/12 (Gneiting and Raftery 2007)
    x = (np.arange(20_000) + 0.5) / 20_000
    assert crps_sample(x, 0.5) == pytest.approx(1 / 12, abs=1e-6)


def test_interval_score_is_the_width_inside_and_adds_twenty_times_the_miss_outside():
    assert interval_score(10.0, 20.0, 15.0, 0.1) == 10.0
    assert interval_score(10.0, 20.0, 22.0, 0.1) == pytest.approx(10.0 + 20 * 2.0)
    assert interval_score(10.0, 20.0, 9.0, 0.1) == pytest.approx(10.0 + 20 * 1.0)


def test_targets_split_at_the_cut_off_by_the_last_month_they_read():
    targets = load_targets()
    before, after = split_targets(targets, parse_month("2024-06"))
    assert {t.id for t in before} | {t.id for t in after} == {t.id for t in targets}
    assert all(target_date(t) <= parse_month("2024-06") for t in before)
    removed = next(t for t in targets if t.id == "storage-removed-2025-02")
    assert removed in after, "a drawdown to 2025-02 is dated 2025-02, not its start month"


def test_scores_say_inside_or_not_for_a_known_projected_sample():
    target = Target(id="total", fact="oryx-tank-losses-2022-02-to-2025-05",
                    variables=("lost_confirmed",), family="all", month=parse_month("2025-05"),
                    observed=3960, low=3560, high=4550, uncertainty="as reported")  # fmt: skip
    sample = np.linspace(3000.0, 3500.0, 1001)[:, None]  # every value below the observed
    (row,) = score_targets([target], sample)
    assert not row["inside_50"] and not row["inside_90"]
    assert row["crps"] > 3960 - 3500
    (row,) = score_targets([target], np.linspace(3900.0, 4020.0, 1001)[:, None])
    assert row["inside_50"] and row["inside_90"]


def _targets_file(tmp_path: Path) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(TWO_WIDE_TARGETS)
    return path


def test_hindcast_command_scores_the_later_target_and_writes_its_folder(tmp_path):
    out = tmp_path / "hc"
    args = ["hindcast", REPO / "scenarios" / "prior.toml", "--until", "2022-12",
            "--targets", _targets_file(tmp_path), "--no-record", "--draws", "1024",
            "--particles", "100", "--generations", "2", "--reps", "300", "--out", out]
    done = tanksim(*args, cwd=tmp_path)  # in this process: tests/cli_helpers.py
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {
        "hindcast.json", "hindcast.csv", "hindcast.png", "manifest.json", "scores.csv",
        "horizon.csv", "horizon.png"}
    document = json.loads((out / "hindcast.json").read_text())
    assert document["fitted_targets"] == ["early"] and document["scored_targets"] == ["late"]
    (row,) = document["scored"]
    assert row["p05"] <= row["p50"] <= row["p95"] and row["crps"] >= 0
    again = tanksim(*args, cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr


def test_a_cut_off_with_no_later_target_is_one_line_and_exit_2(tmp_path):
    done = tanksim("hindcast", REPO / "scenarios" / "prior.toml", "--until", "2029-01",
                   "--targets", _targets_file(tmp_path), "--no-record", "--out", tmp_path / "hc",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "both sides of the cut-off" in done.stderr
    assert not (tmp_path / "hc").exists()


def test_posterior_predictive_shares_count_replications_inside_each_interval_and_all_at_once():
    from sim.analysis.calibration_fit import fit_rows, joint_share_in_intervals

    targets = [Target(id=f"t{k}", fact="synthetic", variables=("lost_confirmed",), family="all",
                      month=parse_month(month), observed=obs, low=low, high=high,
                      uncertainty="synthetic")
               for k, (month, obs, low, high) in enumerate((("2022-09", 1002, 900, 1150),
                                                            ("2023-02", 1688, 1520, 1940)))]
    # [900, 1150] and [1520, 1940]: rows 0 and 1 inside both, row 2 only the first, row 3 none
    predictive = np.array([[1000, 1600], [1100, 1900], [950, 2500], [100, 100]], dtype=float)
    rows = fit_rows(targets, predictive)
    assert [r["share_in_interval"] for r in rows] == [0.75, 0.5]
    assert joint_share_in_intervals(targets, predictive) == 0.5


FOUR_OR_YX_TARGETS = "".join(
    f'[[target]]\nid = "{name}"\nfact = "{fact}"\nvariable = "lost_confirmed"\n'
    f'month = "{month}"\nobserved = {value}\nlow = {0.7 * value:.0f}\n'
    f'high = {1.3 * value:.0f}\nuncertainty = "wide, for a quick test"\n'
    for name, fact, month, value in (
        ("a", "oryx-tank-losses-2022-09", "2022-09", 1002),
        ("b", "oryx-tank-losses-2023-02", "2023-02", 1688),
        ("c", "oryx-tank-losses-2023-08", "2023-08", 2231),
        ("d", "oryx-tank-losses-2024-05", "2024-05", 3000),
    )
)


def _run_main(args: list, cwd: Path, capsys) -> tuple[int, str, str]:
    import os

    from sim.cli.app import run_main

    before = os.getcwd()
    os.chdir(cwd)
    try:
        run_main([str(a) for a in args])
        code = 0
    except SystemExit as err:
        code = err.code
    finally:
        os.chdir(before)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_several_cut_offs_write_one_subfolder_each_and_the_scores_across_cuts(tmp_path, capsys):
    targets = tmp_path / "targets.toml"
    targets.write_text(FOUR_OR_YX_TARGETS)
    out = tmp_path / "cuts"
    code, printed, err = _run_main(
        ["hindcast", REPO / "scenarios" / "prior.toml", "--until", "2023-02", "--until",
         "2023-08", "--targets", targets, "--draws", 100, "--particles", 10, "--generations",
         1, "--reps", 100, "--no-record", "--out", out], tmp_path, capsys)  # fmt: skip
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {"until-2023-02", "until-2023-08", "cuts.csv",
                                               "cuts.png", "manifest.json"}  # fmt: skip
    for sub in ("until-2023-02", "until-2023-08"):
        assert {"hindcast.json", "scores.csv", "horizon.csv", "horizon.png"} <= {
            p.name for p in (out / sub).iterdir()}
    cuts = (out / "cuts.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in cuts] == ["cut", "2023-02", "2023-08"]
    scores = (out / "until-2023-02" / "scores.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in scores[1:]] == [["all", "2023-08-31"],
                                                            ["all", "2024-05-31"]]  # fmt: skip
    document = json.loads((out / "until-2023-08" / "hindcast.json").read_text())
    at_cut = document["summary"]["record_at_cut"]
    assert at_cut["observations"] == 1 and at_cut["model_mean_crps"] >= 0
    assert "record after the cut" in printed and "cut-offs" in printed


def test_a_cut_off_given_twice_is_one_line_and_exit_2_before_any_calibration(tmp_path, capsys):
    out = tmp_path / "hc"
    code, _, err = _run_main(
        ["hindcast", REPO / "scenarios" / "prior.toml", "--until", "2023-02", "--until",
         "2023-02", "--targets", _targets_file(tmp_path), "--out", out], tmp_path, capsys)
    assert code == 2 and err.strip() == "tanksim: error: --until = 2023-02: given twice"
    assert not out.exists()
