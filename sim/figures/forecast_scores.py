"""Forecast scores against the naive forecast: band coverage and mean CRPS, model and naive,
by horizon bucket (horizon.png) or by cut-off (cuts.png).

Plain arrays in (as written to horizon.csv and cuts.csv), a matplotlib Figure out. Legible
in black and white: the model is a solid black line with filled markers, the naive forecast
a dotted grey line with open markers, and the 90% and 50% bands differ by marker shape.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.figures.style import add_caption, new_figure

#: How each forecast is drawn: line style, colour, marker face.
STYLES = {
    "model": {"ls": "-", "color": "black", "mfc": "black"},
    "naive": {"ls": ":", "color": "0.45", "mfc": "white"},
}
#: Marker of each band's coverage.
BAND_MARKERS = {90: "o", 50: "s"}
#: Sideways shift of each (forecast, band) series in the coverage panel, in categories, so
#: equal shares stay visible side by side rather than hide one another.
DODGE = {("model", 90): -0.09, ("model", 50): -0.03, ("naive", 90): 0.03, ("naive", 50): 0.09}


def forecast_score_figure(
    labels: list[str],
    observations: np.ndarray,
    inside: dict[tuple[str, int], np.ndarray],
    mean_crps: dict[str, np.ndarray],
    *,
    xlabel: str,
    crps_unit: str,
    heading: str,
    caption: str,
) -> Figure:
    """Two panels over B categories (horizon buckets or cut-offs).

    Parameters
    ----------
    labels : B category names along the x axis.
    observations : (B,) observations scored in each category (written under its label).
    inside : ``(forecast, band)`` -> (B,) share of observations inside the forecast's
        central ``band``% band, for forecast in "model", "naive" and band in 90, 50.
    mean_crps : forecast -> (B,) mean CRPS, in ``crps_unit``.
    xlabel : what the categories are, with units.
    """
    fig = new_figure(10.0, 4.4)
    cover, crps = fig.subplots(1, 2)
    x = np.arange(len(labels))
    ticks = [f"{label}\n(n={n})" for label, n in zip(labels, observations)]
    for band, ref in ((90, 0.9), (50, 0.5)):
        cover.axhline(ref, color="0.6", ls="--", lw=1)
        cover.text(-0.45, ref, f"nominal {band}%", fontsize=7, va="bottom", ha="left",
                   color="0.3")  # fmt: skip
        for forecast, style in STYLES.items():
            cover.plot(x + DODGE[(forecast, band)], inside[(forecast, band)],
                       marker=BAND_MARKERS[band], ms=6, mec="black", lw=1.5, **style)
    cover.set_ylim(-0.03, 1.05)
    cover.set_ylabel("share of observations inside the band")
    cover.set_title("Coverage of the central 90% and 50% bands", fontsize=9.5)
    for forecast, style in STYLES.items():
        crps.plot(x, mean_crps[forecast], marker="D", ms=6, mec="black", lw=1.5, **style)
    crps.set_ylim(bottom=0)
    crps.set_ylabel(f"mean CRPS ({crps_unit}; lower is better)")
    crps.set_title("Mean CRPS", fontsize=9.5)
    for ax in (cover, crps):
        ax.set_xticks(x, ticks, fontsize=7.5)
        ax.set_xlim(-0.5, max(len(x), 1) - 0.5)
        ax.set_xlabel(xlabel)
        ax.grid(True, color="0.9", lw=0.5)
    handles = [Line2D([], [], marker=BAND_MARKERS[b], ms=6, mec="black", lw=1.5, **STYLES[f])
               for f in STYLES for b in (90, 50)]  # fmt: skip
    names = [f"{f}, {b}% band" for f in STYLES for b in (90, 50)]
    handles += [Line2D([], [], color="0.6", ls="--", lw=1)]
    names += ["nominal coverage (0.9, 0.5)"]
    # below each panel, where no data point can hide behind them
    cover.legend(handles, names, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2),
                 ncol=3, frameon=False)  # fmt: skip
    crps.legend([Line2D([], [], marker="D", ms=6, mec="black", lw=1.5, **STYLES[f])
                 for f in STYLES], ["model", "naive (recent pace carried forward)"],
                fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
                frameon=False)  # fmt: skip
    if not len(labels):
        for ax in (cover, crps):
            ax.text(0.5, 0.5, "no record observation scored", transform=ax.transAxes,
                    ha="center", va="center", fontsize=9)  # fmt: skip
    fig.suptitle(heading, fontsize=10)
    add_caption(fig, caption, width=170)
    return fig
