"""A run in memory as :class:`~sim.analysis.results.RunData`: its trajectory statistics,
per-replication metrics, summary and manifest, computed once, for the files, figures and
report sections that present it (:func:`sim.io.report.read_run` reads the same back from a
results folder). Imports no matplotlib."""

from __future__ import annotations

import numpy as np

from sim.analysis.results import RunData
from sim.analysis.summary import summary
from sim.engine.metrics import VARIABLES
from sim.model.facts import Fact
from sim.present.manifest import run_manifest
from sim.runs.run import RunResult


def run_data(result: RunResult, facts: dict[str, Fact]) -> RunData:
    """The figure data of a run in memory (its manifest cites ``facts``)."""
    scen = result.scenario
    return RunData(
        name=scen.name,
        description=scen.description,
        start=scen.start,
        reps=result.reps,
        seed=result.seed,
        deterministic=result.deterministic,
        families=scen.family_names + ("all",),
        variables=tuple(VARIABLES),
        stats=np.asarray(result.stats, dtype=float),
        summary=summary(result),
        manifest=run_manifest(result, facts),
        metrics=dict(result.metrics),
    )
