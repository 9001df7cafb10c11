"""Fan charts: the spread of a trajectory over replications, month by month.

A fan shows the 5-95% and 25-75% ranges of the replications as grey bands, the median as a
solid black line and the mean as a dashed one, so it reads the same in black and white.
Observed values (dated, sourced estimates) are drawn on top as hollow markers, each with its
own marker shape, and with error bars where the source gives a range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.figures.storage import draw_refurbishable
from sim.figures.style import (
    BAND_INNER,
    BAND_OUTER,
    MARKERS,
    MEAN,
    P05,
    P25,
    P50,
    P75,
    P95,
    PALETTE,
    add_caption,
    draw_events,
    figure_and_ax,
    new_figure,
    thousands,
    title,
    year_axis,
)

#: Factor by which a fan's y axis extends above the data to leave room for the legend.
LEGEND_HEADROOM = 1.3


class Observed(NamedTuple):
    """One observed value to set against a fan: a dated estimate from a source.

    ``low`` and ``high`` (tanks), when given, are drawn as an error bar; ``label`` names the
    source in the legend.
    """

    date: date
    value: float
    low: float | None = None
    high: float | None = None
    label: str = ""


def draw_fan(ax: Axes, dates: Sequence[date], stats: np.ndarray, *, mean: bool = True) -> None:
    """Bands p05-p95 and p25-p75, the median (solid) and, if ``mean``, the mean (dashed).

    ``stats`` has shape (T, 6): mean, p05, p25, p50, p75, p95 for each of the T ``dates``.
    """
    stats = np.asarray(stats, dtype=float)
    if stats.shape != (len(dates), 6):
        raise ValueError(f"stats must have shape ({len(dates)}, 6), got {stats.shape}")
    ax.fill_between(dates, stats[:, P05], stats[:, P95], color=BAND_OUTER, lw=0,
                    label="5-95% of replications")  # fmt: skip
    ax.fill_between(dates, stats[:, P25], stats[:, P75], color=BAND_INNER, lw=0,
                    label="25-75% of replications")  # fmt: skip
    ax.plot(dates, stats[:, P50], color="black", lw=1.8, label="median")
    if mean:
        ax.plot(dates, stats[:, MEAN], color="black", lw=1.0, ls="--", label="mean")


def draw_observed(ax: Axes, observed: Sequence[Observed], dates: Sequence[date]) -> list[Observed]:
    """Observed values within the dates of the fan, as hollow markers with error bars.

    Returns the points drawn (those dated outside ``dates[0]..dates[-1]`` are left out).
    """
    drawn = [o for o in map(_observed, observed) if dates[0] <= o.date <= dates[-1]]
    for i, obs in enumerate(drawn):
        color = PALETTE[1 + i % (len(PALETTE) - 1)]
        yerr = None
        if obs.low is not None and obs.high is not None:
            yerr = [[obs.value - obs.low], [obs.high - obs.value]]
        ax.errorbar([obs.date], [obs.value], yerr=yerr, fmt=MARKERS[i % len(MARKERS)],
                    color=color, mfc="white", mec=color, mew=1.6, ms=7, capsize=3, lw=1.2,
                    zorder=5, label=obs.label or f"observed {obs.date:%Y-%m}")  # fmt: skip
    return drawn


def _observed(point) -> Observed:
    return point if isinstance(point, Observed) else Observed(*point)


def active_fan(
    dates: Sequence[date],
    stats: np.ndarray,
    *,
    observed: Sequence[Observed] = (),
    heading: str = "Active fleet, all families",
    ylabel: str = "tanks in the active fleet",
    caption: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Fan chart of the active fleet, with observed estimates where they exist.

    Parameters
    ----------
    dates : T month dates (first day of each month; values are at the month's end).
    stats : (T, 6) array, tanks: mean, p05, p25, p50, p75, p95 over replications.
    observed : dated estimates (:class:`Observed` or ``(date, value, low, high, label)``
        tuples); points outside the dates are not drawn.
    heading, ylabel, caption : title, y-axis label and the caption line under the figure
        (scenario and sources); no caption when empty.
    ax : draw here instead of on a new figure.

    Returns
    -------
    The :class:`~matplotlib.figure.Figure` drawn on.
    """
    fig, ax = figure_and_ax(ax)
    draw_fan(ax, dates, stats)
    draw_observed(ax, observed, dates)
    _finish(ax, heading, ylabel)
    if caption:
        add_caption(fig, caption, width=130)
    return fig


def run_fan(
    dates: Sequence[date],
    active: np.ndarray,
    storage: Mapping[str, np.ndarray],
    *,
    exhausted_level: float | None = None,
    exhausted_months: tuple[date | None, date | None, date | None] | None = None,
    events: Sequence[tuple[date, str]] = (),
    observed: Sequence[Observed] = (),
    heading: str = "",
    caption: str = "",
) -> Figure:
    """The ``fan_chart.png`` of a results folder: the active fleet's fan (with observed
    points) and the storage that the headline "storage exhausted" counts.

    Parameters
    ----------
    dates : T month dates.
    active : (T, 6) tanks: mean, p05, p25, p50, p75, p95 of the active fleet.
    storage : good, fair and poor -> (T,) mean tanks in storage, all families
        (:func:`sim.figures.storage.draw_refurbishable`).
    exhausted_level, exhausted_months : the "exhausted" level (tanks) and the p05, p50, p95
        months it is reached (None: not within the horizon).
    events : ``(date, label)`` pairs (supply starts, a ceasefire) marked on both panels.
    observed, heading, caption : observed estimates, figure title and caption line.
    """
    fig = new_figure(10.0, 6.0)
    left, right = fig.subplots(1, 2, sharex=True)
    draw_fan(left, dates, active)
    draw_observed(left, observed, dates)
    _finish(left, "Active fleet, all families", "tanks in the active fleet", legend="below")
    draw_refurbishable(right, dates, storage, exhausted_level=exhausted_level,
                       exhausted_months=exhausted_months)  # fmt: skip
    _finish(right, "Storage: good + fair is what 'exhausted' counts",
            "tanks in storage (mean of replications)", legend="below")  # fmt: skip
    draw_events(left, events, headroom=True)  # the fan reaches the top where events fall
    draw_events(right, events)  # storage has fallen by then: the labels clear it
    if heading:
        fig.suptitle(heading)
    if caption:
        add_caption(fig, caption, width=150, fontsize=8)
    return fig


def _finish(ax: Axes, heading: str, ylabel: str, *, legend: bool | str = True) -> None:
    """Title, labels, axes from zero; the legend inside at the top right (with headroom), or
    under the axes when ``legend == "below"``."""
    title(ax, heading)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    year_axis(ax)
    thousands(ax)
    if legend == "below":
        ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.13),
                  ncol=2, columnspacing=1.0, handlelength=1.8)  # fmt: skip
    elif legend:
        # headroom above the highest band so the legend covers no data
        ax.set_ylim(0, ax.get_ylim()[1] * LEGEND_HEADROOM)
        ax.legend(fontsize=7, frameon=False, loc="upper right", ncol=2)
