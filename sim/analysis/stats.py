"""The one summariser of per-replication metrics: mean and exact percentiles.

Every place that summarises a headline metric over replications (``summary.json``, sweeps,
reports, comparisons) calls these, so "never" enters every summary the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.engine.metrics import NEVER
from sim.runs.reduce import QUANTILES, STAT_NAMES


def count_stats(values: np.ndarray) -> dict[str, float]:
    """Mean and inverted-CDF p05, p25, p50, p75, p95 of a count over replications.

    Parameters
    ----------
    values : (R,) array of counts (tanks, or shares), one per replication.
    """
    qs = np.quantile(values, QUANTILES, method="inverted_cdf")
    return {"mean": float(values.mean()), **{n: float(q) for n, q in zip(STAT_NAMES[1:], qs)}}


def month_stats(
    values: np.ndarray, months: int, label: Callable[[int], object] = int
) -> dict[str, object]:
    """Mean and percentiles of an event month over replications, plus ``never_share``.

    "Never" (:data:`~sim.engine.metrics.NEVER`) counts as later than every month, so a
    percentile that falls among those replications is ``None``; ``mean`` is over the
    replications in which the event happens (``None`` if it never does).

    Parameters
    ----------
    values : (R,) int array of month indices from the start, or ``NEVER``.
    months : horizon length in months.
    label : turns a month index into the output value (default: the index itself).
    """
    happened = values != NEVER
    later = np.where(happened, values, months + 1)
    qs = np.quantile(later, QUANTILES, method="inverted_cdf")
    out = {"mean": label(round(values[happened].mean())) if happened.any() else None}
    for name, q in zip(STAT_NAMES[1:], qs):
        out[name] = label(int(q)) if q < months else None
    out["never_share"] = float(1 - happened.mean())
    return out
