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
        "metrics.exhausted_share": {"reference": 0.1, "scenario": 0.3}
    }
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


# ---------------------------------------------------------------------------------------------
# Smaller: honest progress, timing, blame and captions


def test_the_eta_is_the_pace_since_the_first_chunk_not_the_start(monkeypatch):
    import io
    import time

    import click

    from sim.cli.progress import steady_eta

    clock = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(time, "time", lambda: clock[0])
    with click.progressbar(length=100, file=io.StringIO()) as bar:
        steady_eta(bar)
        clock[0] = 10.0  # the first chunk, after 10 s of loading and design
        bar.update(10)
        assert not bar.eta_known  # one update says nothing of the pace
        clock[0] = 11.0  # then 10 replications a second
        bar.update(10)
        assert bar.eta_known and bar.eta == pytest.approx(8.0)  # click said 44 s


def test_report_and_supply_needed_report_progress_for_every_replication(
    monkeypatch, tmp_path
):  # fmt: skip
    from sim import api
    from sim.api import runs
    from sim.api.runs import report_replications

    supply = {"nk": {"family": "NK", "start": "2022-03", "tanks_per_month": 5, "total_cap": 50,
                     "delivery_lag_months": 1}}  # fmt: skip
    families = {
        "A": {
            "active": 300,
            "storage": 400,
            "vulnerability": 1.0,
            "quality_weight": 0.5,
            "refurb_effort": 1.0,
        },
        "NK": {"vulnerability": 1.0, "quality_weight": 0.5, "refurb_effort": 1.0},
    }
    nk = make_scenario(families=families, supply=supply, end="2022-08", priority=["A:good"])
    seen: list[int] = []
    api.supply_needed(nk, keep_active=100, until="2022-08", prob=0.5, reps=16, grid=3,
                      progress=seen.append)  # fmt: skip
    assert sum(seen) == 16 * 3
    small = make_scenario(end="2022-06")
    monkeypatch.setattr(runs, "write_report", lambda target, *args, **kwargs: target)
    seen.clear()
    api.report([small, dataclasses.replace(small, name="other")], tmp_path / "r", reps=8,
               seed=1, progress=seen.append)  # fmt: skip
    assert sum(seen) == report_replications([small, small], 8) == 16
    (tmp_path / "folder").mkdir()
    assert report_replications([tmp_path / "folder"], 8) == 0  # a folder is read, not run


def test_a_runs_time_says_when_it_includes_compiling(monkeypatch, tmp_path):
    from sim.runs import engines

    monkeypatch.setattr(engines, "compiled_in_this_process", lambda: True)
    outcome = tanksim("run", BASELINE, "--reps", "16", "--end", "2022-03", "--out", tmp_path / "a")
    assert outcome.returncode == 0, outcome.stderr
    assert "s (including compiling the compiled engine: once after installing)" in outcome.stderr


def test_compiled_in_this_process_reads_numbas_cache_misses(monkeypatch):
    import sys
    import types
    from collections import Counter

    from sim.runs import engines

    kernel = types.ModuleType(engines.COMPILED_MODULES[0])
    kernel.months = types.SimpleNamespace(stats=types.SimpleNamespace(cache_misses=Counter()))
    monkeypatch.setitem(sys.modules, kernel.__name__, kernel)
    for name in engines.COMPILED_MODULES[1:]:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert not engines.compiled_in_this_process()  # loaded from the cache
    kernel.months.stats.cache_misses["(int64,)"] += 1
    assert engines.compiled_in_this_process()


def test_a_horizon_error_from_a_file_names_the_file_not_the_command_line(tmp_path):
    path = child(tmp_path, '[horizon]\nstart = "2022-02"\nend = "2021-01"\n')
    assert_one_line_error(
        tanksim("validate", path),
        f'{path}: horizon = "2022-02..2021-01": start must not be after end',
    )
    outcome = tanksim("run", BASELINE, "--end", "2021-01", "--out", tmp_path / "x")
    assert_one_line_error(outcome, "(command line): --end = ", "the scenario starts 2022-02")


def test_a_900_kb_description_is_cut_in_the_caption_at_once():
    import time

    from sim.figures.style import CAPTION_DESCRIPTION, WHOLE_DESCRIPTION, sources_caption

    description = " ".join(f"word{i}" for i in range(150_000))[:900_000]
    began = time.perf_counter()
    caption = sources_caption(["IISS"], description)
    assert time.perf_counter() - began < 0.05
    about = caption.removeprefix("Scenario: ").split(f" {WHOLE_DESCRIPTION}")[0]
    assert about.endswith("...") and len(about) <= CAPTION_DESCRIPTION + 3
    assert description.startswith(about.removesuffix("..."))
    assert caption.endswith("seeds/hypotheses.toml).")
    assert sources_caption(["IISS"], "short").startswith("Scenario: short. Sources")
