"""The parts a :class:`~sim.model.params.Scenario` is built of (families, dated steps,
supplies, peace, thresholds), the names of its keys, and the checks each part makes of its
own values when built. :mod:`sim.model.params` re-exports every name, and
:mod:`sim.model.rules` checks the whole scenario against them, so neither imports the other.

Months are integer indices (see :mod:`sim.model.calendar`); counts are tanks; rates are per month
unless the name says otherwise. Condition classes are always ordered good, fair, poor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.calendar import format_month
from sim.model.distributions import Dist, Param
from sim.model.errors import ScenarioError

CONDITIONS: tuple[str, ...] = ("good", "fair", "poor")
LOSSES = "losses.confirmed_per_month"
HAZARD = "losses.hazard_per_month"
COMMITTED = "losses.committed_share"
#: Dated multipliers of the loss hazard after the record (escalation, de-escalation).
HAZARD_FACTOR = "losses.hazard_factor"
#: The log hazard's random walk after the last fitted month: drift and volatility per month.
HAZARD_DRIFT = "losses.hazard_drift"
HAZARD_VOLATILITY = "losses.hazard_volatility"
REQUIRED = "demand.required_active"
#: How the refurbishment priority list is ordered (``refurbishment.order``).
ORDERS = ("usefulness", "listed")
#: How losses are drawn (``losses.model``).
LOSS_MODELS = ("hazard", "counts")
CAPACITY = "refurbishment.capacity_per_month"
#: Share of confirmed losses whose type is unknown (the record's "unknown tank" bucket).
UNKNOWN = "losses.unknown_share"
#: Prefix of the observation parameters (``[observation]``: coverage of each source).
OBSERVATION = "observation"
#: ``observation.identification.FAMILY``: the share of a foreign family's confirmed losses
#: the record lists under that family (the rest as a Russian look-alike: a T-62 copy as a
#: T-62); absent: all of them (:mod:`sim.analysis.foreign_record`).
IDENTIFICATION = "identification"
#: A family's weight in the month's capacity shares (``refurbishment.family_weight.FAMILY``).
FAMILY_WEIGHT = "refurbishment.family_weight"
PRODUCTION = "production.tanks_per_year"
#: ``production.share.FAMILY``: the share of every month's new hulls that are built as FAMILY
#: instead of ``production.family`` (apportioned on the running total, so counts stay whole).
PRODUCTION_SHARE = "production.share"
#: A supply's share of tanks with units committed to combat, and its dispatch delay (months
#: after ``start``): ``supply.NAME.deployed_share``, ``supply.NAME.start_delay_months``.
DEPLOYED = "deployed_share"
START_DELAY = "start_delay_months"
#: What a supply without ``deployed_share`` or ``start_delay_months`` means: every delivered
#: tank with units committed to combat, dispatched from ``start`` (as before the two keys).
ALL_DEPLOYED = Param(Dist("fixed", (("value", 1.0),)), "share", ("assumption-nk-deployment",),
                     "absent: every delivered tank serves with units committed to combat")
NO_DELAY = Param(Dist("fixed", (("value", 0.0),)), "months", ("assumption-nk-supply-start",),
                 "absent: dispatch from the start month")
#: The most tanks a scenario may ever hold (initial stocks, supply caps and first batches, and
#: production over the horizon, each at its largest): the engine counts in int32 (at most
#: 2,147,483,647) and sums counts over families, so this leaves a factor of two.
MAX_TOTAL_TANKS = 1_000_000_000
#: Names no family may take: ``all`` is the all-families row of trajectories.csv and of every
#: series (sim.runs.ensemble.ALL); a family of that name would give two rows under it.
RESERVED_FAMILY_NAMES = ("all",)
#: The longest horizon in months (a century): memory grows with the months simulated.
MAX_MONTHS = 1200


def _check_params(obj, domains: dict[str, str]) -> None:
    """Each field named in ``domains`` is a :class:`Param` of that domain."""
    for name, domain in domains.items():
        param = getattr(obj, name)
        if not isinstance(param, Param):
            raise ScenarioError(None, name, param, "must be a parameter (Param)")
        if param.domain != domain:
            raise ScenarioError(None, name, param.describe(), f"must be a {domain} parameter, "
                                f"not {param.domain}")  # fmt: skip


def _check_month(key: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(None, key, value, "must be a month index (int)")


def _check_name(key: str, value) -> None:
    if not isinstance(value, str) or not value:
        raise ScenarioError(None, key, value, "must be a non-empty string")


def reserved_family_name(name: str) -> str | None:
    """Why ``name`` may not name a family (see :data:`RESERVED_FAMILY_NAMES`), or None."""
    if isinstance(name, str) and name.strip().casefold() in RESERVED_FAMILY_NAMES:
        return ("a reserved name: 'all' stands for all families together in the outputs "
                "(trajectories.csv); rename the family")  # fmt: skip
    return None


@dataclass(frozen=True)
class Family:
    """A tank family (T-72, NK-T62, ...) with its initial stocks and weights.

    ``storage`` is the initial count of hulls in storage, all conditions together.
    ``refurb_effort`` is the effort to return one hull, relative to a good reference hull,
    before the condition multiplier.
    """

    name: str
    active: Param
    storage: Param
    vulnerability: Param
    quality_weight: Param
    refurb_effort: Param

    DOMAINS = {"active": "count", "storage": "count", "vulnerability": "positive",
               "quality_weight": "count", "refurb_effort": "positive"}  # fmt: skip

    def __post_init__(self) -> None:
        _check_name("name", self.name)
        reserved = reserved_family_name(self.name)
        if reserved:
            raise ScenarioError(None, f"families.{self.name}", self.name, reserved)
        try:
            _check_params(self, self.DOMAINS)
        except ScenarioError as err:
            raise err.under(f"families.{self.name}") from None


@dataclass(frozen=True)
class Step:
    """One entry of a dated schedule: ``value`` applies from ``month`` until the next step."""

    month: int
    value: Param

    def __post_init__(self) -> None:
        _check_month("month", self.month)
        if not isinstance(self.value, Param):
            raise ScenarioError(None, format_month(self.month), self.value, "must be a Param")


def step_name(schedule: str, step: Step) -> str:
    """Dotted name of a schedule step, e.g. ``losses.confirmed_per_month.2023-03``."""
    return f"{schedule}.{format_month(step.month)}"


#: A family's refurbishment weight: one parameter for the whole run, or dated steps (each
#: holds from its month until the next; before the first the family has no weight).
FamilyWeight = Param | tuple[Step, ...]


def family_weight_names(family: str, weight: FamilyWeight) -> tuple[tuple[int | None, str], ...]:
    """(month, parameter name) of each value of a family's weight: ``((None,
    "refurbishment.family_weight.T-62"),)`` for one parameter (it holds from the start),
    ``((m, "refurbishment.family_weight.T-62.2023-01"), ...)`` for dated steps."""
    key = f"{FAMILY_WEIGHT}.{family}"
    if isinstance(weight, Param):
        return ((None, key),)
    return tuple((step.month, step_name(key, step)) for step in weight)


@dataclass(frozen=True)
class Supply:
    """Deliveries of a foreign family: a Poisson monthly rate, a total cap, and a lag.

    Deliveries begin ``start_delay_months + delivery_lag_months`` after ``start`` (the
    delay: when dispatch really begins, uncertain; the lag: transit) with ``first_batch``
    tanks on top of the month's Poisson draw, and stop once ``total_cap`` tanks have arrived.
    ``deployed_share``: the share of the family's tanks kept with units committed to combat
    (the rest serve in training and reserve units, never committed); those units commit the
    same share of their tanks as the rest of the fleet (``losses.committed_share``). One:
    every delivered tank is exposed like a Russian one.
    """

    name: str
    family: str
    start: int
    tanks_per_month: Param
    total_cap: Param
    delivery_lag_months: Param
    first_batch: Param
    deployed_share: Param = field(default_factory=lambda: ALL_DEPLOYED)
    start_delay_months: Param = field(default_factory=lambda: NO_DELAY)

    DOMAINS = {"tanks_per_month": "count", "total_cap": "count",
               "delivery_lag_months": "months", "first_batch": "count",
               "deployed_share": "share", "start_delay_months": "months"}  # fmt: skip

    def __post_init__(self) -> None:
        _check_name("name", self.name)
        try:
            _check_name("family", self.family)
            _check_month("start", self.start)
            _check_params(self, self.DOMAINS)
        except ScenarioError as err:
            raise err.under(f"supply.{self.name}") from None


@dataclass(frozen=True)
class Parts:
    """Foreign spare parts: from ``start``, refurbishing ``families`` costs
    ``effort_factor`` times the effort and fails ``failure_factor`` times as often."""

    name: str
    start: int
    families: tuple[str, ...]
    effort_factor: Param
    failure_factor: Param

    DOMAINS = {"effort_factor": "positive", "failure_factor": "count"}

    def __post_init__(self) -> None:
        _check_name("name", self.name)
        try:
            _check_month("start", self.start)
            if not isinstance(self.families, tuple) or not self.families:
                raise ScenarioError(None, "families", self.families, "must be a non-empty tuple")
            for family in self.families:
                _check_name("families", family)
            _check_params(self, self.DOMAINS)
        except ScenarioError as err:
            raise err.under(f"parts.{self.name}") from None


@dataclass(frozen=True)
class Peace:
    """From ``start``, refurbishment capacity and production fall linearly, over
    ``ramp_months``, to ``capacity_share`` and ``production_share`` of their scheduled
    wartime values (a peacetime industry: fewer shifts, no mobilised plants).

    ``rebuild_families``: the families whose stored hulls are still refurbished from
    ``start``; the other families' priority entries close then (an obsolete type is not
    rebuilt in peacetime). ``None``: every family (the loader always resolves a list: see
    :func:`sim.model.priority.default_rebuild_families`).
    """

    start: int
    capacity_share: Param
    production_share: Param
    ramp_months: Param
    rebuild_families: tuple[str, ...] | None = None

    DOMAINS = {"capacity_share": "share", "production_share": "share", "ramp_months": "months"}

    def __post_init__(self) -> None:
        try:
            _check_month("start", self.start)
            _check_params(self, self.DOMAINS)
            if self.rebuild_families is not None:
                if not isinstance(self.rebuild_families, tuple):
                    raise ScenarioError(None, "rebuild_families", self.rebuild_families,
                                        "must be a tuple of family names")  # fmt: skip
                for family in self.rebuild_families:
                    _check_name("rebuild_families", family)
        except ScenarioError as err:
            raise err.under("peace") from None


@dataclass(frozen=True)
class Thresholds:
    """Definitions of the headline month metrics (shares, not uncertain)."""

    exhausted_share: float
    refurb_low_share: float
    active_drop_share: float
    rebuild_after: int | None = None  # month from which to time the rebuild to pre-war level
    #: ``reach_requirement``: the active fleet at or above this share of its requirement.
    requirement_share: float = 0.95

    def __post_init__(self) -> None:
        for name in ("exhausted_share", "refurb_low_share", "active_drop_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScenarioError(None, f"metrics.{name}", value, "must be a number")
            if not 0 <= value <= 1:  # also NaN
                raise ScenarioError(None, f"metrics.{name}", value, "a share must be in [0, 1]")
        if self.rebuild_after is not None:
            _check_month("metrics.rebuild_after", self.rebuild_after)
        share = self.requirement_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise ScenarioError(None, "metrics.requirement_share", share,
                                "a share must be in [0, 1]")  # fmt: skip
