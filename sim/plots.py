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
    if scen.description:
        caption = f"Scenario: {scen.description}. {caption}"
    fig.text(0.01, -0.01, textwrap.fill(caption, 190), fontsize=6.5, va="top", ha="left")
    return fig


LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)))
LINE_GREYS = ("black", "0.35", "black", "0.35", "black", "0.5")


def comparison_chart(results: list[RunResult], threshold: float) -> Figure:
    """Median active fleet per scenario, and each scenario's paired gain over the first.

    Needs runs made with ``keep_paths``; the right panel shows the median and the 5-95%
    range of the per-replication difference.
    """
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2, sharex=True)
    dates = _dates(results[0])
    ref = results[0]
    for i, res in enumerate(results):
        style = {"ls": LINE_STYLES[i % 6], "color": LINE_GREYS[i % 6], "lw": 1.5}
        left.plot(dates, np.median(res.active_paths, axis=1), label=res.scenario.name, **style)
        if i == 0:
            continue
        diff = res.active_paths.astype(float) - ref.active_paths
        lo, mid, hi = np.quantile(diff, [0.05, 0.5, 0.95], axis=1, method="inverted_cdf")
        right.plot(dates, mid, label=f"{res.scenario.name}: median", **style)
        right.plot(dates, lo, **(style | {"lw": 0.7}), label=f"{res.scenario.name}: 5% / 95%")
        right.plot(dates, hi, **(style | {"lw": 0.7}))
    left.axhline(threshold, color="0.6", lw=0.8)
    left.annotate(f"threshold {threshold:,.0f}", (dates[0], threshold), fontsize=7,
                  xytext=(2, 3), textcoords="offset points", color="0.4")  # fmt: skip
    left.set_title("Active fleet, median of replications", fontsize=10)
    left.set_ylabel("tanks")
    left.set_ylim(bottom=0)
    right.axhline(0, color="0.6", lw=0.8)
    right.set_title(f"Paired gain over '{ref.scenario.name}', same replications", fontsize=10)
    right.set_ylabel("tanks (scenario minus reference)")
    for ax in (left, right):
        ax.xaxis.set_major_locator(YearLocator())
        ax.xaxis.set_major_formatter(DateFormatter("%Y"))
        ax.set_xlabel("year (monthly steps)")
        ax.grid(True, color="0.9", lw=0.5)
        ax.legend(fontsize=7, frameon=False, loc="best")
    fig.suptitle(
        f"Scenario comparison with common random numbers: {ref.reps:,} replications, "
        f"seed {ref.seed}"
    )
    fig.text(0.01, -0.01, "Inputs and their sources: see each scenario's manifest "
             "(tanksim validate SCENARIO). North Korean supply rates are stated assumptions.",
             fontsize=7, va="top")  # fmt: skip
    return fig
