"""The public API's sweeps, sensitivity and discovery wrappers return what they document, and
their figures have a title and labelled axes. Small scenarios built in code keep it fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factories import make_scenario
from matplotlib.figure import Figure

import sim
from sim import api
from sim.analysis.discover import Discovery
from sim.analysis.morris import MorrisIndices
from sim.analysis.outcomes import CALIBRATED
from sim.analysis.sensitivity import SobolIndices
from sim.analysis.sweep import SweepResult

ROOT = Path(__file__).resolve().parents[1]
U = {"dist": "uniform"}
LOSSES = "losses.confirmed_per_month.2022-02"
CAPACITY = "refurbishment.capacity_per_month.2022-02"
#: Two uncertain inputs over six months: losses move the active fleet, refurbishment capacity
#: moves both it and when storage runs out.
TWO = make_scenario(
    families={"A": {"active": 200, "storage": 60, "vulnerability": 1.0, "quality_weight": 1.0,
                    "refurb_effort": 1.0}},
    losses=U | {"low": 5, "high": 40}, capacity=U | {"low": 2, "high": 20},
)  # fmt: skip
PARAMS = (LOSSES, CAPACITY)


def check_figure(fig) -> None:
    """A Figure with a title, and every axes that shows data with an x label and a title."""
    assert isinstance(fig, Figure)
    assert fig.get_suptitle()
    drawn = [ax for ax in fig.axes if ax.has_data()]
    assert drawn
    for ax in drawn:
        assert ax.get_xlabel(), ax
        assert ax.get_title(), ax


def figure_text(fig) -> str:
    return " ".join(t.get_text() for t in fig.texts)


@pytest.fixture(scope="module")
def oat() -> SweepResult:
    return api.sweep(TWO, [f"{LOSSES}=5:40:3", f"{CAPACITY}=2:20:2"], reps=24, seed=3)


def test_sweep_runs_the_base_point_then_each_parameter_alone(oat):
    assert isinstance(oat, SweepResult)
    assert [p.varied for p in oat.points] == ["base", LOSSES, LOSSES, LOSSES, CAPACITY, CAPACITY]
    assert oat.points[0].values == {}
    assert oat.points[1].values == {LOSSES: 5.0}
    assert oat.points[3].values == {LOSSES: 40.0}
    assert len(oat.stats) == len(oat.points)
    stats = oat.stats[1]["active_end"]
    assert set(stats) == {"mean", "p05", "p25", "p50", "p75", "p95"}
    assert "never_share" in oat.stats[1]["storage_exhausted"]
    # More losses, fewer active tanks at the end; same random numbers at every point.
    means = [oat.stats[i]["active_end"]["mean"] for i in (1, 2, 3)]
    assert means[0] > means[1] > means[2]


def test_sweep_takes_a_file_and_one_string():
    prior = str(ROOT / "scenarios" / "prior.toml")
    result = api.sweep(prior, "storage.fair_share=0.15:0.45:2", reps=4, seed=1)
    assert result.scenario.name == "prior"
    assert [p.varied for p in result.points] == ["base", "storage.fair_share", "storage.fair_share"]


def test_sweep_names_a_close_key_for_a_typo():
    with pytest.raises(ValueError, match="did you mean"):
        api.sweep(TWO, ["losses.confirmed_per_month.2022-2=5:40:3"], reps=4)


def test_sweep_table_lists_each_point(oat):
    table = api.sweep_table(oat)
    assert f"{LOSSES}=5" in table and f"{CAPACITY}=20" in table
    assert len(table.splitlines()) == 2 + len(oat.points) + 1


def test_sobol_returns_indices_for_each_outcome_and_input():
    result = api.sobol(TWO, n=16, seed=5)
    assert isinstance(result, api.Sensitivity)
    assert result.method == "sobol" and result.seed == 5 and result.scenario is TWO
    indices = result.indices
    assert isinstance(indices, SobolIndices)
    assert indices.parameters == PARAMS
    assert [o.name for o in indices.outcomes] == list(api.SENSITIVITY_OUTCOMES)
    for name in ("first", "first_low", "first_high", "total", "total_low", "total_high"):
        assert getattr(indices, name).shape == (2, 2), name
    assert indices.n == 16 and indices.evaluations == 16 * (2 + 3)
    rows = api.sensitivity_rows(result)
    assert len(rows) == 4
    assert set(rows[0]) == {"outcome", "unit", "parameter", "first", "first_low",
                            "first_high", "total", "total_low", "total_high"}  # fmt: skip
    active = [r for r in rows if r["outcome"] == "active_end"]
    assert active[0]["total"] >= active[1]["total"]  # most influential first
    assert "total [95%]" in api.sensitivity_table(result)


def test_sobol_needs_a_power_of_two_and_known_outcomes():
    with pytest.raises(ValueError, match="power of two"):
        api.sobol(TWO, n=12)
    with pytest.raises(ValueError, match="did you mean 'active_end'"):
        api.sobol(TWO, ["active_ends"], n=8)


def test_morris_returns_effects_in_the_outcomes_units():
    result = api.morris(TWO, ["active_end"], trajectories=4, seed=2)
    assert result.method == "morris"
    indices = result.indices
    assert isinstance(indices, MorrisIndices)
    for name in ("mu_star", "mu_star_low", "mu_star_high", "mu", "sigma"):
        assert getattr(indices, name).shape == (1, 2), name
    assert indices.trajectories == 4 and indices.evaluations == 4 * (2 + 1)
    # Losses move the active fleet down: mu < 0 and mu* = |mu| if every step agrees.
    losses = indices.parameters.index(LOSSES)
    assert indices.mu[0, losses] < 0
    rows = api.sensitivity_rows(result)
    assert {r["unit"] for r in rows} == {"tanks"}
    assert "mu* [95%]" in api.sensitivity_table(result)


def test_a_calibrated_scenario_has_one_input_for_its_calibrated_set():
    baseline = api.load_scenario(ROOT / "scenarios" / "baseline.toml", end="2023-06")
    result = api.morris(baseline, ["lost_end"], trajectories=2, seed=1)
    assert CALIBRATED in result.indices.parameters
    assert len(result.indices.parameters) < len(baseline.posterior.names)
    # The caption cites the publications behind the calibrated set's priors, and says that
    # every input is shown when there are no more than the chart's top.
    fig = api.plot_sensitivity(result, top=len(result.indices.parameters))
    caption = " ".join(t.get_text() for t in fig.texts)
    assert "Oryx" in caption and "none (assumptions only)" not in caption
    assert f"all {len(result.indices.parameters)} shown" in caption
    assert "most influential" not in caption
    # Unsourced inputs: both files that state them are named.
    flat = caption.replace("\n", " ")
    assert "seeds/assumptions.toml" in flat and "seeds/hypotheses.toml" in flat


@pytest.fixture(scope="module")
def found() -> api.ScenarioDiscovery:
    return api.discover(TWO, "active_end < 150", n=120, seed=4)


def test_discover_returns_samples_cases_and_the_prim_box(found):
    assert isinstance(found, api.ScenarioDiscovery)
    assert isinstance(found.found, Discovery)
    assert found.found.parameters == PARAMS
    assert found.samples.shape == (120, 2)
    assert found.outputs.shape == (120, 1)
    assert found.of_interest.dtype == bool and found.of_interest.shape == (120,)
    assert found.found.cases == int(found.of_interest.sum())
    np.testing.assert_array_equal(found.of_interest, found.outputs[:, 0] < 150)
    assert 0 < found.of_interest.mean() < 1
    assert [o.name for o in found.condition.outcomes] == ["active_end"]
    for row in api.box_rows(found):
        assert set(row) == {"parameter", "low", "high", "sampled_low", "sampled_high", "quasi_p"}
        assert row["parameter"] in PARAMS
        assert row["low"] is not None or row["high"] is not None
    assert "meet 'active_end < 150'" in api.discovery_table(found)


def test_discover_refuses_a_condition_nothing_or_everything_meets():
    with pytest.raises(ValueError, match="no replication"):
        api.discover(TWO, "active_end < 0", n=60)
    with pytest.raises(ValueError, match="every replication"):
        api.discover(TWO, "active_end >= 0", n=60)
    with pytest.raises(ValueError, match="a value to compare active_end with"):
        api.discover(TWO, "active_end <", n=60)


def test_plot_tornado(oat):
    fig = api.plot_tornado(oat)
    check_figure(fig)
    assert "one-at-a-time sweep of 'test'" in fig.get_suptitle()
    assert "24 replications per point" in figure_text(fig)


def test_plot_tornado_refuses_a_grid():
    grid = api.sweep(TWO, [f"{LOSSES}=5:40:2", f"{CAPACITY}=2:20:2"], grid=True, reps=4)
    with pytest.raises(ValueError, match="one-at-a-time"):
        api.plot_tornado(grid)


def test_plot_tornado_cites_the_sources_of_the_swept_inputs():
    prior = api.load_scenario(ROOT / "scenarios" / "prior.toml", end="2023-06")
    result = api.sweep(prior, ["families.T-62.storage=1800:2500:2"], reps=4, seed=1)
    text = figure_text(api.plot_tornado(result))
    assert "Insider" in text  # t62-storage-2022, cited by families.T-62.storage
    assert "manifest.json" not in text


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_plot_sensitivity(method):
    result = api.sobol(TWO, n=8) if method == "sobol" else api.morris(TWO, trajectories=3)
    fig = api.plot_sensitivity(result)
    check_figure(fig)
    assert "scenario 'test'" in fig.get_suptitle()
    assert len([ax for ax in fig.axes if ax.has_data()]) == 2  # one panel per outcome


def test_plot_discovery(found):
    fig = api.plot_discovery(found)
    check_figure(fig)
    assert "'active_end < 150'" in fig.get_suptitle()
    assert fig.axes[0].get_ylabel()


def test_the_figures_and_tables_are_importable_from_the_package():
    for name in ("plot_tornado", "plot_sensitivity", "plot_discovery", "sobol", "morris",
                 "sweep_table", "sensitivity_table", "discovery_table", "run", "compare",
                 "sweep", "discover"):  # fmt: skip
        assert getattr(sim, name) is getattr(api, name)
        assert name in api.__all__
