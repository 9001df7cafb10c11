"""Weighing competing hypotheses by how well each reproduces the record (pure functions).

Each hypothesis' evidence is its ABC acceptance rate at the final tolerance: the share of
parameter sets drawn from its prior whose simulated values fall inside every target's
interval, estimated by importance sampling from ABC-SMC's last generation
(:attr:`sim.analysis.calibrate.Calibration.evidence`). With equal prior odds, the ratio of
two rates is an
approximate Bayes factor, and the rates normalised to sum to 1 are the hypotheses'
posterior weights. Monte Carlo errors are propagated to the weights by the delta method
(each hypothesis' estimate is independent of the others').
"""

from __future__ import annotations

import numpy as np


def evidence_table(labels: list[str], rates: list[float], errors: list[float]) -> list[dict]:
    """One dict per hypothesis: its acceptance rate and Monte Carlo standard error, the
    Bayes factor against the best-fitting hypothesis, and the weight (the weights sum to 1)
    with its standard error.

    Parameters
    ----------
    labels : hypothesis names, H of them.
    rates : each hypothesis' prior acceptance rate at the final tolerance (shares, >= 0).
    errors : their Monte Carlo standard errors (same units).

    Raises
    ------
    ValueError if the lengths differ, a rate is negative or not finite, or every rate is 0.
    """
    rate = np.asarray(rates, dtype=float)
    var = np.asarray(errors, dtype=float) ** 2
    if len(rate) != len(labels) or len(var) != len(labels):
        raise ValueError("each hypothesis needs one acceptance rate and one error")
    if not np.isfinite(rate).all() or (rate < 0).any() or not np.isfinite(var).all():
        raise ValueError(f"acceptance rates must be finite and >= 0, got {list(rates)}")
    total = rate.sum()
    if total <= 0:
        raise ValueError("no hypothesis reproduced the record: every acceptance rate is 0")
    weight = rate / total
    # d w_i / d r_j = (delta_ij - w_i) / total; the hypotheses' estimates are independent
    w_var = ((1 - weight) ** 2 * var + weight**2 * (var.sum() - var)) / total**2
    best = rate.max()
    return [
        {
            "hypothesis": labels[i],
            "acceptance_rate": float(rate[i]), "acceptance_rate_se": float(np.sqrt(var[i])),
            "bayes_factor_vs_best": float(rate[i] / best),
            "weight": float(weight[i]), "weight_se": float(np.sqrt(w_var[i])),
        }
        for i in range(len(labels))
    ]  # fmt: skip


def allocate_rows(weights: list[float], rows: int) -> list[int]:
    """Rows of a mixed posterior per hypothesis: ``rows`` split by ``weights`` (largest
    remainder, so the counts sum to ``rows`` and each is within 1 of its share)."""
    w = np.asarray(weights, dtype=float)
    share = w / w.sum() * rows
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: rows - counts.sum()]] += 1
    return [int(c) for c in counts]
