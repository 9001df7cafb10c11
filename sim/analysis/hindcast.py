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

from sim.analysis.naive import CountSeries
from sim.analysis.targets import Target
from sim.runs.ensemble import ALL


def target_date(target: Target) -> int:
    """The last month a target reads (month index)."""
    months = [target.month, target.since, target.drawdown_to, target.share_month]
    return max(m for m in months if m is not None)


def month_end(month: int) -> np.datetime64:
    """The last day of ``month`` (month index) as datetime64[D]: the date of a month-dated
    figure, since the model's stocks and cumulative flows are read at the end of a month."""
    year, month0 = divmod(int(month) + 1, 12)
    return np.datetime64(f"{year:04d}-{month0 + 1:02d}-01") - np.timedelta64(1, "D")


def confirmed_record(targets: list[Target]) -> tuple[CountSeries | None, list[Target]]:
    """The confirmed-loss record among ``targets``: every ``lost_confirmed`` total (family
    "all", no change or share) as one group "all", dated at the end of its month, in date
    order; and those targets in that order. (None, []) when there is none."""
    oryx = sorted((t for t in targets if t.variables == ("lost_confirmed",) and t.family == ALL
                   and t.minus is None and t.share_of is None), key=lambda t: t.month)  # fmt: skip
    if not oryx:
        return None, []
    dates = np.array([month_end(t.month) for t in oryx], dtype="datetime64[D]")
    counts = np.array([[t.observed] for t in oryx])
    return CountSeries(dates, (ALL,), counts), oryx


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


#: The projected quantiles every scored row carries, and their column names.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_NAMES = ("p05", "p25", "p50", "p75", "p95")


def sample_scores(sample: np.ndarray, observed: float) -> dict:
    """A projected ``sample`` (R,) against ``observed``: its p05/p25/p50/p75/p95, whether
    ``observed`` is inside the central 50% (p25-p75) and 90% (p05-p95) bands, and the CRPS
    (same units as the sample). Non-finite values are dropped."""
    values = np.asarray(sample, dtype=float)
    values = values[np.isfinite(values)]
    q = np.quantile(values, QUANTILES, method="inverted_cdf")
    return {
        **dict(zip(QUANTILE_NAMES, map(float, q))),
        "inside_50": bool(q[1] <= observed <= q[3]), "inside_90": bool(q[0] <= observed <= q[4]),
        "crps": crps_sample(values, observed),
    }  # fmt: skip


def score_targets(targets: list[Target], predictive: np.ndarray) -> list[dict]:
    """One row per target from its projected sample (column k of ``predictive``, (R, K)):
    the projected p05/p25/p50/p75/p95, whether the observed value is inside the 50% and 90%
    bands, the 90% interval score and the CRPS (both in the target's units)."""
    rows = []
    for k, target in enumerate(targets):
        y = target.observed
        scores = sample_scores(predictive[:, k], y)
        rows.append({
            "target": target.id, "fact": target.fact, "date": target_date(target),
            "observed": y, "low": target.low, "high": target.high,
            **{name: scores[name] for name in QUANTILE_NAMES},
            "inside_50": scores["inside_50"], "inside_90": scores["inside_90"],
            "interval_score_90": interval_score(scores["p05"], scores["p95"], y, 0.1),
            "crps": scores["crps"],
        })  # fmt: skip
    return rows


def share_inside(rows: list[dict], key: str) -> float:
    """Share of scored rows with ``key`` true (NaN when there are none)."""
    return float(np.mean([r[key] for r in rows])) if rows else float("nan")
