"""The compiled kernel's named arguments (sim/engine/compiled_inputs.py) carry each engine
input under its own name, so two inputs of the same shape cannot be swapped unnoticed; and
the engines' shared constants are the ones each engine uses. Needs no numba."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sim.api import load_scenario
from sim.engine import compiled_inputs, simulate
from sim.engine.inputs import Inputs, build_inputs
from sim.model import constants
from sim.runs.sampling import draw_params

REPO = Path(__file__).resolve().parent.parent
#: Fields of Given that are not fields of Inputs, and where they come from.
DERIVED = {"stochastic", "has_requirement", "supply_top", "parts_start", "parts_entries",
           "parts_effort_factor", "parts_failure_factor"}  # fmt: skip
#: Inputs fields the kernel does not read (the metrics, the draws or the carried state do).
NOT_IN_GIVEN = {"active0", "storage0", "quality_weight", "detection_share", "loss_cv",
                "entry_cost", "entry_failure", "parts", "family_names", "entry_names",
                "supply_names"}  # fmt: skip


@pytest.fixture(scope="module")
def marked() -> Inputs:
    """The inputs of a scenario with supply, spare parts and family shares, each numeric
    array replaced by one holding its own distinct value (so no two are equal)."""
    scenario = load_scenario(REPO / "scenarios" / "nk-all.toml")
    inputs = build_inputs(scenario, draw_params(scenario, seed=1, first_rep=0, reps=3), True)
    changes = {}
    for number, field in enumerate(dataclasses.fields(Inputs)):
        value = getattr(inputs, field.name)
        if isinstance(value, np.ndarray) and value.dtype.kind in "fi":
            changes[field.name] = np.full(value.shape, 100 + number, value.dtype)
    return dataclasses.replace(inputs, **changes)


def test_every_kernel_input_named_as_an_engine_input_is_that_input(marked):
    given = compiled_inputs.given(marked, stochastic=True)
    named = [name for name in given._fields if name not in DERIVED]
    assert named
    for name in named:
        value, source = np.asarray(getattr(given, name)), np.asarray(getattr(marked, name))
        assert value.shape == source.shape and np.array_equal(value, source), name


def test_each_engine_input_is_in_the_kernel_inputs_or_listed_as_read_elsewhere():
    inputs = {field.name for field in dataclasses.fields(Inputs)}
    given = set(compiled_inputs.Given._fields)
    assert given - DERIVED <= inputs
    assert inputs - given == NOT_IN_GIVEN


def test_the_spare_parts_fields_hold_each_effect_by_row(marked):
    given = compiled_inputs.given(marked, stochastic=False)
    assert len(marked.parts) > 0
    for row, effect in enumerate(marked.parts):
        assert given.parts_start[row] == effect.start
        assert np.array_equal(given.parts_entries[row], effect.entries)
        assert np.array_equal(given.parts_effort_factor[row], effect.effort_factor)
        assert np.array_equal(given.parts_failure_factor[row], effect.failure_factor)
    assert not np.array_equal(given.parts_effort_factor, given.parts_failure_factor)


def test_the_carried_state_starts_from_the_engine_inputs_in_their_slots(marked):
    carried = compiled_inputs.carried(marked)
    assert np.array_equal(carried.state[constants.ACTIVE], marked.active0)
    for condition in (constants.GOOD, constants.FAIR, constants.POOR):
        slot = constants.STORAGE_GOOD + condition
        assert np.array_equal(carried.state[slot], marked.storage0[condition])
    assert np.array_equal(carried.entry_cost, marked.entry_cost)
    assert np.array_equal(carried.entry_failure, marked.entry_failure)
    assert carried.entry_cost is not marked.entry_cost  # spare parts change a copy
    others = [s for s in range(constants.RECORDED)
              if s not in (constants.ACTIVE, constants.STORAGE_GOOD, constants.STORAGE_FAIR,
                           constants.STORAGE_POOR)]  # fmt: skip
    assert not carried.state[others].any()


def test_the_state_slots_follow_the_variables_the_engines_record():
    names = constants.VARIABLES
    slots = {name: getattr(constants, name.upper()) for name in names}
    assert [slots[name] for name in names] == list(range(len(names)))
    assert names[: constants.RECORDED] == names[: names.index("active_weighted")]
    assert simulate.VARIABLES is constants.VARIABLES
