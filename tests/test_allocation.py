"""Refurbishment by family: capacity shares with spill-over, and peacetime rebuild lists.

The two-family scenario below is worked out by hand (every probability is 0, so a
stochastic run is exact), and all three engines (numpy, compiled, the SimPy reference)
must give its numbers.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from factories import make_scenario, scenario_dict

from sim.engine.inputs import build_inputs
from sim.engine.simulate import simulate
from sim.engine.streams import RandomFlows
from sim.model.errors import ScenarioError
from sim.model.loader import load_scenario
from sim.reference import simulate_reference
from sim.runs.sampling import draw_params

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
GOOD, FAIR, POOR = 0, 1, 2
A, B = 0, 1
ENGINES = [
    "numpy",
    pytest.param("compiled", marks=pytest.mark.skipif(
        importlib.util.find_spec("numba") is None, reason="numba not installed")),
]  # fmt: skip


def two_families(weights=None, peace=None, end="2022-04"):
    """A (30 hulls: 15 good, 8 fair, 7 poor; a hull costs 1 effort unit x condition) and B
    (4 hulls: 2 good, 1 fair, 1 poor; half the cost); 10 effort units a month; no losses,
    degradation, donors, failures or production, so every count is exact."""
    families = {
        "A": {"active": 100, "storage": 30, "vulnerability": 1.0, "quality_weight": 0.8,
              "refurb_effort": 1.0},
        "B": {"active": 50, "storage": 4, "vulnerability": 1.0, "quality_weight": 0.4,
              "refurb_effort": 0.5},
    }  # fmt: skip
    return make_scenario(
        families=families, end=end, losses=0.0, capacity=10.0, lead=1.0,
        effort=(1.0, 2.0, 4.0), donors=(0.0, 0.0, 0.0), failure=(0.0, 0.0, 0.0),
        good_share=0.5, fair_share=0.25, good_to_fair=0.0, fair_to_poor=0.0,
        production_per_year=0.0, family_weight=weights, peace=peace,
        priority=["A:good", "B:good", "A:fair", "B:fair", "A:poor", "B:poor"],
    )  # fmt: skip


def storage_by_month(scenario, engine: str) -> np.ndarray:
    """Storage (T, 3, F) of one replication on ``engine``."""
    values = draw_params(scenario, seed=1, first_rep=0, reps=1)
    inputs = build_inputs(scenario, values, integer=True)
    if engine == "compiled":
        from sim.engine.compiled import simulate as run
    else:
        run = simulate
    return run(inputs, RandomFlows(1, 0, 1)).storage[..., 0]


# Weights A 3, B 1: each month A may spend 7.5 units on its own entries, B 2.5.
# Month 1, pass 1: A:good 7 hulls (7 units; its full demand, 15, takes A's whole share:
#   the 0.5 left over is idle in pass 1); B:good 2 (1 unit, B has 1.5 left); A:fair none
#   (A's share is spent); B:fair 1 (1 unit, 0.5 left); A:poor none; B:poor none (one hull
#   costs 2 > 0.5). Spent 9 of 10. Pass 2: the 1 unit left goes down the whole list:
#   A:good 1 more. A good 15 - 8 = 7; B good 0, fair 0, poor 1.
# Month 2, pass 1: A:good 7 (7 units, A has 0.5 left); A:fair none (a fair A costs 2);
#   B:poor 1 (2 units of B's 2.5). Spent 9. Pass 2: 1 unit; A:fair still needs 2: its full
#   demand (16) takes the unit, which stays idle. A good 0; B empty.
# Month 3, B has no hulls: pass 1 A:fair 3 (6 of A's 7.5); pass 2 gets the other 4 units
#   (B's whole share and A's idle 1.5): A:fair 2 more. A fair 8 - 5 = 3.
WITH_SHARES = {  # month: (A good, A fair, A poor, B good, B fair, B poor)
    0: (7, 8, 7, 0, 0, 1),
    1: (0, 8, 7, 0, 0, 0),
    2: (0, 3, 7, 0, 0, 0),
}
# Without weights, the list alone: A:good takes all 10 units in month 1 (A good 5), then
# A:good 5 and B:good 2 (1 unit), and the 4 units left buy 2 fair A hulls in month 2.
WITHOUT_SHARES = {0: (5, 8, 7, 2, 1, 1), 1: (0, 6, 7, 0, 1, 1)}


def stocks(storage, month):
    s = storage[month]
    return (s[GOOD, A], s[FAIR, A], s[POOR, A], s[GOOD, B], s[FAIR, B], s[POOR, B])


@pytest.mark.parametrize("engine", ENGINES)
def test_family_shares_then_spill_over_match_hand_calculation(engine):
    storage = storage_by_month(two_families({"A": 3.0, "B": 1.0}), engine)
    for month, expected in WITH_SHARES.items():
        assert stocks(storage, month) == expected, month


@pytest.mark.parametrize("engine", ENGINES)
def test_without_weights_the_priority_list_alone_serves(engine):
    storage = storage_by_month(two_families(), engine)
    for month, expected in WITHOUT_SHARES.items():
        assert stocks(storage, month) == expected, month


def test_weights_summing_to_zero_send_all_capacity_down_the_list():
    zero = storage_by_month(two_families({"A": 0.0, "B": 0.0}), "numpy")
    listed = storage_by_month(two_families(), "numpy")
    np.testing.assert_array_equal(zero, listed)


def test_reference_model_gives_the_hand_calculation():
    scenario = two_families({"A": 3.0, "B": 1.0})
    ref = simulate_reference(scenario, reps=1, seed=3)
    assert ref["conserved"].all()
    totals = [sum(WITH_SHARES[m]) for m in range(3)]
    assert list(ref["storage_path"][0, :3]) == totals
    assert list(ref["good_fair_path"][0, :3]) == [15, 8, 3]


# Dated weights: A 0 and B 1 in the first month, A 3 and B 1 from the second.
# Month 1, pass 1: B alone has a share (all 10 units): B:good 2 (1 unit), B:fair 1 (1),
#   B:poor 1 (2); 6 units left. Pass 2: A:good 6. A good 15 - 6 = 9; B empty.
# Month 2, the shares of WITH_SHARES (A 7.5, B 2.5), B empty: pass 1 A:good 7 (its demand,
#   9, takes A's whole share); pass 2 gets 3 units: A:good its last 2, then A:fair (a hull
#   costs 2) claims the unit left. A good 0, fair 8.
DATED = {"A": {"2022-02": 0.0, "2022-03": 3.0}, "B": {"2022-02": 1.0}}
WITH_DATED_SHARES = {0: (9, 8, 7, 0, 0, 0), 1: (0, 8, 7, 0, 0, 0)}


@pytest.mark.parametrize("engine", ENGINES)
def test_dated_weights_change_the_shares_from_their_month(engine):
    storage = storage_by_month(two_families(DATED), engine)
    for month, expected in WITH_DATED_SHARES.items():
        assert stocks(storage, month) == expected, month


def test_reference_model_gives_the_dated_shares():
    ref = simulate_reference(two_families(DATED), reps=1, seed=3)
    assert list(ref["storage_path"][0, :2]) == [sum(WITH_DATED_SHARES[m]) for m in range(2)]
    assert list(ref["good_fair_path"][0, :2]) == [17, 8]


def test_dated_weights_are_parameters_named_by_their_month():
    names = two_families(DATED).params()
    assert {"refurbishment.family_weight.A.2022-02", "refurbishment.family_weight.A.2022-03",
            "refurbishment.family_weight.B.2022-02"} <= set(names)  # fmt: skip
    assert "refurbishment.family_weight.A" not in names


def test_a_weight_before_its_first_step_is_zero_and_steps_after_the_end_are_harmless():
    """A's weight holds from the start; B's first step comes in the third month (no share
    before it); C's step, in the file's last month, is after the run's end (``end``)."""
    from sim.engine.inputs import family_shares
    from sim.model.loader import build_scenario

    raw = scenario_dict(
        families={name: {"active": 10, "storage": 5, "vulnerability": 1.0, "quality_weight": 1.0,
                         "refurb_effort": 1.0} for name in "ABC"},
        end="2022-06", family_weight={"A": {"2022-02": 1.0}, "B": {"2022-04": 3.0},
                                      "C": {"2022-06": 5.0}},
    )  # fmt: skip
    scenario = build_scenario(raw, {}, name="test", files=("test",), end="2022-05")
    values = draw_params(scenario, seed=1, first_rep=0, reps=2)
    shares, period = family_shares(scenario, values)
    assert period.tolist() == [0, 0, 1, 1]
    np.testing.assert_array_equal(shares[:, :, 0], [[1.0, 0.0, 0.0], [0.25, 0.75, 0.0]])


def test_a_bad_dated_weight_is_one_error_naming_its_step():
    with pytest.raises(ScenarioError) as err:
        two_families({"A": {"2022-02": 1.0, "2022-03": -1.0}})
    assert "refurbishment.family_weight.A.2022-03" in str(err.value)
    assert "\n" not in str(err.value)


def test_weight_steps_out_of_order_are_refused_when_built_in_python():
    import dataclasses

    scenario = two_families(DATED)
    steps = dict(scenario.family_weights)["A"]
    with pytest.raises(ScenarioError, match="increasing months"):
        dataclasses.replace(scenario, family_weights=(("A", steps[::-1]),))


PEACE = {"start": "2022-03", "capacity_share": 1.0, "production_share": 1.0, "ramp_months": 0}


@pytest.mark.parametrize("engine", ENGINES)
def test_peacetime_stops_the_families_it_does_not_rebuild(engine):
    """From the peace's start (the second month) B's entries are closed: without weights B:good's 2
    hulls wait in storage, and the 10 units go to A (5 good and 2 fair hulls)."""
    scenario = two_families(peace={**PEACE, "rebuild_families": ["A"]})
    storage = storage_by_month(scenario, engine)
    assert stocks(storage, 0) == WITHOUT_SHARES[0]
    assert stocks(storage, 1) == (0, 6, 7, 2, 1, 1)
    assert stocks(storage, 2) == (0, 1, 7, 2, 1, 1)
    ref = simulate_reference(scenario, reps=1, seed=3)
    assert list(ref["storage_path"][0, :3]) == [int(storage[m].sum()) for m in range(3)]


def test_peacetime_rebuilds_by_default_the_families_of_high_quality():
    """No list given: A (quality 0.8) is rebuilt, B (0.4) is not (threshold 0.7)."""
    scenario = two_families(peace=PEACE)
    assert scenario.peace.rebuild_families == ("A",)


def test_bundled_ceasefire_rebuilds_only_t72_t80_t90_and_newer():
    scenario = load_scenario(SCENARIOS / "ceasefire.toml", end="2026-06")
    assert set(scenario.peace.rebuild_families) == {"T-72", "T-80", "T-90", "T-90M"}


@pytest.mark.parametrize(
    "weights, key",
    [({"C": 1.0}, "refurbishment.family_weight.C"), ({"A": -1.0}, "refurbishment.family_weight.A")],
)
def test_bad_family_weight_is_one_error_naming_the_key(weights, key):
    with pytest.raises(ScenarioError) as err:
        two_families(weights)
    assert key in str(err.value) and "\n" not in str(err.value)


def test_unknown_rebuild_family_is_one_error_naming_the_key():
    with pytest.raises(ScenarioError, match=r"peace\.rebuild_families\[0\]"):
        two_families(peace={**PEACE, "rebuild_families": ["T-34"]})


def test_weights_missing_from_a_posterior_are_drawn_from_their_prior(tmp_path):
    """A posterior without weight columns (one calibrated before the weights existed): each
    replication draws its weights from the prior (the same keyed streams as prior.toml), the
    posterior's columns from the posterior."""
    from sim.model.posterior import write_posterior

    prior = load_scenario(SCENARIOS / "prior.toml", end="2022-06")
    calibrated = "losses.detection_share"
    write_posterior(tmp_path / "post.csv", (calibrated,), np.array([[0.7], [0.9]]),
                    {"priors": {calibrated: prior.params()[calibrated].describe()}})
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{(SCENARIOS / "prior.toml").as_posix()}"\n'
                     'posterior = "post.csv"\n')  # fmt: skip
    baseline = load_scenario(child, end="2022-06")
    weights = [n for n in baseline.params() if n.startswith("refurbishment.family_weight.")]
    assert weights and not set(weights) & set(baseline.posterior.names)
    ours = draw_params(baseline, seed=5, first_rep=0, reps=64)
    theirs = draw_params(prior, seed=5, first_rep=0, reps=64)
    for name in weights:
        np.testing.assert_array_equal(ours[name], theirs[name])
    assert set(np.unique(ours[calibrated])) <= {0.7, 0.9}
    assert not np.array_equal(ours[calibrated], theirs[calibrated])
