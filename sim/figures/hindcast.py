"""The hindcast figure: each target dated after the cut-off against its projected band.

Plain arrays in (as written to hindcast.csv), a matplotlib Figure out.
"""

from __future__ import annotations

import textwrap
from datetime import date, timedelta

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.figures.style import BAND_INNER, BAND_OUTER, CAPTION_FONTSIZE, new_figure


def hindcast_figure(
    labels: list[str],
    dates: list[date],
    bands: np.ndarray,
    observed: np.ndarray,
    units: list[str],
    cutoff: date,
    caption: str,
    heading: str,
) -> Figure:
    """One panel per scored target: the projected 5-95% band (light bar), 25-75% (dark
    bar) and median (black tick) at the target's date, the observed value with its stated
    interval (white circle, error bar, drawn just right of the band), and the cut-off
    (dashed vertical line).

    Parameters
    ----------
    labels : target names, K of them.
    dates : each target's date (first day of its month).
    bands : (K, 5) projected p05, p25, p50, p75, p95 in the target's units.
    observed : (K, 3) observed value, interval low, interval high.
    units : y-axis label of each panel (e.g. "tanks", "share of stored tanks").
    cutoff : the last month the calibration saw.
    """
    cols = min(3, len(labels))
    rows = -(-len(labels) // cols)
    fig = new_figure(3.6 * cols, 3.0 * rows + 0.4)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    left = min(cutoff, *dates) - timedelta(days=120)
    right = max(dates) + timedelta(days=120)
    shift = timedelta(days=25)
    for ax, label, when, band, obs, unit in zip(axes, labels, dates, bands, observed, units):
        ax.vlines(when, band[0], band[4], color=BAND_OUTER, lw=14)
        ax.vlines(when, band[1], band[3], color=BAND_INNER, lw=14)
        ax.hlines(band[2], when - timedelta(days=12), when + timedelta(days=12), color="black",
                  lw=2)  # fmt: skip
        ax.errorbar([when + shift], [obs[0]], yerr=[[obs[0] - obs[1]], [obs[2] - obs[0]]],
                    fmt="o", mfc="white", mec="black", ecolor="black", ms=5, capsize=3)
        ax.axvline(cutoff, color="black", ls="--", lw=1)
        ax.set_xlim(left, right)
        ax.set_title(f"{label}\n({when:%Y-%m})", fontsize=8.5)
        ax.set_ylabel(unit)
        ax.set_xlabel("month")
        ax.tick_params(axis="x", labelsize=7, rotation=30)
        ax.grid(True, color="0.9", lw=0.5)
        top = max(band[4], obs[2])
        ax.set_ylim(0, top * 1.15)
    for ax in axes[len(labels) :]:
        ax.set_visible(False)
    handles = [Patch(color=BAND_OUTER), Patch(color=BAND_INNER),
               Line2D([], [], color="black", lw=2),
               Line2D([], [], marker="o", mfc="white", mec="black", color="black", ls="none"),
               Line2D([], [], color="black", ls="--", lw=1)]  # fmt: skip
    names = ["projected 5-95%", "projected 25-75%", "projected median",
             "observed, with its stated interval", "cut-off (calibrated up to)"]  # fmt: skip
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=5, fontsize=7,
               frameon=False)
    fig.suptitle(heading, fontsize=10)
    # below the legend, which takes the figure's bottom edge (bbox_inches="tight" keeps it)
    fig.text(0.01, -0.045, textwrap.fill(caption, int(45 * cols)), fontsize=CAPTION_FONTSIZE,
             va="top", ha="left")  # fmt: skip
    return fig
