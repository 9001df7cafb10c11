"""The scenario as frozen, typed objects that check their values when built.

Months are integer indices (see :mod:`sim.model.calendar`); counts are tanks; rates are per month
unless the name says otherwise. Condition classes are always ordered good, fair, poor.

However a :class:`Scenario` is built (by :mod:`sim.model.loader`, or by
``dataclasses.replace``), ``__post_init__`` checks it (:mod:`sim.model.rules`) and raises
:class:`~sim.model.errors.ScenarioError` naming the key and value; the loader adds the file.
Its parts (:class:`Family`, :class:`Step`, :class:`Supply`, ...) and key names are defined in
:mod:`sim.model.components` and re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.components import (  # noqa: F401  (re-exported: the scenario's parts and keys)
    ALL_DEPLOYED,
    CAPACITY,
    COMMITTED,
    CONDITIONS,
    DEPLOYED,
    FAMILY_WEIGHT,
    HAZARD,
    HAZARD_DRIFT,
    HAZARD_FACTOR,
    HAZARD_VOLATILITY,
    IDENTIFICATION,
    LOSS_MODELS,
    LOSSES,
    MAX_MONTHS,
    MAX_TOTAL_TANKS,
    NO_DELAY,
    OBSERVATION,
    ORDERS,
    PRODUCTION,
    PRODUCTION_SHARE,
    REQUIRED,
    RESERVED_FAMILY_NAMES,
    START_DELAY,
    UNKNOWN,
    Family,
    FamilyWeight,
    Parts,
    Peace,
    Step,
    Supply,
    Thresholds,
    _check_month,
    _check_name,
    _check_params,
    family_weight_names,
    reserved_family_name,
    step_name,
)
from sim.model.distributions import Param
from sim.model.errors import ScenarioError
from sim.model.posterior import Posterior
from sim.model.rules import check_scenario


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: everything the engine needs, nothing it does not."""

    name: str
    files: tuple[str, ...]
    start: int
    end: int
    families: tuple[Family, ...]
    good_share: Param
    fair_share: Param
    good_to_fair: Param
    fair_to_poor: Param
    loss_schedule: tuple[Step, ...]  # imposed confirmed counts; empty when losses are a hazard
    detection_share: Param
    loss_cv: Param
    capacity_schedule: tuple[Step, ...]
    lead_time_months: Param
    condition_effort: tuple[Param, Param, Param]
    condition_donors: tuple[Param, Param, Param]
    condition_failure: tuple[Param, Param, Param]
    priority: tuple[tuple[str, str], ...]
    production_family: str
    production_schedule: tuple[Step, ...]
    supplies: tuple[Supply, ...] = field(default_factory=tuple)
    parts: tuple[Parts, ...] = field(default_factory=tuple)
    #: Losses as a hazard on the committed force (used when ``loss_model`` is "hazard").
    hazard_schedule: tuple[Step, ...] = field(default_factory=tuple)  # per committed tank-month
    committed_schedule: tuple[Step, ...] = field(default_factory=tuple)  # share of active
    #: "hazard" (losses on the committed force) or "counts" (``loss_schedule`` imposed).
    loss_model: str = "counts"
    #: Required active fleet, tanks; empty: no requirement (refurbish at full capacity).
    required_schedule: tuple[Step, ...] = field(default_factory=tuple)
    peace: Peace | None = None
    #: The last month of the record the hazard schedule is fitted to: after it the hazard
    #: continues as a random walk of its logarithm (``hazard_drift``, ``hazard_volatility``)
    #: until a later hazard step replaces it; None: the step schedule holds (no walk).
    fitted_until: int | None = None
    hazard_drift: Param | None = None  # log hazard, per month
    hazard_volatility: Param | None = None  # standard deviation of log hazard, per month
    #: Multipliers of the hazard from their dates (after ``fitted_until``); none: 1.
    hazard_factor_schedule: tuple[Step, ...] = field(default_factory=tuple)
    #: ``refurbishment.family_weight``: (family, weight) pairs in family order, a weight being
    #: one parameter or dated steps (:data:`FamilyWeight`); empty: no family shares, capacity
    #: goes down the priority list alone (sim.engine.simulate, ``plan_starts``;
    #: docs/refurbishment.md).
    family_weights: tuple[tuple[str, FamilyWeight], ...] = field(default_factory=tuple)
    #: Families other than ``production_family`` that take a share of the new hulls:
    #: (family, share) pairs in family order; the rest is ``production_family``'s.
    production_shares: tuple[tuple[str, Param], ...] = field(default_factory=tuple)
    priority_order: str = "listed"  # how ``priority`` was ordered: see :data:`ORDERS`
    thresholds: Thresholds = Thresholds(0.1, 0.5, 0.25)
    description: str = ""
    posterior: Posterior | None = None  # calibrated sets drawn jointly, or None
    #: Share of confirmed losses whose type is unknown (``losses.unknown_share``): the
    #: observation model of the loss record by family; None when the scenario has none.
    unknown_share: Param | None = None
    #: Parameters of how sources observe the model (``[observation]``): (dotted name under
    #: ``observation.``, Param), e.g. ``("coverage.osint_bases", ...)``. The engine never
    #: reads them; calibration draws and fits them like any other.
    observation: tuple[tuple[str, Param], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        try:
            check_scenario(self)
        except ScenarioError as err:
            file = err.file or (self.files[-1] if self.files else f"(scenario {self.name})")
            raise ScenarioError(file, err.key, err.value, err.message) from None

    @property
    def months(self) -> int:
        """Number of simulated months, start and end included."""
        return self.end - self.start + 1

    @property
    def walk_months(self) -> range:
        """Month indices (from the start) where the hazard follows its random walk: after
        ``fitted_until`` up to the first hazard step dated later (or the horizon's end);
        empty without ``fitted_until`` or with imposed loss counts."""
        if self.fitted_until is None or not self.loss_hazard:
            return range(0)
        later = [s.month for s in self.hazard_schedule if s.month > self.fitted_until]
        stop = min([self.end + 1, *later])
        return range(self.fitted_until + 1 - self.start, max(stop - self.start, 0))

    def continuation_names(self) -> tuple[str, ...]:
        """Parameters that act only after ``fitted_until`` (the walk and its factors):
        calibration to a record up to ``fitted_until`` leaves them at their priors."""
        names = [HAZARD_DRIFT, HAZARD_VOLATILITY] if self.hazard_drift is not None else []
        return (*names, *(step_name(HAZARD_FACTOR, s) for s in self.hazard_factor_schedule))

    @property
    def family_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.families)

    @property
    def supplied_families(self) -> tuple[str, ...]:
        """The families some supply delivers, in family order."""
        supplied = {s.family for s in self.supplies}
        return tuple(name for name in self.family_names if name in supplied)

    @property
    def loss_hazard(self) -> bool:
        """Losses are a hazard on the committed force (else an imposed count schedule)."""
        return self.loss_model == "hazard"

    def params(self) -> dict[str, Param]:
        """Every uncertain parameter under a stable dotted name (used to key its draws)."""
        out: dict[str, Param] = {}
        for fam in self.families:
            base = f"families.{fam.name}"
            out[f"{base}.active"] = fam.active
            out[f"{base}.storage"] = fam.storage
            out[f"{base}.vulnerability"] = fam.vulnerability
            out[f"{base}.quality_weight"] = fam.quality_weight
            out[f"{base}.refurb_effort"] = fam.refurb_effort
        out["storage.good_share"] = self.good_share
        out["storage.fair_share"] = self.fair_share
        out["storage.good_to_fair"] = self.good_to_fair
        out["storage.fair_to_poor"] = self.fair_to_poor
        out["losses.detection_share"] = self.detection_share
        out["losses.monthly_cv"] = self.loss_cv
        if self.unknown_share is not None:
            out[UNKNOWN] = self.unknown_share
        for step in self.loss_schedule:
            out[step_name(LOSSES, step)] = step.value
        for step in self.hazard_schedule:
            out[step_name(HAZARD, step)] = step.value
        for step in self.committed_schedule:
            out[step_name(COMMITTED, step)] = step.value
        if self.hazard_drift is not None and self.hazard_volatility is not None:
            out[HAZARD_DRIFT] = self.hazard_drift
            out[HAZARD_VOLATILITY] = self.hazard_volatility
        for step in self.hazard_factor_schedule:
            out[step_name(HAZARD_FACTOR, step)] = step.value
        for step in self.required_schedule:
            out[step_name(REQUIRED, step)] = step.value
        out["refurbishment.lead_time_months"] = self.lead_time_months
        for step in self.capacity_schedule:
            out[step_name(CAPACITY, step)] = step.value
        for table, triple in (
            ("effort", self.condition_effort),
            ("donors", self.condition_donors),
            ("failure", self.condition_failure),
        ):
            for cond, param in zip(CONDITIONS, triple):
                out[f"refurbishment.{table}.{cond}"] = param
        for family, weight in self.family_weights:
            values = (weight,) if isinstance(weight, Param) else [s.value for s in weight]
            for (_, name), value in zip(family_weight_names(family, weight), values):
                out[name] = value
        for step in self.production_schedule:
            out[step_name(PRODUCTION, step)] = step.value
        for family, share in self.production_shares:
            out[f"{PRODUCTION_SHARE}.{family}"] = share
        for sup in self.supplies:
            base = f"supply.{sup.name}"
            out[f"{base}.tanks_per_month"] = sup.tanks_per_month
            out[f"{base}.total_cap"] = sup.total_cap
            out[f"{base}.delivery_lag_months"] = sup.delivery_lag_months
            out[f"{base}.first_batch"] = sup.first_batch
            out[f"{base}.{DEPLOYED}"] = sup.deployed_share
            out[f"{base}.{START_DELAY}"] = sup.start_delay_months
        for part in self.parts:
            out[f"parts.{part.name}.effort_factor"] = part.effort_factor
            out[f"parts.{part.name}.failure_factor"] = part.failure_factor
        if self.peace is not None:
            out["peace.capacity_share"] = self.peace.capacity_share
            out["peace.production_share"] = self.peace.production_share
            out["peace.ramp_months"] = self.peace.ramp_months
        for name, param in self.observation:
            out[f"{OBSERVATION}.{name}"] = param
        return out
