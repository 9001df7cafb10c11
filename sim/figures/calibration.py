"""Calibration figures: the model's fit to the dated record, and what the record pins down.

Both take plain arrays (as written to fit_bands.csv / prior_posterior.csv), so they can be
redrawn from a calibration folder without re-running anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from matplotlib.figure import Figure

from sim.figures.style import BAND_INNER, BAND_OUTER, add_caption, new_figure, year_axis


@dataclass(frozen=True)
class FitPanel:
    """One panel of the fit figure: a calibrated fan, the prior's 5-95% range, observations.

    ``posterior`` and ``prior`` are (T, 5) p05, p25, p50, p75, p95 per month of ``dates``;
    ``observed`` rows are (date, value, low, high, label).
    """

    title: str
    ylabel: str
    dates: list[date]
    posterior: np.ndarray
    prior: np.ndarray
    observed: list[tuple[date, float, float, float, str]]


def fit_figure(panels: list[FitPanel], caption: str, heading: str) -> Figure:
    """Calibrated bands (grey fan, median solid), the uncalibrated prior's 5-95% range
    (dashed) and each observed figure with its interval (error bar), one panel per
    quantity."""
    cols = 2
    rows = -(-len(panels) // cols)
    fig = new_figure(10, 3.3 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True)).ravel()
    for ax, panel in zip(axes, panels):
        post = panel.posterior
        ax.fill_between(panel.dates, post[:, 0], post[:, 4], color=BAND_OUTER, lw=0,
                        label="calibrated 5-95%")  # fmt: skip
        ax.fill_between(panel.dates, post[:, 1], post[:, 3], color=BAND_INNER, lw=0,
                        label="calibrated 25-75%")  # fmt: skip
        ax.plot(panel.dates, post[:, 2], color="black", lw=1.5, label="calibrated median")
        ax.plot(panel.dates, panel.prior[:, 0], color="black", lw=0.8, ls="--",
                label="prior 5% / 95%")  # fmt: skip
        ax.plot(panel.dates, panel.prior[:, 4], color="black", lw=0.8, ls="--")
        for when, value, low, high, label in panel.observed:
            ax.errorbar([when], [value], yerr=[[value - low], [high - value]], fmt="o",
                        mfc="white", mec="black", ecolor="black", ms=5, capsize=3, lw=1,
                        zorder=5)  # fmt: skip
            ax.annotate(label, (when, high), fontsize=6.5, xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom")  # fmt: skip
        ax.set_title(panel.title, fontsize=10)
        ax.set_ylabel(panel.ylabel)
        ax.set_ylim(bottom=0)
        year_axis(ax)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(axes[0].errorbar([], [], yerr=[], fmt="o", mfc="white", mec="black",
                                    ecolor="black"))  # fmt: skip
    labels.append("observed, with its stated interval")
    axes[0].legend(handles, labels, loc="lower right", fontsize=7, frameon=False)
    fig.suptitle(heading)
    add_caption(fig, caption)
    return fig


def prior_posterior_figure(
    names: list[str],
    prior: np.ndarray,
    posterior: np.ndarray,
    caption: str,
    heading: str,
) -> Figure:
    """Each parameter's posterior 5-95% range (black, median dot) inside its prior's
    (grey bar), both rescaled so the prior's 5-95% range spans 0 to 1.

    ``prior`` and ``posterior`` are (D, 3): p05, p50, p95 in the parameter's own units.
    """
    span = np.where(prior[:, 2] > prior[:, 0], prior[:, 2] - prior[:, 0], 1.0)
    scaled_post = (posterior - prior[:, [0]]) / span[:, None]
    scaled_prior_mid = (prior[:, 1] - prior[:, 0]) / span
    fig = new_figure(8, 0.22 * len(names) + 1.6)
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    ax.barh(y, 1.0, left=0.0, height=0.7, color="0.85", label="prior 5-95%")
    ax.plot(scaled_prior_mid, y, "|", color="0.45", ms=9, label="prior median")
    ax.hlines(y, scaled_post[:, 0], scaled_post[:, 2], color="black", lw=2.2,
              label="posterior 5-95%")  # fmt: skip
    ax.plot(scaled_post[:, 1], y, "o", mfc="white", mec="black", ms=4, label="posterior median")
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlim(min(-0.15, np.nanmin(scaled_post) - 0.05), max(1.15, np.nanmax(scaled_post) + 0.05))
    ax.set_ylim(-1, len(names))
    ax.set_xlabel("position within the prior's 5-95% range (0 = prior p05, 1 = prior p95)")
    ax.grid(True, axis="x", color="0.9", lw=0.5)
    fig.legend(loc="outside upper center", ncol=4, fontsize=7, frameon=False)
    ax.set_title(heading, fontsize=10)
    add_caption(fig, caption, width=150)
    return fig
