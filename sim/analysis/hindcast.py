"""Hindcasts: score projections made from the record up to a cut-off against what came later.

Pure functions over arrays. A target's date is the last month it reads (its ``month``, or
the end of a drawdown); targets dated up to the cut-off calibrate, later ones are scored by
whether the observed value falls inside the projected 50% and 90% bands, the interval score
of the 90% band (Gneiting and Raftery 2007: width plus 2/alpha times the miss) and the
continuous ranked probability score (CRPS) of the projected sample against the observed
value (in the target's units; smaller is better; 0 for a point mass at the observed value).
"""

from __future__ import annotations

import numpy as np

from sim.analysis.targets import Target


def target_date(target: Target) -> int:
    """The last month a target reads (month index)."""
    months = [target.month, target.since, target.drawdown_to, target.share_month]
    return max(m for m in months if m is not None)


def split_targets(targets: list[Target], until: int) -> tuple[list[Target], list[Target]]:
    """Targets dated up to ``until`` (month index) and those dated later, in file order."""
    before = [t for t in targets if target_date(t) <= until]
    after = [t for t in targets if target_date(t) > until]
    return before, after


def crps_sample(sample: np.ndarray, observed: float) -> float:
    """Empirical CRPS of ``sample`` (R,) against ``observed``: E|X - y| - E|X - X'| / 2,
    computed exactly from the sorted sample in O(R log R). Same units as the sample."""
    x = np.sort(np.asarray(sample, dtype=float))
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return float("nan")
    first = np.abs(x - observed).mean()
    # sum_{i,j} |x_i - x_j| = 2 sum_i (2i - n - 1) x_(i), i = 1..n
    pairs = 2.0 * np.sum((2.0 * np.arange(1, n + 1) - n - 1) * x) / n**2
    return float(first - 0.5 * pairs)


def interval_score(low: float, high: float, observed: float, alpha: float) -> float:
    """Interval score of the central (1 - alpha) interval [low, high]: its width, plus
    2 / alpha times the distance by which ``observed`` falls outside it."""
    miss = max(low - observed, 0.0) + max(observed - high, 0.0)
    return float(high - low + 2.0 / alpha * miss)


def score_targets(targets: list[Target], predictive: np.ndarray) -> list[dict]:
    """One row per target from its projected sample (column k of ``predictive``, (R, K)):
    the projected p05/p25/p50/p75/p95, whether the observed value is inside the 50% and 90%
    bands, the 90% interval score and the CRPS (both in the target's units)."""
    rows = []
    for k, target in enumerate(targets):
        values = predictive[:, k]
        values = values[np.isfinite(values)]
        q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], method="inverted_cdf")
        y = target.observed
        rows.append({
            "target": target.id, "fact": target.fact, "date": target_date(target),
            "observed": y, "low": target.low, "high": target.high,
            "p05": float(q[0]), "p25": float(q[1]), "p50": float(q[2]), "p75": float(q[3]),
            "p95": float(q[4]),
            "inside_50": bool(q[1] <= y <= q[3]), "inside_90": bool(q[0] <= y <= q[4]),
            "interval_score_90": interval_score(float(q[0]), float(q[4]), y, 0.1),
            "crps": crps_sample(values, y),
        })  # fmt: skip
    return rows


def share_inside(rows: list[dict], key: str) -> float:
    """Share of scored rows with ``key`` true (NaN when there are none)."""
    return float(np.mean([r[key] for r in rows])) if rows else float("nan")
