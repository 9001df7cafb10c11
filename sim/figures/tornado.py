"""Tornado charts: which swept inputs move an outcome most, one parameter at a time.

Each bar starts at the outcome with every parameter drawn from its distribution (the
vertical line) and runs to its value with the parameter fixed at LOW (light, hatched) and at
HIGH (dark). Where the outcome is not monotone in the parameter, a thin black whisker spans
its full range over all the sweep's steps. Bars are sorted by that range, largest on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from sim.figures.style import add_caption, new_figure, thousands, title
from sim.model.calendar import format_month

LEGEND_INCHES = 0.3

LOW_STYLE = {"color": "0.82", "hatch": "///", "edgecolor": "0.25", "lw": 0.6}
HIGH_STYLE = {"color": "0.3", "edgecolor": "0.1", "lw": 0.6}


@dataclass(frozen=True)
class TornadoPanel:
    """One outcome's tornado.

    ``bars`` are objects with ``name``, ``low_input``, ``high_input``, ``at_low``,
    ``at_high``, ``least`` and ``most`` (see :class:`sim.analysis.sweep.TornadoBar`), sorted;
    ``base`` is the outcome with nothing fixed. With ``month_origin`` (a month index) the
    values are months from it and the axis is labelled YYYY-MM.
    """

    heading: str
    xlabel: str
    base: float
    bars: Sequence
    month_origin: int | None = None


def draw_tornado(ax: Axes, panel: TornadoPanel, *, max_bars: int = 12) -> bool:
    """Draw one panel's bars (at most ``max_bars``, largest range on top) on ``ax``; True if
    a whisker (a response not monotone in the parameter) was drawn."""
    whiskers = False
    bars = list(panel.bars)[:max_bars]
    ys = list(range(len(bars)))[::-1]
    for y, bar in zip(ys, bars):
        ax.barh(y, bar.at_low - panel.base, left=panel.base, height=0.6, **LOW_STYLE)
        ax.barh(y, bar.at_high - panel.base, left=panel.base, height=0.6, **HIGH_STYLE)
        if bar.least < min(bar.at_low, bar.at_high) or bar.most > max(bar.at_low, bar.at_high):
            ax.plot([bar.least, bar.most], [y, y], color="black", lw=1.0)
            whiskers = True
    ax.axvline(panel.base, color="black", lw=1.0, ls="--")
    ax.set_yticks(ys, [f"{b.name}\n{_g(b.low_input)} to {_g(b.high_input)}" for b in bars],
                  fontsize=7)  # fmt: skip
    ax.set_ylim(-0.7, len(bars) - 0.3)
    ax.set_xlabel(panel.xlabel)
    ax.grid(True, axis="x", color="0.9", lw=0.5)
    ax.set_axisbelow(True)
    title(ax, panel.heading)
    if panel.month_origin is not None:
        month_axis(ax, panel.month_origin)
    else:
        thousands(ax, "x")
    return whiskers


def month_axis(ax: Axes, origin: int) -> None:
    """Label an x axis of month indices from ``origin`` as YYYY-MM, at most four ticks, on
    whole quarters, half-years or years (wider would run the labels together)."""
    low, high = ax.get_xlim()
    step = next((s for s in (1, 3, 6, 12, 24, 60) if (high - low) / s <= 3.5), 120)
    ax.xaxis.set_major_locator(MultipleLocator(step, offset=-origin % step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_month(origin + round(x))))


def legend_below(fig: Figure, handles: list, *, ncols: int) -> None:
    """A one-row figure legend in a strip kept free under the axes."""
    strip = LEGEND_INCHES / fig.get_figheight()
    fig.get_layout_engine().set(rect=(0, strip, 1, 1 - strip))
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0), ncols=ncols,
               fontsize=7, frameon=False)  # fmt: skip


def _g(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def tornado_chart(
    panels: Sequence[TornadoPanel],
    *,
    heading: str = "",
    caption: str = "",
    max_bars: int = 12,
) -> Figure:
    """Tornado panels side by side, one per outcome, with a shared legend.

    Parameters
    ----------
    panels : one :class:`TornadoPanel` per outcome.
    heading, caption : figure title and the caption line under it (scenario, sources).
    max_bars : most parameters shown per panel.
    """
    rows = max((min(len(p.bars), max_bars) for p in panels), default=1)
    fig = new_figure(5.2 * len(panels), 1.4 + 0.42 * rows)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    whiskers = [draw_tornado(ax, panel, max_bars=max_bars) for ax, panel in zip(axes, panels)]
    handles = [
        Patch(
            facecolor=LOW_STYLE["color"], hatch="///", edgecolor="0.25", label="parameter at LOW"
        ),
        Patch(facecolor=HIGH_STYLE["color"], edgecolor="0.1", label="parameter at HIGH"),
        axes[0].plot([], [], color="black", lw=1.0, ls="--", label="all parameters drawn")[0],
    ]
    if any(whiskers):
        handles.append(axes[0].plot([], [], color="black", lw=1.0, label="range over all steps")[0])
    if heading:
        fig.suptitle(heading, fontsize=11)
    legend_below(fig, handles, ncols=4)
    if caption:
        add_caption(fig, caption, width=int(19 * fig.get_figwidth()))
    return fig
