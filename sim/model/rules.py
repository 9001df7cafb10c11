"""The rules a whole :class:`~sim.model.params.Scenario` keeps, checked when it is built.

The rules read a scenario through :class:`ScenarioFields`, the fields they check, so that
this module does not name the type whose construction runs it (``params`` imports
``rules``; nothing here imports ``params``, not even for type checking).
Each family, step, supply and table checks its own values (:mod:`sim.model.params`); these
rules span the scenario: the horizon, the schedules its loss model needs, the priority list
and family references, shares that must fit together, the most tanks it may hold, and a
posterior whose columns are its parameters.
"""

from __future__ import annotations

from typing import Any, Protocol

from sim.model.calendar import format_month
from sim.model.components import (
    CAPACITY,
    COMMITTED,
    CONDITIONS,
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
    OBSERVATION,
    ORDERS,
    PRODUCTION,
    PRODUCTION_SHARE,
    REQUIRED,
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
    step_name,
)
from sim.model.distributions import MAX_COUNT, Param
from sim.model.errors import ScenarioError
from sim.model.posterior import Posterior


class ScenarioFields(Protocol):
    """The fields of a :class:`~sim.model.params.Scenario` the rules check (months are
    month indices, year * 12 + month - 1; counts are tanks)."""

    name: str
    start: int
    end: int
    families: tuple[Family, ...]
    good_share: Param
    fair_share: Param
    condition_effort: tuple[Param, Param, Param]
    condition_donors: tuple[Param, Param, Param]
    condition_failure: tuple[Param, Param, Param]
    priority: tuple[tuple[str, str], ...]
    production_family: str
    production_schedule: tuple[Step, ...]
    supplies: tuple[Supply, ...]
    parts: tuple[Parts, ...]
    hazard_schedule: tuple[Step, ...]
    loss_model: str
    peace: Peace | None
    fitted_until: int | None
    hazard_drift: Param | None
    hazard_volatility: Param | None
    hazard_factor_schedule: tuple[Step, ...]
    family_weights: tuple[tuple[str, FamilyWeight], ...]
    production_shares: tuple[tuple[str, Param], ...]
    priority_order: str
    thresholds: Thresholds
    description: str
    posterior: Posterior | None
    unknown_share: Param | None
    observation: tuple[tuple[str, Param], ...]

    @property
    def months(self) -> int: ...

    @property
    def family_names(self) -> tuple[str, ...]: ...

    @property
    def loss_hazard(self) -> bool: ...

    def params(self) -> dict[str, Param]: ...

#: Scenario fields holding one parameter, and the domain of each.
SCENARIO_DOMAINS = {
    "good_share": "share", "fair_share": "share", "good_to_fair": "share",
    "fair_to_poor": "share", "detection_share": "positive_share", "loss_cv": "count",
    "lead_time_months": "months",
}  # fmt: skip
#: Scenario fields holding a dated schedule, their dotted name and domain.
SCHEDULES = {
    "loss_schedule": (LOSSES, "count"),
    "hazard_schedule": (HAZARD, "share"),
    "committed_schedule": (COMMITTED, "share"),
    "hazard_factor_schedule": (HAZARD_FACTOR, "positive"),
    "required_schedule": (REQUIRED, "count"),
    "capacity_schedule": (CAPACITY, "count"),
    "production_schedule": (PRODUCTION, "count"),
}


def _needed_schedules(s: ScenarioFields) -> set[str]:
    """The schedules that must have steps: losses as the loss model says, capacity and
    production always; the requirement may be empty (no requirement)."""
    losses = {"loss_schedule"} if s.loss_model == "counts" else {
        "hazard_schedule", "committed_schedule"}
    return {"capacity_schedule", "production_schedule", *losses}
SCENARIO_KEYS = {
    "good_share": "storage.good_share", "fair_share": "storage.fair_share",
    "good_to_fair": "storage.good_to_fair", "fair_to_poor": "storage.fair_to_poor",
    "detection_share": "losses.detection_share", "loss_cv": "losses.monthly_cv",
    "lead_time_months": "refurbishment.lead_time_months",
}  # fmt: skip


def check_scenario(s: ScenarioFields) -> None:
    """Every rule a :class:`Scenario`'s values must keep; raises :class:`ScenarioError`
    (without a file) naming the first broken one."""
    _check_name("name", s.name)
    _check_month("horizon.start", s.start)
    _check_month("horizon.end", s.end)
    if s.start > s.end:
        span = f"{format_month(s.start)}..{format_month(s.end)}"
        raise ScenarioError(None, "horizon", span, "start must not be after end")
    if s.months > MAX_MONTHS:
        span = f"{format_month(s.start)}..{format_month(s.end)}"
        raise ScenarioError(None, "horizon", span, f"longer than {MAX_MONTHS} months")
    if not s.families or not all(isinstance(f, Family) for f in s.families):
        raise ScenarioError(None, "families", s.families, "needs at least one Family")
    names = s.family_names
    if len(set(names)) != len(names):
        raise ScenarioError(None, "families", list(names), "a family is listed twice")
    try:
        _check_params(s, SCENARIO_DOMAINS)
    except ScenarioError as err:
        raise ScenarioError(None, SCENARIO_KEYS[err.key], err.value, err.message) from None
    if s.loss_model not in LOSS_MODELS:
        raise ScenarioError(None, "losses.model", s.loss_model,
                            f"must be one of {', '.join(LOSS_MODELS)}")  # fmt: skip
    if s.priority_order not in ORDERS:
        raise ScenarioError(None, "refurbishment.order", s.priority_order,
                            f"must be one of {', '.join(ORDERS)}")  # fmt: skip
    if s.peace is not None and not isinstance(s.peace, Peace):
        raise ScenarioError(None, "peace", s.peace, "must be Peace or None")
    needed = _needed_schedules(s)
    for attr, (key, domain) in SCHEDULES.items():
        steps = getattr(s, attr)
        if not isinstance(steps, tuple) or not all(isinstance(step, Step) for step in steps):
            raise ScenarioError(None, key, steps, "must be a tuple of Step")
        if not steps and attr in needed:
            raise ScenarioError(None, key, steps, "must have at least one step")
        months = [step.month for step in steps]
        if months != sorted(set(months)):
            raise ScenarioError(None, key, [format_month(m) for m in months],
                                "steps must be in month order, each month once")  # fmt: skip
        for step in steps:
            if step.value.domain != domain:
                raise ScenarioError(None, step_name(key, step), step.value.describe(),
                                    f"must be a {domain} parameter")  # fmt: skip
    for table, triple, domain in (
        ("effort", s.condition_effort, "positive"),
        ("donors", s.condition_donors, "share"),
        ("failure", s.condition_failure, "share"),
    ):
        if len(triple) != len(CONDITIONS):
            raise ScenarioError(None, f"refurbishment.{table}", triple, "needs good, fair, poor")
        for cond, param in zip(CONDITIONS, triple):
            if not isinstance(param, Param) or param.domain != domain:
                raise ScenarioError(None, f"refurbishment.{table}.{cond}", param,
                                    f"must be a {domain} parameter")  # fmt: skip
    if not s.priority:
        raise ScenarioError(None, "refurbishment.priority", s.priority, "must not be empty")
    for i, entry in enumerate(s.priority):
        if entry[0] not in names or entry[1] not in CONDITIONS or entry in s.priority[:i]:
            why = "must be FAMILY:CONDITION, a known family, listed once"
            raise ScenarioError(None, f"refurbishment.priority[{i}]", ":".join(entry), why)
    if s.production_family not in names:
        raise ScenarioError(None, "production.family", s.production_family,
                            "not a family defined under [families]")  # fmt: skip
    for sup in s.supplies:
        if not isinstance(sup, Supply) or sup.family not in names:
            key = f"supply.{getattr(sup, 'name', '?')}.family"
            why = "not a family defined under [families]"
            raise ScenarioError(None, key, getattr(sup, "family", sup), why)
    for i, sup in enumerate(s.supplies):  # the engine deploys a family, not a supply
        for other in s.supplies[:i]:
            if other.family == sup.family and other.deployed_share != sup.deployed_share:
                raise ScenarioError(None, f"supply.{sup.name}.deployed_share",
                                    sup.deployed_share.describe(),
                                    f"must equal supply.{other.name}.deployed_share: both "
                                    f"deliver {sup.family}")  # fmt: skip
    for part in s.parts:
        for i, fam in enumerate(getattr(part, "families", ())):
            if fam not in names:
                raise ScenarioError(None, f"parts.{part.name}.families[{i}]", fam,
                                    "not a family defined under [families]")  # fmt: skip
    _check_allocation(s)
    _check_production_shares(s)
    if not isinstance(s.thresholds, Thresholds):
        raise ScenarioError(None, "metrics", s.thresholds, "must be Thresholds")
    if not isinstance(s.description, str):
        raise ScenarioError(None, "description", s.description, "must be a string")
    _check_continuation(s)
    _check_observation(s)
    _check_shares(s)
    _check_total(s)
    if s.posterior is not None:
        _check_posterior(s)


def _check_continuation(s: ScenarioFields) -> None:
    """``fitted_until`` comes with the walk's drift and volatility and with a hazard step to
    continue from; hazard factors act after it only (the fitted months are the record's)."""
    walk = (s.hazard_drift, s.hazard_volatility)
    if s.fitted_until is None:
        if any(p is not None for p in walk):
            raise ScenarioError(None, "losses.fitted_until", "(missing)",
                                "hazard_drift and hazard_volatility continue the hazard after "
                                "the last fitted month: name it (YYYY-MM)")  # fmt: skip
        if s.hazard_factor_schedule:
            raise ScenarioError(None, "losses.fitted_until", "(missing)",
                                "hazard_factor multiplies the hazard after the last fitted "
                                "month: name it (YYYY-MM)")  # fmt: skip
        return
    _check_month("losses.fitted_until", s.fitted_until)
    fitted = format_month(s.fitted_until)
    for key, param, domain in ((HAZARD_DRIFT, s.hazard_drift, "log_change"),
                               (HAZARD_VOLATILITY, s.hazard_volatility, "log_change")):  # fmt: skip
        if param is None:
            raise ScenarioError(None, key, "(missing)",
                                f"required with losses.fitted_until = {fitted!r}")  # fmt: skip
        if not isinstance(param, Param) or param.domain != domain:
            raise ScenarioError(None, key, param, f"must be a {domain} parameter")
    if s.hazard_volatility.dist.tail_quantiles()[0] < 0:
        raise ScenarioError(None, HAZARD_VOLATILITY, s.hazard_volatility.describe(),
                            "a volatility must be >= 0 (0.1%-99.9% range)")  # fmt: skip
    if s.loss_hazard and not any(step.month <= s.fitted_until for step in s.hazard_schedule):
        raise ScenarioError(None, HAZARD, format_month(s.hazard_schedule[0].month),
                            f"needs a step at or before losses.fitted_until ({fitted}) for "
                            f"the hazard to continue from")  # fmt: skip
    for step in s.hazard_factor_schedule:
        if step.month <= s.fitted_until:
            raise ScenarioError(None, step_name(HAZARD_FACTOR, step), step.value.describe(),
                                f"must be dated after losses.fitted_until ({fitted}): the "
                                f"fitted months are the record's")  # fmt: skip
def _check_observation(s: ScenarioFields) -> None:
    """The observation parameters: an unknown share in [0, 1], positive, uniquely named
    observation factors (coverage or bias of a source) and identification shares."""
    if s.unknown_share is not None and (
        not isinstance(s.unknown_share, Param) or s.unknown_share.domain != "share"
    ):
        raise ScenarioError(None, UNKNOWN, s.unknown_share, "must be a share parameter")
    if not isinstance(s.observation, tuple):
        raise ScenarioError(None, OBSERVATION, s.observation, "must be a tuple of (name, Param)")
    seen = set()
    for entry in s.observation:
        name, param = entry if isinstance(entry, tuple) and len(entry) == 2 else ("?", entry)
        key = f"{OBSERVATION}.{name}"
        domain = "share" if str(name).startswith(f"{IDENTIFICATION}.") else "positive"
        if not isinstance(param, Param) or param.domain != domain:
            raise ScenarioError(None, key, param, f"must be a {domain} parameter")
        if name in seen:
            raise ScenarioError(None, key, param.describe(), "declared twice")
        seen.add(name)


def _check_allocation(s: ScenarioFields) -> None:
    """Family weights name known families once each, as non-negative (``count``) parameters;
    the families rebuilt in peacetime are known families."""
    names = s.family_names
    if not isinstance(s.family_weights, tuple):
        raise ScenarioError(None, FAMILY_WEIGHT, s.family_weights, "must be a tuple of pairs")
    seen: list[str] = []
    for pair in s.family_weights:
        family, weight = pair if isinstance(pair, tuple) and len(pair) == 2 else (pair, None)
        if family not in names or family in seen:
            raise ScenarioError(None, f"{FAMILY_WEIGHT}.{family}", family,
                                "must be a family defined under [families], once")  # fmt: skip
        _check_weight(f"{FAMILY_WEIGHT}.{family}", weight)
        seen.append(family)
    rebuilt = s.peace.rebuild_families if s.peace is not None else None
    for i, family in enumerate(rebuilt or ()):
        if family not in names:
            raise ScenarioError(None, f"peace.rebuild_families[{i}]", family,
                                "not a family defined under [families]")  # fmt: skip


def _check_weight(key: str, weight: Any) -> None:
    """A family weight is a non-negative (``count``) parameter, or a non-empty tuple of
    :class:`Step` of them in strictly increasing months."""
    if isinstance(weight, tuple) and weight and all(isinstance(s, Step) for s in weight):
        months = [s.month for s in weight]
        if months != sorted(set(months)):
            raise ScenarioError(None, key, months, "steps must be in strictly increasing months")
        values = [s.value for s in weight]
    else:
        values = [weight]
    for value in values:
        if not isinstance(value, Param) or value.domain != "count":
            raise ScenarioError(None, key, value, "must be a non-negative (count) parameter, "
                                'or a table of "YYYY-MM" = such parameters')  # fmt: skip


def _check_production_shares(s: ScenarioFields) -> None:
    """Production shares name known families other than ``production_family``, once each,
    as share parameters whose highest values add up to at most 1."""
    if not isinstance(s.production_shares, tuple):
        raise ScenarioError(None, PRODUCTION_SHARE, s.production_shares,
                            "must be a tuple of pairs")  # fmt: skip
    seen: list[str] = []
    for pair in s.production_shares:
        family, share = pair if isinstance(pair, tuple) and len(pair) == 2 else (pair, None)
        key = f"{PRODUCTION_SHARE}.{family}"
        if family not in s.family_names or family in seen or family == s.production_family:
            raise ScenarioError(None, key, family, "must be a family defined under [families], "
                                "once, other than production.family")  # fmt: skip
        if not isinstance(share, Param) or share.domain != "share":
            raise ScenarioError(None, key, share, "must be a share parameter")
        seen.append(family)
    top = sum(share.dist.highest() for _, share in s.production_shares)
    if top > 1:
        raise ScenarioError(None, PRODUCTION_SHARE, f"{top:g}",
                            "the shares may add up to at most 1 (at their highest values)")


def _check_shares(s: ScenarioFields) -> None:
    """Good and fair storage shares may not add up to more than all of storage, even at the
    high ends of their distributions (the engine would cut the fair share silently)."""
    good, fair = s.good_share.dist.highest(), s.fair_share.dist.highest()
    if good + fair > 1:
        value = f"{fair:g} (good_share up to {good:g})"
        raise ScenarioError(None, "storage.fair_share", value,
                            "good_share + fair_share must be at most 1 at the high ends of "
                            "their ranges: the rest of storage is poor")  # fmt: skip


def _check_total(s: ScenarioFields) -> None:
    """The most tanks the scenario can hold stays within :data:`MAX_TOTAL_TANKS`."""
    years = s.months / 12
    total = sum(f.active.dist.highest() + f.storage.dist.highest() for f in s.families)
    total += sum(sup.total_cap.dist.highest() + sup.first_batch.dist.highest()
                 for sup in s.supplies)  # fmt: skip
    total += max(step.value.dist.highest() for step in s.production_schedule) * years
    if total > MAX_TOTAL_TANKS:
        raise ScenarioError(None, "(all counts)", f"{total:,.0f} tanks",
                            f"stocks, supply caps and production over the horizon may hold at "
                            f"most {MAX_TOTAL_TANKS:,} tanks (each count at most "
                            f"{MAX_COUNT:,}; see seeds/README.md)")  # fmt: skip


def _check_posterior(s: ScenarioFields) -> None:
    post = s.posterior
    if not isinstance(post, Posterior):
        raise ScenarioError(None, "posterior", post, "must be a Posterior or None")
    params = s.params()
    unknown = [n for n in (*post.names, *post.overridden) if n not in params]
    if unknown:
        raise ScenarioError(None, "posterior", post.path,
                            f"column {unknown[0]!r} is not a parameter of the scenario")
    if post.values.ndim != 2 or post.values.shape[1] != len(post.names) or not len(post.values):
        raise ScenarioError(None, "posterior", post.path, "values must be (rows, columns)")
