"""Scenario comparison: each scenario's active fleet minus the reference's, replication by
replication (common random numbers), as a fan over months.

An optional first panel sets the scenarios' median active fleets side by side, each with its
own line style and colour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.dates import YearLocator
from matplotlib.figure import Figure

from sim.figures.fan import draw_fan
from sim.figures.style import add_caption, line_style, new_figure, thousands, title, year_axis


def comparison_chart(
    dates: Sequence[date],
    diffs: Mapping[str, np.ndarray],
    *,
    reference: str,
    medians: Mapping[str, np.ndarray] | None = None,
    threshold: float | None = None,
    heading: str = "",
    caption: str = "",
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Paired-difference fans of the active fleet against ``reference``.

    Parameters
    ----------
    dates : T month dates.
    diffs : scenario name -> (T, 6) array, tanks: mean, p05, p25, p50, p75, p95 over
        replications of (scenario's active fleet - reference's) in the same replication.
    reference : the reference scenario's name.
    medians : scenario name (reference included) -> (T,) median active fleet, tanks; if
        given, drawn in a first panel.
    threshold : tanks; a reference line on the medians panel.
    heading, caption : figure title and caption line.
    axes : axes to draw on (one per panel: medians first if given, then one per scenario).
    """
    panels = (1 if medians else 0) + len(diffs)
    if axes is None:
        fig = new_figure(min(4.2 * panels, 13.0), 4.4)
        axes = list(np.atleast_1d(fig.subplots(1, panels, sharex=True)))
    else:
        axes = list(np.atleast_1d(axes))
        fig = axes[0].get_figure()
    if len(axes) != panels:
        raise ValueError(f"need {panels} axes, got {len(axes)}")
    all_axes = list(axes)
    if medians:
        _medians_panel(axes.pop(0), dates, medians, threshold)
    diff_axes = axes
    for ax, (name, stats) in zip(diff_axes, diffs.items()):
        ax.axhline(0, color="0.3", lw=0.8)
        draw_fan(ax, dates, stats)
        title(ax, f"{name} minus {reference}")
        ax.set_ylabel("tanks gained in the active fleet (paired)")
        year_axis(ax)
        thousands(ax)
    if diff_axes:
        lows = [ax.get_ylim()[0] for ax in diff_axes]
        highs = [ax.get_ylim()[1] for ax in diff_axes]
        for ax in diff_axes:
            ax.set_ylim(min(lows), max(highs))
        diff_axes[0].legend(fontsize=7, frameon=True, framealpha=0.9, loc="upper left")
    if len(dates) > 48:  # narrow panels: every other year, so the labels do not run together
        for ax in all_axes:
            ax.xaxis.set_major_locator(YearLocator(2))
    if heading:
        fig.suptitle(heading)
    if caption:
        add_caption(fig, caption, width=int(45 * panels))
    return fig


def _medians_panel(ax: Axes, dates, medians: Mapping[str, np.ndarray], threshold) -> None:
    for i, (name, values) in enumerate(medians.items()):
        ax.plot(dates, values, lw=1.6, label=name, **line_style(i))
    if threshold is not None:
        ax.axhline(threshold, color="0.55", lw=0.8, label=f"threshold {threshold:,.0f}")
    title(ax, "Active fleet, median of replications")
    ax.set_ylabel("tanks in the active fleet")
    ax.set_ylim(bottom=0)
    year_axis(ax)
    thousands(ax)
    ax.legend(fontsize=7, frameon=True, framealpha=0.9, loc="lower left")
