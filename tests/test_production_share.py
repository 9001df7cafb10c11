"""New hulls split between families by their production shares (``[production.share]``):
apportioned on the running total, so counts stay whole, each family's count keeps within
one hull of its share, the total made is the one without a split, and both engines and the
SimPy reference agree."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from factories import make_scenario
from hypothesis import given
from hypothesis import strategies as st

from sim.engine.inputs import build_inputs
from sim.engine.simulate import simulate, split_new_hulls
from sim.engine.streams import ExpectedFlows, RandomFlows
from sim.model.errors import ScenarioError
from sim.reference import simulate_reference
from sim.runs.sampling import draw_params

ENGINES = [
    "numpy",
    pytest.param("compiled", marks=pytest.mark.skipif(
        importlib.util.find_spec("numba") is None, reason="numba not installed")),
]  # fmt: skip
WHOLE = RandomFlows.whole


@given(
    months=st.lists(st.lists(st.integers(0, 60), min_size=3, max_size=3), min_size=1,
                    max_size=40),
    raw=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3),
)  # fmt: skip
def test_apportioned_counts_are_whole_and_keep_to_their_shares(months, raw):
    """Whole, non-negative counts adding up to each month's new hulls; no share family above
    its share of the running total, and together less than one hull per family below it."""
    shares = np.repeat(np.array(raw)[:, None] / max(sum(raw), 1.0), 3, axis=1)  # (P, R=3)
    made = np.zeros((len(raw) + 1, 3))  # share families, then the main one
    for new in months:
        new = np.array(new, dtype=float)
        split, main = split_new_hulls(new, made.sum(axis=0), made[:-1], shares, WHOLE)
        assert (split >= 0).all() and (main >= 0).all()
        assert np.array_equal(split, np.floor(split)) and np.array_equal(main, np.floor(main))
        np.testing.assert_array_equal(split.sum(axis=0) + main, new)
        made[:-1] += split
        made[-1] += main
        fair = shares * made.sum(axis=0)
        assert (made[:-1] <= fair + 1e-9).all()
        assert ((fair - made[:-1]).sum(axis=0) < len(raw) + 1e-9).all()


def test_expected_values_split_in_proportion():
    split, main = split_new_hulls(np.array([10.0]), np.array([7.3]), np.array([[7.3 * 0.25]]),
                                  np.array([[0.25]]), ExpectedFlows.whole)  # fmt: skip
    np.testing.assert_allclose(split, [[2.5]])
    np.testing.assert_allclose(main, [7.5])


def producing(share=None, reps_end="2023-06"):
    """A (the production family) and B; 600 new hulls a year, B takes ``share`` of them."""
    families = {
        "A": {"active": 100, "storage": 50, "vulnerability": 1.0, "quality_weight": 1.0,
              "refurb_effort": 1.0},
        "B": {"active": 50, "storage": 20, "vulnerability": 1.5, "quality_weight": 0.8,
              "refurb_effort": 2.0},
    }  # fmt: skip
    return make_scenario(families=families, end=reps_end, losses=15.0, production_per_year=600.0,
                         production_share=None if share is None else {"B": share})  # fmt: skip


def produced(scenario, engine: str, reps: int = 64, integer: bool = True) -> np.ndarray:
    """Hulls made (T, F, R) on ``engine``."""
    values = draw_params(scenario, seed=5, first_rep=0, reps=reps)
    inputs = build_inputs(scenario, values, integer=integer)
    if engine == "compiled":
        from sim.engine.compiled import simulate as run
    else:
        run = simulate
    flows = RandomFlows(5, 0, reps) if integer else ExpectedFlows()
    return run(inputs, flows).produced


@pytest.mark.parametrize("engine", ENGINES)
def test_a_share_moves_new_hulls_to_its_family_without_changing_the_total(engine):
    alone = produced(producing(), engine)
    split = produced(producing(0.3), engine)
    np.testing.assert_array_equal(split.sum(axis=1), alone.sum(axis=1))
    total = split.sum(axis=1)
    assert total[-1].min() > 100  # enough hulls for the share to show
    assert (np.abs(split[:, 1] - 0.3 * total) < 1.0 + 1e-9).all()
    assert (split[:, 1] == np.floor(0.3 * total + 1e-9)).all()


@pytest.mark.parametrize("integer", [True, False], ids=["compiled-counts", "compiled-expected"])
def test_both_engines_split_alike_in_counts_and_in_expected_values(integer):
    pytest.importorskip("numba")
    scenario = producing({"dist": "uniform", "low": 0.0, "high": 0.6})
    np.testing.assert_array_equal(produced(scenario, "numpy", integer=integer),
                                  produced(scenario, "compiled", integer=integer))


def test_the_reference_model_splits_by_the_same_rule_and_conserves_every_hull():
    import simpy

    from sim.reference.model import TankModel
    from sim.reference.stores import draw_values

    scenario = producing(0.3)
    assert simulate_reference(scenario, reps=4, seed=9)["conserved"].all()
    rng = np.random.default_rng(9)
    v = {k: float(a[0]) for k, a in draw_values(scenario, 1, rng).items()}
    model = TankModel(simpy.Environment(), scenario, v, rng)
    main, other = 0, 1
    for new in (7, 0, 13, 1, 50):
        made = float(model.produced.sum())
        split, expected = dict(model.split_production(main, new)), split_new_hulls(
            np.array([float(new)]), np.array([made]), np.array([[float(model.produced[other])]]),
            np.array([[0.3]]), WHOLE)
        assert split == {other: int(expected[0][0, 0]), main: int(expected[1][0])}
        model.produced[other] += split[other]
        model.produced[main] += split[main]


@pytest.mark.parametrize(
    ("share", "message"),
    [
        ({"A": 0.2}, "other than production.family"),
        ({"C": 0.2}, "not a family"),
        ({"B": {"dist": "uniform", "low": 0.5, "high": 0.9}, "A2": 0.3}, "at most 1"),
    ],
)
def test_a_share_of_the_main_family_an_unknown_one_or_over_one_is_refused(share, message):
    families = {name: {"active": 10, "storage": 5, "vulnerability": 1.0, "quality_weight": 1.0,
                       "refurb_effort": 1.0} for name in ("A", "B", "A2")}  # fmt: skip
    with pytest.raises(ScenarioError, match=message):
        make_scenario(families=families, production_share=share)
