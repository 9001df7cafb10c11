"""The data of a calibration's figures: the fit figure's monthly bands under the prior and
the calibration (:func:`fit_panels`) and the record-fit figure's series
(:func:`record_panels`), as the panels :mod:`sim.figures.calibration` and
:mod:`sim.figures.record_fit` draw. Each simulates (with its own seed); nothing is written."""

from __future__ import annotations

import numpy as np

from sim.analysis.targets import Target
from sim.engine.metrics import VARIABLES
from sim.figures.calibration import FitPanel
from sim.figures.record_fit import SeriesPanel
from sim.model.calendar import month_dates
from sim.model.params import Scenario
from sim.runs.run import run_scenario

#: Fit-figure panels: (variable, family, title, y label).
FIT_PANELS = (
    ("lost_confirmed", "all", "Losses, visually confirmed (cumulative)", "tanks"),
    ("active", "all", "Active fleet (all families)", "tanks"),
    ("storage", "all", "Hulls in storage, all families", "tanks"),
    ("storage", "T-62", "T-62 hulls in storage", "tanks"),
)


def fit_panels(
    prior_scenario: Scenario, calibrated: Scenario, targets: list[Target], *, reps: int,
    seed: int, engine: str | None = None,
) -> list[FitPanel]:  # fmt: skip
    """Monthly bands of the fit-figure quantities under the prior and the calibration: one
    panel per :data:`FIT_PANELS` entry whose family the scenario has."""
    prior_run = run_scenario(prior_scenario, reps=reps, seed=seed, engine=engine)
    post_run = run_scenario(calibrated, reps=reps, seed=seed, engine=engine)
    dates = month_dates(calibrated.start, calibrated.months)
    slots = {name: i for i, name in enumerate(calibrated.family_names)} | {"all": -1}
    panels = []
    for variable, family, title, ylabel in FIT_PANELS:
        if family not in slots:
            continue
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
