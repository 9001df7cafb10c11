"""Convergence reporting: order-statistic intervals, growing prefixes, summary and table."""

from __future__ import annotations

import numpy as np
from factories import make_scenario

from sim.analysis.convergence import (
    convergence,
    metric_convergence,
    prefix_sizes,
    quantile_interval,
)
from sim.analysis.summary import summary
from sim.engine.metrics import NEVER
from sim.model.calendar import format_month
from sim.present.tables import headline_table
from sim.runs.run import run_scenario


def test_median_interval_of_ten_values_is_the_second_to_ninth_order_statistic():
    # Binomial(10, 0.5): P(X <= 1) = 0.011 and P(X >= 9) = 0.011, so [x(2), x(9)] (97.9%).
    values = np.arange(10.0, 0.0, -1.0)
    estimate, low, high = quantile_interval(values, 0.5)
    assert (estimate, low, high) == (5.0, 2.0, 9.0)


def test_percentile_intervals_cover_the_true_quantile_about_95_percent_of_the_time():
    rng = np.random.default_rng(12)
    hits = {q: 0 for q in (0.05, 0.5, 0.95)}
    trials = 400
    for _ in range(trials):
        sample = rng.random(200)
        for q in hits:
            _, low, high = quantile_interval(sample, q)
            hits[q] += low <= q <= high
    for q, hit in hits.items():
        assert 0.92 <= hit / trials <= 0.995, (q, hit / trials)  # exact intervals are >= 95%


def test_prefixes_are_sixteenths_to_the_whole_and_never_tiny():
    assert prefix_sizes(10_000) == [625, 1250, 2500, 5000, 10_000]
    assert prefix_sizes(100) == [25, 50, 100]


def test_a_large_sample_settles_and_a_small_one_does_not():
    rng = np.random.default_rng(3)
    large = metric_convergence(rng.normal(100, 10, 8000), float)
    small = metric_convergence(rng.normal(100, 10, 200), float)
    # normal: the p05 interval is about 0.083 sd wide at 8,000 (2.5% of the 3.29 sd spread),
    # 0.53 sd at 200 (16%)
    assert large["settled"] is True and 0.015 < large["width"] < 0.04
    assert small["settled"] is False and small["width"] > 0.1
    assert large["reps"] == [500, 1000, 2000, 4000, 8000]
    low, high = large["p50"]["ci95"][-1]
    assert low <= large["p50"]["value"][-1] <= high


def test_month_metrics_count_never_as_after_the_horizon_and_report_it_as_none():
    months, start = 12, 2024 * 12
    values = np.where(np.arange(400) % 4 == 0, NEVER, np.arange(400) % 12)
    out = convergence(
        {"storage_exhausted": values}, months, lambda t: format_month(start + t),
        count_metrics=(), month_metrics=("storage_exhausted",),
    )  # fmt: skip
    p95 = out["storage_exhausted"]["p95"]["value"]
    assert p95[-1] is None  # 25% never: the 95th percentile is "never"
    assert out["storage_exhausted"]["p05"]["value"][-1] == format_month(start + 1)


def test_run_summary_reports_convergence_and_the_table_prints_it():
    scenario = make_scenario(end="2022-12", cv=0.3,
                             losses={"dist": "pert", "low": 5, "mode": 10, "high": 30})  # fmt: skip
    result = run_scenario(scenario, reps=400, seed=1)
    data = summary(result)
    conv = data["convergence"]["metrics"]
    assert set(conv) >= {"active_end", "storage_exhausted"}
    assert conv["active_end"]["reps"] == [25, 50, 100, 200, 400]
    assert conv["active_end"]["p50"]["value"][-1] == data["metrics"]["active_end"]["p50"]
    assert data["sampling"] == "random"
    text = headline_table([data])
    assert "convergence: median over the first n replications" in text
    assert any(line.split()[0] == "active_end" and line.split()[-1] in ("yes", "no")
               for line in text.splitlines()[-7:])  # fmt: skip


def test_deterministic_summary_has_no_convergence_section():
    scenario = make_scenario(end="2022-06")
    assert summary(run_scenario(scenario, deterministic=True))["convergence"] is None
