"""Report figures. Functions draw on a new :class:`~matplotlib.figure.Figure` and return it;
only the shell saves files. Greys and line styles keep them legible in black and white."""

from __future__ import annotations

import textwrap
from datetime import date

import numpy as np
from matplotlib.dates import DateFormatter, YearLocator
from matplotlib.figure import Figure

from sim.metrics import VARIABLES
from sim.run import RunResult

BAND_OUTER, BAND_INNER = "0.85", "0.6"


def _dates(result: RunResult) -> list[date]:
    start = result.scenario.start
    return [date((start + t) // 12, (start + t) % 12 + 1, 1) for t in range(result.scenario.months)]


def draw_fan(ax, dates, stats: np.ndarray, label: str) -> None:
    """A fan of p05-p95 and p25-p75 bands, the median (solid) and the mean (dashed).

    ``stats`` is (T, 6): mean, p05, p25, p50, p75, p95.
    """
    ax.fill_between(dates, stats[:, 1], stats[:, 5], color=BAND_OUTER, lw=0, label="5-95%")
    ax.fill_between(dates, stats[:, 2], stats[:, 4], color=BAND_INNER, lw=0, label="25-75%")
    ax.plot(dates, stats[:, 3], color="black", lw=1.6, label="median")
    ax.plot(dates, stats[:, 0], color="black", lw=1.0, ls="--", label="mean")
    ax.set_title(label, fontsize=10)
    ax.set_ylabel("tanks")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(YearLocator())
    ax.xaxis.set_major_formatter(DateFormatter("%Y"))
    ax.grid(True, color="0.9", lw=0.5)


def fan_chart(result: RunResult, sources: list[str]) -> Figure:
    """Active fleet and storage (all families) as fan charts, with a sources caption."""
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True)
    dates = _dates(result)
    scen = result.scenario
    for ax, variable, title in (
        (axes[0], "active", "Active fleet (all families)"),
        (axes[1], "storage", "Hulls in storage, all conditions"),
    ):
        draw_fan(ax, dates, result.stats[:, VARIABLES.index(variable), -1], title)
        ax.set_xlabel("year (monthly steps)")
    axes[0].legend(loc="upper right", fontsize=8, frameon=False)
    mode = (
        "deterministic (expected values)"
        if result.deterministic
        else f"{result.reps:,} replications"
    )
    fig.suptitle(f"Russian tank inventory, scenario '{scen.name}': {mode}, seed {result.seed}")
    caption = (
        "Sources (via seeds/): " + "; ".join(sources) + ". Unsourced inputs are stated assumptions."
    )
    fig.text(0.01, -0.01, textwrap.fill(caption, 190), fontsize=6.5, va="top", ha="left")
    return fig
