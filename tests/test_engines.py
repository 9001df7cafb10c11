"""The engine seam: the default engine (compiled when numba imports, numpy otherwise,
``TANKSIM_ENGINE`` over both), ``--engine`` on every command that runs the engine and passed
all the way down to the chunks, the engine recorded in every manifest and replayed by
``rerun``, and Dask workers that hold numba to one thread (tests/test_parallel.py runs
compiled chunks on them).

tests/conftest.py sets ``TANKSIM_ENGINE=numpy`` for the suite; these tests name the engine
they mean, or clear the variable when the default is what they test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from factories import TWO_WIDE_TARGETS, run_cli

from sim import api
from sim.cli.app import COMMANDS, LazyGroup
from sim.runs import engines

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.toml"
PRIOR = REPO / "scenarios" / "prior.toml"
NK = REPO / "scenarios" / "nk-t62.toml"
HAS_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")
#: Commands that run the engine (all but these take --engine).
RUN_NOTHING = {"validate", "facts", "plot", "record"}


@pytest.fixture
def engines_used(monkeypatch) -> list[str]:
    """Every engine a chunk asked for while the test ran (in this process)."""
    seen: list[str] = []
    real = engines.simulator

    def spy(engine):
        seen.append(engine)
        return real(engine)

    monkeypatch.setattr(engines, "simulator", spy)
    return seen


# ---------------------------------------------------------------------------------------------
# The default


def test_default_is_compiled_when_numba_imports_and_numpy_otherwise(monkeypatch):
    monkeypatch.delenv(engines.ENV, raising=False)
    monkeypatch.setattr(engines, "available", lambda: True)
    assert engines.default() == engines.resolve(None) == "compiled"
    monkeypatch.setattr(engines, "available", lambda: False)
    assert engines.default() == engines.resolve(None) == "numpy"
    with pytest.raises(engines.EngineUnavailable, match="numba is not installed"):
        engines.resolve("compiled")


def test_tanksim_engine_sets_the_default_and_is_checked(monkeypatch):
    monkeypatch.setattr(engines, "available", lambda: True)
    monkeypatch.setenv(engines.ENV, "numpy")
    assert engines.resolve(None) == "numpy"
    assert engines.resolve("compiled") == "compiled"  # a named engine wins over the variable
    monkeypatch.setenv(engines.ENV, "fast")
    with pytest.raises(engines.EngineError, match="TANKSIM_ENGINE = 'fast': must be one of"):
        engines.resolve(None)
    monkeypatch.setattr(engines, "available", lambda: False)
    monkeypatch.setenv(engines.ENV, "compiled")
    with pytest.raises(engines.EngineUnavailable, match="TANKSIM_ENGINE = compiled: numba"):
        engines.resolve(None)


def test_the_seam_agrees_with_the_compiled_module():
    from sim.engine import compiled

    assert engines.ENGINES == compiled.ENGINES
    assert engines.available() == compiled.available()
    assert engines.default() in engines.ENGINES


def test_a_bad_tanksim_engine_is_one_line_exit_2_and_writes_nothing(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(engines.ENV, "fast")
    code, out, err = run_cli(capsys, "run", BASELINE, "--reps", "20", "--out", tmp_path / "x")
    assert code == 2
    assert err.strip() == ("tanksim: error: TANKSIM_ENGINE = 'fast': must be one of numpy, "
                           "compiled")  # fmt: skip
    assert not (tmp_path / "x").exists()


WITHOUT_NUMBA = "import sys; sys.modules['numba'] = None\nfrom sim.cli import main\nmain()\n"


def without_numba(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``tanksim ARGS`` in a process where numba cannot be imported, TANKSIM_ENGINE unset."""
    env = {k: v for k, v in os.environ.items() if k != engines.ENV}
    return subprocess.run([sys.executable, "-c", WITHOUT_NUMBA, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_without_numba_the_default_is_numpy_and_compiled_is_one_line_exit_2(tmp_path):
    ok = without_numba("run", str(BASELINE), "--reps", "20", "--end", "2022-06", "--out", "a",
                       cwd=tmp_path)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    execution = json.loads((tmp_path / "a" / "manifest.json").read_text())["execution"]
    assert execution["engine"] == "numpy"
    for command in (["run", str(BASELINE), "--reps", "20"],
                    ["sweep", str(PRIOR), "--param", "storage.fair_share=0.2:0.4:2"]):
        bad = without_numba(*command, "--out", "b", "--engine", "compiled", cwd=tmp_path)
        assert bad.returncode == 2, bad.stderr
        assert bad.stderr.splitlines() == [
            "tanksim: error: engine = compiled: numba is not installed "
            "(pip install 'tanksim[fast]'); use --engine numpy (the same numbers)"
        ]
        assert not (tmp_path / "b").exists()


# ---------------------------------------------------------------------------------------------
# --engine on every command, passed down to every chunk, recorded in the manifests


def test_every_command_that_runs_the_engine_takes_engine():
    group = LazyGroup()
    for name in COMMANDS:
        options = {o for p in group.get_command(None, name).params for o in p.opts}
        assert ("--engine" in options) == (name not in RUN_NOTHING), name
    assert set(COMMANDS) >= RUN_NOTHING


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


@needs_numba
def test_each_command_runs_every_chunk_on_the_engine_asked_and_records_it(
    engines_used, capsys, tmp_path, monkeypatch
):  # fmt: skip
    """``--engine compiled`` while the default is numpy (the rest of the suite runs numpy by
    default, so a command that dropped the option would show here)."""
    engine = "compiled"
    monkeypatch.setenv(engines.ENV, "numpy")
    targets = tmp_path / "targets.toml"
    targets.write_text(TWO_WIDE_TARGETS)
    quick = ("--draws", "100", "--particles", "10", "--generations", "1")
    commands = {
        "run": ("run", BASELINE, "--reps", "64", "--end", "2022-12"),
        "deterministic": ("run", BASELINE, "--deterministic", "--reps", "8", "--end", "2022-12"),
        "compare": ("compare", BASELINE, NK, "--reps", "64"),
        "supply-needed": ("supply-needed", NK, "--keep-active", "1000", "--until", "2026-12",
                          "--prob", "0.5", "--reps", "16", "--grid", "3"),
        "sweep": ("sweep", PRIOR, "--param", "storage.fair_share=0.2:0.4:2", "--reps", "16"),
        "sensitivity": ("sensitivity", PRIOR, "--method", "morris", "--n", "2"),
        "discover": ("discover", PRIOR, "--where", "active_end < 1500", "--n", "64"),
        "hindcast": ("hindcast", PRIOR, "--until", "2022-12", "--targets", targets,
                     "--no-record", *quick,
                     "--reps", "100"),
    }  # fmt: skip
    recorded = {"run", "deterministic", "sweep", "sensitivity", "discover", "hindcast"}
    for name, args in commands.items():
        engines_used.clear()
        out = tmp_path / name
        where = () if name == "supply-needed" else ("--out", out)  # it writes no folder
        code, _, err = run_cli(capsys, *args, *where, "--engine", engine)
        assert code == 0, (name, err)
        assert engines_used and set(engines_used) == {engine}, name
        if name in recorded:
            assert _manifest(out)["execution"]["engine"] == engine, name


def test_calibrate_and_report_commands_pass_engine_to_the_api(monkeypatch, capsys, tmp_path):
    """(Their runs are checked through the API below, without drawing their figures.)"""
    from sim.model.errors import InputError

    monkeypatch.setenv(engines.ENV, "numpy")
    monkeypatch.setattr(engines, "available", lambda: True)
    asked = {}

    def stop(name):
        def called(*args, **kwargs):
            asked[name] = kwargs["engine"]
            raise InputError("stopped here")  # bad input: one line, exit 2

        return called

    monkeypatch.setattr("sim.api.calibration.calibrate", stop("calibrate"))
    monkeypatch.setattr("sim.api.runs.report", stop("report"))
    for args in (("calibrate", PRIOR), ("report", BASELINE)):
        code, _, err = run_cli(capsys, *args, "--out", tmp_path / args[0], "--engine", "compiled")
        assert code == 2 and "stopped here" in err, err
    assert asked == {"calibrate": "compiled", "report": "compiled"}


@needs_numba
def test_the_api_passes_engine_down_to_every_chunk(engines_used, monkeypatch, tmp_path):
    from sim.analysis.calibrate import calibrate as one_calibration

    engine = "compiled"
    monkeypatch.setenv(engines.ENV, "numpy")
    monkeypatch.setattr("sim.api.runs.write_report", lambda target, *a, **k: target)
    prior = api.load_scenario(PRIOR)
    targets = api.targets()
    (tmp_path / "targets.toml").write_text(TWO_WIDE_TARGETS)
    calls = {
        "run": lambda: api.run(prior, reps=32, engine=engine),
        "sobol": lambda: api.sobol(prior, n=2, engine=engine),
        "morris": lambda: api.morris(prior, trajectories=2, engine=engine),
        "one_calibration": lambda: one_calibration(
            replace(prior, end=max(t.month for t in targets[:2]), posterior=None), targets[:2],
            draws=100, particles=10, generations=1, seed=1, engine=engine),
        "fit_table": lambda: api.fit_table(prior, target_list=targets[:2], reps=32,
                                           engine=engine),
        "calibrate": lambda: api.calibrate(
            PRIOR, targets_file=tmp_path / "targets.toml", draws=100, particles=10,
            generations=1, check_reps=100, figure_reps=100, projection_reps=100, engine=engine,
            use_record=False),
        "report": lambda: api.report([PRIOR, BASELINE], tmp_path / "report", reps=16,
                                     engine=engine),
    }  # fmt: skip
    for name, call in calls.items():
        engines_used.clear()
        done = call()
        assert engines_used and set(engines_used) == {engine}, name
        if name == "calibrate":  # posterior.json and manifest.json record it
            assert done.meta["execution"] == {"engine": engine}


def test_result_and_manifest_record_the_engine_the_default_chose(monkeypatch, tmp_path):
    monkeypatch.delenv(engines.ENV)
    result = api.run(api.load_scenario(BASELINE, end="2022-06"), reps=16)
    assert result.execution["engine"] == engines.default() == ("compiled" if HAS_NUMBA
                                                               else "numpy")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# rerun


@needs_numba
def test_rerun_replays_the_recorded_engine_and_numpy_when_none_is_recorded(capsys, tmp_path):
    first = tmp_path / "first"
    code, _, err = run_cli(capsys, "run", BASELINE, "--reps", "64", "--end", "2023-06",
                           "--out", first, "--engine", "compiled")  # fmt: skip
    assert code == 0, err
    code, out, err = run_cli(capsys, "rerun", first / "manifest.json", "--out", tmp_path / "again")
    assert code == 0 and out.startswith("identical:"), (out, err)
    assert _manifest(tmp_path / "again")["execution"]["engine"] == "compiled"
    # a manifest naming no engine (as before the engine was recorded): numpy, the only one then
    manifest = _manifest(first)
    del manifest["execution"]["engine"]
    (first / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = run_cli(capsys, "rerun", first / "manifest.json", "--out", tmp_path / "old")
    assert code == 0 and out.startswith("identical:"), (out, err)
    assert _manifest(tmp_path / "old")["execution"]["engine"] == "numpy"
    code, out, err = run_cli(capsys, "rerun", first / "manifest.json", "--out", tmp_path / "c",
                             "--engine", "compiled")  # fmt: skip
    assert code == 0 and out.startswith("identical:"), (out, err)
    assert _manifest(tmp_path / "c")["execution"]["engine"] == "compiled"
    manifest["execution"] = {"engine": "gpu"}
    (first / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = run_cli(capsys, "rerun", first / "manifest.json", "--out", tmp_path / "d")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert 'manifest.json: execution.engine = "gpu": must be one of numpy, compiled' in err
    assert not (tmp_path / "d").exists()


# ---------------------------------------------------------------------------------------------
# Dask workers (compiled chunks on two workers: tests/test_parallel.py)


def test_worker_setup_limits_numba_threads_without_importing_numba():
    code = ("import os, sys\nfrom sim.parallel import dask_setup\ndask_setup(None)\n"
            "print('numba' in sys.modules, os.environ['NUMBA_NUM_THREADS'])\n")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "1"]
