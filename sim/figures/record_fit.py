"""The calibrated model against the loss record, one panel per family group: Oryx's confirmed
series (points at their snapshot dates) over the calibrated 5-50-95% band by month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from matplotlib.figure import Figure

from sim.figures.style import BAND_OUTER, add_caption, new_figure, year_axis


@dataclass(frozen=True)
class SeriesPanel:
    """One record series: ``band`` (T, 3) p05, p50, p95 of the model's confirmed count at
    each month's end (``dates``, T); ``observed`` (N,) cumulative confirmed losses at
    ``observed_dates``; ``fitted`` the snapshot dates whose periods were calibration
    targets."""

    title: str
    dates: list[date]
    band: np.ndarray
    observed_dates: list[date]
    observed: np.ndarray
    fitted: list[date]


def record_fit_figure(panels: list[SeriesPanel], caption: str, heading: str) -> Figure:
    """Grey 5-95% band and black median per panel; the record as open circles, the
    snapshots used as calibration targets as filled squares (black and white readable)."""
    cols = 2
    rows = -(-len(panels) // cols)
    fig = new_figure(10, 2.8 * rows + 0.6)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True)).ravel()
    for ax, panel in zip(axes, panels):
        ax.fill_between(panel.dates, panel.band[:, 0], panel.band[:, 2], color=BAND_OUTER,
                        lw=0, label="calibrated model, 5-95%")  # fmt: skip
        ax.plot(panel.dates, panel.band[:, 1], color="black", lw=1.4,
                label="calibrated model, median")  # fmt: skip
        ax.plot(panel.observed_dates, panel.observed, "o", mfc="white", mec="black", ms=3.5,
                mew=0.8, label="Oryx, confirmed (snapshot)", zorder=4)  # fmt: skip
        used = [d in set(panel.fitted) for d in panel.observed_dates]
        if any(used):
            ax.plot(np.array(panel.observed_dates, dtype=object)[used],
                    np.asarray(panel.observed)[used], "s", color="black", ms=3.5,
                    label="snapshot used as a target", zorder=5)  # fmt: skip
        ax.set_title(panel.title, fontsize=10)
        ax.set_ylabel("tanks confirmed lost (cumulative)")
        ax.set_ylim(bottom=0)
        year_axis(ax)
    for i, ax in enumerate(axes):
        if i >= len(panels):
            ax.set_visible(False)
        elif i + cols < len(panels):  # the panel below labels the shared year axis
            ax.set_xlabel("")
    axes[0].legend(loc="upper left", fontsize=7, frameon=False)
    fig.suptitle(heading)
    add_caption(fig, caption)
    return fig
