"""Turn a scenario plus per-replication parameter values into the engine's arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.continuation import hazard_series
from sim.model.params import (
    CAPACITY,
    COMMITTED,
    CONDITIONS,
    DEPLOYED,
    HAZARD,
    LOSSES,
    PRODUCTION,
    PRODUCTION_SHARE,
    REQUIRED,
    START_DELAY,
    Scenario,
    Step,
    family_weight_names,
    step_name,
)  # fmt: skip

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class PartsEffect:
    """From month ``start`` (counted from the run's start), priority entries in ``entries``
    cost ``effort_factor`` times as much and fail ``failure_factor`` times as often."""

    start: int
    entries: np.ndarray  # (K,) bool
    effort_factor: np.ndarray  # (R,)
    failure_factor: np.ndarray  # (R,)


@dataclass(frozen=True)
class Inputs:
    """Engine inputs for R replications, F families, T months, K priority entries, S supplies.

    Counts are int64 in integer (stochastic) mode and float64 in expected-value mode.
    """

    active0: np.ndarray  # (F, R) tanks in service at the start
    storage0: np.ndarray  # (3, F, R) hulls in storage at the start, good/fair/poor
    vulnerability: np.ndarray  # (F, R) relative loss exposure per active tank
    quality_weight: np.ndarray  # (F, R) value of one tank in the weighted fleet
    good_to_fair: np.ndarray  # (R,) share of good hulls turning fair each month
    fair_to_poor: np.ndarray  # (R,) share of fair hulls turning poor each month
    true_losses: np.ndarray  # (T, R) imposed expected true losses per month, tanks (count mode)
    loss_hazard: bool  # losses are a hazard on the committed force (else ``true_losses``)
    hazard: np.ndarray  # (T, R) monthly loss probability of a committed reference-family tank
    committed_share: np.ndarray  # (T, R) share of each family's active fleet in combat
    #: (F, R) share of each family's active fleet with units committed to combat: a
    #: foreign family's ``supply.NAME.deployed_share``, one for every other family
    deployed: np.ndarray
    required: np.ndarray  # (T, R) required active fleet, tanks (inf: no requirement)
    detection_share: np.ndarray  # (R,) share of true losses that are visually confirmed
    loss_cv: np.ndarray  # (R,) month-to-month coefficient of variation of losses
    capacity: np.ndarray  # (T, R) refurbishment effort units per month (peacetime ramp applied)
    lead_time: np.ndarray  # (R,) int months from start of work to delivery
    entry_family: np.ndarray  # (K,) int family index of each priority entry
    entry_condition: np.ndarray  # (K,) int condition index of each priority entry
    entry_cost: np.ndarray  # (K, R) effort units per hull started
    entry_donors: np.ndarray  # (K, R) donor hulls consumed per hull started
    entry_failure: np.ndarray  # (K, R) share of started hulls that fail (scrapped)
    #: (K,) int first month (counted from the start) an entry may be refurbished, and the
    #: month from which it may not (``T``: never closes); peacetime closes obsolete families
    entry_start: np.ndarray
    entry_stop: np.ndarray
    #: (S, F, R) share of a month's capacity a family may spend on its own entries before
    #: the rest goes down the whole list (weight / sum of weights), in each of S periods;
    #: None: no family shares. (T,) int the period of each month.
    family_share: np.ndarray | None
    family_share_period: np.ndarray
    production_family: int
    production: np.ndarray  # (T, R) expected new tanks per month (peacetime ramp applied)
    #: (P,) int families other than ``production_family`` that take a share of the new hulls,
    #: and (P, R) their shares (``production.share.FAMILY``; the rest is the main family's)
    production_split_family: np.ndarray
    production_split_share: np.ndarray
    supply_family: np.ndarray  # (S,) int
    supply_rate: np.ndarray  # (S, R) expected tanks per month once deliveries run
    supply_cap: np.ndarray  # (S, R) total tanks deliverable
    supply_first: np.ndarray  # (S, R) int first delivery month, counted from the start
    supply_batch: np.ndarray  # (S, R) extra tanks delivered in the first delivery month
    parts: tuple[PartsEffect, ...]
    family_names: tuple[str, ...]  # (F,) keys of the per-family random streams
    entry_names: tuple[str, ...]  # (K,) "family:condition"
    supply_names: tuple[str, ...]  # (S,)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(T months, F families, R replications)."""
        return self.true_losses.shape[0], self.active0.shape[0], self.active0.shape[1]


def step_series(steps: tuple[Step, ...], values: list[np.ndarray], start: int, months: int):
    """A dated step schedule as a (T, R) array; zero before its first step."""
    reps = values[0].shape[0]
    out = np.zeros((months, reps))
    for step, value in zip(steps, values):
        first = max(step.month - start, 0)
        out[first:] = value
    return out


def peace_factor(start: int, share: np.ndarray, ramp: np.ndarray, months: int) -> np.ndarray:
    """(T, R) multiplier: 1 before month index ``start``, then falling linearly to ``share``
    (R,) over ``ramp`` (R,) months (the ``start`` month is the ramp's first step; a ramp
    of 0 or 1 month drops at once)."""
    t = np.arange(months)[:, None] - start + 1.0
    progress = np.clip(t / np.maximum(ramp, 1.0), 0.0, 1.0)
    return 1.0 - (1.0 - share) * progress


def split_storage(total: np.ndarray, values: dict[str, np.ndarray], count) -> np.ndarray:
    """Split (F, R) storage totals into (3, F, R) good/fair/poor; poor takes the remainder.

    The fair share is capped at ``1 - good_share`` so the split never exceeds the total.
    """
    good_share = values["storage.good_share"]
    fair_share = np.minimum(values["storage.fair_share"], 1.0 - good_share)
    good = count(total * good_share)
    fair = np.minimum(count(total * fair_share), total - good)
    return np.stack([good, fair, total - good - fair])


def family_shares(
    scenario: Scenario, values: dict[str, np.ndarray]
) -> tuple[np.ndarray | None, np.ndarray]:
    """Each family's share of the capacity, by period: (S, F, R) shares and (T,) int the
    period of each month. A period starts at the run's start and at every month (after it)
    where some family's weight has a dated step; in each, a family's share is its weight
    over the sum of all weights (a family without a weight, or before its first step, has
    0; every share 0 when the weights sum to 0), summed in family order. None and zeros
    when the scenario has no family weights."""
    months = scenario.months
    if not scenario.family_weights:
        return None, np.zeros(months, np.int64)
    reps = len(values[f"families.{scenario.family_names[0]}.active"])
    index = {name: f for f, name in enumerate(scenario.family_names)}
    dated = [
        (index[family], max(month - scenario.start, 0) if month is not None else 0, name)
        for family, weight in scenario.family_weights
        for month, name in family_weight_names(family, weight)
    ]
    firsts = sorted({first for _, first, _ in dated if first < months} | {0})
    weights = np.zeros((len(firsts), len(scenario.families), reps))
    for f, first, name in sorted(dated, key=lambda d: d[1]):
        weights[np.searchsorted(firsts, first):, f] = values[name]
    total = weights[:, 0].copy()
    for f in range(1, weights.shape[1]):
        total += weights[:, f]
    positive = total[:, None] > 0
    shares = np.where(positive, weights / np.where(positive, total[:, None], 1.0), 0.0)
    period = np.searchsorted(firsts, np.arange(months), side="right") - 1
    return shares, period.astype(np.int64)


def entry_window(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(K,) first month index each priority entry may be refurbished, and (K,) the month
    index from which it may not: from the peace's start for the families it does not
    rebuild, else never (``T``)."""
    entries = len(scenario.priority)
    start = np.zeros(entries, np.int64)
    stop = np.full(entries, scenario.months, np.int64)
    peace = scenario.peace
    if peace is not None and peace.rebuild_families is not None:
        closed = [f not in peace.rebuild_families for f, _ in scenario.priority]
        stop[np.array(closed, bool)] = max(peace.start - scenario.start, 0)
    return start, stop


def build_inputs(
    scenario: Scenario,
    values: dict[str, np.ndarray],
    integer: bool,
    *,
    shocks: np.ndarray | None = None,
) -> Inputs:
    """Arrays for the engine from per-replication parameter ``values`` (each shape (R,)).

    ``shocks`` (W, R) are the innovations of the hazard's walk after the record
    (:func:`sim.engine.continuation.walk_shocks`); None sets them to zero (expected-value
    runs: the walk's median path)."""
    count = (lambda x: np.rint(x).astype(np.int64)) if integer else (lambda x: x)
    names = scenario.family_names
    fams = [f"families.{n}" for n in names]
    start, months = scenario.start, scenario.months

    def stack(suffix: str) -> np.ndarray:
        return np.stack([values[f"{f}.{suffix}"] for f in fams])

    def per_condition(table: str) -> np.ndarray:
        return np.stack([values[f"refurbishment.{table}.{c}"] for c in CONDITIONS])

    def schedule(name: str, steps: tuple[Step, ...]) -> np.ndarray:
        if not steps:
            return np.zeros((months, len(values[f"{fams[0]}.active"])))
        vals = [values[step_name(name, step)] for step in steps]
        return step_series(steps, vals, start, months)

    fam_index = {n: i for i, n in enumerate(names)}
    cond_index = {c: i for i, c in enumerate(CONDITIONS)}
    entry_family = np.array([fam_index[f] for f, _ in scenario.priority], dtype=np.intp)
    entry_condition = np.array([cond_index[c] for _, c in scenario.priority], dtype=np.intp)
    effort, donors, failure = (per_condition(t) for t in ("effort", "donors", "failure"))
    losses = schedule(LOSSES, scenario.loss_schedule)  # zero when losses are a hazard
    sups = [f"supply.{s.name}" for s in scenario.supplies]
    reps = values[f"{fams[0]}.active"].shape[0]

    def supply(suffix: str) -> np.ndarray:
        return np.stack([values[f"{s}.{suffix}"] for s in sups]) if sups else np.zeros((0, reps))

    lag = np.rint(supply("delivery_lag_months")).astype(np.int64)
    capacity = schedule(CAPACITY, scenario.capacity_schedule)
    production = schedule(PRODUCTION, scenario.production_schedule) / MONTHS_PER_YEAR
    if scenario.peace is not None:
        at, ramp = scenario.peace.start - start, values["peace.ramp_months"]
        capacity *= peace_factor(at, values["peace.capacity_share"], ramp, months)
        production *= peace_factor(at, values["peace.production_share"], ramp, months)
    shares, share_period = family_shares(scenario, values)
    required = np.full_like(capacity, np.inf)
    if scenario.required_schedule:
        required = schedule(REQUIRED, scenario.required_schedule)
        first = scenario.required_schedule[0].month - start
        required[: max(first, 0)] = np.inf  # no requirement before its first step
    starts = np.array([[s.start - start] for s in scenario.supplies], dtype=np.int64)
    if sups:  # the dispatch delay, on top of the start month
        starts = starts + np.rint(supply(START_DELAY)).astype(np.int64)
    deployed = np.ones((len(names), reps))
    for sup in scenario.supplies:
        deployed[fam_index[sup.family]] = values[f"supply.{sup.name}.{DEPLOYED}"]
    entry_start, entry_stop = entry_window(scenario)
    return Inputs(
        active0=count(stack("active")),
        storage0=split_storage(count(stack("storage")), values, count),
        vulnerability=stack("vulnerability"),
        quality_weight=stack("quality_weight"),
        good_to_fair=values["storage.good_to_fair"],
        fair_to_poor=values["storage.fair_to_poor"],
        true_losses=losses / values["losses.detection_share"],
        loss_hazard=scenario.loss_hazard,
        hazard=hazard_series(scenario, values, schedule(HAZARD, scenario.hazard_schedule), shocks),
        committed_share=schedule(COMMITTED, scenario.committed_schedule),
        deployed=deployed,
        required=required,
        detection_share=values["losses.detection_share"],
        loss_cv=values["losses.monthly_cv"],
        capacity=capacity,
        lead_time=np.rint(values["refurbishment.lead_time_months"]).astype(np.int64),
        entry_family=entry_family,
        entry_condition=entry_condition,
        entry_cost=stack("refurb_effort")[entry_family] * effort[entry_condition],
        entry_donors=donors[entry_condition],
        entry_failure=failure[entry_condition],
        entry_start=entry_start,
        entry_stop=entry_stop,
        family_share=shares,
        family_share_period=share_period,
        production_family=fam_index[scenario.production_family],
        production=production,
        production_split_family=np.array([fam_index[f] for f, _ in scenario.production_shares],
                                         dtype=np.intp),  # fmt: skip
        production_split_share=np.array(
            [values[f"{PRODUCTION_SHARE}.{f}"] for f, _ in scenario.production_shares]
        ).reshape(len(scenario.production_shares), reps),
        supply_family=np.array([fam_index[s.family] for s in scenario.supplies], dtype=np.intp),
        supply_rate=supply("tanks_per_month"),
        supply_cap=count(supply("total_cap")),
        supply_first=(starts + lag).reshape(len(sups), reps) if sups else np.zeros((0, reps), int),
        supply_batch=count(supply("first_batch")),
        parts=tuple(
            PartsEffect(
                start=max(part.start - start, 0),
                entries=np.isin(entry_family, [fam_index[f] for f in part.families]),
                effort_factor=values[f"parts.{part.name}.effort_factor"],
                failure_factor=values[f"parts.{part.name}.failure_factor"],
            )
            for part in scenario.parts
        ),
        family_names=names,
        entry_names=tuple(f"{f}:{c}" for f, c in scenario.priority),
        supply_names=tuple(s.name for s in scenario.supplies),
    )
