"""The ``tanksim`` command end to end: files written, their shape, reproducibility, errors.

Runs are small (a few hundred replications, a shortened horizon) so the file stays quick.
Commands run in this process through :func:`sim.cli.main` (``cli_helpers.tanksim``), which
is what the installed command calls; the last section starts real processes, for what only
a process shows: the exit code and stderr of the installed ``tanksim`` script, and Ctrl-C.
"""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from cli_helpers import REPO, Outcome, error_lines, interruptible, tanksim, tanksim_subprocess

BASELINE = REPO / "scenarios" / "baseline.toml"
NK_T62 = REPO / "scenarios" / "nk-t62.toml"
RESULT_FILES = {"manifest.json", "summary.json", "trajectories.csv", "fan_chart.png", "metrics.csv"}
HEADER = "date,family,variable,mean,p05,p25,p50,p75,p95"
VARIABLES = {
    "active", "storage", "storage_good", "storage_fair", "storage_poor", "pipeline",
    "lost", "scrapped", "refurbished", "produced", "imported", "active_weighted",
    "lost_confirmed",
}  # fmt: skip
STATS = ("mean", "p05", "p25", "p50", "p75", "p95")
COUNT_METRICS = ("active_end", "active_weighted_end", "lost_end")
MONTH_METRICS = ("storage_exhausted", "refurb_below_half", "active_down_25")
START, END = "2022-02", "2023-12"
SEED = "7"
SMALL = ("--reps", "128", "--seed", SEED, "--end", END)


def ok(proc: Outcome) -> Outcome:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def family_names(path: Path) -> list[str]:
    """Families of a scenario file, following its ``extends`` chain."""
    data = tomllib.loads(path.read_text())
    names = list(data.get("families", {}))
    if "extends" in data:
        names = family_names(path.parent / data["extends"]) + names
    return names


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory) -> Path:
    """One small baseline run shared by the read-only checks below."""
    out = tmp_path_factory.mktemp("baseline_run") / "out"
    ok(tanksim("run", BASELINE, *SMALL, "--out", out))
    return out


@pytest.fixture(scope="module")
def rows(baseline_run) -> list[dict]:
    with (baseline_run / "trajectories.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------------------------------------
# Files and their shape


def test_run_writes_the_results_files_and_nothing_else(baseline_run):
    assert {p.name for p in baseline_run.iterdir()} == RESULT_FILES
    assert (baseline_run / "fan_chart.png").read_bytes().startswith(b"\x89PNG")


def test_trajectories_header_is_exact(baseline_run):
    assert (baseline_run / "trajectories.csv").read_text().splitlines()[0] == HEADER


def test_trajectory_dates_run_monthly_from_start_to_end_without_gaps(rows):
    dates = list(dict.fromkeys(r["date"] for r in rows))
    assert dates == months(START, END)
    assert dates == sorted(dates)


def test_trajectories_cover_every_family_and_all(rows):
    assert {r["family"] for r in rows} == set(family_names(BASELINE)) | {"all"}


def test_trajectory_variables_are_exactly_the_documented_set(rows):
    assert {r["variable"] for r in rows} == VARIABLES


def test_every_date_family_variable_appears_exactly_once(rows):
    keys = [(r["date"], r["family"], r["variable"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert len(keys) == len(months(START, END)) * (len(family_names(BASELINE)) + 1) * len(VARIABLES)


def test_trajectory_percentiles_are_ordered(rows):
    bad = [
        r for r in rows
        if not float(r["p05"]) <= float(r["p25"]) <= float(r["p50"])
        <= float(r["p75"]) <= float(r["p95"])
    ]  # fmt: skip
    assert not bad, bad[:3]


def test_summary_count_metrics_have_mean_and_percentiles(baseline_run):
    summary = json.loads((baseline_run / "summary.json").read_text())
    assert (summary["start"], summary["end"], summary["reps"]) == (START, END, 128)
    for name in COUNT_METRICS:
        metric = summary["metrics"][name]
        assert set(metric) == set(STATS), name
        assert all(isinstance(metric[k], float) for k in STATS), metric
        assert metric["p05"] <= metric["p50"] <= metric["p95"], metric


def test_summary_month_metrics_are_months_or_null_with_never_share(baseline_run):
    summary = json.loads((baseline_run / "summary.json").read_text())
    for name in MONTH_METRICS:
        metric = summary["metrics"][name]
        assert set(metric) == set(STATS) | {"never_share"}, name
        assert 0 <= metric["never_share"] <= 1
        for key in STATS:
            value = metric[key]
            assert value is None or re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value), (name, key)
            assert value is None or START <= value <= END, (name, key, value)


def test_manifest_records_seed_reps_version_timing_and_parameter_facts(baseline_run):
    manifest = json.loads((baseline_run / "manifest.json").read_text())
    assert manifest["arguments"]["seed"] == int(SEED)
    assert manifest["details"]["seed_sequence_entropy"] == int(SEED)
    assert manifest["arguments"]["reps"] == 128
    assert isinstance(manifest["tanksim_version"], str) and manifest["tanksim_version"]
    execution = manifest["execution"]
    assert isinstance(execution.pop("wall_time_seconds"), int | float)
    # the default engine: numpy in the test suite (tests/conftest.py) unless TANKSIM_ENGINE
    from sim.runs.engines import default

    assert execution == {"executor": "this process", "engine": default()}
    params = manifest["details"]["parameters"]
    assert params and all(isinstance(p["facts"], list) for p in params.values())
    assert "oryx-tank-losses-2023-02" in params["losses.detection_share"]["facts"]


# ---------------------------------------------------------------------------------------------
# The results folder: refusing, replacing


def test_existing_out_folder_is_refused_and_left_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sentinel.txt").write_text("keep me")
    proc = tanksim("run", BASELINE, *SMALL, "--out", out)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tanksim: error: "), proc.stderr
    assert str(out) in lines[0] and "--force" in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert [p.name for p in out.iterdir()] == ["sentinel.txt"]
    assert (out / "sentinel.txt").read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind


def test_force_replaces_existing_out_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # an earlier results folder: its manifest lists what tanksim wrote there
    (out / "manifest.json").write_text('{"tool": "tanksim", "contents": ["manifest.json"]}')
    ok(tanksim("run", BASELINE, *SMALL, "--out", out, "--force"))
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # staging and old folders removed


# ---------------------------------------------------------------------------------------------
# Output modes and several scenarios


def test_json_flag_prints_only_the_summary_on_stdout(tmp_path):
    out = tmp_path / "out"
    proc = ok(tanksim("run", BASELINE, *SMALL, "--out", out, "--json"))
    printed = json.loads(proc.stdout)  # fails if anything else is on stdout
    assert printed == json.loads((out / "summary.json").read_text())


def test_two_scenarios_each_get_a_complete_subfolder(tmp_path):
    out = tmp_path / "out"
    ok(tanksim("run", BASELINE, NK_T62, "--reps", "64", "--end", END, "--out", out))
    assert {p.name for p in out.iterdir()} == {"baseline", "nk-t62"}
    for name, path in (("baseline", BASELINE), ("nk-t62", NK_T62)):
        assert {p.name for p in (out / name).iterdir()} == RESULT_FILES
        assert json.loads((out / name / "summary.json").read_text())["scenario"] == name
        with (out / name / "trajectories.csv").open(newline="") as handle:
            families = {r["family"] for r in csv.DictReader(handle)}
        assert families == set(family_names(path)) | {"all"}
    assert "NK-T62" in family_names(NK_T62)


# ---------------------------------------------------------------------------------------------
# Reproducibility


def test_same_seed_gives_byte_identical_results(baseline_run, tmp_path):
    again = tmp_path / "again"
    ok(tanksim("run", BASELINE, *SMALL, "--out", again))
    for name in ("trajectories.csv", "summary.json"):
        assert (again / name).read_bytes() == (baseline_run / name).read_bytes(), name


def test_chunk_size_does_not_change_results(tmp_path):
    # 1,100 replications: two chunks of at most 1,024 against one of 2,048
    args = ("run", BASELINE, "--reps", "1100", "--seed", SEED, "--end", "2022-12")
    ok(tanksim(*args, "--chunk", "1024", "--out", tmp_path / "c1024"))
    ok(tanksim(*args, "--chunk", "2048", "--out", tmp_path / "c2048"))
    for name in ("trajectories.csv", "summary.json"):
        small = (tmp_path / "c1024" / name).read_bytes()
        assert small == (tmp_path / "c2048" / name).read_bytes(), name


def test_deterministic_run_has_no_spread(tmp_path):
    out = tmp_path / "out"
    ok(tanksim("run", BASELINE, "--deterministic", "--end", END, "--out", out))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["deterministic"] is True
    active = summary["metrics"]["active_end"]
    assert active["p05"] == active["p50"] == active["p95"]


# ---------------------------------------------------------------------------------------------
# facts and validate


def test_facts_lists_fact_ids():
    proc = ok(tanksim("facts"))
    ids = {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}
    assert {"oryx-tank-losses-2022-02-to-2025-05", "nk-t62-class-tanks"} <= ids


def test_validate_prints_resolved_parameters_with_their_facts():
    proc = ok(tanksim("validate", "scenarios/nk-t62.toml"))
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("nk-t62: valid")
    (i,) = [i for i, line in enumerate(lines) if line.startswith("supply.nk-t62.total_cap = ")]
    assert "nk-t62-class-tanks" in lines[i]
    assert lines[i + 1].strip().startswith("nk-t62-class-tanks:")


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.toml")), ids=lambda p: p.stem)
def test_every_bundled_scenario_parameter_cites_a_fact(path):
    from sim.model.loader import load_scenario

    scenario = load_scenario(path)  # the loader refuses fact ids that are not in seeds/
    unsourced = [name for name, param in scenario.params().items() if not param.facts]
    assert unsourced == []


# ---------------------------------------------------------------------------------------------
# Real processes: what only a process shows


def test_installed_command_refuses_existing_folder_with_one_line_and_exit_2(tmp_path):
    script = Path(sys.executable).with_name("tanksim")
    if not script.exists():
        pytest.skip("no installed tanksim script next to this interpreter")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sentinel.txt").write_text("keep me")
    proc = subprocess.run(
        [str(script), "run", str(BASELINE), *SMALL, "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tanksim: error: "), proc.stderr
    assert (out / "sentinel.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_bad_scenario_in_a_process_is_one_line_and_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{BASELINE.as_posix()}"\n[storage]\ngood_share = 1.5\n')
    proc = tanksim_subprocess("run", bad, "--reps", "8", "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    (line,) = error_lines(proc)
    assert line.startswith(f"tanksim: error: {bad}: storage.good_share = 1.5")
    assert not (tmp_path / "out").exists()


def test_ctrl_c_during_a_run_says_aborted_and_writes_nothing(tmp_path):
    """SIGINT once the run is simulating (Ctrl-C during the imports is issue 15's case)."""
    out = tmp_path / "out"
    launcher = (
        "import sys; import sim.cli; print('ready', file=sys.stderr, flush=True); "
        "sim.cli.main(sys.argv[1:])"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", launcher, "run", str(BASELINE), "--reps", "1000000",
         "--out", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=interruptible,
    )  # fmt: skip
    assert proc.stderr.readline().strip() == "ready"
    time.sleep(3)  # loading takes well under a second; a million replications take minutes
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode in (130, -signal.SIGINT), stderr  # the shell shows 130 for both
    assert "Traceback" not in stdout + stderr
    assert [line for line in stderr.splitlines() if line.strip()] == ["tanksim: aborted"]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_deterministic_reps_runs_one_expected_path_per_drawn_parameter_set(tmp_path):
    out = tmp_path / "out"
    ok(tanksim("run", BASELINE, "--deterministic", "--reps", "16", "--sampling", "lhs",
               "--seed", SEED, "--end", END, "--out", out))  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["deterministic"], summary["reps"], summary["sampling"]) == (True, 16, "lhs")
    active = summary["metrics"]["active_end"]
    assert active["p05"] < active["p95"]  # parameter uncertainty spreads the paths
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["arguments"]["reps"], manifest["arguments"]["deterministic"]) == (16, True)


def test_deterministic_sampling_without_reps_is_one_line_error(tmp_path):
    out = tmp_path / "o"
    proc = tanksim("run", BASELINE, "--deterministic", "--sampling", "sobol", "--out", out)
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert line.startswith("tanksim: error: --sampling sobol") and "--reps" in line
    assert not out.exists()
