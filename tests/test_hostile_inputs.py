"""Hostile and careless input (issue 15): one line, exit 2, nothing written or removed.

Each case runs ``tanksim`` from a scratch folder ``work/`` inside ``tmp_path`` (in this
process where it can; in a real process, with a time and memory limit, where the case
could hang or exhaust memory), then checks what a user would see: the exit code, exactly
one non-empty stderr line starting ``tanksim: error:`` (or ``tanksim: aborted``), no
traceback, and, by a snapshot of ``tmp_path`` before and after, that nothing was written,
changed or removed (for a refused command: anywhere; for an accepted one: outside its
target).

Many more bad scenario values are in ``test_validation_errors.py``.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cli_helpers import (
    REPO,
    Outcome,
    assert_one_line_error,
    error_lines,
    interruptible,
    snapshot,
    start_tanksim,
    tanksim,
)

BASELINE = REPO / "scenarios" / "baseline.toml"
NK_T62 = REPO / "scenarios" / "nk-t62.toml"
EXTENDS = f'extends = "{BASELINE.as_posix()}"\n'
TINY = ("--reps", "8", "--end", "2022-04")
SUPPLY = """
[supply.test]
family = "T-62"
start = "2024-01"
tanks_per_month = {rate}
total_cap = {cap}
delivery_lag_months = 1
"""
SUPPLY_NEEDED = ("supply-needed", NK_T62, "--keep-active", "1000", "--until", "2027-06",
                 "--prob", "0.5", "--reps", "10", "--grid", "3")  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One hostile command. ``args`` may hold ``{out}`` (the target folder), ``{work}``
    (the scratch folder, also the working directory) and ``{file}`` (``files``' first)."""

    args: tuple
    needles: tuple[str, ...] = ()
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: str = "error"  # "error" or "ok"
    process: bool = False  # in a real process, with a time and memory limit
    timeout: float = 60.0
    prepare: Callable[[Path], None] | None = None
    block_dask: bool = False
    check: Callable[[Path, Outcome], None] | None = None


def _user_folder(work: Path) -> None:
    (work / "out").mkdir()
    (work / "out" / "thesis.txt").write_text("two years of work")


def _a_file_in_the_way(work: Path) -> None:
    (work / "afile").write_text("not a folder")


def _corrupted_results(work: Path) -> None:
    outcome = tanksim("run", BASELINE, *TINY, "--out", work / "out")
    assert outcome.returncode == 0, outcome.stderr
    (work / "out" / "summary.json").write_text('{"scenario": "baseline", "metrics": {')


def _reps_recorded(reps: int) -> Callable[[Path, Outcome], None]:
    def check(work: Path, outcome: Outcome) -> None:
        summary = json.loads((work / "out" / "summary.json").read_text())
        assert (summary["reps"], summary["deterministic"]) == (reps, True)
        manifest = json.loads((work / "out" / "manifest.json").read_text())
        assert manifest["arguments"]["reps"] == reps

    return check


CASES = [
    # --- data loss and debris
    pytest.param(
        Case(("run", BASELINE, *TINY, "--out", "{out}", "--force"), ("out",),
             prepare=_user_folder),
        id="force-on-a-folder-that-is-not-a-results-folder",
    ),
    pytest.param(
        Case(("run", BASELINE, *TINY, "--out", ".", "--force")),
        id="out-dot-force",
    ),
    # --- tracebacks instead of one line
    pytest.param(
        Case(("run", "{file}", *TINY, "--out", "{out}"), ("bad.toml",),
             files={"bad.toml": bytes(range(256)) * 4}),
        id="binary-file-as-scenario",
    ),
    pytest.param(
        Case(("run", "{file}", *TINY, "--out", "{out}"), ("families.T-62.storage", "3000000000"),
             files={"bad.toml": EXTENDS + '[families."T-62"]\nstorage = 3000000000\n'}),
        id="stock-of-three-billion",
    ),
    pytest.param(
        Case(("run", "{file}", *TINY, "--out", "{out}"), ("families.T-62.storage",),
             files={"bad.toml": EXTENDS + '[families."T-62"]\nstorage = 1e300\n'}),
        id="stock-of-1e300",
    ),
    pytest.param(
        Case(("run", "{file}", "--reps", "8", "--out", "{out}"), ("tanks_per_month",),
             files={"bad.toml": EXTENDS + SUPPLY.format(rate="1e300", cap=100)}),
        id="supply-rate-of-1e300",
    ),
    pytest.param(
        Case(("run", "{file}", *TINY, "--out", "{out}"), ("quality_weight",),
             files={"bad.toml": EXTENDS + '[families."T-72"]\nquality_weight = 1e8\n'}),
        id="quality-weight-overflowing-the-weighted-fleet",
    ),
    pytest.param(
        Case(("run", "{file}", *TINY, "--out", "{out}"), ("horizon.end",),
             files={"bad.toml": EXTENDS + '[horizon]\nend = "2030\\r12"\n'}),
        id="carriage-return-in-a-value-stays-on-one-line",
    ),
    pytest.param(
        Case((*SUPPLY_NEEDED, "--max-rate", "1e300"), ("--max-rate",)),
        id="supply-needed-max-rate-huge",
    ),
    pytest.param(
        Case(("run", BASELINE, *TINY, "--out", "/proc/tanksim-hostile-test")),
        id="out-under-proc",
    ),
    pytest.param(
        Case(("run", BASELINE, *TINY, "--out", "{work}/afile/out"), ("afile",),
             prepare=_a_file_in_the_way),
        id="out-under-a-file",
    ),
    pytest.param(
        Case(("run", BASELINE, *TINY, "--workers", "2", "--out", "{out}"), ("tanksim[dask]",),
             block_dask=True),
        id="workers-without-dask",
    ),
    pytest.param(
        Case(("run", BASELINE, *TINY, "--scheduler", "tcp://127.0.0.1:9", "--out", "{out}"),
             ("tanksim[dask]",), block_dask=True),
        id="scheduler-without-dask",
    ),
    pytest.param(
        Case(("sensitivity", BASELINE, "--n", str(2**40), "--out", "{out}"), ("--n",),
             process=True, timeout=20),
        id="sensitivity-n-huge",
    ),
    pytest.param(
        Case(("discover", BASELINE, "--where", "(" * 3000 + "active_end < 1" + ")" * 3000,
              "--n", "50", "--out", "{out}"), ("--where",), process=True),
        id="discover-where-deeply-nested",
    ),
    pytest.param(
        Case(("plot", "{out}"), ("summary.json",), prepare=_corrupted_results),
        id="plot-on-a-corrupted-summary",
    ),
    # --- hangs and silent nonsense
    pytest.param(
        Case(("run", "{file}", *TINY, "--out", "{out}"), ("/dev/zero",),
             files={"bad.toml": 'extends = "/dev/zero"\n'}, process=True, timeout=20),
        id="extends-dev-zero",
    ),
    pytest.param(
        Case(("run", BASELINE, "--reps", "10000000000", "--out", "{out}"), ("--reps",),
             process=True, timeout=8),
        id="reps-ten-billion",
    ),
    pytest.param(
        Case((*SUPPLY_NEEDED[:-1], "1000000000"), ("--grid",), process=True, timeout=8),
        id="supply-needed-grid-huge",
    ),
    pytest.param(
        Case(("run", "{file}", *TINY, "--out", "{out}"), ("fair_share",),
             files={"bad.toml": EXTENDS + "[storage]\ngood_share = 0.7\nfair_share = 0.7\n"}),
        id="good-and-fair-shares-over-one",
    ),
    pytest.param(
        Case((*SUPPLY_NEEDED[:7], "nan", *SUPPLY_NEEDED[8:]), ("--prob",)),
        id="supply-needed-prob-nan",
    ),
    pytest.param(
        Case((*SUPPLY_NEEDED[:3], "inf", *SUPPLY_NEEDED[4:]), ("--keep-active",)),
        id="supply-needed-keep-active-inf",
    ),
    pytest.param(
        Case(("compare", BASELINE, NK_T62, "--reps", "8", "--threshold", "nan", "--out",
              "{out}"), ("--threshold",)),
        id="compare-threshold-nan",
    ),
    pytest.param(
        Case(("compare", BASELINE, NK_T62, "--reps", "8", "--threshold", "-5", "--out",
              "{out}"), ("--threshold",)),
        id="compare-threshold-negative",
    ),
    pytest.param(
        Case(("run", BASELINE, "--deterministic", "--reps", "100", "--end", "2022-06", "--out",
              "{out}"), expect="ok", check=_reps_recorded(100)),
        id="deterministic-reps-100-runs-100-paths",
    ),
    pytest.param(
        Case(("run", BASELINE, "--deterministic", "--reps", "8", "--sampling", "sobol",
              "--end", "2022-06", "--out", "{out}"), expect="ok", check=_reps_recorded(8)),
        id="deterministic-reps-with-sobol",
    ),
    # --- what already gives one line (more in test_validation_errors.py)
    pytest.param(Case(("frobnicate",), ("frobnicate",)), id="unknown-command"),
    pytest.param(Case(("run", BASELINE, "--reps", "0", "--out", "{out}"), ("--reps",)),
                 id="reps-zero"),
    pytest.param(Case(("run", BASELINE, "--seed", "-1", "--out", "{out}"), ("--seed",)),
                 id="seed-negative"),
    pytest.param(Case(("run", BASELINE, "--sampling", "magic", "--out", "{out}"),
                      ("--sampling",)), id="sampling-unknown"),
    pytest.param(Case(("run", BASELINE, "--bogus", "--out", "{out}"), ("--bogus",)),
                 id="unknown-option"),
    pytest.param(Case(("run", "{work}", "--out", "{out}"), ("directory",)),
                 id="folder-as-scenario"),
    pytest.param(Case(("run", "{work}/nothing.toml", "--out", "{out}"), ("no such",)),
                 id="missing-scenario"),
    pytest.param(Case(("run", "{file}", *TINY, "--out", "{out}"), ("bad.toml",),
                      files={"bad.toml": ""}), id="empty-scenario-file"),
    pytest.param(Case(("run", "{file}", *TINY, "--out", "{out}"), ("/etc/passwd",),
                      files={"bad.toml": 'extends = "/etc/passwd"\n'}),
                 id="etc-passwd-as-parent"),
    pytest.param(Case(("run", "{file}", *TINY, "--out", "{out}"), ("posterior",),
                      files={"bad.toml": EXTENDS + 'posterior = "/etc/passwd"\n'}),
                 id="etc-passwd-as-posterior"),
    pytest.param(Case(("run", "{file}", *TINY, "--out", "{out}"), ("tanks_per_month",),
                      files={"bad.toml": EXTENDS + SUPPLY.format(rate="-inf", cap=100)}),
                 id="supply-rate-minus-inf"),
    pytest.param(Case(("run", "{file}", *TINY, "--out", "{out}"), ("☃",),
                      files={"bad.toml": EXTENDS + '[families."T-72"]\n"☃" = 1\n'}),
                 id="unicode-unknown-key"),
    pytest.param(Case(("run", BASELINE, "--start", "2022-02-15", "--out", "{out}"),
                      ("--start",)), id="start-with-a-day"),
    pytest.param(Case(("compare", BASELINE, "--reps", "8", "--out", "{out}"),
                      ("two scenarios",)), id="compare-one-scenario"),
    pytest.param(Case(("compare", BASELINE, NK_T62, "--reps", "8", "--at", "1999-01",
                       "--out", "{out}"), ("--at 1999-01",)), id="compare-at-outside"),
    pytest.param(Case((*SUPPLY_NEEDED[:7], "1.5", *SUPPLY_NEEDED[8:]), ("--prob",)),
                 id="supply-needed-prob-above-one"),
    pytest.param(Case((*SUPPLY_NEEDED[:5], "2024-13", *SUPPLY_NEEDED[6:]), ("--until",)),
                 id="supply-needed-until-bad-month"),
    pytest.param(Case((*SUPPLY_NEEDED, "--family", "T-99"), ("T-99",)),
                 id="supply-needed-unknown-family"),
    pytest.param(Case(("sweep", BASELINE, "--param", "nonsense", "--out", "{out}"),
                      ("--param",)), id="sweep-param-without-range"),
    pytest.param(Case(("sweep", BASELINE, "--param", "losses.nope=0:1:3", "--out", "{out}"),
                      ("losses.nope",)), id="sweep-unknown-parameter"),
    pytest.param(Case(("discover", BASELINE, "--where", "__import__('os').system('touch x')",
                       "--out", "{out}"), ("--where",)), id="discover-code-in-where"),
    pytest.param(Case(("discover", BASELINE, "--where", "active_end <", "--out", "{out}"),
                      ("--where",)), id="discover-where-incomplete"),
    pytest.param(Case(("sensitivity", BASELINE, "--metric", "happiness", "--out", "{out}"),
                      ("happiness",)), id="sensitivity-unknown-metric"),
    pytest.param(Case(("sensitivity", BASELINE, "--method", "guess", "--out", "{out}"),
                      ("--method",)), id="sensitivity-unknown-method"),
    pytest.param(Case(("calibrate", BASELINE, "--draws", "5", "--out", "{out}"), ("--draws",)),
                 id="calibrate-too-few-draws"),
    pytest.param(Case(("plot", "{work}/nowhere"), ("nowhere",)), id="plot-missing-folder"),
    pytest.param(Case(("report", BASELINE, "--reps", "1", "--out", "{out}"), ("--reps",)),
                 id="report-one-rep"),
    pytest.param(Case(("validate", "{work}/nothing.toml"), ("no such",)),
                 id="validate-missing-file"),
    pytest.param(Case(("facts", "--kind", "rumour"), ("--kind",)), id="facts-unknown-kind"),
]


def _run(case: Case, work: Path, monkeypatch) -> Outcome:
    files = list(case.files)
    fill = {"out": work / "out", "work": work, "file": work / files[0] if files else ""}
    args = [str(a).format(**fill) if isinstance(a, str) else str(a) for a in case.args]
    if not case.process:
        if case.block_dask:
            for name in ("dask", "distributed", "dask.distributed"):
                monkeypatch.setitem(sys.modules, name, None)
        return tanksim(*args, cwd=work)
    limit = 2**31  # bytes of address space: a runaway allocation fails, not the machine

    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        proc = subprocess.run(
            [sys.executable, "-m", "sim", *args], cwd=work, capture_output=True, text=True,
            timeout=case.timeout, preexec_fn=bounded,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {case.timeout} s")
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_one_line_and_touches_nothing_outside_the_target(
    case, tmp_path, monkeypatch
):
    work = tmp_path / "work"
    work.mkdir()
    for name, content in case.files.items():
        path = work / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    if case.prepare is not None:
        case.prepare(work)
    before = snapshot(tmp_path)
    outcome = _run(case, work, monkeypatch)
    if case.expect == "error":
        assert_one_line_error(outcome, *case.needles)
        assert snapshot(tmp_path) == before  # nothing written, changed or removed
    else:
        assert outcome.returncode == 0, outcome.stderr
        assert "Traceback" not in outcome.stdout + outcome.stderr
        after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("work/out")}
        assert after == {k: v for k, v in before.items() if not k.startswith("work/out")}
        assert (work / "out").is_dir()
    if case.check is not None:
        case.check(work, outcome)


# ---------------------------------------------------------------------------------------------
# Cases that need more than one command, a signal or a measurement


def test_two_runs_writing_the_same_folder_at_once_do_not_both_succeed(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sim", "run", str(BASELINE), "--reps", "64", "--end",
               "2022-12", "--out", str(out), "--force"]  # fmt: skip
    procs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and codes[1] != 0, results
    (line,) = error_lines(Outcome(codes[1], "", [e for c, e in results if c][0]))
    assert line.startswith("tanksim: error: ") and str(out) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_ctrl_c_in_the_first_second_says_aborted(tmp_path):
    proc = start_tanksim("run", BASELINE, "--out", tmp_path / "out", cwd=tmp_path)
    time.sleep(0.2)  # inside main (its handler set), while it imports click, numpy, the engine
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode in (130, -signal.SIGINT), stderr  # the shell shows 130 for both
    assert "Traceback" not in stdout + stderr
    assert [line for line in stderr.splitlines() if line.strip()] == ["tanksim: aborted"]
    assert list(tmp_path.iterdir()) == []


def _active_rows(folder: Path, first: str) -> list[str]:
    lines = (folder / "trajectories.csv").read_text().splitlines()
    return [line for line in lines[1:] if line.split(",")[0] >= first and ",all,active," in line]


def test_a_later_start_reports_the_same_months_as_a_run_from_the_scenarios_start(tmp_path):
    later = tanksim("run", BASELINE, "--deterministic", "--start", "2024-01", "--end", "2024-06",
                    "--out", tmp_path / "later")  # fmt: skip
    if later.returncode == 2:  # refused: one line
        assert_one_line_error(later, "--start")
        return
    assert later.returncode == 0, later.stderr
    whole = tanksim("run", BASELINE, "--deterministic", "--end", "2024-06",
                    "--out", tmp_path / "whole")  # fmt: skip
    assert whole.returncode == 0, whole.stderr
    assert _active_rows(tmp_path / "later", "2024-01") == _active_rows(
        tmp_path / "whole", "2024-01"
    )


def test_a_start_before_the_stocks_month_is_refused(tmp_path):
    outcome = tanksim("run", BASELINE, "--deterministic", "--start", "2019-01", "--end",
                      "2022-06", "--out", tmp_path / "out")  # fmt: skip
    assert_one_line_error(outcome, "--start")
    assert list(tmp_path.iterdir()) == []


def test_memory_of_a_run_does_not_grow_with_the_size_of_the_stocks(tmp_path):
    """A T-72 storage of 1,000,000 (5.0 GB for 200 replications before) stays small."""
    from sim.model.loader import load_scenario
    from sim.runs.run import run_scenario

    peaks = {}
    for storage in (1_000, 1_000_000):
        path = tmp_path / f"storage-{storage}.toml"
        path.write_text(EXTENDS + f'[families."T-72"]\nstorage = {storage}\n')
        scenario = load_scenario(path, end="2023-06")
        tracemalloc.start()
        try:
            result = run_scenario(scenario, reps=200, seed=3)
            peaks[storage] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.stats[-1, 1, -1, 0] > 0.5 * storage  # the stock is there, in storage
    assert peaks[1_000_000] < 2 * peaks[1_000] + 20 * 2**20, peaks


#: Runs tanksim with a Ctrl-C that Python loses: the signal lands inside a weak-reference
#: callback (as it can inside the import system's module-lock callback), where Python only
#: reports the KeyboardInterrupt ("Exception ignored") and carries on.
_LOST_CTRL_C = """
import os, signal, sys, time, weakref
import sim.io.folders as folders

make_staging = folders.make_staging

def interrupted_inside_a_callback(target):
    class Anything:
        pass

    def callback(_):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)  # the KeyboardInterrupt is raised here, in the callback, and lost

    thing = Anything()
    ref = weakref.ref(thing, callback)
    del thing
    return make_staging(target)

folders.make_staging = interrupted_inside_a_callback
from sim.cli import main
main(sys.argv[1:])
"""


def test_a_ctrl_c_python_loses_in_a_callback_still_aborts_with_nothing_written(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", _LOST_CTRL_C, "run", str(BASELINE), "--reps", "8", "--end",
         "2022-06", "--engine", "numpy", "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, preexec_fn=interruptible,
    )  # fmt: skip
    assert proc.returncode == 130, proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.strip()] == ["tanksim: aborted"]
    assert list(tmp_path.iterdir()) == []
