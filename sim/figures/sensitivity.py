"""Global sensitivity bar charts: Sobol' indices or Morris screening, with their intervals.

One panel per outcome, parameters as horizontal bars, most important on top. Sobol': the
total index (dark bar) and the first-order index (light, hatched bar), each with its 95%
bootstrap interval as a black error bar. Morris: mu* (dark bar) with its 95% bootstrap
interval and sigma as hollow circles on the same axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.figures.style import add_caption, new_figure, thousands, title
from sim.figures.tornado import legend_below

DARK, LIGHT = "0.3", "0.85"
ERR = {"error_kw": {"ecolor": "black", "elinewidth": 0.8, "capsize": 2}}


@dataclass(frozen=True)
class IndexPanel:
    """One outcome's indices over d parameters.

    Sobol': ``main`` is the total index, ``second`` the first-order index; Morris: ``main``
    is mu*, ``second`` sigma (no interval). ``*_low``/``*_high`` are interval bounds (d,);
    ``note`` is a line under the panel title (e.g. the random flows' share).
    """

    heading: str
    xlabel: str
    parameters: Sequence[str]
    main: np.ndarray
    main_low: np.ndarray
    main_high: np.ndarray
    second: np.ndarray
    second_low: np.ndarray | None = None
    second_high: np.ndarray | None = None
    note: str = ""


def draw_indices(ax: Axes, panel: IndexPanel, *, method: str, top: int = 15) -> None:
    """Draw the ``top`` parameters by ``panel.main`` on ``ax``."""
    order = np.argsort(-np.asarray(panel.main), kind="stable")[:top]
    ys = np.arange(len(order))[::-1].astype(float)
    main_err = _err(panel.main, panel.main_low, panel.main_high, order)
    if method == "sobol":
        ax.barh(ys + 0.2, panel.main[order], height=0.4, color=DARK, xerr=main_err, **ERR)
        second_err = _err(panel.second, panel.second_low, panel.second_high, order)
        ax.barh(ys - 0.2, panel.second[order], height=0.4, color=LIGHT, hatch="///",
                edgecolor="0.25", lw=0.5, xerr=second_err, **ERR)  # fmt: skip
        ax.set_xlim(min(0.0, ax.get_xlim()[0]), max(1.0, ax.get_xlim()[1]))
    else:
        ax.barh(ys, panel.main[order], height=0.6, color=DARK, xerr=main_err, **ERR)
        ax.plot(panel.second[order], ys, "o", mfc="white", mec="black", ms=5, zorder=4)
        thousands(ax, "x")
    ax.axvline(0, color="black", lw=0.6)
    ax.set_yticks(ys, [panel.parameters[j] for j in order], fontsize=7)
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.set_xlabel(panel.xlabel)
    ax.grid(True, axis="x", color="0.9", lw=0.5)
    ax.set_axisbelow(True)
    title(ax, panel.heading + (f"\n{panel.note}" if panel.note else ""))


def _err(values, low, high, order) -> np.ndarray | None:
    if low is None or high is None:
        return None
    v = np.asarray(values)[order]
    return np.vstack([np.maximum(v - np.asarray(low)[order], 0),
                      np.maximum(np.asarray(high)[order] - v, 0)])  # fmt: skip


def sensitivity_chart(
    panels: Sequence[IndexPanel],
    *,
    method: str,
    heading: str = "",
    caption: str = "",
    top: int = 15,
) -> Figure:
    """Panels of Sobol' indices (``method="sobol"``) or Morris statistics (``"morris"``)
    side by side, at most ``top`` parameters each, with a shared legend."""
    if method not in ("sobol", "morris"):
        raise ValueError(f"method must be 'sobol' or 'morris', got {method!r}")
    rows = min(max(len(p.parameters) for p in panels), top)
    fig = new_figure(6.0 * len(panels), 1.6 + 0.3 * rows)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        draw_indices(ax, panel, method=method, top=top)
    if method == "sobol":
        handles = [
            Patch(facecolor=DARK, label="total index (alone and in interactions)"),
            Patch(
                facecolor=LIGHT, hatch="///", edgecolor="0.25", label="first-order index (alone)"
            ),
        ]
    else:
        handles = [
            Patch(facecolor=DARK, label="mu*: mean absolute effect of a step"),
            axes[0].plot([], [], "o", mfc="white", mec="black", label="sigma of the effects")[0],
        ]
    handles.append(axes[0].plot([], [], color="black", lw=0.8, label="95% bootstrap interval")[0])
    legend_below(fig, handles, ncols=3)
    if heading:
        fig.suptitle(heading, fontsize=11)
    if caption:
        add_caption(fig, caption, width=int(19 * fig.get_figwidth()))
    return fig
