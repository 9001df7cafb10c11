"""When do the key events happen? Empirical CDFs of the headline months.

For each event (good+fair storage exhausted, refurbishment below half of capacity, active
fleet down 25%), the share of replications in which it has happened by each month. A curve
that ends below 100% at the horizon means the rest of the replications never see the event
within the horizon; that share is stated in the legend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.figures.style import add_caption, figure_and_ax, line_style, title, year_axis

#: Plain-language names of the month metrics.
EVENT_LABELS = {
    "storage_exhausted": "good+fair storage exhausted",
    "refurb_below_half": "refurbishment below half of capacity",
    "active_down_25": "active fleet 25% below its start",
    "rebuild_active": "active fleet back at its start",
    "rebuild_restorable": "active + good/fair storage back at their start",
    "reach_requirement": "active fleet at its requirement",
}


def ecdf(months: np.ndarray, horizon: int) -> np.ndarray:
    """Share of replications whose event month (index from the start) is <= t, t < horizon.

    Negative values (never within the horizon) never count. Returns shape (horizon,).
    """
    months = np.asarray(months)
    happened = months[months >= 0]
    counts = np.bincount(happened, minlength=horizon)[:horizon]
    return np.cumsum(counts) / max(len(months), 1)


def never_share(months: np.ndarray) -> float:
    """Share of replications in which the event does not happen within the horizon."""
    months = np.asarray(months)
    return float((months < 0).mean()) if len(months) else float("nan")


def months_ecdf(
    dates: Sequence[date],
    months: Mapping[str, np.ndarray],
    *,
    labels: Mapping[str, str] | None = None,
    heading: str = "When the key events happen",
    caption: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Empirical CDFs of event months, one step line per event.

    Parameters
    ----------
    dates : T month dates of the horizon.
    months : event name -> (R,) int array, month index from ``dates[0]`` per replication,
        negative for "never within the horizon".
    labels : event name -> legend text (default :data:`EVENT_LABELS`, else the name).
    heading, caption : title and caption line.
    ax : draw here instead of on a new figure.
    """
    fig, ax = figure_and_ax(ax, width=7.5, height=4.5)
    labels = {**EVENT_LABELS, **(labels or {})}
    for i, (name, values) in enumerate(months.items()):
        shares = ecdf(values, len(dates))
        text = f"{labels.get(name, name)} (never within horizon: {never_share(values):.0%})"
        ax.step(dates, shares, where="post", lw=1.8, label=text, **line_style(i))
    title(ax, heading)
    ax.set_ylabel("share of replications in which it has happened")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    year_axis(ax)
    ax.legend(fontsize=7, frameon=True, framealpha=0.9, loc="lower right")
    if caption:
        add_caption(fig, caption, width=140)
    return fig
