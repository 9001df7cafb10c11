"""What a calibration's fit rests on: posterior-predictive simulations of the targets, the
fit statistics (each target's band, the joint share inside every interval), prior against
posterior quantiles. Pure functions
of a :class:`~sim.analysis.calibrate.Calibration` and scenarios, except that the predictive
checks simulate (with their own seed)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.analysis.calibrate import Calibration
from sim.analysis.observe import predict_observations
from sim.analysis.targets import Target
from sim.model.distributions import clip_to_domain
from sim.model.params import Scenario
from sim.model.posterior import Posterior


def with_posterior(scenario: Scenario, cal: Calibration, rows: np.ndarray, path: str) -> Scenario:
    """``scenario`` drawing ``cal.names`` jointly from ``rows`` (N, D)."""
    posterior = Posterior(path=path, names=cal.names, values=rows, overridden=(), sha256="")
    return replace(scenario, posterior=posterior)


def posterior_predictive(
    scenario: Scenario, targets: list[Target], *, reps: int, seed: int,
    engine: str | None = None,
) -> np.ndarray:  # fmt: skip
    """(reps, K) model values of each target under ``scenario``'s own parameter draws
    (``engine``: ``numpy`` or ``compiled``, None for the default; the same numbers)."""
    return predict_observations(scenario, targets, reps=reps, seed=seed, engine=engine)


def fit_rows(targets: list[Target], predictive: np.ndarray) -> list[dict]:
    """One row per target: observed and interval vs the model's p05/p50/p95."""
    rows = []
    for k, target in enumerate(targets):
        values = predictive[:, k]
        values = values[np.isfinite(values)]
        p05, p50, p95 = np.quantile(values, [0.05, 0.5, 0.95], method="inverted_cdf")
        rows.append({
            "target": target.id, "fact": target.fact, "quantity": target.describe(),
            "observed": target.observed, "low": target.low, "high": target.high,
            "p05": float(p05), "p50": float(p50), "p95": float(p95),
            "inside_90": bool(p05 <= target.observed <= p95),
            "share_in_interval": float(np.mean((predictive[:, k] >= target.low)
                                               & (predictive[:, k] <= target.high))),
        })  # fmt: skip
    return rows


def joint_share_in_intervals(targets: list[Target], predictive: np.ndarray) -> float:
    """Posterior predictive check: the share of replications (rows of ``predictive``,
    (R, K)) whose value lies inside every target's interval at once."""
    low = np.array([t.low for t in targets])
    high = np.array([t.high for t in targets])
    return float(np.mean(((predictive >= low) & (predictive <= high)).all(axis=1)))


def prior_quantiles(scenario: Scenario, names: tuple[str, ...]) -> np.ndarray:
    """(D, 3) prior p05, p50, p95 of each parameter, in its own units."""
    params = scenario.params()
    q = np.array([0.05, 0.5, 0.95])
    return np.array([clip_to_domain(params[n].dist.quantile(q), params[n].domain) for n in names])


def prior_posterior_rows(scenario: Scenario, names: tuple[str, ...], rows: np.ndarray):
    """One row per parameter: prior and posterior p05/p50/p95 and the ratio of their 90%
    widths (small = pinned down by the record; near 1 = left open)."""
    prior = prior_quantiles(scenario, names)
    post = np.quantile(rows, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf").T
    out = []
    for d, name in enumerate(names):
        width = prior[d, 2] - prior[d, 0]
        ratio = (post[d, 2] - post[d, 0]) / width if width > 0 else float("nan")
        out.append([name, *prior[d], *post[d], ratio])
    return out, prior, post
