"""Generated scenario documents: every one is accepted and runs with conserved, non-negative
stocks, or is refused with one line and exit 2; never a traceback (issue 15).

hypothesis builds a document either from a small valid scenario (``factories.scenario_dict``)
or as an override file extending the bundled prior, then sets, adds or deletes keys with
values from the schema and around it: valid numbers, wrong types, negatives, NaN and
infinities, large numbers, unknown keys, bad dates, distribution tables with missing or
impossible arguments, missing tables. The document is written as TOML (by the small writer
below) and given to ``tanksim validate`` in this process. An accepted document is then run
from its start for at most a year with 4 replications, and the engine's stock identity is
checked on every replication and month.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from cli_helpers import REPO, assert_one_line_error, tanksim
from factories import scenario_dict
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sim.cli
from sim.engine.inputs import build_inputs
from sim.engine.simulate import simulate
from sim.engine.streams import RandomFlows
from sim.model.calendar import format_month
from sim.model.facts import load_facts
from sim.model.loader import load_scenario
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

PRIOR = REPO / "scenarios" / "prior.toml"
FACT_IDS = set(load_facts())
#: The largest number generated. The engine's int32 series overflow today when a count, or
#: a count times a quality weight, passes 2**31 (a weight of 1e8 on 100 tanks is enough);
#: that is issue 15's "bounds on every count", checked at load on another branch. Until
#: then the generator stays below this, and the hostile-input table pins the larger cases.
LARGE = 10**4
#: Scenarios generated per run (``TANKSIM_GENERATED_EXAMPLES`` for a longer search; the
#: failures hypothesis finds are kept in its database and replayed first).
EXAMPLES = int(os.environ.get("TANKSIM_GENERATED_EXAMPLES", "200"))

# ---------------------------------------------------------------------------------------------
# A TOML writer for the value types generated here


def _key(key: str) -> str:
    return json.dumps(key, ensure_ascii=True)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def _is_section(value) -> bool:
    """A table written under its own ``[header]`` (not a parameter's inline table)."""
    return isinstance(value, dict) and not ({"dist", "value"} & set(value))


def to_toml(document: dict) -> str:
    lines: list[str] = []

    def emit(path: list[str], table: dict) -> None:
        for key, value in table.items():
            if not _is_section(value):
                lines.append(f"{_key(key)} = {_value(value)}")
        for key, value in table.items():
            if _is_section(value):
                lines.append("[" + ".".join(_key(k) for k in path + [key]) + "]")
                emit(path + [key], value)

    top = {k: v for k, v in document.items() if not _is_section(v)}
    emit([], top)
    emit([], {k: v for k, v in document.items() if _is_section(v)})
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Values from the schema and around it

MONTHS = st.sampled_from(["2022-02", "2022-06", "2023-01", "2024-07", "2030-12", "2031-01",
                          "2019-06", "2022-13", "2022-00", "22-02", "2022-2", "later", ""])
#: Text without control characters: a carriage return in a value splits today's one-line
#: message in two (the loader prints values unescaped); the hostile-input table pins that.
TEXT = st.characters(blacklist_categories=("Cc", "Cs"))
FAMILY_NAMES = st.sampled_from(["A", "B", "T-72", "T-62", "T-99", "a b", "☃", ""])
CONDITIONS = st.sampled_from(["good", "fair", "poor", "mint"])
SMALL_COUNTS = st.integers(-5, 3000)
SHARES = st.floats(0, 1, allow_nan=False)
NUMBERS = st.one_of(
    SMALL_COUNTS,
    SHARES,
    st.floats(-10, 10, allow_nan=False),
    st.sampled_from([0, 0.0, -0.0, -1, 1e-300, float("nan"), float("inf"), float("-inf"),
                     LARGE, LARGE - 0.5, 2 * LARGE // 3]),
)  # fmt: skip
DIST_ARGS = st.dictionaries(
    st.sampled_from(["low", "mode", "high", "mean", "sd", "median", "sigma", "value", "lambda"]),
    NUMBERS, max_size=4,
)  # fmt: skip
DISTRIBUTIONS = st.builds(
    lambda kind, args: {"dist": kind, **args},
    st.sampled_from(["pert", "uniform", "triangular", "normal", "lognormal", "truncnormal",
                     "fixed", "pret", ""]),
    DIST_ARGS,
)  # fmt: skip
WELL_FORMED_DISTRIBUTIONS = st.one_of(
    st.builds(lambda lo, span, at: {"dist": "pert", "low": lo, "mode": lo + at * span,
                                    "high": lo + span},
              st.integers(0, 500), st.integers(1, 500), SHARES),
    st.builds(lambda lo, span: {"dist": "uniform", "low": lo, "high": lo + span},
              SHARES, SHARES.filter(lambda s: s > 0)),
)  # fmt: skip
VALUES = st.one_of(
    NUMBERS,
    NUMBERS,
    st.booleans(),
    MONTHS,
    st.text(TEXT, max_size=8),
    DISTRIBUTIONS,
    WELL_FORMED_DISTRIBUTIONS,
    st.builds(lambda v, facts: {"value": v, "facts": facts}, NUMBERS,
              st.lists(st.sampled_from(["assumption-quality-weights", "no-such-fact"]),
                       max_size=2)),
    st.lists(st.one_of(st.builds(lambda f, c: f"{f}:{c}", FAMILY_NAMES, CONDITIONS), NUMBERS),
             max_size=4),
    st.just({}),
)  # fmt: skip

FAMILY_KEYS = ["active", "storage", "vulnerability", "quality_weight", "refurb_effort"]
SCHEMA = (
    [("horizon", k) for k in ("start", "end")]
    + [("families", "A", k) for k in FAMILY_KEYS]
    + [("families", "B", k) for k in FAMILY_KEYS]
    + [("storage", k) for k in ("good_share", "fair_share", "good_to_fair", "fair_to_poor")]
    + [("losses", k) for k in ("detection_share", "monthly_cv")]
    + [("refurbishment", k) for k in ("lead_time_months", "priority")]
    + [("refurbishment", t, c) for t in ("effort", "donors", "failure")
       for c in ("good", "fair", "poor")]
    + [("production", "family")]
    + [("supply", "s", k) for k in ("family", "start", "tanks_per_month", "total_cap",
                                    "delivery_lag_months", "first_batch")]
    + [("metrics", k) for k in ("exhausted_share", "refurb_low_share", "active_drop_share")]
    + [("description",), ("extends",)]
)  # fmt: skip
SCHEDULES = [("losses", "confirmed_per_month"), ("refurbishment", "capacity_per_month"),
             ("production", "tanks_per_year")]  # fmt: skip
TABLES = ["horizon", "families", "storage", "losses", "refurbishment", "production", "supply",
          "metrics"]  # fmt: skip


def _set(document: dict, path: tuple[str, ...], value) -> None:
    table = document
    for key in path[:-1]:
        if not isinstance(table.get(key), dict):
            table[key] = {}
        table = table[key]
    table[path[-1]] = value


def _delete(document: dict, path: tuple[str, ...]) -> None:
    table = document
    for key in path[:-1]:
        table = table.get(key)
        if not isinstance(table, dict):
            return
    table.pop(path[-1], None)


PLAUSIBLE = st.one_of(SHARES, st.integers(0, 3000), WELL_FORMED_DISTRIBUTIONS)
EDITS = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(SCHEMA), PLAUSIBLE),
    st.tuples(st.just("set"), st.sampled_from(SCHEMA), PLAUSIBLE),
    st.tuples(st.just("set"), st.sampled_from(SCHEMA), VALUES),
    st.tuples(st.just("set"), st.sampled_from(SCHEMA), VALUES),
    st.tuples(st.just("set"), st.sampled_from(SCHEDULES).map(tuple), MONTHS, VALUES),
    st.tuples(st.just("set"), st.sampled_from(SCHEMA).map(lambda p: p[:-1] + ("colour",)),
              VALUES),
    st.tuples(st.just("delete"), st.one_of(st.sampled_from(SCHEMA),
                                          st.sampled_from(TABLES).map(lambda t: (t,)))),
)  # fmt: skip


@st.composite
def documents(draw) -> tuple[dict, bool]:
    """(document, whether it extends the prior)."""
    extends_prior = draw(st.booleans())
    if extends_prior:
        document: dict = {"extends": PRIOR.as_posix()}
        renames = {"A": "T-72", "B": "T-62", "s": "nk"}
    else:
        document = scenario_dict(end="2023-01", cv=0.2)
        renames = {}
    for edit in draw(st.lists(EDITS, min_size=0, max_size=3)):
        if edit[0] == "delete":
            path = tuple(renames.get(k, k) for k in edit[1])
            if path != ("extends",) or not extends_prior:
                _delete(document, path)
            continue
        if len(edit) == 4:  # a schedule entry
            _, table, month, value = edit
            _set(document, (*table, month), value)
            continue
        _, path, value = edit
        path = tuple(renames.get(k, k) for k in path)
        if path == ("extends",) and extends_prior:
            continue
        _set(document, path, value)
    return document, extends_prior


# ---------------------------------------------------------------------------------------------
# The property


@pytest.fixture(scope="module", autouse=True)
def facts_read_once():
    """The command reads seeds/ on every call (about 80 ms, most of an example's time); here
    it gets the facts read once. Nothing else of the command changes."""
    facts = load_facts()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim.cli, "load_facts", lambda folder=None: facts, raising=False)
        yield


def _conserved_and_non_negative(scenario, seed: int) -> None:
    values = draw_params(scenario, seed=seed, first_rep=0, reps=4)
    inputs = build_inputs(scenario, values, integer=True)
    trace = simulate(inputs, RandomFlows(seed, 0, 4))
    initial = inputs.storage0.sum(axis=0) + inputs.active0
    inflow = initial[None] + trace.produced + trace.imported
    stocks = trace.storage.sum(axis=1) + trace.pipeline + trace.active + trace.lost + trace.scrapped
    np.testing.assert_array_equal(inflow, stocks)
    for name in ("active", "storage", "pipeline", "lost", "scrapped", "produced", "imported"):
        assert getattr(trace, name).min() >= 0, name


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(generated=documents(), seed=st.integers(0, 2**32 - 1))
def test_generated_scenario_is_run_or_refused_in_one_line(generated, seed, tmp_path):
    document, _ = generated
    path = tmp_path / "generated.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    outcome = tanksim("validate", path, cwd=tmp_path)  # an escaping exception fails the test
    if outcome.returncode != 0:
        assert_one_line_error(outcome)
        event("refused")
        return
    event("accepted")
    scenario = load_scenario(path, fact_ids=FACT_IDS)
    end = format_month(min(scenario.start + 11, scenario.end))
    short = load_scenario(path, fact_ids=FACT_IDS, end=end)
    result = run_scenario(short, reps=4, seed=seed)
    assert np.isfinite(result.stats).all()
    assert (result.stats[..., 1:] >= 0).all()  # percentiles of counts and flows
    _conserved_and_non_negative(short, seed)
