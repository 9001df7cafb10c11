"""The house style shared by every figure: legible in black and white first, with a
colour-blind-safe palette (Okabe and Ito, 2008) as a second cue, never the only one."""

from __future__ import annotations

import textwrap

from matplotlib.axes import Axes
from matplotlib.dates import DateFormatter, YearLocator, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from sim.model.calendar import month_dates  # noqa: F401  (re-exported for the figures)

#: Fan-chart bands: outer (5-95%) and inner (25-75%) greys.
BAND_OUTER, BAND_INNER = "0.85", "0.6"
#: Okabe-Ito colours, ordered so neighbours differ in lightness as well as hue.
PALETTE = ("#000000", "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
           "#F0E442")  # fmt: skip
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)))
HATCHES = ("", "///", "...", "\\\\\\", "xx", "--", "oo", "++")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
CAPTION_FONTSIZE = 6.5
#: Resolution of every figure written to a file, dots per inch.
DPI = 150
#: A white box behind text drawn over data.
LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1}


def line_style(i: int) -> dict:
    """Colour, dash pattern and marker for the i-th series (cycling)."""
    return {"color": PALETTE[i % len(PALETTE)], "ls": LINE_STYLES[i % len(LINE_STYLES)]}


def new_figure(width: float = 10.0, height: float = 4.8) -> Figure:
    """A figure with constrained layout, inches."""
    return Figure(figsize=(width, height), layout="constrained")


def figure_and_ax(ax: Axes | None, width: float = 7.0, height: float = 4.5) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new figure with one axes when ``ax`` is None."""
    if ax is not None:
        return ax.get_figure(), ax
    fig = new_figure(width, height)
    return fig, fig.add_subplot()


def year_axis(ax: Axes) -> None:
    """Yearly ticks on a date x axis, labelled as such, with a light grid."""
    ax.xaxis.set_major_locator(YearLocator())
    ax.xaxis.set_major_formatter(DateFormatter("%Y"))
    ax.set_xlabel("year (monthly steps)")
    ax.grid(True, color="0.9", lw=0.5)


#: Characters of a scenario's description a caption shows; a longer one is cut at a word
#: and says where the whole is (a caption of a 900 KB description took a minute to wrap
#: and lay out, and would be thousands of lines under the figure).
CAPTION_DESCRIPTION = 300
#: What a shortened description says of the whole.
WHOLE_DESCRIPTION = "(the whole description is in the scenario file and manifest.json)"
#: Characters a caption may hold at all (about twelve lines at the widest figure).
CAPTION_CHARS = 2_000


def shorten(text: str, limit: int, rest: str = "") -> str:
    """``text`` on one line, cut to at most ``limit`` characters at a word boundary, with
    an ellipsis and ``rest`` (e.g. where the whole text is) when cut; work proportional to
    ``limit``, not to the length of ``text``."""
    head = " ".join(text[: limit + 1].split())
    if len(head) <= limit and len(text) <= limit + 1:
        return head
    cut = head[:limit].rsplit(" ", 1)[0] if " " in head[:limit] else head[:limit]
    return f"{cut}..." + (f" {rest}" if rest else "")


def add_caption(
    fig: Figure, text: str, width: int = 190, fontsize: float = CAPTION_FONTSIZE
) -> None:
    """A small caption under the axes: scenario, sources, assumptions (``width`` characters
    a line, ``fontsize`` points; at most :data:`CAPTION_CHARS` characters)."""
    fig.text(0.01, -0.01, textwrap.fill(shorten(text, CAPTION_CHARS), width),
             fontsize=fontsize, va="top", ha="left")  # fmt: skip


#: Where the unsourced inputs are stated, as a caption names them.
ASSUMPTION_FILES = ("seeds/assumptions.toml; those of the storage hypotheses in "
                    "seeds/hypotheses.toml")  # fmt: skip


def sources_caption(
    sources: list[str], description: str = "", *, limit: int | None = None,
    full_list: str = "manifest.json",
) -> str:  # fmt: skip
    """'Scenario: ... Sources (via seeds/): ...' for a caption.

    With ``limit``, only the first ``limit`` sources are named, then "and N more (M
    sources; the full list is in <full_list>)". A description over
    :data:`CAPTION_DESCRIPTION` characters is cut at a word (:func:`shorten`).
    """
    named = sources if limit is None else sources[:limit]
    text = "Sources (via seeds/): " + ("; ".join(named) or "none")
    if len(named) < len(sources):
        text += (f"; and {len(sources) - len(named)} more ({len(sources)} sources; the full "
                 f"list is in {full_list})")  # fmt: skip
    text += f". Unsourced inputs are stated assumptions ({ASSUMPTION_FILES})."
    if not description:
        return text
    about = shorten(description, CAPTION_DESCRIPTION, WHOLE_DESCRIPTION)
    return f"Scenario: {about}. {text}"


def draw_events(ax: Axes, events, *, labels: bool = True, headroom: bool = False) -> None:
    """Dated events (``(date, label)`` pairs) as dotted vertical lines, each labelled along
    the line at the top of the axes; events outside the x range are left out. With
    ``headroom``, the y axis is raised so the labels sit above the data, not over it (for
    axes whose data reach the top where the events are)."""
    low, high = ax.get_xlim()
    texts = []
    for when, label in events:
        x = date2num(when)
        if not low <= x <= high:
            continue
        ax.axvline(when, color="black", ls=":", lw=1.2, zorder=4)
        if labels:
            texts.append(ax.text(when, 0.98, f" {label}", transform=ax.get_xaxis_transform(),
                                 rotation=90, va="top", ha="right", fontsize=7,
                                 bbox=LABEL_BOX))  # fmt: skip
    if headroom and texts:
        fig = ax.get_figure()
        fig.draw_without_rendering()  # lay the figure out, so the sizes below are final
        share = max(t.get_window_extent().height for t in texts) / ax.get_window_extent().height
        bottom, top = ax.get_ylim()
        ax.set_ylim(bottom, bottom + (top - bottom) / (1 - min(share + 0.03, 0.5)))


#: Column order of a statistics array's last axis, as in trajectories.csv.
STATS = ("mean", "p05", "p25", "p50", "p75", "p95")
MEAN, P05, P25, P50, P75, P95 = range(6)


def title(ax: Axes, text: str) -> None:
    """An axes title in the house size."""
    ax.set_title(text, fontsize=10)


def thousands(ax: Axes, axis: str = "y") -> None:
    """Tick labels with thousands separators (2,000 rather than 2000)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
