"""How the headline percentiles move as replications grow: is N enough?

For each headline metric, the p05, p50 and p95 over the first N/16, N/8, N/4, N/2 and N
replications, each with a distribution-free 95% interval from order statistics: the ranks
``l`` and ``u`` are the binomial(n, q) 2.5% and 97.5% quantiles, and the interval is
``[x_(l), x_(u)]`` (Conover, *Practical Nonparametric Statistics*, 3rd ed., 1999, sec. 3.2).
The interval assumes independent replications; under Latin hypercube or Sobol' sampling it
is conservative. ``width`` is the widest of the three intervals at N as a share of the
spread p95 - p05; a metric is *settled* when that is at most :data:`SETTLED_WIDTH` (5%): each
percentile is then pinned down to within a twentieth of the spread of outcomes, and more
replications would refine it by less. The values at N/16 .. N/2 show how it got there.

Month metrics count "never" (the event does not happen within the horizon) as later than
every month, as :mod:`sim.analysis.summary` does; a percentile or bound that falls among those
replications is reported as None.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.engine.metrics import NEVER

#: Shares of the replications at which the percentiles are taken.
FRACTIONS: tuple[float, ...] = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
#: Percentiles followed, as (name, quantile).
PERCENTILES: tuple[tuple[str, float], ...] = (("p05", 0.05), ("p50", 0.5), ("p95", 0.95))
#: Fewest replications in a prefix for it to be reported.
MIN_REPS = 20
CONFIDENCE = 0.95
#: Widest 95% interval, as a share of p95 - p05, for a metric to count as settled.
SETTLED_WIDTH = 0.05


def quantile_interval(
    values: np.ndarray, q: float, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """The ``q`` quantile of ``values`` (inverted CDF, as in the summaries) and its
    distribution-free ``confidence`` interval from order statistics, as (estimate, low, high).
    """
    from scipy import stats  # here, not at import: summaries load without scipy.stats

    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    if n == 0:
        raise ValueError("no values")
    tail = (1 - confidence) / 2
    low_rank = int(stats.binom.ppf(tail, n, q))  # 1-based rank of the lower bound
    high_rank = int(stats.binom.ppf(1 - tail, n, q)) + 1
    low_rank, high_rank = max(low_rank, 1), min(high_rank, n)
    estimate = float(np.quantile(ordered, q, method="inverted_cdf"))
    return estimate, float(ordered[low_rank - 1]), float(ordered[high_rank - 1])


def prefix_sizes(reps: int) -> list[int]:
    """Replication counts at which the percentiles are taken (at least :data:`MIN_REPS`)."""
    sizes = sorted({max(1, round(reps * f)) for f in FRACTIONS})
    return [n for n in sizes if n >= MIN_REPS or n == reps]


def metric_convergence(values: np.ndarray, label: Callable[[float], object]) -> dict:
    """Percentiles and intervals of one metric over growing prefixes of ``values``.

    ``label`` turns a numeric value into output (a count, or a month string or None).
    Returns ``{"reps": [...], "p05": {"value": [...], "ci95": [[lo, hi], ...]}, ...,
    "width": share or None, "settled": bool}``; ``width`` is None when p95 = p05.
    """
    sizes = prefix_sizes(len(values))
    out: dict = {"reps": sizes}
    final = {}
    for name, q in PERCENTILES:
        rows = [quantile_interval(values[:n], q) for n in sizes]
        final[name] = rows[-1]
        out[name] = {
            "value": [label(est) for est, _, _ in rows],
            "ci95": [[label(lo), label(hi)] for _, lo, hi in rows],
        }
    widest = max(high - low for _, low, high in final.values())
    spread = final["p95"][0] - final["p05"][0]
    out["width"] = widest / spread if spread > 0 else None
    out["settled"] = bool(widest <= SETTLED_WIDTH * spread)
    return out


def convergence(
    metrics: dict[str, np.ndarray],
    months: int,
    month_label: Callable[[int], str],
    *,
    count_metrics: tuple[str, ...],
    month_metrics: tuple[str, ...],
) -> dict:
    """Convergence of every headline metric present in ``metrics`` (each shape (N,)).

    Month metrics are indices from the scenario start with :data:`~sim.engine.metrics.NEVER` for
    never; ``months`` is the horizon length and ``month_label`` formats an index.
    """

    def count(x: float) -> float:
        return float(x)

    def month(x: float) -> str | None:
        return month_label(int(x)) if x < months else None

    out: dict = {}
    for name in count_metrics:
        if name in metrics:
            out[name] = metric_convergence(np.asarray(metrics[name], dtype=float), count)
    for name in month_metrics:
        if name in metrics:
            values = np.asarray(metrics[name])
            later = np.where(values == NEVER, months, values).astype(float)
            out[name] = metric_convergence(later, month)
    return out


def convergence_summary(
    metrics: dict[str, np.ndarray],
    months: int,
    month_label: Callable[[int], str],
    *,
    count_metrics: tuple[str, ...],
    month_metrics: tuple[str, ...],
) -> dict | None:
    """The ``convergence`` section of summary.json, or None with fewer than
    :data:`MIN_REPS` replications."""
    reps = len(next(iter(metrics.values())))
    if reps < MIN_REPS:
        return None
    return {
        "method": "p05/p50/p95 over the first N/16, N/8, N/4, N/2 and N replications, "
        "each with a 95% order-statistic interval; width = the widest interval at N as a "
        f"share of p95 - p05; settled = width at most {SETTLED_WIDTH:.0%}",
        "metrics": convergence(
            metrics, months, month_label, count_metrics=count_metrics, month_metrics=month_metrics
        ),
    }
