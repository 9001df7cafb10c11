"""North Korean families observed by the loss record: deployment in the engines, the exact
thinning likelihood, conditioning by importance weights, and the one-line warning."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binom

from sim.analysis.compare import compare_runs
from sim.analysis.foreign_record import (
    log_binomial,
    record_weights,
    weighted_quantiles,
)
from sim.api.foreign import check_against_record
from sim.api.scenarios import load_scenario
from sim.cli import cli
from sim.model.calendar import parse_month
from sim.model.params import ALL_DEPLOYED
from sim.model.record import load_record
from sim.present.tables import compare_table, supply_text
from sim.runs.run import run_scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
RECORD_MONTH = "2026-04"  # the packaged record's latest snapshot: 2026-04-27


def nk_variant(tmp_path: Path, name: str, supply: str) -> Path:
    """nk-t62 with its supply table overridden by the ``supply`` lines."""
    path = tmp_path / f"{name}.toml"
    path.write_text(f'extends = "{SCENARIOS / "nk-t62.toml"}"\n'
                    f'description = "test: {name}"\n[supply.nk-t62]\n{supply}\n')  # fmt: skip
    return path


def to_record(scenario):
    """The scenario cut at the record's latest snapshot month (a cheaper run)."""
    return dataclasses.replace(scenario, end=parse_month(RECORD_MONTH))


EARLY_ALL_COMMITTED = 'start = "2024-01"\nstart_delay_months = 0\ndeployed_share = 1'


@given(st.integers(0, 400), st.floats(0.0, 1.0))
def test_the_likelihood_of_zero_confirmed_is_one_minus_p_to_the_losses(losses, p):
    got = np.exp(log_binomial(0, losses, np.array(p)))
    assert got == pytest.approx((1.0 - p) ** losses, rel=1e-9, abs=1e-300)


@given(st.integers(0, 60), st.floats(0.01, 0.99))
def test_the_thinning_likelihood_is_the_binomial_and_sums_to_one(losses, p):
    k = np.arange(losses + 2)
    got = np.exp(log_binomial(k, losses, np.array(p)))
    assert got == pytest.approx(binom.pmf(k, losses, p), abs=1e-12)
    assert got[-1] == 0.0  # more confirmed than lost: impossible
    assert got.sum() == pytest.approx(1.0)


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=40))
def test_equal_weights_give_numpys_inverted_cdf_quantiles(values):
    x = np.array(values, float)
    w = np.full(len(x), 1.0 / len(x))
    qs = (0.05, 0.5, 0.95)
    assert list(weighted_quantiles(x, w, qs)) == list(np.quantile(x, qs, method="inverted_cdf"))


def test_no_deployed_tanks_means_none_lost_and_stocks_still_add_up(tmp_path):
    scenario = to_record(load_scenario(nk_variant(tmp_path, "held", "deployed_share = 0")))
    result = run_scenario(scenario, reps=64, seed=3, engine="numpy")
    assert result.supplied_lost.shape == (scenario.months, 1, 64)
    assert not result.supplied_lost.any()
    assert result.metrics["lost_end"].min() > 0  # the Russian families still lose tanks


def test_deploying_everything_is_the_scenario_without_the_key(tmp_path):
    explicit = load_scenario(nk_variant(tmp_path, "all-in", "deployed_share = 1"))
    supplies = tuple(dataclasses.replace(s, deployed_share=ALL_DEPLOYED)
                     for s in explicit.supplies)  # fmt: skip
    absent = dataclasses.replace(explicit, supplies=supplies)
    one, two = (run_scenario(to_record(s), reps=32, seed=5, engine="numpy")
                for s in (explicit, absent))  # fmt: skip
    assert np.array_equal(one.stats, two.stats)
    assert np.array_equal(one.supplied_lost, two.supplied_lost)


def test_record_weights_do_not_depend_on_chunking():
    scenario = to_record(load_scenario(SCENARIOS / "nk-t62.toml"))
    record = load_record()
    whole = record_weights(run_scenario(scenario, reps=1100, seed=11, chunk=2048), record)
    split = record_weights(run_scenario(scenario, reps=1100, seed=11, chunk=1024), record)
    assert np.array_equal(whole.likelihood, split.likelihood)
    assert whole.reading.confirmed == (0,)  # the record lists no North Korean tank


@pytest.mark.parametrize("name", ["nk-t62", "nk-chonma2", "nk-all"])
def test_shipped_nk_scenarios_leave_zero_confirmed_in_a_quarter_of_replications(name):
    scenario = to_record(load_scenario(SCENARIOS / f"{name}.toml"))
    weights = record_weights(run_scenario(scenario, reps=256, seed=2), load_record())
    assert weights.p_zero_unconditioned >= 0.25
    assert weights.p_zero_conditioned >= weights.p_zero_unconditioned
    assert not weights.contradicted()


def test_early_fully_committed_deliveries_print_one_warning_line(tmp_path):
    path = nk_variant(tmp_path, "nk-early", EARLY_ALL_COMMITTED)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1
    assert warnings[0].startswith("tanksim: warning: nk-early: the loss record to 2026-04-27")
    assert check_against_record(load_scenario(SCENARIOS / "nk-t62.toml"), reps=256) is None


def test_compare_shows_the_conditioned_gain_with_its_interval_beside_the_unconditioned(tmp_path):
    base = to_record(load_scenario(SCENARIOS / "baseline.toml"))
    early = to_record(load_scenario(nk_variant(tmp_path, "early", 'start = "2024-01"')))
    runs = [run_scenario(s, reps=256, seed=4, keep_paths=True) for s in (base, early)]
    weights = {"early": record_weights(runs[1], load_record())}
    month = parse_month(RECORD_MONTH)
    data = compare_runs(runs, [month], 1000.0, record_weights=weights)
    gain = data["paired"]["early"]["conditioned"]["active_gain"][RECORD_MONTH]
    plain = data["paired"]["early"]["active_gain"][RECORD_MONTH]
    assert gain["ci95"][0] <= gain["mean"] <= gain["ci95"][1]
    assert gain["p05"] <= gain["p50"] <= gain["p95"]
    # the record's zero favours replications that lost fewer North Korean tanks to date
    conditioned = data["paired"]["early"]["conditioned"]
    assert conditioned["p_zero_conditioned"] > conditioned["p_zero_unconditioned"]
    assert gain["mean"] != plain["mean"]
    text = compare_table(data)
    assert f"active fleet gain {RECORD_MONTH}: unconditioned" in text
    assert "conditioned on the loss record to 2026-04-27 (0 NK-T62 confirmed)" in text


def _answer(reachable: bool, conditioned_rate: float | None) -> dict:
    grid = [{"rate": r, "probability": p, "monotone_estimate": p, "mean_tanks_delivered": 10 * r}
            for r, p in ((0.0, 0.40), (50.0, 0.55), (100.0, 0.58))]  # fmt: skip
    answer = {"family": "NK-T62", "keep_active": 1800, "from": "2025-09", "until": "2027-12",
              "prob": 0.6, "grid": grid, "reachable": reachable,
              "rate": 40.0 if reachable else None, "rate_interval": [20.0, None]}  # fmt: skip
    if reachable:
        answer["tanks_implied"] = 400.0
    else:
        answer["message"] = "not reachable: even at 100 tanks/month the probability is only 0.58"
    answer["conditioned"] = {"rate": conditioned_rate, "rate_interval": [10.0, None],
                             "probability": [0.41, 0.57, 0.59], "effective_reps": [90.0] * 3,
                             "narrowed": None}  # fmt: skip
    return answer


@pytest.mark.parametrize("reachable", [True, False])
@pytest.mark.parametrize("conditioned_rate", [30.0, None])
def test_supply_text_gives_the_conditioned_answer_whether_or_not_either_is_reachable(
    reachable, conditioned_rate
):
    lines = supply_text(_answer(reachable, conditioned_rate)).splitlines()
    assert len(lines) == 3
    assert lines[1].strip().startswith("40.0 tanks/month" if reachable else "not reachable:")
    conditioned = lines[2].strip()
    assert conditioned.startswith("conditioned on the loss record's North Korean entries: ")
    if conditioned_rate is None:
        assert "not reachable, probability 0.59 at most" in conditioned
    else:
        assert "30.0 tanks/month" in conditioned
