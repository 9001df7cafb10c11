"""Stacked storage: hulls in storage over time, by family and by condition.

Stacks show **means** over replications: means add up (the family means sum to the mean of
the total), medians do not. Each layer has its own hatch as well as its own colour, so the
chart reads in black and white.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.figures.style import (
    HATCHES,
    PALETTE,
    add_caption,
    new_figure,
    thousands,
    title,
    year_axis,
)

#: Colours for the conditions: good is light, poor dark, so the order survives greyscale.
CONDITION_COLOURS = {"good": "#56B4E9", "fair": "#E69F00", "poor": "#555555"}


def draw_stack(
    ax: Axes,
    dates: Sequence[date],
    layers: Mapping[str, np.ndarray],
    *,
    colours: Mapping[str, str] | None = None,
) -> list[str]:
    """Stack ``layers`` (name -> (T,) tanks) from the bottom up; all-zero layers are left out.

    Returns the names of the layers drawn, bottom first.
    """
    base = np.zeros(len(dates))
    drawn = []
    for name, values in layers.items():
        values = np.asarray(values, dtype=float)
        if values.shape != (len(dates),):
            raise ValueError(f"layer {name!r}: expected shape ({len(dates)},), got {values.shape}")
        if not values.any():
            continue
        i = len(drawn)
        colour = (colours or {}).get(name, PALETTE[(i + 1) % len(PALETTE)])
        ax.fill_between(dates, base, base + values, facecolor=colour, edgecolor="0.15",
                        hatch=HATCHES[i % len(HATCHES)], lw=0.6, alpha=0.85,
                        label=name)  # fmt: skip
        base = base + values
        drawn.append(name)
    return drawn


def storage_chart(
    dates: Sequence[date],
    by_family: Mapping[str, np.ndarray],
    by_condition: Mapping[str, np.ndarray],
    *,
    statistic: str = "mean",
    exhausted_level: float | None = None,
    heading: str = "",
    caption: str = "",
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Hulls in storage stacked by family (left) and by condition (right).

    Parameters
    ----------
    dates : T month dates.
    by_family, by_condition : name -> (T,) array of tanks in storage (all conditions for a
        family; all families for a condition), in stacking order, bottom first.
    statistic : what the arrays are ("mean" is the only one that stacks exactly); named in
        the axis label.
    exhausted_level : tanks; if given, a dashed line on the condition panel at the good+fair
        level that counts as "exhausted".
    heading, caption : figure title and caption line; left out when empty.
    axes : two axes to draw on instead of a new figure.
    """
    if axes is None:
        fig = new_figure(10.0, 4.6)
        axes = fig.subplots(1, 2, sharex=True, sharey=True)
    else:
        fig = axes[0].get_figure()
    left, right = axes
    draw_stack(left, dates, by_family)
    title(left, "By family (all conditions)")
    draw_stack(right, dates, by_condition, colours=CONDITION_COLOURS)
    title(right, "By condition (all families)")
    if exhausted_level is not None:
        right.axhline(exhausted_level, color="black", ls="--", lw=1.0,
                      label=f"good+fair 'exhausted' level ({exhausted_level:,.0f})")  # fmt: skip
    for ax in (left, right):
        ax.set_ylabel(f"tanks in storage ({statistic} of replications, stacked)")
        ax.set_ylim(bottom=0)
        year_axis(ax)
        thousands(ax)
        handles, labels = ax.get_legend_handles_labels()
        # top layer first in the legend, as in the stack
        ax.legend(handles[::-1], labels[::-1], fontsize=7, frameon=True, framealpha=0.9,
                  loc="upper right")  # fmt: skip
    if heading:
        fig.suptitle(heading)
    if caption:
        add_caption(fig, caption)
    return fig
