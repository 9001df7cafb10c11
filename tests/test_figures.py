"""Figures: each is drawn on small results and checked for what it shows (labels, titles,
and that the plotted data are the input statistics), then redrawn from a results folder.

Runs are small (256 replications, 35 months, scenarios built in code with a few cited facts)
so the file stays quick and does not depend on the shipped scenarios' calibration.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from factories import small_scenario
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from sim.analysis.paired import compare_data
from sim.cli import main
from sim.engine.metrics import NEVER
from sim.figures import Observed, active_fan, comparison_chart, months_ecdf, storage_chart
from sim.figures.months import ecdf, never_share
from sim.figures.style import month_dates, sources_caption
from sim.io.output import write_results
from sim.io.report import NotResultsFolder, read_run
from sim.io.report_figures import redraw, storage_layers
from sim.model.calendar import parse_month
from sim.model.facts import load_facts
from sim.present.run_data import run_data
from sim.runs.run import run_scenario

REPS = 256


@pytest.fixture(scope="module")
def facts():
    return load_facts()


@pytest.fixture(scope="module")
def results(facts):
    scenarios = [small_scenario("baseline"), small_scenario("nk-t62", supply=True)]
    return [run_scenario(s, reps=REPS, seed=11, keep_paths=True) for s in scenarios]


@pytest.fixture(scope="module")
def data(results, facts):
    return run_data(results[0], facts)


@pytest.fixture(scope="module")
def folder(results, facts, tmp_path_factory) -> Path:
    return write_results(results[0], tmp_path_factory.mktemp("run") / "baseline", facts)


def line_by_label(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def ys(line) -> np.ndarray:
    return np.asarray(line.get_ydata(), dtype=float)


def band_limits(collection: PolyCollection) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edge of a fill_between band, as drawn (vertex y values)."""
    vertices = collection.get_paths()[0].vertices
    n = (len(vertices) - 3) // 2  # start, lower edge, upper edge backwards, closing point
    return vertices[1 : n + 1, 1], vertices[n + 2 : 2 * n + 2, 1][::-1]


# ---------------------------------------------------------------------------------------------
# Fan chart


def test_fan_draws_the_input_statistics_with_labels(data):
    stats = data.series("active")
    fig = Figure()
    ax = fig.add_subplot()
    observed = [Observed(date(2022, 11, 1), 1800, 1600, 2000, "IISS 2023: 1,800"),
                (date(2040, 1, 1), 5, None, None, "outside the horizon")]  # fmt: skip
    returned = active_fan(data.dates, stats, observed=observed, caption="Scenario: x", ax=ax)
    assert returned is fig
    np.testing.assert_array_equal(ys(line_by_label(ax, "median")), stats[:, 3])
    np.testing.assert_array_equal(ys(line_by_label(ax, "mean")), stats[:, 0])
    bands = {c.get_label(): c for c in ax.collections if isinstance(c, PolyCollection)}
    outer = band_limits(bands["5-95% of replications"])
    inner = band_limits(bands["25-75% of replications"])
    np.testing.assert_allclose(outer[0], stats[:, 1])
    np.testing.assert_allclose(outer[1], stats[:, 5])
    np.testing.assert_allclose(inner[0], stats[:, 2])
    np.testing.assert_allclose(inner[1], stats[:, 4])
    assert ax.get_ylabel() == "tanks in the active fleet"
    assert ax.get_xlabel() == "year (monthly steps)"
    assert ax.get_title() == "Active fleet, all families"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "IISS 2023: 1,800" in legend and "outside the horizon" not in legend
    (container,) = [c for c in ax.containers if c.get_label() == "IISS 2023: 1,800"]
    marker, _, (bar,) = container.lines
    assert ys(marker).tolist() == [1800.0]
    assert bar.get_segments()[0][:, 1].tolist() == [1600.0, 2000.0]  # the error bar
    assert any(t.get_text().startswith("Scenario: x") for t in fig.texts)


def test_fan_rejects_statistics_of_the_wrong_shape(data):
    with pytest.raises(ValueError, match="shape"):
        active_fan(data.dates, data.series("active")[:-1])


def test_results_fan_chart_names_scenario_and_sources(data, facts):
    from sim.io.report_figures import fan_chart_figure

    fig = fan_chart_figure(data, facts)
    left, right = fig.axes
    assert fig.get_suptitle() == f"Russian tank inventory, baseline: {REPS:,} replications, seed 11"
    (caption,) = [t.get_text() for t in fig.texts if t.get_text().startswith("Scenario:")]
    assert caption.startswith("Scenario: baseline (test scenario baseline)")
    assert "Sources (via seeds/)" in caption and "IISS" in caption
    # observed points: the sourced pre-war and 2022-11 active-fleet estimates
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert any("2,927" in x for x in labels) and any("1,800" in x for x in labels)


def test_fan_chart_storage_panel_shows_what_storage_exhausted_counts(data, facts):
    from sim.io.report_figures import exhausted_level, fan_chart_figure

    _, right = fan_chart_figure(data, facts).axes
    good, fair = data.series("storage_good")[:, 0], data.series("storage_fair")[:, 0]
    counted = line_by_label(right, "good + fair (refurbishable)")
    np.testing.assert_allclose(ys(counted), good + fair)
    assert right.get_ylabel() == "tanks in storage (mean of replications)"
    assert "good + fair" in right.get_title()
    fills = [c.get_label() for c in right.collections if isinstance(c, PolyCollection)]
    assert fills == ["good", "fair", "poor (not counted)"]
    level = exhausted_level(data)
    assert any(ln.get_label().startswith("'exhausted' level") and ys(ln)[0] == level
               for ln in right.get_lines())  # fmt: skip
    median = data.summary["metrics"]["storage_exhausted"]["p50"]
    if median is not None:
        diamond = line_by_label(right, f"exhausted, median: {median}")
        assert ys(diamond).tolist() == [level]


def test_fan_chart_marks_each_supply_start_on_both_panels(results, facts):
    from sim.io.report_figures import fan_chart_figure

    fig = fan_chart_figure(run_data(results[1], facts), facts)
    for ax in fig.axes:
        marks = [t.get_text().strip() for t in ax.texts]
        assert marks == ["nk supply from 2022-08"]
        verticals = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert len(verticals) == 1


def test_fan_chart_event_labels_sit_above_the_active_fleet_fan(results, facts):
    from sim.io.report_figures import fan_chart_figure

    fig = fan_chart_figure(run_data(results[1], facts), facts)
    left = fig.axes[0]
    fig.draw_without_rendering()
    (label,) = left.texts
    bottom_of_label = left.transData.inverted().transform(
        (0, label.get_window_extent().y0))[1]  # fmt: skip
    top_of_fan = max(c.get_paths()[0].vertices[:, 1].max() for c in left.collections
                     if isinstance(c, PolyCollection))  # fmt: skip
    assert bottom_of_label > top_of_fan


def test_fan_chart_marks_the_ceasefire_of_a_rebuild_scenario(facts):
    from sim.io.report_figures import fan_chart_figure

    raw_scenario = small_scenario("ceasefire")
    thresholds = replace(raw_scenario.thresholds, rebuild_after=parse_month("2023-06"))
    result = run_scenario(replace(raw_scenario, thresholds=thresholds), reps=128, seed=1)
    left, right = fan_chart_figure(run_data(result, facts), facts).axes
    assert [t.get_text().strip() for t in right.texts] == ["ceasefire 2023-06"]


def test_caption_names_each_source_once_and_counts_the_rest():
    from sim.present.manifest import caption_sources, short_source

    assert short_source("Oleksandr Kovalenko",
                        "Oleksandr Kovalenko (Telegram), via TXTReport") == "Oleksandr Kovalenko"
    assert short_source("David Axe", "Forbes (David Axe), via time.news") == "David Axe, Forbes"
    assert short_source("David Axe", "Forbes") == "David Axe, Forbes"
    assert short_source("", "The Defense Post (Oryx)") == "The Defense Post"
    man = {"sources": [
        {"author": "David Axe", "source": "Forbes (David Axe), via time.news", "parameters": 2},
        {"author": "David Axe", "source": "Forbes", "parameters": 1},
        {"author": "", "source": "tech.wp.pl (citing Kovalenko)", "parameters": 4},
    ] + [{"author": "", "source": f"Outlet {i}", "parameters": 1} for i in range(8)]}  # fmt: skip
    names = caption_sources(man, {})
    assert names[:2] == ["tech.wp.pl", "David Axe, Forbes"] and len(names) == 10
    text = sources_caption(names, "x", limit=5)
    assert "; and 5 more (10 sources; the full list is in manifest.json)" in text
    assert text.count("David Axe") == 1


def test_caption_names_both_files_that_state_assumptions():
    text = sources_caption(["Oryx"], "x")
    assert "seeds/assumptions.toml" in text and "seeds/hypotheses.toml" in text


# ---------------------------------------------------------------------------------------------
# Storage


def test_storage_stacks_the_means_by_family_and_condition(data):
    by_family, by_condition = storage_layers(data)
    fig = storage_chart(data.dates, by_family, by_condition, exhausted_level=100.0)
    left, right = fig.axes
    drawn = [name for name, v in by_family.items() if v.any()]
    fills = [c for c in left.collections if isinstance(c, PolyCollection)]
    assert [c.get_label() for c in fills] == drawn
    tops = np.cumsum([by_family[n] for n in drawn], axis=0)
    for fill, top in zip(fills, tops):
        np.testing.assert_allclose(band_limits(fill)[1], top)
    # the stack's top is the mean of the total
    np.testing.assert_allclose(tops[-1], data.series("storage")[:, 0], rtol=1e-9)
    cond = [c for c in right.collections if isinstance(c, PolyCollection)]
    assert [c.get_label() for c in cond] == ["good", "fair", "poor"]
    np.testing.assert_allclose(band_limits(cond[0])[1], data.series("storage_good")[:, 0])
    # greyscale: every layer has its own hatch
    hatches = [c.get_hatch() for c in fills]
    assert len(set(hatches)) == len(hatches)
    for ax in (left, right):
        assert ax.get_ylabel() == "tanks in storage (mean of replications, stacked)"
        assert ax.get_xlabel() == "year (monthly steps)"
    assert [left.get_title(), right.get_title()] == ["By family (all conditions)",
                                                     "By condition (all families)"]  # fmt: skip
    assert any("exhausted" in ln.get_label() for ln in right.get_lines())


# ---------------------------------------------------------------------------------------------
# Key months


def test_ecdf_counts_never_as_not_happened():
    months = np.array([0, 2, 2, NEVER])
    np.testing.assert_allclose(ecdf(months, 4), [0.25, 0.25, 0.75, 0.75])
    assert never_share(months) == 0.25


def test_months_ecdf_draws_each_event_with_its_never_share(data):
    months = data.month_metrics()
    assert list(months) == ["storage_exhausted", "refurb_below_half", "active_down_25"]
    fig = Figure()
    ax = fig.add_subplot()
    months_ecdf(data.dates, months, ax=ax)
    lines = ax.get_lines()
    assert len(lines) == 3
    for line, values in zip(lines, months.values()):
        np.testing.assert_allclose(ys(line), ecdf(values, data.months))
        assert f"never within horizon: {never_share(values):.0%}" in line.get_label()
    assert len({str(line.get_linestyle()) for line in lines}) == 3  # legible in greyscale
    assert ax.get_ylabel() == "share of replications in which it has happened"
    assert ax.get_title() == "When the key events happen"


# ---------------------------------------------------------------------------------------------
# Comparison


def test_comparison_draws_paired_difference_fans(results):
    cmp = compare_data(results, threshold=2000.0)
    paths = results[1].active_paths.astype(float) - results[0].active_paths
    median = np.quantile(paths, 0.5, axis=1, method="inverted_cdf")
    np.testing.assert_array_equal(cmp.gains["nk-t62"][:, 3], median)
    medians = {k: v[:, 3] for k, v in cmp.active.items()}
    fig = comparison_chart(cmp.dates, cmp.gains, reference="baseline", medians=medians,
                           threshold=2000.0)  # fmt: skip
    left, right = fig.axes
    assert right.get_title() == "nk-t62 minus baseline"
    assert right.get_ylabel() == "tanks gained in the active fleet (paired)"
    np.testing.assert_array_equal(ys(line_by_label(right, "median")), cmp.gains["nk-t62"][:, 3])
    np.testing.assert_allclose(ys(line_by_label(right, "mean")), paths.mean(axis=1))
    np.testing.assert_array_equal(ys(line_by_label(left, "nk-t62")), medians["nk-t62"])
    assert line_by_label(left, "threshold 2,000") is not None
    assert left.get_ylabel() == "tanks in the active fleet"


def test_comparison_needs_one_axes_per_panel(results):
    cmp = compare_data(results)
    fig = Figure()
    with pytest.raises(ValueError, match="need 1 axes"):
        comparison_chart(cmp.dates, cmp.gains, reference="baseline", axes=fig.subplots(1, 2))


# ---------------------------------------------------------------------------------------------
# Results folders: write, read back, redraw


def test_results_folder_reads_back_what_was_run(results, folder):
    back = read_run(folder)
    result = results[0]
    np.testing.assert_allclose(back.stats, result.stats, rtol=1e-9)
    assert back.variables[0] == "active" and back.families[-1] == "all"
    assert set(back.metrics) == set(result.metrics)
    for name, values in result.metrics.items():
        np.testing.assert_array_equal(back.metrics[name], values)
    assert back.dates == month_dates(result.scenario.start, result.scenario.months)


def test_redraw_writes_each_figure_atomically(folder, facts):
    written = redraw(folder, facts, "svg")
    assert sorted(p.name for p in written) == ["fan_chart.svg", "months.svg", "storage.svg"]
    assert all(p.read_text().lstrip().startswith("<?xml") for p in written)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left


def test_redraw_without_metrics_skips_the_months_chart(folder, facts, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("manifest.json", "summary.json", "trajectories.csv"):
        (bare / name).write_bytes((folder / name).read_bytes())
    assert [p.name for p in redraw(bare, facts)] == ["fan_chart.png", "storage.png"]


def test_plot_command_redraws_and_names_a_bad_folder(folder, tmp_path, capsys):
    main(["plot", str(folder), "--format", "pdf"])
    assert (folder / "months.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"tanksim: error: {tmp_path}: not a results folder")
    with pytest.raises(NotResultsFolder, match="no such folder"):
        redraw(tmp_path / "missing", {})
