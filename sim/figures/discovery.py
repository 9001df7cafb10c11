"""Scenario-discovery figure: PRIM's peeling trajectory and the chosen box's limits.

Left: each box of the peeling trajectory as coverage (share of all cases of interest inside
the box) against density (share of the box's points that are cases), from the whole sample
(bottom right) towards small, dense boxes (top left); numbers give how many parameters each
box restricts; the chosen box is ringed, and the dotted line is the base rate. Right: each
restricted parameter's sampled range as a light bar with the box's part of it dark, labelled
with the limits, and the restriction's quasi-p-value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.figures.style import add_caption, new_figure, title

#: Quasi-p-value below which a restriction is drawn as significant.
P_SIGNIFICANT = 0.05
SIGNIFICANT = {"facecolor": "0.3", "edgecolor": "0.3"}
WEAK = {"facecolor": "0.62", "hatch": "////", "edgecolor": "0.35", "lw": 0.0}


@dataclass(frozen=True)
class Limit:
    """One restricted parameter: the box's ``low``/``high`` (None: not restricted on that
    side), the sampled range, and the quasi-p-value of the restriction."""

    name: str
    low: float | None
    high: float | None
    range_low: float
    range_high: float
    p_value: float


def discovery_chart(
    coverage: Sequence[float],
    density: Sequence[float],
    restricted: Sequence[int],
    chosen: int,
    base_rate: float,
    limits: Sequence[Limit],
    *,
    heading: str = "",
    caption: str = "",
) -> Figure:
    """The peeling trajectory (left) and the chosen box (right).

    Parameters
    ----------
    coverage, density : per box of the trajectory, shares in [0, 1].
    restricted : per box, the number of parameters it restricts.
    chosen : index of the chosen box.
    base_rate : share of all points that are cases of interest.
    limits : the chosen box's restricted parameters, most significant first.
    heading, caption : figure title and caption line.
    """
    rows = max(len(limits), 1)
    fig = new_figure(11.0, max(4.2, 1.5 + 0.32 * rows))
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.25])
    left.plot(coverage, density, color="black", lw=1.0, marker="o", ms=3, mfc="white")
    for i in range(0, len(coverage), max(1, len(coverage) // 12)):
        left.annotate(str(restricted[i]), (coverage[i], density[i]), xytext=(4, 3),
                      textcoords="offset points", fontsize=6, color="0.3")  # fmt: skip
    left.plot([coverage[chosen]], [density[chosen]], "o", ms=12, mfc="none", mec="black", mew=1.5)
    left.annotate(
        f"chosen box: coverage {coverage[chosen]:.2f}, density {density[chosen]:.2f}",
        (coverage[chosen], density[chosen]), xytext=(0.04, 0.1), textcoords="axes fraction",
        ha="left", va="bottom", fontsize=7,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6", "lw": 0.5},
        arrowprops={"arrowstyle": "-", "color": "0.4", "lw": 0.6},
    )  # fmt: skip
    left.axhline(base_rate, color="0.4", lw=0.8, ls=":")
    left.annotate(f"base rate {base_rate:.2f}", (0.02, base_rate), xytext=(0, 3),
                  textcoords="offset points", fontsize=7, color="0.3")  # fmt: skip
    left.set_xlim(0, 1.02)
    left.set_ylim(0, 1.05)
    left.set_xlabel("coverage: share of all cases of interest inside the box")
    left.set_ylabel("density: share of the box's points that are cases")
    left.grid(True, color="0.9", lw=0.5)
    title(left, "Peeling trajectory (numbers: parameters restricted)")
    _draw_limits(right, limits)
    if heading:
        fig.suptitle(heading, fontsize=11)
    if caption:
        add_caption(fig, caption, width=int(19 * fig.get_figwidth()))
    return fig


def _draw_limits(ax, limits: Sequence[Limit]) -> None:
    ys = np.arange(len(limits))[::-1]
    for y, lim in zip(ys, limits):
        span = lim.range_high - lim.range_low or 1.0
        lo = 0.0 if lim.low is None else (lim.low - lim.range_low) / span
        hi = 1.0 if lim.high is None else (lim.high - lim.range_low) / span
        ax.barh(y, 1.0, left=0.0, height=0.5, color="0.88", edgecolor="0.6", lw=0.5)
        style = SIGNIFICANT if lim.p_value < P_SIGNIFICANT else WEAK
        ax.barh(y, hi - lo, left=lo, height=0.5, **style)
        if lim.low is not None:
            ax.annotate(_g(lim.low), (lo, y), xytext=(-2, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=6.5)  # fmt: skip
        if lim.high is not None:
            ax.annotate(_g(lim.high), (hi, y), xytext=(2, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=6.5)  # fmt: skip
    ax.set_yticks(ys, [f"{lim.name}  (p = {lim.p_value:.2g})" for lim in limits], fontsize=7)
    ax.set_xlim(-0.15, 1.15)
    ax.set_ylim(-0.7, max(len(limits), 1) - 0.3)
    ax.set_xticks([0, 0.5, 1], ["sampled\nminimum", "middle", "sampled\nmaximum"], fontsize=7)
    ax.set_xlabel("position within each parameter's sampled range")
    title(ax, "Chosen box: limits of the restricted parameters")
    if not limits:
        ax.text(0.5, 0, "no parameter restricted", ha="center", va="center", fontsize=8)
    handles = [
        Patch(**SIGNIFICANT, label=f"inside the box, restriction p < {P_SIGNIFICANT}"),
        Patch(**WEAK, label=f"inside the box, p >= {P_SIGNIFICANT} (may be chance)"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=2,
              fontsize=7, frameon=False)  # fmt: skip


def _g(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
