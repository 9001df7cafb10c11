"""The command line as a shell: it starts at once, rejects non-finite numbers, says how to
get Dask, and stops cleanly on Ctrl-C at any moment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim.cli.app import cli
from sim.cli.options import DASK_INSTALL, FiniteFloat

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.toml"
HEAVY = ("matplotlib", "scipy.stats", "dask", "numba")


def imported_modules(*args: str, cwd: Path = REPO) -> tuple[int, set[str]]:
    """Exit code and every module imported by ``python -X importtime -m sim ARGS``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sim", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    modules = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return proc.returncode, modules


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    "args, code",
    [
        (("--help",), 0),
        (("facts",), 0),
        pytest.param(("validate", str(BASELINE)), 0),
        pytest.param(("validate", "no-such-scenario.toml"), 2),
        pytest.param(("run", "no-such-scenario.toml"), 2),
        pytest.param(("run", str(BASELINE), "--reps", "0"), 2),
    ],
    ids=["help", "facts", "validate", "validate-bad-input", "run-bad-input", "run-bad-option"],
)
def test_quick_commands_import_no_matplotlib_scipy_stats_or_dask(args, code):
    returncode, modules = imported_modules(*args)
    assert returncode == code
    assert "sim.cli.app" in modules  # the list is real: the command's own modules are in it
    assert heavy(modules) == []


def test_help_lists_every_command_without_importing_them():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("run", "compare", "supply-needed", "validate", "facts", "sweep",
                 "sensitivity", "discover", "calibrate", "plot", "report"):  # fmt: skip
        assert f"\n  {name} " in result.output


@pytest.mark.parametrize(
    "text", ["nan", "NaN", "inf", "-inf", "1e400", "abc"], ids=lambda t: t
)
def test_finite_float_rejects_nan_inf_and_words(text):
    with pytest.raises(click.BadParameter):
        FiniteFloat(min=0).convert(text, None, None)


def test_finite_float_keeps_its_bounds():
    kind = FiniteFloat(0, 1)
    assert kind.convert("0.5", None, None) == 0.5
    with pytest.raises(click.BadParameter, match=r">= 0 and <= 1"):
        kind.convert("1.5", None, None)
    with pytest.raises(click.BadParameter, match="> 0"):
        FiniteFloat(min=0, min_open=True).convert("0", None, None)


SUPPLY = ("supply-needed", str(REPO / "scenarios" / "nk-t62.toml"), "--until", "2026-12")


@pytest.mark.parametrize(
    "args, option",
    [
        (("compare", str(BASELINE), str(BASELINE), "--threshold", "nan"), "--threshold"),
        (("compare", str(BASELINE), str(BASELINE), "--threshold", "-5"), "--threshold"),
        ((*SUPPLY, "--keep-active", "1000", "--prob", "nan"), "--prob"),
        ((*SUPPLY, "--keep-active", "inf", "--prob", "0.9"), "--keep-active"),
        ((*SUPPLY, "--keep-active", "1000", "--prob", "0.9", "--max-rate", "1e300"),
         "--max-rate"),
        ((*SUPPLY, "--keep-active", "1000", "--prob", "0.9", "--max-rate", "inf"),
         "--max-rate"),
    ],  # fmt: skip
    ids=["threshold-nan", "threshold-negative", "prob-nan", "keep-active-inf",
         "max-rate-huge", "max-rate-inf"],  # fmt: skip
)
def test_float_options_refuse_non_finite_and_out_of_range_values(args, option, tmp_path, capsys):
    from sim.cli import main

    with pytest.raises(SystemExit) as stop:
        main([*args, "--out", str(tmp_path / "out")] if args[0] == "compare" else list(args))
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tanksim: error: ") and option in err[0]
    assert not (tmp_path / "out").exists()


def test_workers_without_dask_names_the_install_command(tmp_path, monkeypatch, capsys):
    import importlib.util

    from sim.cli import main

    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "distributed" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    for option in (("--workers", "2"), ("--scheduler", "tcp://127.0.0.1:1")):
        with pytest.raises(SystemExit) as stop:
            main(["run", str(BASELINE), "--reps", "10", "--out", str(tmp_path / "o"), *option])
        assert stop.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"tanksim: error: {option[0]} needs Dask, which is not installed: "
                       f"{DASK_INSTALL}"]  # fmt: skip
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("delay", [0.2, 1.5], ids=["while-importing", "while-running"])
def test_ctrl_c_at_any_moment_says_aborted_and_exits_130(delay, tmp_path):
    from cli_helpers import start_tanksim

    out = tmp_path / "out"
    proc = start_tanksim("run", BASELINE, "--reps", "200000", "--out", out)
    time.sleep(delay)  # 0.2 s: inside main, while it imports click, numpy and the engine
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    # 130 from sys.exit, or death by SIGINT when the interrupt landed in code an extension
    # module ran during its import (CPython then re-raises the signal at exit): the shell
    # shows $? = 130 either way.
    assert proc.returncode in (130, -signal.SIGINT), err
    assert err.strip().splitlines()[-1] == "tanksim: aborted"
    assert "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []  # nothing half-written


def test_the_api_and_the_dask_executor_import_no_click():
    code = (
        "import sys\n"
        "import sim.api.runs, sim.api.scenarios, sim.parallel, sim.io.report_html\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'click'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_validate_counts_the_posteriors_rows_and_distinct_sets():
    import numpy as np

    from sim.api.scenarios import load_scenario

    post = load_scenario(BASELINE).posterior
    distinct = len(np.unique(post.values, axis=0))
    result = CliRunner().invoke(cli, ["validate", str(BASELINE)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("posterior: "))
    assert f"({len(post.values):,} rows, {distinct:,} distinct sets, effective sample size" in line
    assert f"{len(post.names)} parameters marked [calibrated]" in line


def test_help_list_agrees_with_each_commands_own_help():
    from sim.cli.app import COMMANDS

    ctx = click.Context(cli)
    for name, (_, short) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        first = " ".join(command.help.split("\n\n")[0].split())
        assert first.startswith(short.rstrip(".")), name


def test_run_summarises_once_and_reads_the_facts_once(tmp_path, monkeypatch, capsys):
    from sim.analysis.summary import summary
    from sim.cli import main
    from sim.model.facts import load_facts

    calls = {"summary": 0, "facts": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    # every module-level name bound to either function, wherever it was imported
    for module in [m for m in list(sys.modules.values()) if m is not None]:
        for name, function, key in (("summary", summary, "summary"),
                                    ("load_facts", load_facts, "facts")):  # fmt: skip
            if getattr(module, name, None) is function:
                monkeypatch.setattr(module, name, counted(key, function))
    main(["run", str(BASELINE), "--reps", "64", "--end", "2022-06", "--json",
          "--out", str(tmp_path / "out")])  # fmt: skip
    assert json.loads(capsys.readouterr().out)["reps"] == 64
    assert calls == {"summary": 1, "facts": 1}


def test_validate_deterministic_prints_the_values_a_deterministic_run_uses(capsys):
    from sim.api.scenarios import load_scenario
    from sim.cli import main
    from sim.runs.sampling import expected_values

    main(["validate", str(BASELINE), "--deterministic"])
    out = capsys.readouterr().out
    values = expected_values(load_scenario(BASELINE))
    lead = values["refurbishment.lead_time_months"]
    assert isinstance(lead, int)
    assert f"    refurbishment.lead_time_months = {lead:,}" in out.splitlines()
    assert out.count("\n    ") >= len(values)
