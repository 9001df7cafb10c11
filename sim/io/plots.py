"""Thin wrappers kept for existing callers; the figures live in :mod:`sim.figures` and the
data they draw in :mod:`sim.io.report`."""

from __future__ import annotations

from matplotlib.figure import Figure

from sim.io.report import compare_data, compare_figure
from sim.runs.run import RunResult


def comparison_chart(results: list[RunResult], threshold: float) -> Figure:
    """Median active fleet per scenario, and each scenario's paired-gain fan over the first.

    Needs runs made with ``keep_paths``.
    """
    return compare_figure(compare_data(results, threshold))
