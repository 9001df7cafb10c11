"""Sampling designs: right marginals, one point per stratum, chunk-invariant, reproducible."""

from __future__ import annotations

import json

import numpy as np
import pytest
from factories import make_scenario, toy_toml
from scipy import stats

from sim.cli import main
from sim.model.distributions import clip_to_domain
from sim.runs.designs import Design, sobol_points_used, unit_cube
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

LOSSES = "losses.confirmed_per_month.2022-02"
SCENARIO = make_scenario(
    end="2022-12",
    cv=0.3,
    losses={"dist": "pert", "low": 5, "mode": 10, "high": 30},
    capacity={"dist": "triangular", "low": 2, "mode": 5, "high": 12},
    good_share={"dist": "uniform", "low": 0.2, "high": 0.6},
)
UNCERTAIN = tuple(k for k, p in SCENARIO.params().items() if p.dist.kind != "fixed")


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_design_draws_follow_each_parameters_distribution(kind):
    reps = 1024
    values = draw_params(SCENARIO, seed=5, first_rep=0, reps=reps, design=Design(kind, reps))
    unit = Design(kind, reps).unit(UNCERTAIN, seed=5, first=0, reps=reps)
    for name in UNCERTAIN:
        param = SCENARIO.params()[name]
        expected = clip_to_domain(param.dist.quantile(unit[name]), param.domain)
        np.testing.assert_array_equal(values[name], expected)
        # a stratified or low-discrepancy sample fits its marginal far better than chance
        assert stats.kstest(values[name], param.dist.frozen().cdf).statistic < 3 / reps, name


def test_lhs_puts_one_point_in_each_of_n_strata_of_every_parameter():
    reps = 777
    unit = Design("lhs", reps).unit(UNCERTAIN, seed=11, first=0, reps=reps)
    for name, u in unit.items():
        assert np.array_equal(np.sort(np.floor(u * reps)), np.arange(reps)), name


def test_sobol_with_a_power_of_two_is_balanced_and_otherwise_a_prefix():
    full = unit_cube("sobol", UNCERTAIN, 256, 3)
    for column in full.T:  # every dyadic interval of width 1/16 holds 256/16 points
        assert np.array_equal(np.bincount((column * 16).astype(int), minlength=16), [16] * 16)
    assert sobol_points_used(200) == 256
    np.testing.assert_array_equal(unit_cube("sobol", UNCERTAIN, 200, 3), full[:200])


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_design_draws_do_not_depend_on_chunking(kind):
    reps = 2500
    design = Design(kind, reps)
    whole = draw_params(SCENARIO, seed=9, first_rep=0, reps=reps, design=design)
    parts = [
        draw_params(SCENARIO, seed=9, first_rep=first, reps=size, design=design)
        for first, size in ((0, 1024), (1024, 1024), (2048, 452))
    ]
    for name in whole:
        np.testing.assert_array_equal(whole[name], np.concatenate([p[name] for p in parts]))


def test_run_with_lhs_gives_the_same_numbers_at_any_chunk_size():
    a = run_scenario(SCENARIO, reps=2100, seed=4, chunk=1024, sampling="lhs")
    b = run_scenario(SCENARIO, reps=2100, seed=4, chunk=2048, sampling="lhs")
    np.testing.assert_array_equal(a.stats, b.stats)
    for name in a.metrics:
        np.testing.assert_array_equal(a.metrics[name], b.metrics[name])
    assert a.sampling == "lhs"


def test_random_sampling_is_exactly_the_default_draws():
    plain = draw_params(SCENARIO, seed=2, first_rep=1024, reps=700)
    random = draw_params(SCENARIO, seed=2, first_rep=1024, reps=700, design=Design("random", 9))
    for name in plain:
        np.testing.assert_array_equal(plain[name], random[name])
    a = run_scenario(SCENARIO, reps=300, seed=2)
    b = run_scenario(SCENARIO, reps=300, seed=2, sampling="random")
    np.testing.assert_array_equal(a.stats, b.stats)


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_same_seed_repeats_the_design_and_another_seed_changes_it(kind):
    first = Design(kind, 64).unit(UNCERTAIN, seed=1, first=0, reps=64)
    again = Design(kind, 64).unit(UNCERTAIN, seed=1, first=0, reps=64)
    other = Design(kind, 64).unit(UNCERTAIN, seed=2, first=0, reps=64)
    for name in UNCERTAIN:
        np.testing.assert_array_equal(first[name], again[name])
        assert not np.array_equal(first[name], other[name])


def test_lhs_column_of_a_shared_parameter_is_the_same_in_a_scenario_with_more_parameters():
    wider = UNCERTAIN + ("refurbishment.lead_time_months",)
    a = Design("lhs", 300).unit(UNCERTAIN, seed=8, first=0, reps=300)
    b = Design("lhs", 300).unit(wider, seed=8, first=0, reps=300)
    for name in UNCERTAIN:
        np.testing.assert_array_equal(a[name], b[name])


def test_design_refuses_unknown_kinds_and_rows_outside_it():
    with pytest.raises(ValueError, match="sampling 'halton'"):
        Design("halton", 10)
    with pytest.raises(ValueError, match="outside a design of 100"):
        Design("lhs", 100).unit(UNCERTAIN, seed=1, first=64, reps=64)
    values = draw_params(SCENARIO, seed=1, first_rep=0, reps=10, design=Design("lhs", 10))
    assert values[LOSSES].shape == (10,)


TOY = toy_toml(end="2022-08", active=500, good_share="0.3")


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_run_command_records_the_sampling_and_reports_convergence(capsys, tmp_path, kind):
    toy = tmp_path / "toy.toml"
    toy.write_text(TOY)
    main(["run", str(toy), "--reps", "300", "--sampling", kind, "--out", str(tmp_path / kind)])
    out, err = capsys.readouterr()
    summary = json.loads((tmp_path / kind / "summary.json").read_text())
    manifest = json.loads((tmp_path / kind / "manifest.json").read_text())
    assert summary["sampling"] == manifest["arguments"]["sampling"] == kind
    assert summary["convergence"]["metrics"]["active_end"]["reps"][-1] == 300
    assert "convergence: median over the first n replications" in out
    sobol_note = "uses the first 300 of 512 Sobol' points" in err
    assert sobol_note == (kind == "sobol")


def test_run_command_refuses_a_design_for_a_deterministic_run(capsys, tmp_path):
    toy = tmp_path / "toy.toml"
    toy.write_text(TOY)
    with pytest.raises(SystemExit) as stop:
        main(
            ["run", str(toy), "--deterministic", "--sampling", "lhs", "--out", str(tmp_path / "o")]
        )
    assert stop.value.code == 2
    assert "--sampling lhs: a --deterministic run draws nothing" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Deterministic runs over drawn parameter sets


@pytest.mark.parametrize("kind", ["random", "lhs", "sobol"])
def test_deterministic_reps_are_expected_paths_of_the_stochastic_runs_parameter_sets(kind):
    """Path i is the mean path of a scenario whose parameters are fixed at draw i."""
    from sim.runs.run import expected_chunk

    runs = run_scenario(SCENARIO, reps=2100, seed=4, deterministic=True, sampling=kind,
                        chunk=1024, keep_paths=True)  # fmt: skip
    assert (runs.reps, runs.deterministic, runs.sampling) == (2100, True, kind)
    design = None if kind == "random" else Design(kind, 2100)
    drawn = draw_params(SCENARIO, seed=4, first_rep=0, reps=2100, design=design)
    for i in (0, 1500, 2099):
        one = expected_chunk(SCENARIO, {k: v[i : i + 1] for k, v in drawn.items()}, True)
        np.testing.assert_array_equal(runs.active_paths[:, i], one.paths[:, 0])
        for name in runs.metrics:
            assert runs.metrics[name][i] == one.metrics[name][0], name
    again = run_scenario(SCENARIO, reps=2100, seed=4, deterministic=True, sampling=kind,
                         chunk=2048)  # fmt: skip
    np.testing.assert_array_equal(runs.stats, again.stats)
    assert runs.stats[-1, 0, -1, 1] < runs.stats[-1, 0, -1, 5]  # p05 < p95 of active


def test_deterministic_without_reps_is_one_path_at_the_expected_values():
    from sim.runs.sampling import WHOLE_MONTHS, expected_params, expected_values

    mean = run_scenario(SCENARIO, deterministic=True)
    assert (mean.reps, mean.sampling) == (1, "deterministic")
    values = expected_values(SCENARIO)
    assert list(values) == list(SCENARIO.params())
    for name, value in expected_params(SCENARIO).items():
        if name == WHOLE_MONTHS[0] or name.endswith(WHOLE_MONTHS[1]):
            assert values[name] == int(np.rint(value[0])) and isinstance(values[name], int)
        else:
            assert values[name] == float(value[0]) and isinstance(values[name], float)
    assert values[LOSSES] == pytest.approx((5 + 4 * 10 + 30) / 6)  # the PERT mean
