"""Competing hypotheses: named variants in a scenario file, their evidence and weights."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.evidence import allocate_rows, evidence_table
from sim.model.facts import load_facts
from sim.model.loader import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[1]
PRIOR = REPO / "scenarios" / "prior.toml"


def _child(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "child.toml"
    path.write_text(f'extends = "{PRIOR}"\n{body}')
    return path


def test_the_selected_variant_sets_the_production_prior():
    facts = set(load_facts())
    high = load_scenario(PRIOR, fact_ids=facts)
    low = load_scenario(PRIOR, fact_ids=facts, hypothesis={"production": "new-builds-60-300"})
    name = "production.tanks_per_year.2022-02"
    assert high.params()[name].dist.args == (("low", 500.0), ("high", 600.0))
    assert low.params()[name].dist.args == (("low", 60.0), ("high", 300.0))


def test_a_file_extending_the_prior_can_select_another_variant(tmp_path):
    path = _child(tmp_path, '[hypothesis]\nproduction = "new-builds-60-300"\n')
    scenario = load_scenario(path, fact_ids=set(load_facts()))
    assert scenario.params()["production.tanks_per_year.2022-02"].dist.args[1] == ("high", 300.0)


@pytest.mark.parametrize(
    "body, match",
    [
        ('[hypothesis]\nproduction = "bogus"\n',
         r'child.toml: hypothesis.production = "bogus": not a variant of production'),
        ('[hypothesis]\nproductoin = "new-hulls-500-600"\n',
         r"hypothesis.productoin = .*did you mean 'production'"),
        ('[hypotheses.production.new-hulls-500-600]\nsources = ["no-such-fact"]\n',
         r'hypotheses.production.new-hulls-500-600.sources = "no-such-fact": unknown fact'),
    ],
)  # fmt: skip
def test_a_bad_hypothesis_table_is_one_error_naming_file_key_and_value(tmp_path, body, match):
    with pytest.raises(ScenarioError, match=match) as err:
        load_scenario(_child(tmp_path, body), fact_ids=set(load_facts()))
    assert "\n" not in str(err.value)


def test_an_invalid_selection_exits_2_with_one_line_and_no_traceback(tmp_path):
    path = _child(tmp_path, '[hypothesis]\nproduction = "bogus"\n')
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tanksim: error: ") and "bogus" in lines[0]


def test_evidence_weights_sum_to_one_and_follow_the_acceptance_rates():
    table = evidence_table(["a", "b", "c"], [0.006, 0.002, 0.0], [0.0005, 0.0003, 0.0])
    weights = [row["weight"] for row in table]
    assert sum(weights) == pytest.approx(1.0)
    assert weights == pytest.approx([0.75, 0.25, 0.0])
    assert [row["bayes_factor_vs_best"] for row in table] == pytest.approx([1.0, 1 / 3, 0.0])
    assert all(row["weight_se"] > 0 for row in table[:2])


def test_evidence_refuses_when_no_hypothesis_reproduces_the_record():
    with pytest.raises(ValueError, match="every acceptance rate is 0"):
        evidence_table(["a", "b"], [0.0, 0.0], [0.0, 0.0])


@pytest.mark.parametrize("weights", [[0.7, 0.3], [0.333, 0.333, 0.334], [1.0, 0.0], [0.01, 0.99]])
def test_mixed_posterior_rows_sum_to_the_total_and_follow_the_weights(weights):
    counts = allocate_rows(weights, 1000)
    assert sum(counts) == 1000
    assert np.all(np.abs(np.array(counts) - np.array(weights) * 1000) <= 1)


def test_a_file_extending_the_prior_keeps_its_own_value_over_the_selected_variant(tmp_path):
    path = _child(tmp_path, '[production.tanks_per_year]\n"2022-02" = 123\n')
    scenario = load_scenario(path, fact_ids=set(load_facts()))
    assert scenario.params()["production.tanks_per_year.2022-02"].dist.kind == "fixed"
    assert scenario.production_schedule[0].value.dist.args == (("value", 123.0),)
