"""What a calibration's fit rests on: posterior-predictive simulations of the targets, the
fit statistics (each target's band, the joint share inside every interval), prior against
posterior quantiles, and the monthly bands of the fit and record-fit figures. Pure functions
of a :class:`~sim.analysis.calibrate.Calibration` and scenarios, except that the predictive
checks simulate (with their own seed)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.analysis.calibrate import Calibration
from sim.analysis.observe import predict_observations
from sim.analysis.results import FitPanel, SeriesPanel
from sim.analysis.targets import Target
from sim.engine.metrics import VARIABLES
from sim.model.calendar import month_dates
from sim.model.distributions import clip_to_domain
from sim.model.params import Scenario
from sim.model.posterior import Posterior
from sim.runs.run import run_scenario

#: Fit-figure panels: (variable, family, title, y label).
FIT_PANELS = (
    ("lost_confirmed", "all", "Losses, visually confirmed (cumulative)", "tanks"),
    ("active", "all", "Active fleet (all families)", "tanks"),
    ("storage", "all", "Hulls in storage, all families", "tanks"),
    ("storage", "T-62", "T-62 hulls in storage", "tanks"),
)


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


def fit_panels(
    prior_scenario: Scenario, calibrated: Scenario, targets: list[Target], *, reps: int,
    seed: int, engine: str | None = None,
) -> list[FitPanel]:  # fmt: skip
    """Monthly bands of the fit-figure quantities under the prior and the calibration."""
    prior_run = run_scenario(prior_scenario, reps=reps, seed=seed, engine=engine)
    post_run = run_scenario(calibrated, reps=reps, seed=seed, engine=engine)
    dates = month_dates(calibrated.start, calibrated.months)
    slots = {name: i for i, name in enumerate(calibrated.family_names)} | {"all": -1}
    panels = []
    for variable, family, title, ylabel in FIT_PANELS:
        v, f = VARIABLES.index(variable), slots[family]
        observed = [
            (dates[t.month - calibrated.start], t.observed, t.low, t.high, t.id)
            for t in targets
            if t.variables == (variable,) and t.family == family and t.minus is None
            and t.share_of is None and calibrated.start <= t.month <= calibrated.end
        ]  # fmt: skip
        panels.append(FitPanel(title, ylabel, dates, post_run.stats[:, v, f, 1:],
                               prior_run.stats[:, v, f, 1:], observed))  # fmt: skip
    return panels


#: Panel titles of the record series.
SERIES_TITLES = {"T-90": "T-90 (model: T-90 and new-build T-90M)",
                 "unknown": "Type unknown (model: unknown share of all losses)",
                 "total": "All types"}  # fmt: skip


def record_panels(calibrated: Scenario, observed, *, reps: int, seed: int,
                  engine: str | None = None) -> list:  # fmt: skip
    """The record-fit figure's panels: each record series of ``observed``
    (:class:`sim.analysis.results.RecordObservations`) against the calibrated model's monthly
    5-50-95% band (``reps`` replications of ``calibrated``)."""
    from datetime import date, timedelta

    from sim.analysis.observe import series_bands

    bands = series_bands(calibrated, observed.targets, reps=reps, seed=seed, engine=engine)
    ends = [d.replace(day=28) + timedelta(days=4) for d in
            month_dates(calibrated.start, calibrated.months)]  # fmt: skip
    ends = [d - timedelta(days=d.day) for d in ends]  # each month's last day
    fitted = [date.fromisoformat(str(d)) for d in observed.fitted]
    return [
        SeriesPanel(SERIES_TITLES.get(name, name), ends, bands[name],
                    [date.fromisoformat(str(d)) for d in dates], np.asarray(values), fitted)
        for name, dates, values in observed.series if name in bands
    ]  # fmt: skip
