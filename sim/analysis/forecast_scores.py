"""Forecasts scored against the naive one, by horizon.

Pure functions over arrays. Each record observation dated after the cut (a group, a date,
an observed count) is scored twice: against the model's projected sample at its date and
against the naive forecast's (:mod:`sim.analysis.naive`). Per observation: the p05-p95 of
each, whether the observed count lies inside each one's central 50% and 90% bands, each
one's CRPS (counts; smaller is better) and the horizon in months from the cut. Aggregated
over horizon buckets and overall: the share inside each band, the mean CRPS of each and the
CRPS skill ``1 - mean CRPS model / mean CRPS naive`` (positive: the model beats the naive
forecast; 0: no better; negative: worse).
"""

from __future__ import annotations

import math

import numpy as np

from sim.analysis.hindcast import QUANTILE_NAMES, sample_scores
from sim.analysis.naive import MONTH_DAYS, day_numbers

#: Edges of the horizon buckets, months after the cut: (0, 3], (3, 6], (6, 12], (12, 24] and
#: beyond 24. Structural: a quarter, a half year, a year, two years.
HORIZON_EDGES = (0, 3, 6, 12, 24)
#: The two forecasts every row scores, in column order.
FORECASTS = ("model", "naive")
#: Columns of scores.csv, one row per later observation.
SCORE_COLUMNS = (
    ("group", "date", "horizon_months", "observed")
    + tuple(f"{f}_{q}" for f in FORECASTS for q in QUANTILE_NAMES)
    + tuple(f"{f}_inside_{b}" for f in FORECASTS for b in (50, 90))
    + tuple(f"{f}_crps" for f in FORECASTS)
)
#: Columns of horizon.csv (and cuts.csv after its cut columns), one row per bucket.
AGGREGATE_COLUMNS = ("observations", "model_inside_90", "naive_inside_90", "model_inside_50",
                     "naive_inside_50", "model_mean_crps", "naive_mean_crps",
                     "crps_skill")  # fmt: skip


def horizon_months(dates, cut) -> np.ndarray:
    """Months (of :data:`~sim.analysis.naive.MONTH_DAYS` days) from ``cut`` to each of
    ``dates`` (K,) datetime64[D]; (K,) floats."""
    return (day_numbers(dates) - day_numbers([cut])[0]) / MONTH_DAYS


def score_forecasts(
    groups, dates, observed, model: np.ndarray, naive: np.ndarray, cut
) -> list[dict]:
    """One row per later observation, the model and the naive forecast side by side.

    Parameters
    ----------
    groups : (K,) group names (family, "unknown", or "all").
    dates : (K,) datetime64[D] observation dates, after ``cut``.
    observed : (K,) observed cumulative counts.
    model : (R, K) the model's projected values at each observation (counts).
    naive : (R2, K) the naive forecast's sample at each observation (counts).
    cut : datetime64[D], the last day the forecasts saw.

    Returns
    -------
    Dicts with the keys of :data:`SCORE_COLUMNS`; the date as ``YYYY-MM-DD``, the horizon in
    months (2 decimals), CRPS in counts.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    ahead = horizon_months(dates, cut)
    rows = []
    for k in range(len(dates)):
        y = float(observed[k])
        row = {"group": str(groups[k]), "date": str(dates[k]),
               "horizon_months": round(float(ahead[k]), 2), "observed": y}  # fmt: skip
        scores = {"model": sample_scores(model[:, k], y), "naive": sample_scores(naive[:, k], y)}
        for f in FORECASTS:
            row |= {f"{f}_{q}": scores[f][q] for q in QUANTILE_NAMES}
        for f in FORECASTS:
            row |= {f"{f}_inside_50": scores[f]["inside_50"],
                    f"{f}_inside_90": scores[f]["inside_90"]}  # fmt: skip
        row |= {f"{f}_crps": scores[f]["crps"] for f in FORECASTS}
        rows.append(row)
    return rows


def since_anchor(observed, model, naive, anchor: np.ndarray, model_anchor: np.ndarray):
    """The losses since the cut instead of the cumulative counts: ``observed`` (K,),
    ``model`` (R, K) and ``naive`` (R2, K) less each observation's anchor, the record's count
    at the last snapshot up to the cut (``anchor`` (K,)) and, for the model, its own value
    there in the same replication (``model_anchor`` (R, K)). The naive forecast starts from
    the record's count, so its scores do not change; the model's then measure its pace after
    the cut, not the level its calibrated past reached by then."""
    anchor = np.asarray(anchor, dtype=float)
    return np.asarray(observed, float) - anchor, model - model_anchor, naive - anchor


def crps_skill(model_crps: float, naive_crps: float) -> float:
    """``1 - model / naive`` (NaN when the naive CRPS is 0 or either is NaN)."""
    if not naive_crps > 0 or math.isnan(model_crps):
        return float("nan")
    return 1.0 - model_crps / naive_crps


def aggregate(rows: list[dict]) -> dict:
    """Shares inside the 50% and 90% bands, mean CRPS (counts) of the model and the naive
    forecast over ``rows``, and the CRPS skill; NaN for no rows."""
    if not rows:
        return {"observations": 0} | {c: float("nan") for c in AGGREGATE_COLUMNS[1:]}

    def mean(key: str) -> float:
        return float(np.mean([r[key] for r in rows]))

    out = {"observations": len(rows)}
    for band in (90, 50):
        out |= {f"{f}_inside_{band}": mean(f"{f}_inside_{band}") for f in FORECASTS}
    out |= {f"{f}_mean_crps": mean(f"{f}_crps") for f in FORECASTS}
    out["crps_skill"] = crps_skill(out["model_mean_crps"], out["naive_mean_crps"])
    return out


def bucket_label(low: float, high: float | None) -> str:
    """``"0-3"``, ``"24+"``: a bucket's name, months."""
    return f"{low:g}+" if high is None else f"{low:g}-{high:g}"


def horizon_table(rows: list[dict], edges=HORIZON_EDGES) -> list[dict]:
    """:func:`aggregate` per horizon bucket holding any row (``low < horizon <= high``;
    the last bucket open-ended), then over all rows (``horizon`` = "all").

    Returns dicts with ``horizon`` (the bucket's label), ``from_months``, ``to_months``
    (None for the open bucket) and the keys of :data:`AGGREGATE_COLUMNS`.
    """
    bounds = list(zip(edges, [*edges[1:], None]))
    table = []
    for low, high in bounds:
        inside = [r for r in rows if low < r["horizon_months"] and
                  (high is None or r["horizon_months"] <= high)]  # fmt: skip
        if inside:
            table.append({"horizon": bucket_label(low, high), "from_months": low,
                          "to_months": high} | aggregate(inside))  # fmt: skip
    table.append({"horizon": "all", "from_months": edges[0], "to_months": None} | aggregate(rows))
    return table
