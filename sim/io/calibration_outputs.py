"""Tables, figure data and the folder of a calibration: fit to each target, prior vs
posterior, the calibrated scenario file. Pure functions of a
:class:`~sim.analysis.calibrate.Calibration`, except that the posterior-predictive checks
simulate (with their own seed) and :func:`write_calibration` writes files."""

from __future__ import annotations

import math
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.calibrate import Calibration
from sim.analysis.observe import predict_observations
from sim.analysis.targets import Target
from sim.engine.metrics import VARIABLES
from sim.figures.calibration import FitPanel
from sim.figures.style import DPI, month_dates
from sim.model.distributions import clip_to_domain
from sim.model.loader import merge_chain, read_chain
from sim.model.params import Scenario
from sim.model.posterior import Posterior
from sim.runs.run import run_scenario

if TYPE_CHECKING:
    from sim.api.calibration import CalibrationRun

FIT_COLUMNS = ("target", "fact", "quantity", "observed", "low", "high", "p05", "p50", "p95",
               "inside_90", "share_in_interval")  # fmt: skip
COVERAGE_COLUMNS = ("series", "observations", "inside_50", "inside_90", "coverage_50",
                    "coverage_90")  # fmt: skip
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
    (:class:`sim.api.calibration.RecordObservations`) against the calibrated model's monthly
    5-50-95% band (``reps`` replications of ``calibrated``)."""
    from datetime import date, timedelta

    from sim.analysis.observe import series_bands
    from sim.figures.record_fit import SeriesPanel

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


def calibrated_toml(source: Path, description: str) -> str:
    """A self-contained scenario file: ``source`` with every file it extends merged in (so
    it survives its folder being moved), drawing the calibrated parameters from the
    ``posterior.csv`` beside it.

    Raises ValueError if the merged scenario cannot be written as TOML that reads back the
    same (it always can for a scenario the loader accepted).
    """
    raw, _ = merge_chain(read_chain(source))
    raw = {k: v for k, v in raw.items() if k not in ("description", "posterior")}
    files = " <- ".join(str(p.resolve()) for p, _ in reversed(read_chain(source)))
    body = toml_text(raw)
    if tomllib.loads(body) != raw:
        raise ValueError(f"{source}: the merged scenario does not survive a TOML round trip")
    return (
        "# Written by `tanksim calibrate`: the input scenario, merged from\n"
        f"# {files}\n"
        "# with its calibrated parameters drawn jointly from posterior.csv (see posterior.json\n"
        "# for the targets, the seed, distinct sets and effective sample size).\n"
        f"description = {_toml_value(description)}\n"
        'posterior = "posterior.csv"\n' + body
    )


def toml_text(data: dict, prefix: str = "") -> str:
    """TOML text of a scenario's plain tables (strings, numbers, booleans, lists and
    tables; a parameter table, with ``dist`` or ``value``, inline)."""
    scalars, tables = [], []
    for key, value in data.items():
        name = _toml_key(key)
        if isinstance(value, dict) and value and not ({"dist", "value"} & value.keys()):
            tables.append(toml_text(value, f"{prefix}{name}."))
        else:
            scalars.append(f"{name} = {_toml_value(value)}")
    head = f"\n[{prefix[:-1]}]\n" if prefix and scalars else ""
    return head + "".join(f"{line}\n" for line in scalars) + "".join(tables)


def _toml_key(key: str) -> str:
    bare = key and all(c.isalnum() or c in "-_" for c in key) and key.isascii()
    return key if bare else _toml_value(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be written to a scenario file")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    raise ValueError(f"{value!r} cannot be written to a scenario file")


def write_calibration(folder: Path, run: CalibrationRun) -> None:
    """Write a calibration's files into an existing ``folder``: posterior.csv (+ .json),
    calibrated.toml, fit.csv, fit.png, prior_posterior.csv, prior_posterior.png,
    generations.csv, manifest.json and, for a scenario naming hypotheses, evidence.json."""
    from sim.figures.calibration import fit_figure, prior_posterior_figure
    from sim.io.output import write_csv, write_json
    from sim.model.posterior import write_posterior

    cal = run.calibration
    write_posterior(folder / "posterior.csv", cal.names, run.rows, run.meta)
    (folder / "calibrated.toml").write_text(calibrated_toml(run.source, run.description))
    write_csv(folder / "fit.csv", FIT_COLUMNS, [list(r.values()) for r in run.fit])
    write_csv(folder / "prior_posterior.csv", PRIOR_POSTERIOR_COLUMNS, run.prior_posterior)
    write_csv(folder / "generations.csv", ("epsilon", "proposed", "accepted", "fit_all", "ess"),
              [list(g.__dict__.values()) for g in cal.generations])  # fmt: skip
    write_json(folder / "manifest.json", run.provenance | run.meta | {"fit": run.fit})
    if run.evidence is not None:
        write_json(folder / "evidence.json", run.evidence)
    if run.coverage:
        write_csv(folder / "coverage.csv", COVERAGE_COLUMNS,
                  [[r[c] for c in COVERAGE_COLUMNS] for r in run.coverage])  # fmt: skip
    write_csv(folder / "sources.csv", ("source", "observations", "outside_90", "targets_outside"),
              [[r["source"], r["observations"], len(r["outside_90"]), " ".join(r["outside_90"])]
               for r in run.sources])  # fmt: skip
    if run.record_panels:
        from sim.figures.record_fit import record_fit_figure

        record_fit_figure(run.record_panels, run.record_caption,
                          f"'{run.name}' calibrated, against Oryx's confirmed losses by type"
                          ).savefig(folder / "record-fit.png", dpi=DPI, bbox_inches="tight")
    fit_figure(run.panels, run.caption, run.fit_heading).savefig(
        folder / "fit.png", dpi=DPI, bbox_inches="tight")  # fmt: skip
    prior_posterior_figure(
        list(cal.names), run.prior_q, run.posterior_q, run.caption,
        "What the record pins down: posterior vs prior, per parameter",
    ).savefig(folder / "prior_posterior.png", dpi=DPI, bbox_inches="tight")  # fmt: skip
