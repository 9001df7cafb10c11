"""Competing hypotheses: named variants in a scenario file, their evidence and weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_helpers import tanksim

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
    for year, high_args, low_args in (("2022-02", (100.0, 200.0), (15.0, 70.0)),
                                      ("2024-01", (500.0, 600.0), (60.0, 300.0))):  # fmt: skip
        name = f"production.tanks_per_year.{year}"
        assert high.params()[name].dist.args == tuple(zip(("low", "high"), high_args))
        assert low.params()[name].dist.args == tuple(zip(("low", "high"), low_args))


def test_a_file_extending_the_prior_can_select_another_variant(tmp_path):
    path = _child(tmp_path, '[hypothesis]\nproduction = "new-builds-60-300"\n')
    scenario = load_scenario(path, fact_ids=set(load_facts()))
    assert scenario.params()["production.tanks_per_year.2024-01"].dist.args[1] == ("high", 300.0)


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
    done = tanksim("validate", path, cwd=tmp_path)  # in this process: tests/cli_helpers.py
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


BASELINE = REPO / "scenarios" / "baseline.toml"
RATE = "production.tanks_per_year.2022-02"
SHARE = "losses.detection_share"


def _mixed_posterior(tmp_path: Path) -> Path:
    """A posterior mixing two production hypotheses (3 + 2 rows), as `tanksim calibrate`
    writes it, and a base scenario drawing from it."""
    from sim.model.posterior import write_posterior

    facts = set(load_facts())
    labels = {"new-hulls-500-600": 0, "new-builds-60-300": 1}
    selections = {v: {"production": v, "storage": "paper-10000"} for v in labels}
    priors = {v: load_scenario(PRIOR, fact_ids=facts, hypothesis={"production": v}).params()
              for v in labels}  # fmt: skip
    own = {n: priors["new-hulls-500-600"][n].describe() for n in (RATE, SHARE)}
    rows = np.array([[550.0, 0.70], [560.0, 0.71], [570.0, 0.72], [100.0, 0.90], [200.0, 0.91]])
    name = {v: "+".join(f"{g}={x}" for g, x in selections[v].items()) for v in labels}
    meta = {
        "priors": own,
        "hypothesis_rows": {name["new-hulls-500-600"]: [0, 3], name["new-builds-60-300"]: [3, 5]},
        "hypothesis_selections": {name[v]: selections[v] for v in labels},
        "hypothesis_priors": {name[v]: {RATE: priors[v][RATE].describe()} for v in labels},
    }  # fmt: skip
    write_posterior(tmp_path / "post.csv", (RATE, SHARE), rows, meta)
    base = tmp_path / "base.toml"
    base.write_text(f'extends = "{PRIOR}"\nposterior = "post.csv"\n')
    return base


def _draws(scenario) -> set:
    from sim.runs.sampling import draw_params

    values = draw_params(scenario, seed=1, first_rep=0, reps=4096)
    return set(zip(values[RATE], values[SHARE]))


def test_the_mixed_posterior_is_drawn_whole_unless_a_file_selects_a_variant(tmp_path):
    facts = set(load_facts())
    base = load_scenario(_mixed_posterior(tmp_path), fact_ids=facts)
    assert base.posterior.hypothesis == "" and len(base.posterior.values) == 5
    assert {rate for rate, _ in _draws(base)} == {550.0, 560.0, 570.0, 100.0, 200.0}
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[hypothesis]\nproduction = "new-builds-60-300"\n')
    own = load_scenario(child, fact_ids=facts)
    assert own.posterior.hypothesis == "production=new-builds-60-300"
    assert own.posterior.overridden == (), "every column is that hypothesis' own, rate too"
    assert _draws(own) == {(100.0, 0.90), (200.0, 0.91)}
    child.write_text('extends = "base.toml"\n[hypothesis]\nproduction = "new-hulls-500-600"\n')
    default = load_scenario(child, fact_ids=facts)  # selecting the default is a choice too
    assert _draws(default) == {(550.0, 0.70), (560.0, 0.71), (570.0, 0.72)}


def test_selecting_a_hypothesis_the_posterior_holds_no_rows_for_is_one_error(tmp_path):
    _mixed_posterior(tmp_path)
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[hypothesis]\nstorage = "satellite-count"\n')
    with pytest.raises(ScenarioError, match=r'posterior = "post.csv": no calibrated rows for '
                                            r"the hypothesis storage=satellite-count") as err:
        load_scenario(child, fact_ids=set(load_facts()))  # fmt: skip
    assert "\n" not in str(err.value)


def test_a_file_extending_the_baseline_draws_its_hypothesis_rows_of_the_shipped_posterior(
    tmp_path,
):
    import json

    spans = json.loads(BASELINE.with_name("posterior").joinpath("baseline.json").read_text())
    spans = spans["hypothesis_rows"]
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{BASELINE}"\n[hypothesis]\nproduction = "new-builds-60-300"\n')
    scenario = load_scenario(child, fact_ids=set(load_facts()))
    own = sum(b - a for label, (a, b) in spans.items() if "production=new-builds-60-300" in label)
    assert 0 < own < 1000 and len(scenario.posterior.values) == own
    rate = scenario.posterior.names.index(RATE) if RATE in scenario.posterior.names else None
    if rate is not None:  # a posterior recording each hypothesis' priors applies the rate too
        assert scenario.posterior.values[:, rate].max() <= 300
    baseline = load_scenario(BASELINE, fact_ids=set(load_facts()))
    assert len(baseline.posterior.values) == 1000 and baseline.posterior.hypothesis == ""
    done = tanksim("validate", child, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"({own:,} rows" in done.stdout
    assert "only the rows of hypothesis production=new-builds-60-300" in done.stdout
