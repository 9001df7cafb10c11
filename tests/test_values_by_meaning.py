"""Values checked by what they mean, and outputs that say what they compare: a share above 1,
a family named as the all-families row, two scenarios whose metric definitions differ, and
the effective sample size of a hypothesis' own rows."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, tanksim
from factories import make_scenario

from sim.analysis.compare import compare_runs, definitions_differ
from sim.analysis.posterior_info import posterior_counts, rows_ess
from sim.model.errors import ScenarioError
from sim.model.facts import load_facts
from sim.model.loader import load_scenario
from sim.model.params import Family
from sim.present.tables import compare_table
from sim.runs.run import run_scenario

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.toml"
FAMILY = ("active = 10\nstorage = 10\nvulnerability = 1.0\nquality_weight = 1.0\n"
          "refurb_effort = 1.0\n")  # fmt: skip


def child(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "child.toml"
    path.write_text(f'extends = "{BASELINE}"\n{text}')
    return path


@pytest.mark.parametrize(
    "value, shown",
    [("1.5", "1.5"), ("0", "0"),
     ('{dist = "uniform", low = 0.5, high = 1.5}', '{dist = "uniform", low = 0.5, high = 1.5}')],
    ids=["above-1", "zero", "distribution-above-1"],
)  # fmt: skip
def test_a_detection_share_outside_0_1_is_refused_naming_file_key_and_value(
    value, shown, tmp_path
):  # fmt: skip
    path = child(tmp_path, f"[losses]\ndetection_share = {value}\n")
    outcome = tanksim("validate", path)
    assert_one_line_error(outcome, f"{path}: losses.detection_share = {shown}", "in (0, 1]")


@pytest.mark.parametrize("name", ["all", "ALL", " All "])
def test_a_family_named_all_is_refused(name, tmp_path):
    path = child(tmp_path, f'[families."{name}"]\n{FAMILY}')
    outcome = tanksim("validate", path)
    assert_one_line_error(outcome, f'{path}: families.{name} = "{name}": a reserved name')


def test_a_family_named_all_is_refused_however_the_scenario_is_built():
    scenario = make_scenario()
    with pytest.raises(ScenarioError, match="families.all.*reserved name"):
        Family("all", *dataclasses.astuple(scenario.families[0])[1:])


def test_compare_flags_metric_definitions_that_differ_instead_of_a_delay():
    base = make_scenario(end="2023-06", losses=20, capacity=5)
    other = dataclasses.replace(base, name="other",
                                thresholds=dataclasses.replace(base.thresholds,
                                                               exhausted_share=0.3))  # fmt: skip
    assert definitions_differ(base, base) == {}
    runs = [run_scenario(s, reps=64, seed=1, keep_paths=True) for s in (base, other)]
    data = compare_runs(runs, [base.end], threshold=50.0)
    assert data["paired"]["other"]["definitions_differ"] == {
        "metrics.exhausted_share": {"reference": 0.1, "scenario": 0.3}}
    json.dumps(data)  # still JSON
    text = compare_table(data)
    assert "definitions differ: metrics.exhausted_share = 0.1 (test) vs 0.3 (other)" in text
    assert "exhaustion delay: not comparable" in text
    assert "exhaustion delayed by" not in text
    same = compare_runs([runs[0], runs[0]], [base.end], threshold=50.0)
    assert "exhaustion delayed by" in compare_table(same)


def test_rows_ess_counts_repeated_rows_once_each():
    rows = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert rows_ess(rows) == pytest.approx(16 / 6)  # multiplicities 2, 1, 1
    assert rows_ess(np.arange(10.0).reshape(5, 2)) == 5.0
    assert rows_ess(np.ones((7, 3))) == 1.0


def test_the_effective_sample_size_of_a_selected_hypothesis_is_its_rows_not_the_mixture(
    tmp_path,
):  # fmt: skip
    meta = json.loads((BASELINE.parent / "posterior" / "baseline.json").read_text())
    (first, stop), = [span for label, span in meta["hypothesis_rows"].items()
                      if label == "production=new-hulls-500-600+storage=paper-10000"]  # fmt: skip
    path = child(tmp_path, '[hypothesis]\nproduction = "new-hulls-500-600"\n'
                 'storage = "paper-10000"\n')  # fmt: skip
    scenario = load_scenario(path, fact_ids=set(load_facts()))
    counts = posterior_counts(scenario.posterior)
    assert counts["rows"] == stop - first < meta["effective_sample_size"]
    assert counts["ess"] == rows_ess(scenario.posterior.values) <= counts["rows"]
    whole = posterior_counts(load_scenario(BASELINE, fact_ids=set(load_facts())).posterior)
    assert whole["ess"] == meta["effective_sample_size"]  # no selection: the calibration's
