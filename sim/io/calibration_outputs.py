"""Tables and figure data of a calibration: fit to each target, prior vs posterior, and the
calibrated scenario file. Pure functions of a :class:`~sim.analysis.calibrate.Calibration`, except
that the posterior-predictive checks simulate (with their own seed)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim.analysis.calibrate import Calibration
from sim.analysis.targets import Target, model_values, target_probes
from sim.engine.metrics import VARIABLES
from sim.figures.calibration import FitPanel
from sim.figures.style import month_dates
from sim.model.calendar import format_month
from sim.model.distributions import clip_to_domain
from sim.model.params import Scenario
from sim.model.posterior import Posterior
from sim.runs.ensemble import run_ensemble
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

FIT_COLUMNS = ("target", "fact", "quantity", "observed", "low", "high", "p05", "p50", "p95",
               "inside_90")  # fmt: skip
PRIOR_POSTERIOR_COLUMNS = ("parameter", "prior_p05", "prior_p50", "prior_p95", "posterior_p05",
                           "posterior_p50", "posterior_p95", "width_ratio")  # fmt: skip
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
    scenario: Scenario, targets: list[Target], *, reps: int, seed: int
) -> np.ndarray:
    """(reps, K) model values of each target under ``scenario``'s own parameter draws."""
    probes, slices = target_probes(targets)
    values = draw_params(scenario, seed=seed, first_rep=0, reps=reps)
    ensemble = run_ensemble(scenario, values, seed=seed, probes=probes)
    return model_values(targets, slices, ensemble.probes)


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
        })  # fmt: skip
    return rows


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
    prior_scenario: Scenario, calibrated: Scenario, targets: list[Target], *, reps: int, seed: int
) -> list[FitPanel]:
    """Monthly bands of the fit-figure quantities under the prior and the calibration."""
    prior_run = run_scenario(prior_scenario, reps=reps, seed=seed)
    post_run = run_scenario(calibrated, reps=reps, seed=seed)
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


def calibrated_toml(source: Path, target_folder: Path, description: str) -> str:
    """A scenario file extending ``source`` that draws from the posterior beside it."""
    relative = os.path.relpath(source.resolve(), target_folder.resolve())
    return (
        "# Written by `tanksim calibrate`: the input scenario, with its calibrated parameters\n"
        "# drawn jointly from posterior.csv (see posterior.json for the targets and seed).\n"
        f'extends = "{Path(relative).as_posix()}"\n'
        f"description = {_toml_string(description)}\n"
        'posterior = "posterior.csv"\n'
    )


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def month_label(month: int) -> str:
    return format_month(month)
