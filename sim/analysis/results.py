"""The result types of the analyses: plain frozen data, made by the layers below and the api,
written by :mod:`sim.io`, formatted by :mod:`sim.present` and drawn by :mod:`sim.figures`.

They live here, at the layer that computes them, so that io and present format results
without importing the api that orchestrates them. Each is re-exported by :mod:`sim.api`.
Counts are tanks; months are indices ``year * 12 + month - 1`` unless a field says
otherwise. Imports no matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.metrics import MONTH_METRICS
from sim.model.calendar import month_dates

if TYPE_CHECKING:
    from sim.analysis.calibrate import Calibration
    from sim.analysis.condition import Condition
    from sim.analysis.discover import Discovery
    from sim.analysis.morris import MorrisIndices
    from sim.analysis.sensitivity import SobolIndices
    from sim.model.params import Scenario

#: The month metrics drawn as ECDFs, in legend order (others present are added after).
KEY_MONTHS = ("storage_exhausted", "refurb_below_half", "active_down_25")


@dataclass(frozen=True)
class RecordObservations:
    """Targets read from a loss record (:mod:`sim.analysis.record_targets`) and where they
    came from: ``path``, its ``sha256`` and its first and last snapshot dates."""

    targets: list
    path: str
    sha256: str
    first_snapshot: str
    last_snapshot: str
    #: (series, snapshot dates (N,) datetime64[D], cumulative confirmed (N,)) per group.
    series: tuple = ()
    #: The snapshot dates (N,) whose periods are targets.
    fitted: np.ndarray | None = None

    def meta(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "first_snapshot": self.first_snapshot,
                "last_snapshot": self.last_snapshot, "targets": len(self.targets)}  # fmt: skip


@dataclass(frozen=True, eq=False)
class CalibrationRun:
    """Everything a calibration folder holds, from :func:`sim.api.calibration.calibrate`.

    ``calibration`` is the weighted particles; ``rows`` (R, D) the equal-weight rows written
    to posterior.csv, resampled from them (``distinct`` of them different; ``ess`` the
    particles' effective sample size); ``fit`` one dict per target (observed, interval, the
    calibrated p05/p50/p95, ``inside_90``); ``converged`` is True only when ABC-SMC collected
    every particle it was asked for *and* every observed value lies inside the calibrated
    90% band. ``meta`` is posterior.json; ``panels``, ``prior_q``/``posterior_q`` (D, 3) and
    ``prior_posterior`` the figures' and tables' data.
    """

    source: Path
    name: str
    description: str
    calibration: Calibration
    rows: np.ndarray
    distinct: int
    fit: list[dict]
    converged: bool
    prior_posterior: list
    prior_q: np.ndarray
    posterior_q: np.ndarray
    panels: list
    caption: str
    meta: dict = field(default_factory=dict)
    #: manifest.json but its details (:func:`sim.present.manifest.manifest`).
    provenance: dict = field(default_factory=dict)
    evidence: dict | None = None
    #: Posterior predictive coverage of each record series
    #: (:func:`sim.analysis.observe.band_coverage`).
    coverage: list = field(default_factory=list)
    #: Per source, its observations outside the calibrated 90% band
    #: (:func:`sim.analysis.observe.rejected_by_source`).
    sources: list = field(default_factory=list)
    #: The record-fit figure's panels (empty without a record).
    record_panels: list = field(default_factory=list)
    record_caption: str = ""

    @property
    def ess(self) -> float:
        return self.calibration.ess

    @property
    def outside(self) -> list[str]:
        """Targets whose observed value lies outside the calibrated 90% band."""
        return [r["target"] for r in self.fit if not r["inside_90"]]

    @property
    def sets_phrase(self) -> str:
        """How many parameter sets the posterior really holds, in words."""
        particles = len(self.calibration.values)
        return (f"{len(self.rows):,} rows resampled from {particles:,} particles "
                f"({self.distinct:,} distinct sets, effective sample size "
                f"{self.ess:,.0f})")  # fmt: skip

    @property
    def fit_heading(self) -> str:
        joint = self.meta.get("joint_share_in_intervals")
        check = "" if joint is None else (f";\n{joint:.0%} of fresh calibrated replications "
                                          "fall inside every target's interval at once")
        return (f"Calibration of '{self.name}' to the record: {self.sets_phrase}, "
                f"seed {self.calibration.seed}{check}")  # fmt: skip


@dataclass(frozen=True)
class HypothesisFit:
    """The hypotheses of a calibration: ``labels`` (H,), ``selections`` ({group: variant}
    each), ``evidence`` (one dict each, :func:`sim.analysis.evidence.evidence_table`),
    ``counts`` (rows of the mixed posterior each), ``variants`` (group -> name ->
    {sources, note}) and ``priors`` (each hypothesis' {parameter: its prior described})."""

    labels: tuple[str, ...]
    selections: tuple[dict, ...]
    evidence: list
    counts: tuple[int, ...]
    variants: dict
    priors: tuple[dict, ...] = ()
    #: Each hypothesis' own equal-weight rows (R, D) resampled from its particles alone
    #: (None for one that fitted nothing): its projections use these, not its share of
    #: the mixture, which for a light hypothesis is a few dozen rows.
    own_rows: tuple = ()


@dataclass(frozen=True)
class HindcastRun:
    """A hindcast: ``until`` (month index) the cut-off; ``fitted`` the targets calibrated
    on; ``rows`` one dict per later target (:func:`sim.analysis.hindcast.score_targets`);
    ``summary`` the shares inside the 50% and 90% bands and the mean scores; ``meta`` what
    hindcast.json records besides; ``caption`` the figure's sources; ``forecast_rows`` one
    dict per later record observation, model and naive forecast side by side
    (:func:`sim.analysis.forecast_scores.score_forecasts`), ``horizon`` their aggregates by
    horizon bucket and overall (:func:`sim.analysis.forecast_scores.horizon_table`) and
    ``forecast_note`` why there are none, if so; ``record_caption`` the record's sources,
    for the score figures."""

    source: Path
    name: str
    until: int
    fitted: tuple[str, ...]
    rows: list
    summary: dict
    caption: str
    meta: dict = field(default_factory=dict)
    #: manifest.json but its details (:func:`sim.present.manifest.manifest`).
    provenance: dict = field(default_factory=dict)
    forecast_rows: list = field(default_factory=list)
    horizon: list = field(default_factory=list)
    forecast_note: str = ""
    record_caption: str = ""
    #: ``forecast_rows`` and ``horizon`` scored on the losses since the last record snapshot
    #: up to the cut (:func:`sim.analysis.forecast_scores.since_anchor`): the model's pace
    #: after the cut, apart from the level its calibrated past reached by then.
    since_rows: list = field(default_factory=list)
    since_horizon: list = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """A global sensitivity analysis of one scenario, from :func:`sim.api.sobol` or
    :func:`sim.api.morris`.

    ``indices`` is the library's result: a :class:`sim.analysis.sensitivity.SobolIndices` when
    ``method`` is ``"sobol"`` (``first`` and ``total`` indices, shares of the outcome's
    variance, with ``*_low``/``*_high`` 95% bootstrap bounds; ``random_flows`` (S,), the
    share of the variance due to the model's own random flows), or a
    :class:`~sim.analysis.morris.MorrisIndices` when ``"morris"`` (``mu_star`` with bounds,
    ``mu``, ``sigma``, in the outcome's units per step of half an input's probability range).
    Its arrays are (S, d): outcome ``indices.outcomes[s]`` by input ``indices.parameters[j]``.
    ``scenario`` and ``seed`` record what was run; ``warnings`` say why the indices cannot
    be trusted at this n (empty when none applies).
    """

    scenario: Scenario
    method: str
    seed: int
    indices: SobolIndices | MorrisIndices
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class ScenarioDiscovery:
    """Scenario discovery on one scenario, from :func:`sim.api.discover`.

    ``found`` is the library's :class:`sim.analysis.discover.Discovery`: the PRIM peeling
    trajectory ``boxes``, the chosen ``box`` (``limits`` (d, 2), each input's lower and
    upper bound in its own units, -inf/inf where unrestricted; ``coverage``, ``density`` and
    ``mass``, shares in [0, 1]), ``p_values`` (quasi-p-value by input index) and
    ``parameters``. ``samples`` (N, d) are the sampled inputs (columns as
    ``found.parameters``), ``outputs`` (N, S) the outcomes ``condition`` uses (columns as
    ``condition.outcomes``; months from the scenario start, never = the month after the
    horizon) and ``of_interest`` (N,) whether the condition holds.
    """

    scenario: Scenario
    condition: Condition
    sampling: str
    seed: int
    samples: np.ndarray
    outputs: np.ndarray
    of_interest: np.ndarray
    found: Discovery


@dataclass(frozen=True)
class RunData:
    """What one run's figures and report sections need; no file or model access.

    ``stats`` is (T, V, F + 1, 6): mean, p05, p25, p50, p75, p95 over replications for each
    month, variable (``variables``) and family (``families``, the last being ``all``), in
    tanks. ``metrics`` maps each headline metric to its (R,) per-replication values: counts
    in tanks; months as indices from ``start``, :data:`~sim.engine.metrics.NEVER` if the event does
    not happen within the horizon. It is empty for folders written without metrics.csv.
    """

    name: str
    description: str
    start: int
    reps: int
    seed: int
    deterministic: bool
    families: tuple[str, ...]
    variables: tuple[str, ...]
    stats: np.ndarray
    summary: dict
    manifest: dict
    metrics: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def details(self) -> dict:
        """The run manifest's ``details``: resolved settings, thresholds, parameters with
        their sources, posterior (:func:`sim.present.manifest.run_manifest`)."""
        return self.manifest.get("details") or {}

    @property
    def months(self) -> int:
        """Number of months, T."""
        return self.stats.shape[0]

    @property
    def dates(self) -> list[date]:
        """First day of each month of the horizon (values are at the month's end)."""
        return month_dates(self.start, self.months)

    def series(self, variable: str, family: str = "all") -> np.ndarray:
        """Statistics of one trajectory, (T, 6), looked up by name."""
        try:
            v, f = self.variables.index(variable), self.families.index(family)
        except ValueError:
            raise KeyError(f"{self.name}: no trajectory {variable!r} for {family!r}") from None
        return self.stats[:, v, f]

    def month_metrics(self) -> dict[str, np.ndarray]:
        """The key month metrics present, in :data:`KEY_MONTHS` order, then any others."""
        names = [k for k in KEY_MONTHS if k in self.metrics]
        names += [k for k in MONTH_METRICS if k in self.metrics and k not in names]
        return {k: self.metrics[k] for k in names}


@dataclass(frozen=True)
class CompareData:
    """The paired comparison's figure data.

    ``gains`` maps each scenario (reference excluded) to (T, 6) statistics of its active
    fleet minus the reference's in the same replication, tanks; ``active`` maps every
    scenario (reference first) to the (T, 6) statistics of its own active fleet.
    """

    reference: str
    start: int
    reps: int
    seed: int
    threshold: float | None
    gains: dict[str, np.ndarray]
    active: dict[str, np.ndarray]

    @property
    def dates(self) -> list[date]:
        return month_dates(self.start, next(iter(self.active.values())).shape[0])
