"""Global sensitivity: Sobol' indices against analytic values, a toy scenario where one
parameter matters, Morris screening, outcome names, the chart, and the command's folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from factories import make_scenario, run_cli, toy_toml
from matplotlib.figure import Figure

from sim.analysis.morris import (
    morris_effects,
    morris_statistics,
    morris_trajectories,
    run_morris,
)
from sim.analysis.outcomes import OutcomeError, parse_outcome
from sim.analysis.sensitivity import (
    _saltelli_statistic,
    run_sobol,
    saltelli_matrices,
    sobol_from_outputs,
)
from sim.figures.sensitivity import IndexPanel, draw_indices

U = {"dist": "uniform"}
LOSSES = "losses.confirmed_per_month.2022-02"
BIG = {"active": 100_000, "storage": 5000, "vulnerability": 1.0, "quality_weight": 1.0,
       "refurb_effort": 1.0}  # fmt: skip
#: The active fleet at the end depends on losses alone: no refurbishment (capacity 0), no
#: production; the failure rate and the good-to-fair degradation are inert for it, while the
#: good stock in storage depends on degradation alone.
ONE_MATTERS = make_scenario(
    families={"A": BIG}, losses=U | {"low": 100, "high": 1000}, capacity=0,
    failure=(U | {"low": 0.0, "high": 0.1}, 0.1, 0.5),
    good_to_fair=U | {"low": 0.001, "high": 0.01}, production_per_year=0,
)  # fmt: skip
INERT = ("refurbishment.failure.good",)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami function of x (n, 3) on [-pi, pi]^3."""
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices (Ishigami and Homma 1990)."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return np.array([v1, v2, 0]) / var, np.array([v1 + v13, v2, v13]) / var


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    n = 2048
    A, B = saltelli_matrices(3, n, seed=7)
    scale = lambda u: -np.pi + 2 * np.pi * u  # noqa: E731
    f_AB = []
    for i in range(3):
        AB = A.copy()
        AB[:, i] = B[:, i]
        f_AB.append(ishigami(scale(AB))[None])
    out = sobol_from_outputs(ishigami(scale(A))[None], ishigami(scale(B))[None],
                             np.stack(f_AB), seed=7, n_resamples=199)  # fmt: skip
    first, total = ishigami_indices()
    np.testing.assert_allclose(out["first"][0], first, atol=0.04)
    np.testing.assert_allclose(out["total"][0], total, atol=0.04)
    for key in ("first", "total"):  # intervals bracket the estimates and the truth
        assert np.all(out[f"{key}_low"] <= out[key]) and np.all(out[key] <= out[f"{key}_high"])
    assert np.all(out["total_low"][0] - 0.02 <= total) and np.all(
        total <= out["total_high"][0] + 0.02
    )


def test_the_bootstrap_resamples_the_same_estimator_as_scipy():
    rng = np.random.default_rng(1)
    f_A, f_B, f_AB = rng.random((2, 64)), rng.random((2, 64)), rng.random((3, 2, 64))
    out = sobol_from_outputs(f_A, f_B, f_AB, seed=1, n_resamples=99)
    mean = np.mean([f_A, f_B], axis=(0, -1)).reshape(-1, 1)
    stat = _saltelli_statistic(f_A - mean, f_B - mean, f_AB - mean)
    np.testing.assert_allclose(stat[0], out["first"])
    np.testing.assert_allclose(stat[1], out["total"])


def test_in_a_toy_scenario_only_the_parameter_that_matters_has_a_total_index():
    outcomes = (parse_outcome("active_end", ONE_MATTERS),
                parse_outcome("storage_good@2022-07", ONE_MATTERS))  # fmt: skip
    result = run_sobol(ONE_MATTERS, outcomes, n=128, seed=3, n_resamples=99)
    names = list(result.parameters)
    losses, degradation = names.index(LOSSES), names.index("storage.good_to_fair")
    assert result.total[0, losses] > 0.95 and result.first[0, losses] > 0.9
    assert result.total[1, degradation] > 0.85
    assert result.random_flows[0] < 0.02  # binomial losses on 100,000 tanks: little noise
    for j, name in enumerate(names):
        if j != losses:
            assert result.total[0, j] < 0.01, name
        if name in INERT:  # exactly the same numbers whatever its value
            assert result.total[0, j] == result.total[1, j] == 0.0
    assert result.evaluations == 128 * (len(names) + 3)


def test_morris_effects_of_a_linear_function_are_its_slopes_times_the_step():
    slopes = np.array([4.0, -2.0, 0.0, 1.0])
    points, moved, signs = morris_trajectories(4, 30, seed=2)
    assert np.all(np.isin(points, [0.125, 0.375, 0.625, 0.875]))
    steps = np.abs(np.diff(points, axis=1))
    assert np.all((steps > 0).sum(axis=2) == 1)  # one parameter moves per step ...
    np.testing.assert_allclose(steps.sum(axis=2), 0.5)  # ... by half its probability range
    assert (moved == moved[0]).all()  # in the same order in every trajectory
    outputs = (points @ slopes)[:, :, None]
    out = morris_statistics(morris_effects(outputs, moved, signs), seed=2)
    np.testing.assert_allclose(out["mu"][0], slopes * 0.5, atol=1e-12)
    np.testing.assert_allclose(out["mu_star"][0], np.abs(slopes) * 0.5, atol=1e-12)
    np.testing.assert_allclose(out["sigma"][0], 0, atol=1e-12)


def test_morris_ranks_an_inert_parameter_last():
    outcome = (parse_outcome("active_end", ONE_MATTERS),)
    result = run_morris(ONE_MATTERS, outcome, trajectories=12, seed=4)
    order = [result.parameters[j] for j in np.argsort(-result.mu_star[0])]
    assert order[0] == LOSSES
    inert = result.parameters.index(INERT[0])
    assert result.mu_star[0, inert] == 0.0 == result.mu_star[0].min()
    assert result.evaluations == 12 * (len(result.parameters) + 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("active_ends", "did you mean 'active_end'?"),
        ("stock@2022-05", "unknown trajectory variable 'stock'; did you mean 'storage'?"),
        ("active@2022-13", "must be YYYY-MM"),
        ("active@2031-01", "outside the horizon 2022-02..2022-07"),
    ],
)
def test_unknown_outcomes_are_refused_with_a_suggestion(text, message):
    with pytest.raises(OutcomeError) as err:
        parse_outcome(text, ONE_MATTERS)
    assert message in str(err.value)


def test_the_chart_draws_both_indices_with_intervals_for_the_top_parameters():
    names = [f"p{i}" for i in range(20)]
    total = np.linspace(1, 0, 20)
    panel = IndexPanel("active_end", "index", names, total, total - 0.05, total + 0.05,
                       total / 2, total / 2 - 0.05, total / 2 + 0.05)  # fmt: skip
    ax = Figure().add_subplot()
    draw_indices(ax, panel, method="sobol", top=15)
    assert len(ax.patches) == 30  # 15 parameters, two bars each
    labels = {t.get_position()[1]: t.get_text() for t in ax.get_yticklabels()}
    assert [labels[y] for y in sorted(labels, reverse=True)] == names[:15]
    bars = [c for c in ax.containers if type(c).__name__ == "BarContainer"]
    assert len(bars) == 2 and all(c.errorbar is not None for c in bars)


TOY = toy_toml(end="2022-07", good_share="0.3")


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sensitivity_command_writes_indices_chart_and_manifest(capsys, tmp_path, method):
    toy = tmp_path / "toy.toml"
    toy.write_text(TOY)
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "sensitivity", toy, "--method", method, "--n", "16",
                                "--metric", "active_end", "--metric", "active@2022-05",
                                "--seed", "3", "--out", out)  # fmt: skip
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {
        "indices.csv",
        "indices.json",
        "sensitivity.png",
        "manifest.json",
    }
    with (out / "indices.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["outcome"], r["parameter"]) for r in rows} == {
        (o, p) for o in ("active_end", "active@2022-05")
        for p in ("families.A.storage", LOSSES)
    }  # fmt: skip
    data = json.loads((out / "indices.json").read_text())
    assert list(data["outcomes"]["active_end"]["parameters"])[0] == LOSSES
    manifest = json.loads((out / "manifest.json").read_text())
    arguments = manifest["arguments"]
    assert (arguments["seed"], arguments["n"], manifest["command"]) == (3, 16, "sensitivity")
    assert f"{method} sensitivity of toy" in stdout
    code, _, err = run_cli(capsys, "sensitivity", toy, "--method", method, "--n", "16",
                           "--out", out)  # fmt: skip
    assert code == 2 and "--force" in err and "Traceback" not in err


def test_sensitivity_command_refuses_bad_n_and_metrics_in_one_line(capsys, tmp_path):
    toy = tmp_path / "toy.toml"
    toy.write_text(TOY)
    code, _, err = run_cli(capsys, "sensitivity", toy, "--n", "1000", "--out", tmp_path / "o")
    assert code == 2 and "--n 1000: Sobol' analysis needs a power of two (e.g. 512 or 1024)" in err
    code, _, err = run_cli(capsys, "sensitivity", toy, "--metric", "activ_end")
    assert code == 2 and "did you mean 'active_end'?" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists() and not Path("results/sensitivity-sobol-toy").exists()
