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

CONDITIONS = ("good", "fair", "poor")
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


def draw_refurbishable(
    ax: Axes,
    dates: Sequence[date],
    by_condition: Mapping[str, np.ndarray],
    *,
    exhausted_level: float | None = None,
    exhausted_months: tuple[date | None, date | None, date | None] | None = None,
) -> None:
    """Mean storage stacked good, fair, poor, with good + fair (what "storage exhausted"
    counts) as a solid line, the "exhausted" level dashed and, on it, the months storage
    is exhausted (p05 to p95 as a bar, the median as a diamond).

    ``by_condition`` maps good, fair and poor to (T,) mean tanks in storage, all families;
    ``exhausted_level`` is tanks; ``exhausted_months`` the p05, p50 and p95 dates (None for
    "not within the horizon").
    """
    good, fair, poor = (np.asarray(by_condition[c], dtype=float) for c in CONDITIONS)
    refurbishable = good + fair
    ax.fill_between(dates, 0, good, facecolor=CONDITION_COLOURS["good"], edgecolor="0.15",
                    lw=0.5, alpha=0.85, label="good")  # fmt: skip
    ax.fill_between(dates, good, refurbishable, facecolor=CONDITION_COLOURS["fair"],
                    edgecolor="0.15", hatch="///", lw=0.5, alpha=0.85, label="fair")  # fmt: skip
    ax.fill_between(dates, refurbishable, refurbishable + poor, facecolor="white",
                    edgecolor="0.5", hatch="...", lw=0.5, label="poor (not counted)")  # fmt: skip
    ax.plot(dates, refurbishable, color="black", lw=2.0, label="good + fair (refurbishable)")
    if exhausted_level is None:
        return
    ax.axhline(exhausted_level, color="black", ls="--", lw=1.0,
               label=f"'exhausted' level ({exhausted_level:,.0f})")  # fmt: skip
    if exhausted_months is None or exhausted_months[1] is None:
        return
    p05, p50, p95 = exhausted_months
    span = [p05 or dates[0], p95 or dates[-1]]
    late = f"{p95:%Y-%m}" if p95 is not None else "beyond"
    early = f"{p05:%Y-%m}" if p05 is not None else "?"
    ax.plot(span, [exhausted_level] * 2, color="0.35", lw=5, solid_capstyle="butt", zorder=5,
            label=f"exhausted, 5-95%: {early} to {late}")  # fmt: skip
    ax.plot([p50], [exhausted_level], marker="D", ms=8, mfc="white", mec="black", mew=1.6,
            ls="none", zorder=6, label=f"exhausted, median: {p50:%Y-%m}")  # fmt: skip


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
