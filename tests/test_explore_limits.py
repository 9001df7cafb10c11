"""sweep, sensitivity and discover refuse what cannot run, warn when n is too small, and keep
their layers apart: one line and exit 2, nothing written; warnings on stderr and in the JSON;
figures free of analysis, the api free of click."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from factories import run_cli, toy_toml

from sim.analysis import budget
from sim.analysis.condition import MAX_DEPTH, ExpressionError, parse_condition
from sim.analysis.morris import MIN_TRAJECTORIES, MorrisIndices, morris_warnings
from sim.analysis.outcomes import Outcome
from sim.analysis.sensitivity import MAX_INTERVAL_WIDTH, MIN_EXCESS, SobolIndices, sobol_warnings
from sim.analysis.stats import count_stats, month_stats
from sim.engine.metrics import NEVER

REPO = Path(__file__).resolve().parents[1]
LOSSES = "losses.confirmed_per_month.2022-02"


@pytest.fixture
def toy(tmp_path) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(toy_toml(end="2022-07"))
    return path


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ---------------------------------------------------------------------------------------------
# Too large: one line with the estimate and the cap, exit 2, nothing written


@pytest.mark.parametrize("args, expected", [
    (["sensitivity", "--n", str(2**34)], "--n 17,179,869,184: needs"),
    (["sensitivity", "--method", "morris", "--n", "100000000"], "--n 100,000,000: needs"),
    (["discover", "--where", "active_end < 1500", "--n", "10000000000"], "--n 10,000,000,000"),
    (["sweep", "--param", f"{LOSSES}=20:80:500", "--reps", "1000000"], "501 points of 1,000,000"),
    (["calibrate", "--draws", "10000000000"], "--draws 10,000,000,000 --generations 10: needs"),
])  # fmt: skip
def test_a_design_beyond_the_caps_is_refused_with_its_estimate(capsys, toy, tmp_path, args,
                                                               expected):  # fmt: skip
    out = tmp_path / "out"
    scenario = REPO / "scenarios" / "prior.toml" if args[0] == "calibrate" else toy
    code, _, err = run_cli(capsys, args[0], scenario, *args[1:], "--out", out)
    line = one_line(err)
    assert code == 2 and expected in line
    assert "memory" in line and f"{budget.MAX_REPLICATIONS:,} replications" in line
    assert not out.exists()


def test_check_budget_states_replications_memory_and_time():
    assert budget.check_budget("--n 8", 1000, 100, 1e6) == pytest.approx(1000 * 100 / budget.RATE)
    with pytest.raises(budget.BudgetError, match=r"--n 9: needs 10 replications, about 5\.0 GiB"):
        budget.check_budget("--n 9", 10, 100, 5 * 2**30)


# ---------------------------------------------------------------------------------------------
# --where nesting and NaN options


def test_a_deeply_nested_where_is_one_line_not_a_recursion_error(capsys, toy, tmp_path):
    from factories import make_scenario

    deep = "(" * (MAX_DEPTH + 1) + "active_end < 1" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH} deep"):
        parse_condition(deep, make_scenario())
    assert parse_condition("(" * MAX_DEPTH + "active_end < 1" + ")" * MAX_DEPTH, make_scenario())
    huge = "(" * 5000 + "active_end < 1" + ")" * 5000
    code, _, err = run_cli(capsys, "discover", toy, "--where", huge, "--out", tmp_path / "o")
    assert code == 2 and "at most 2,000" in one_line(err) and len(err) < 300
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1.5"])
def test_min_density_must_be_a_finite_share(capsys, toy, tmp_path, value):
    code, _, err = run_cli(capsys, "discover", toy, "--where", "active_end < 1500",
                           "--min-density", value, "--out", tmp_path / "o")  # fmt: skip
    assert code == 2 and "--min-density" in one_line(err)
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------------------------
# Sensitivity at too small an n warns


def _sobol(first, total_low, total_high) -> SobolIndices:
    first, low, high = (np.array([v], dtype=float) for v in (first, total_low, total_high))
    return SobolIndices(
        parameters=("a", "b"), outcomes=(Outcome("active_end", "count"),), first=first,
        first_low=first - 0.01, first_high=first + 0.01, total=(low + high) / 2,
        total_low=low, total_high=high, random_flows=np.zeros(1), variance=np.ones(1),
        n=64, evaluations=320,
    )  # fmt: skip


def test_sobol_warns_when_a_first_order_index_exceeds_its_total_beyond_the_interval():
    warned = sobol_warnings(_sobol([0.271, 0.0], [0.12, 0.0], [0.2, 0.0]))
    assert len(warned) == 1 and "a: 0.271 against" in warned[0] and "--n above 64" in warned[0]
    just_noise = [0.2 + MIN_EXCESS / 2, 0.0]
    assert sobol_warnings(_sobol(just_noise, [0.12, 0.0], [0.2, 0.0])) == []


def test_sobol_warns_when_an_interval_is_wider_than_the_stated_width():
    wide = sobol_warnings(_sobol([0.1, 0.0], [0.0, 0.0], [MAX_INTERVAL_WIDTH + 0.05, 0.0]))
    assert len(wide) == 1 and f"more than {MAX_INTERVAL_WIDTH}" in wide[0]


def test_morris_warns_below_ten_trajectories():
    def result(r: int) -> MorrisIndices:
        zero = np.zeros((1, 1))
        return MorrisIndices(("a",), (Outcome("active_end", "count"),), zero, zero, zero, zero,
                             zero, trajectories=r, evaluations=2 * r)  # fmt: skip

    assert "2 trajectories" in morris_warnings(result(2))[0]
    assert morris_warnings(result(MIN_TRAJECTORIES)) == []


def test_morris_with_two_trajectories_warns_on_stderr_and_in_the_json(capsys, toy, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "sensitivity", toy, "--method", "morris", "--n", "2",
                                "--out", out)  # fmt: skip
    assert code == 0, err
    warning = [line for line in err.splitlines() if line.startswith("tanksim: warning:")]
    assert len(warning) == 1 and "2 trajectories" in warning[0]
    data = json.loads((out / "indices.json").read_text())
    assert data["warnings"] and "2 trajectories" in data["warnings"][0]
    assert "warning" not in stdout  # said once, on stderr


# ---------------------------------------------------------------------------------------------
# The sweep summarises as summary.json does


def test_the_sweep_summarises_each_metric_with_the_one_summariser(toy):
    from sim import api
    from sim.runs.ensemble import run_ensemble
    from sim.runs.sampling import draw_params

    scenario = api.load_scenario(toy)
    result = api.sweep(scenario, [f"{LOSSES}=20:80:2"], reps=60, seed=4)
    drawn = draw_params(scenario, seed=4, first_rep=0, reps=60)
    ensemble = run_ensemble(scenario, drawn | {LOSSES: np.full(60, 80.0)}, seed=4)
    at_high = result.stats[2]
    assert at_high["active_end"] == count_stats(ensemble.metrics["active_end"])
    exhausted = ensemble.metrics["storage_exhausted"]
    assert at_high["storage_exhausted"] == month_stats(exhausted, scenario.months)
    happened = exhausted[exhausted != NEVER]
    if len(happened):  # the mean is over the replications in which the event happens
        assert at_high["storage_exhausted"]["mean"] == round(happened.mean())


# ---------------------------------------------------------------------------------------------
# Layers


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_figures_import_nothing_from_analysis():
    for path in (REPO / "sim" / "figures").glob("*.py"):
        assert not {m for m in _imports(path) if m.startswith("sim.analysis")}, path.name


def test_no_analysis_module_imports_figures_and_the_api_imports_no_click():
    for path in (REPO / "sim" / "analysis").glob("*.py"):
        assert not {m for m in _imports(path) if m.startswith("sim.figures")}, path.name
    for path in (REPO / "sim" / "api").glob("*.py"):
        assert not {m for m in _imports(path) if m == "click" or m.startswith("sim.cli")}, path
    assert "click" not in _imports(REPO / "sim" / "present" / "explore_text.py")


def test_the_explore_commands_load_no_scipy_stats_matplotlib_or_analysis_at_import():
    import subprocess
    import sys

    code = ("import sys, sim.cli.explore, sim.cli.calibrate; print(sorted(m for m in "
            "sys.modules if m in ('scipy.stats', 'matplotlib', 'dask') or "
            "m.startswith('sim.analysis') or m.startswith('sim.api')))")  # fmt: skip
    # sim.cli's own __init__ imports the rest of the CLI; load these two modules alone.
    stub = ("import importlib.util, sys, types; pkg = types.ModuleType('sim.cli'); "
            "pkg.__path__ = [str(__import__('pathlib').Path(__import__('sim').__file__)"
            ".parent / 'cli')]; sys.modules['sim.cli'] = pkg; ")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", stub + code], capture_output=True, text=True,
                          cwd=REPO)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_the_cli_and_the_api_take_their_defaults_from_sim_defaults():
    import inspect

    from sim import api, defaults
    from sim.api.calibration_folders import save_calibration, save_hindcast
    from sim.cli import calibrate as cli_calibrate
    from sim.cli import explore as cli_explore
    from sim.cli import hindcast as cli_hindcast

    def api_default(function, name):
        return inspect.signature(function).parameters[name].default

    def cli_default(command, name):
        return next(p.default for p in command.params if p.name == name)

    assert api_default(api.sobol, "n") == defaults.SOBOL_N == 1024
    assert api_default(api.morris, "trajectories") == defaults.MORRIS_TRAJECTORIES == 64
    assert api_default(api.sweep, "reps") == cli_default(cli_explore.sweep_command, "reps")
    assert api_default(api.discover, "n") == cli_default(cli_explore.discover_command, "n")
    assert api_default(api.discover, "sampling") == cli_default(cli_explore.discover_command,
                                                                "sampling")  # fmt: skip
    for name in ("draws", "particles", "generations", "seed"):
        assert api_default(save_calibration, name) == cli_default(
            cli_calibrate.calibrate_command, name) == getattr(defaults, name.upper())
    assert api_default(save_hindcast, "reps") == cli_default(
        cli_hindcast.hindcast_command, "reps") == defaults.HINDCAST_REPS


@pytest.mark.parametrize("density", [float("nan"), float("inf"), -0.1])
def test_api_discover_refuses_a_min_density_that_is_no_share_before_running(toy, density):
    from sim import api

    with pytest.raises(ValueError, match="must be a share in"):
        api.discover(toy, "active_end < 1500", n=50, min_density=density)
