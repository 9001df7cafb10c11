"""Scenario discovery: the --where parser, PRIM on a planted box, and ``tanksim discover``."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from factories import make_scenario, run_cli, toy_toml
from matplotlib.figure import Figure

from sim.analysis.condition import ExpressionError, parse_condition
from sim.analysis.discover import choose_box, discover, peel
from sim.figures.discovery import Limit, discovery_chart

SCENARIO = make_scenario(end="2023-06")  # horizon 2022-02..2023-06: 17 months


def outcome_values(**columns) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=float) for k, v in columns.items()}


# ---------------------------------------------------------------------------------------------
# --where


def test_comparisons_combine_with_and_before_or_and_parentheses():
    values = outcome_values(active_end=[100, 2000, 100, 2000], lost_end=[5, 5, 50, 50],
                            storage_exhausted=[3, 3, 17, 10])  # fmt: skip
    cases = {
        "active_end < 1500": [1, 0, 1, 0],
        "active_end < 1500 and lost_end > 10": [0, 0, 1, 0],
        "active_end < 1500 or lost_end > 10 and storage_exhausted <= 2022-12": [1, 0, 1, 1],
        "(active_end < 1500 or lost_end > 10) and storage_exhausted == never": [0, 0, 1, 0],
        "storage_exhausted <= 2022-05": [1, 1, 0, 0],  # month 3 from 2022-02 is 2022-05
        "storage_exhausted > 2023-06": [0, 0, 1, 0],  # never is later than the horizon
        "active_end >= 2e3 AND lost_end != 50": [0, 1, 0, 0],
    }
    for text, expected in cases.items():
        condition = parse_condition(text, SCENARIO)
        np.testing.assert_array_equal(condition.evaluate(values), np.array(expected, bool), text)


def test_condition_lists_the_outcomes_it_needs_including_trajectory_values():
    condition = parse_condition("active@2023-01 < 50 and active_end < 40", SCENARIO)
    assert [o.name for o in condition.outcomes] == ["active@2023-01", "active_end"]
    assert condition.outcomes[0].probe.variable == "active"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty expression"),
        ("activ_end < 3", "unknown outcome 'activ_end' at position 1; did you mean 'active_end'?"),
        ("active_end < 2026-06", "active_end is a count of tanks: compare it with a number"),
        ("storage_exhausted < 12", "storage_exhausted is a month: compare it with YYYY-MM"),
        ("storage_exhausted <= 2026-13", "'2026-13' is not a month"),
        ("active_end <", "expression ends where a value to compare active_end with"),
        ("active_end 3", "expected a comparison (<, <=, >, >=, ==, !=) at position 12"),
        ("active_end < 3 xor lost_end > 1", "unexpected 'xor' at position 16"),
        ("active_end < 1,500", "unexpected ',' at position 15"),
        ("(active_end < 3", "expression ends where ')' was expected"),
        ("and < 3", "expected an outcome at position 1, got 'and'"),
        ("__import__('os').system('ls')", "unexpected"),
        ("active_end < 3; rm -rf /", "unexpected ';' at position 15"),
        ("active@2031-01 > 1", "outside the horizon"),
    ],
)
def test_bad_expressions_are_refused_with_a_clear_message(text, message):
    with pytest.raises(ExpressionError) as err:
        parse_condition(text, SCENARIO)
    assert message in str(err.value)


# ---------------------------------------------------------------------------------------------
# PRIM


def planted(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in [0, 1]^5; cases of interest: 0.2 < x0 < 0.6 and x1 > 0.7."""
    x = np.random.default_rng(seed).random((n, 5))
    return x, (x[:, 0] > 0.2) & (x[:, 0] < 0.6) & (x[:, 1] > 0.7)


def test_prim_recovers_a_planted_box():
    x, y = planted()
    found = discover(x, y, tuple("abcde"))
    box = found.box
    assert set(box.restricted()) == {0, 1}
    np.testing.assert_allclose(box.limits[0], [0.2, 0.6], atol=0.03)
    assert box.limits[1, 0] == pytest.approx(0.7, abs=0.03) and np.isinf(box.limits[1, 1])
    assert box.coverage > 0.95 and box.density > 0.85
    assert max(found.p_values.values()) < 1e-6  # both restrictions are real


def test_peeling_starts_from_everything_and_stops_at_the_minimum_mass():
    x, _ = planted(n=1000, seed=1)
    y = np.random.default_rng(2).random(1000) < 0.3  # no structure: no box is ever pure
    boxes = peel(x, y, alpha=0.05, mass_min=0.05)
    assert (boxes[0].mass, boxes[0].coverage, boxes[0].restricted().size) == (1.0, 1.0, 0)
    assert boxes[-1].mass >= 0.05 and boxes[-1].mass * 0.95 < 0.05 + 1 / 1000
    assert all(b.count < a.count for a, b in zip(boxes, boxes[1:]))
    assert np.all(np.diff([b.coverage for b in boxes]) <= 0)


def test_box_choice_is_the_widest_dense_enough_or_else_the_densest():
    x, y = planted(n=1000, seed=3)
    boxes = peel(x, y)
    chosen = choose_box(boxes, 0.8)
    assert boxes[chosen].density >= 0.8
    assert all(b.coverage <= boxes[chosen].coverage for b in boxes if b.density >= 0.8)
    densest = choose_box(boxes, 1.01)
    assert boxes[densest].density == max(b.density for b in boxes)


def test_discovery_chart_draws_the_trajectory_and_one_bar_pair_per_limit():
    limits = [Limit("a", 0.2, 0.6, 0.0, 1.0, 1e-9), Limit("b", 0.7, None, 0.0, 1.0, 0.3)]
    fig = discovery_chart([1.0, 0.9, 0.8], [0.2, 0.5, 0.9], [0, 1, 2], 2, 0.2, limits)
    left, right = fig.axes
    assert list(left.lines[0].get_xdata()) == [1.0, 0.9, 0.8]
    assert len(right.patches) == 4
    assert isinstance(fig, Figure)


# ---------------------------------------------------------------------------------------------
# The command

TOY = toy_toml()


def test_discover_command_finds_the_losses_that_drain_the_fleet(capsys, tmp_path):
    toy = tmp_path / "toy.toml"
    toy.write_text(TOY)
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "discover", toy, "--where", "active_end < 1600",
                                "--n", "400", "--seed", "2", "--out", out)  # fmt: skip
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {
        "discover.json", "box.csv", "peeling.csv", "samples.csv", "discovery.png",
        "manifest.json",
    }  # fmt: skip
    data = json.loads((out / "discover.json").read_text())
    limits = data["box"]["limits"]
    assert next(iter(limits)) == "losses.confirmed_per_month.2022-02"
    assert limits["losses.confirmed_per_month.2022-02"]["low"] > 40
    assert data["box"]["density"] >= 0.8 and data["where"] == "active_end < 1600"
    with (out / "samples.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 400 and sum(int(r["case"]) for r in rows) == data["cases"]
    manifest = json.loads((out / "manifest.json").read_text())
    arguments = manifest["arguments"]
    assert (arguments["sampling"], arguments["n"], arguments["seed"]) == ("lhs", 400, 2)
    assert "box (step" in stdout
    code, _, err = run_cli(capsys, "discover", toy, "--where", "active_end < 1600", "--out", out)
    assert code == 2 and "--force" in err


def test_discover_command_refuses_bad_expressions_and_empty_conditions(capsys, tmp_path):
    toy = tmp_path / "toy.toml"
    toy.write_text(TOY)
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "discover", toy, "--where", "active_end < 2026-06",
                           "--out", out)  # fmt: skip
    assert code == 2 and err.startswith("tanksim: error: --where 'active_end < 2026-06': ")
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "discover", toy, "--where", "active_end < 0", "--n", "50",
                           "--out", out)  # fmt: skip
    assert code == 2 and "no replication of 50 meets it" in err
    assert not out.exists()
