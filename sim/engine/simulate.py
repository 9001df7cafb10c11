"""The monthly stock-and-flow engine: a pure function of inputs and a source of flows.

Replications are the last axis of every array: a family's stocks are (F, R), storage is
(3, F, R) for good/fair/poor, priority entries are (K, R). The loop over months is the only
Python loop over the model; inside a month every flow is one vectorised operation over
families (or entries) and replications. Stochastic runs keep counts as int32 (exact: every
count stays far below 2**31); expected-value runs keep float64.

One month, in order: degradation, losses (a hazard on the committed force, or an imposed
count), refurbishment starts (capacity spent by family shares, then down the priority list,
as far as the gap to the required fleet goes), pipeline deliveries, new production (capped
at the gap, split between families by their production shares), foreign supply; then the
month's stocks are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.inputs import Inputs
from sim.engine.streams import ExpectedFlows, RandomFlows
from sim.model.constants import (  # noqa: F401 (re-exported: the slots and conditions)
    ACTIVE,
    CONDITIONS,
    FAIR,
    GOOD,
    IMPORTED,
    LOST,
    MAX_PRODUCTION_ROOM,
    MIN_USABLE,
    PIPELINE,
    POOR,
    PRODUCED,
    RECORDED,
    REFURBISHED,
    SCRAPPED,
    STORAGE,
    STORAGE_GOOD,
    VARIABLES,
)


@dataclass(frozen=True)
class Trace:
    """Stocks at the end of each month; cumulative flows since the start.

    ``series`` (T, V, F + 1, R) holds every variable of :data:`VARIABLES` by month, family
    (the last family slot is the total over families) and replication; the engine fills the
    first :data:`RECORDED` variables, the rest are left for :mod:`sim.engine.metrics`. The other
    fields are views of it, (T, F, R) unless stated. Integer counts (int32) in stochastic
    runs, float64 in expected-value runs.
    """

    series: np.ndarray
    active: np.ndarray
    storage: np.ndarray  # (T, 3, F, R) good, fair, poor
    pipeline: np.ndarray
    lost: np.ndarray
    scrapped: np.ndarray
    refurbished: np.ndarray
    produced: np.ndarray
    imported: np.ndarray
    effort_refurbishable: np.ndarray  # (T, R) effort units spent on good or fair hulls
    capacity: np.ndarray  # (T, R) refurbishment capacity that month, effort units
    #: (T, R) donor hulls drawn but not found in storage, cumulative, all families
    donor_shortfall: np.ndarray | None = None
    effort_spent: np.ndarray | None = None  # (T, R) effort units spent on any hull that month

    @classmethod
    def from_series(
        cls, series, effort_refurbishable, capacity, donor_shortfall=None, effort_spent=None
    ) -> Trace:
        """The trace whose fields are views of ``series`` (T, V, F + 1, R)."""
        fam = series[:, :, :-1]
        return cls(
            series=series,
            active=fam[:, ACTIVE],
            storage=fam[:, STORAGE_GOOD : STORAGE_GOOD + CONDITIONS],
            pipeline=fam[:, PIPELINE],
            lost=fam[:, LOST],
            scrapped=fam[:, SCRAPPED],
            refurbished=fam[:, REFURBISHED],
            produced=fam[:, PRODUCED],
            imported=fam[:, IMPORTED],
            effort_refurbishable=effort_refurbishable,
            capacity=capacity,
            donor_shortfall=donor_shortfall,
            effort_spent=effort_spent,
        )


def _loss_probability(active, vulnerability, expected_losses):
    """Per-family loss probability (F, R) of an imposed count: losses split by active x
    vulnerability, capped at 1."""
    exposure = vulnerability * active
    total = exposure.sum(axis=0)
    present = total > 0
    safe = np.where(present, total, 1.0)
    with np.errstate(over="ignore"):  # a vanishing exposure means every tank is at risk
        share = expected_losses * vulnerability
        share /= safe
    np.minimum(share, 1.0, out=share)
    share *= present
    return share


def hazard_probability(hazard, noise, vulnerability) -> np.ndarray:
    """Monthly loss probability (F, R) of a committed tank of each family: the hazard of a
    reference-family tank (R,) times the month's noise (R,) times the family's
    vulnerability (F, R), capped at 1."""
    prob = vulnerability * (hazard * noise)
    return np.minimum(prob, 1.0, out=prob)


class _ByFamily:
    """Sums over priority entries (K, R) into families (F, R) without a Python loop over
    entries: entries of one condition belong to distinct families."""

    def __init__(self, entry_family: np.ndarray, entry_condition: np.ndarray, families: int):
        self.families = families
        self.groups = []
        for condition in (GOOD, FAIR, POOR):
            entries = np.flatnonzero(entry_condition == condition)
            if len(entries):
                self.groups.append((entries, entry_family[entries]))

    def __call__(self, per_entry: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[...] = 0
        for entries, families in self.groups:
            out[families] += per_entry[entries]
        return out


def plan_starts(capacity, wanted, rows, plan, whole, share=None, is_open=None) -> np.ndarray:
    """Hulls to start at each priority entry this month, (K, R), entries in priority order.

    ``capacity`` (R,) effort units; ``wanted`` (R,) usable tanks that would close the gap to
    the required fleet (inf: no requirement); ``rows`` (3F, R) hulls in storage by
    condition row (``condition * F + family``), not modified; ``plan`` the
    :class:`_Plan` of the priority list; ``whole`` rounds down to whole hulls; ``share``
    (F, R) each family's share of the capacity (None: no family shares); ``is_open`` (K,)
    bool, the entries that may be refurbished this month (None: every entry).

    With family shares there are two passes down the list (docs/refurbishment.md). Pass 1:
    each family spends up to ``share x capacity`` on its own entries, in list order. Pass
    2: the capacity pass 1 did not spend (shares of families without hulls or need, and
    each family's idle remainder) goes down the whole list in order, as without shares.
    ``wanted``, the hulls left and the donor claims carry from pass 1 into pass 2. Without
    shares, pass 2 alone runs, on the whole capacity.

    Within a pass, entries are served in order by :func:`_serve`: an entry's full demand
    comes off its budget (the family's share in pass 1, the capacity left in pass 2), and
    the remainder, less than one of its hulls, stays idle for the rest of that pass.
    """
    left = rows.astype(np.float64)
    remaining = np.array(capacity, dtype=np.float64)
    wanted = np.array(wanted, dtype=np.float64)
    starts = np.empty(plan.cost.shape, np.float64)
    entries = range(len(starts))
    if share is not None:  # pass 1: each family's share on its own entries
        budget = share * remaining
        spent = np.zeros_like(remaining)
        for k in entries:
            if is_open is not None and not is_open[k]:
                starts[k] = 0.0
                continue
            starts[k] = _serve(k, budget[plan.family[k]], left, wanted, plan, whole)
            spent += starts[k] * plan.cost[k]
        remaining -= spent
        np.maximum(remaining, 0.0, out=remaining)
    for k in entries:  # pass 2: what is left, down the whole list
        if is_open is not None and not is_open[k]:
            if share is None:
                starts[k] = 0.0
            continue
        n = _serve(k, remaining, left, wanted, plan, whole)
        if share is None:
            starts[k] = n
        else:
            starts[k] += n
    return starts


def _serve(k, budget, left, wanted, plan, whole) -> np.ndarray:
    """Hulls (R,) entry ``k`` starts out of ``budget`` (R,) effort units; ``budget``,
    ``left`` (3F, R) and ``wanted`` (R,) are spent in place.

    Entry k may start at most ``available`` whole hulls: its own stock, and no more than its
    own stock plus the donor hulls still unclaimed in its family's poor pool allow at
    ``1 + donor share`` hulls each (a poor entry strips its own stock). Its expected donor
    claim (starts x donor share; from the poor pool first) is gone for every entry served
    after it: one donor pool, taken once. Its effort is what the budget buys; its full
    demand comes off the budget (the remainder, less than one of its hulls, stays idle
    rather than passing down the list), and its usable output (starts x (1 - failure))
    never exceeds what is still wanted.
    """
    own_row, poor_row = plan.entry_row[k], plan.poor_row[k]
    own, divisor = left[own_row], plan.divisor[k]
    if plan.own_poor[k]:
        available = whole(own / divisor)
    else:
        # own is not whole once a donor claim came off it: whole hulls of it, at most
        available = np.minimum(whole((own + left[poor_row]) / divisor), whole(own))
    demand = available * plan.cost[k]
    effort = np.minimum(budget, demand)
    budget -= demand
    np.maximum(budget, 0.0, out=budget)
    n = np.minimum(whole(effort / plan.cost[k]), available)
    n = np.minimum(n, whole(wanted / plan.usable[k]), out=n)
    wanted -= n * plan.usable[k]
    claim = n * plan.donors[k]
    own -= n
    if plan.own_poor[k]:
        own -= claim
    else:
        from_poor = np.minimum(claim, left[poor_row])
        left[poor_row] -= from_poor
        own -= claim - from_poor
    return n


def strip_donors(donors, starts, rows, plan) -> tuple[np.ndarray, np.ndarray]:
    """Take each entry's started hulls, then its donor hulls, out of storage ``rows``
    (3F, R, modified in place); return donors taken and donors short, each (K, R).

    ``donors`` (K, R) are the donor hulls drawn for ``starts`` (K, R). Entries strip in
    priority order from one pool: a poor entry from its own (poor) stock; a good or fair
    entry from its family's poor hulls first, then its own stock. A hull taken once is gone
    for every later entry. Donors that cannot be found are the shortfall: counted, never
    dropped (taken + short = drawn).
    """
    rows[plan.entry_row] -= starts.astype(rows.dtype)
    taken = np.empty(donors.shape, rows.dtype)
    for k, own_row, poor_row in zip(range(len(donors)), plan.entry_row, plan.poor_row):
        want = donors[k]
        if plan.own_poor[k]:
            take = np.minimum(want, rows[own_row])
            rows[own_row] -= take.astype(rows.dtype)
        else:
            from_poor = np.minimum(want, rows[poor_row])
            rows[poor_row] -= from_poor.astype(rows.dtype)
            from_own = np.minimum(want - from_poor, rows[own_row])
            rows[own_row] -= from_own.astype(rows.dtype)
            take = from_poor + from_own
        taken[k] = take
    return taken, donors - taken


@dataclass(frozen=True)
class _Plan:
    """The priority list as the month's refurbishment step reads it (K entries, in order)."""

    entry_row: np.ndarray  # (K,) storage row (condition * F + family) of each entry
    family: np.ndarray  # (K,) family index of each entry
    poor_row: np.ndarray  # (K,) storage row of the entry's family's poor hulls
    own_poor: np.ndarray  # (K,) bool: a poor entry (strips its own stock)
    cost: np.ndarray  # (K, R) effort units per hull started
    donors: np.ndarray  # (K, R) donor hulls per hull started
    divisor: np.ndarray  # (K, R) 1 + donors
    usable: np.ndarray  # (K, R) 1 - failure: usable tanks per hull started


def make_plan(inputs: Inputs, cost: np.ndarray, failure: np.ndarray) -> _Plan:
    """The :class:`_Plan` of ``inputs`` with the current ``cost`` and ``failure`` (K, R)."""
    families = inputs.active0.shape[0]
    return _Plan(
        entry_row=inputs.entry_condition * families + inputs.entry_family,
        family=inputs.entry_family,
        poor_row=POOR * families + inputs.entry_family,
        own_poor=inputs.entry_condition == POOR,
        cost=cost,
        donors=inputs.entry_donors,
        divisor=1.0 + inputs.entry_donors,
        usable=np.maximum(1.0 - failure, MIN_USABLE),
    )


def split_new_hulls(new, made, made_by_share, shares, whole) -> tuple[np.ndarray, np.ndarray]:
    """Apportion a month's new hulls between the families with a production share and the
    main production family, so that counts stay whole.

    Each share family in turn is brought up to ``whole(share x total)`` hulls, where ``total``
    counts the hulls made by every production family including this month's, as far as this
    month's new hulls go; the main family takes the rest. A share family thus keeps within
    one hull of its share, except after a month whose new hulls ran short, which the
    following months make up. No random number is drawn, so both engines and any chunking
    give the same numbers.

    Parameters
    ----------
    new : (R,) hulls made this month, tanks.
    made : (R,) hulls made before this month by the main and the share families, tanks.
    made_by_share : (P, R) hulls made before this month by each share family, tanks.
    shares : (P, R) each share family's share of the new hulls (adding up to at most 1).
    whole : ``flows.whole``: round down to whole hulls (identity for expected values).

    Returns
    -------
    (P, R) hulls of each share family and (R,) the main family's, this month.
    """
    wanted = np.maximum(whole(shares * (made + new)) - made_by_share, 0.0)
    granted = np.minimum(np.cumsum(wanted, axis=0), new)
    return np.diff(granted, axis=0, prepend=0.0), new - granted[-1]


def simulate(inputs: Inputs, flows: RandomFlows | ExpectedFlows) -> Trace:
    """Run every month for a chunk of replications and return the :class:`Trace`."""
    months, families, reps = inputs.shape
    dtype = np.int32 if flows.integer else np.float64
    flows.plan(months)
    # np.zeros: fresh zeroed pages from the system are cheaper to fill than np.empty's.
    series = np.zeros((months, len(VARIABLES), families + 1, reps), dtype)
    state = np.zeros((RECORDED, families, reps), dtype)  # this month's row of ``series``
    active, pipeline = state[ACTIVE], state[PIPELINE]
    storage = state[STORAGE_GOOD : STORAGE_GOOD + CONDITIONS]
    good, fair, poor = storage
    lost, scrapped, refurbished = state[LOST], state[SCRAPPED], state[REFURBISHED]
    produced, imported = state[PRODUCED], state[IMPORTED]
    active[...] = inputs.active0
    storage[...] = inputs.storage0
    storage_rows = storage.reshape(3 * families, reps)
    by_family = _ByFamily(inputs.entry_family, inputs.entry_condition, families)
    per_family = np.empty((families, reps), np.float64)
    # Hulls entering the pipeline by month; month t delivers what entered at t - lead time.
    entered = np.zeros((months, families, reps), dtype)
    cell = np.arange(families * reps).reshape(families, reps)
    shipped = np.zeros(inputs.supply_rate.shape, dtype)
    effort_refurbishable = np.empty((months, reps), np.float64)
    donor_shortfall = np.zeros((months, reps), np.float64)  # cumulative, all families
    effort_spent = np.empty((months, reps), np.float64)
    short_so_far = np.zeros(reps, np.float64)
    refurbishable = (inputs.entry_condition != POOR)[:, None]
    cost, failure = inputs.entry_cost.copy(), inputs.entry_failure.copy()
    cost_refurbishable = cost * refurbishable
    plan = make_plan(inputs, cost, failure)
    shares = inputs.family_share  # (S, F, R) by period, or None
    has_requirement = bool(np.isfinite(inputs.required).any())
    lead = inputs.lead_time.astype(np.float64)
    fams, entries, supplies = inputs.family_names, inputs.entry_names, inputs.supply_names

    for t in range(months):
        # 0. Foreign spare parts change effort and failure from their start month.
        for effect in inputs.parts:
            if effect.start == t:
                cost[effect.entries] *= effect.effort_factor
                failure[effect.entries] = np.minimum(
                    failure[effect.entries] * effect.failure_factor, 1.0
                )
                cost_refurbishable = cost * refurbishable
                plan = make_plan(inputs, cost, failure)

        # 1. Degradation of stored hulls, and 2. losses (drawn together: neither depends on
        # the other). A hazard on the committed force: a share of each family's active
        # fleet (whole tanks; of a foreign family, of its deployed share) is in combat, and
        # each committed tank is lost with the month's probability, so no month destroys
        # more than the committed force. An imposed count schedule is split by active x
        # vulnerability, capped at the stock.
        noise = flows.noise("losses:intensity", inputs.loss_cv)
        if inputs.loss_hazard:
            # a foreign family keeps only its deployed share with committed units
            at_risk = flows.whole(active * (inputs.committed_share[t] * inputs.deployed))
            prob = hazard_probability(inputs.hazard[t], noise, inputs.vulnerability)
            without_noise = hazard_probability(inputs.hazard[t], 1.0, inputs.vulnerability)
            expected_loss = (at_risk * without_noise).sum(axis=0)
        else:
            at_risk = active
            prob = _loss_probability(active, inputs.vulnerability, inputs.true_losses[t] * noise)
            expected_loss = np.minimum(inputs.true_losses[t], active.sum(axis=0))
        to_fair, to_poor, lost_now = flows.binomials(
            ("degrade:good", good, inputs.good_to_fair, fams),
            ("degrade:fair", fair, inputs.fair_to_poor, fams),
            ("losses", at_risk, prob, fams),
        )
        good -= to_fair
        fair += to_fair
        fair -= to_poor
        poor += to_poor
        active -= lost_now
        lost += lost_now

        # 3. Refurbishment starts: capacity spent by family shares, then down the priority
        # list (see plan_starts), on the entries open this month, no further than need
        # goes: the gap between the required fleet and the active fleet plus the pipeline,
        # plus the losses expected over the lead time, less the production expected over it.
        wanted = inputs.required[t] - active.sum(axis=0) - pipeline.sum(axis=0)
        wanted += lead * (expected_loss - inputs.production[t])
        np.maximum(wanted, 0.0, out=wanted)
        is_open = (inputs.entry_start <= t) & (t < inputs.entry_stop)
        share = None if shares is None else shares[inputs.family_share_period[t]]
        starts = plan_starts(inputs.capacity[t], wanted, storage_rows, plan, flows.whole,
                             share, None if is_open.all() else is_open)  # fmt: skip
        # Donors and failures are scrapped; the rest enter the pipeline.
        donors, failed = flows.binomials(
            ("refurb:donors", starts, inputs.entry_donors, entries),
            ("refurb:failures", starts, failure, entries),
        )
        donors, short = strip_donors(donors, starts, storage_rows, plan)
        short_so_far += short.sum(axis=0)
        donor_shortfall[t] = short_so_far
        donors += failed.astype(donors.dtype)
        np.add(scrapped, by_family(donors, per_family), out=scrapped, casting="unsafe")
        starts_less_failed = starts - failed
        entered[t] = by_family(starts_less_failed, per_family)
        pipeline += entered[t]
        np.einsum("kr,kr->r", starts, cost, out=effort_spent[t])
        starts *= cost_refurbishable
        starts.sum(axis=0, out=effort_refurbishable[t])

        # 4. Deliveries from the pipeline.
        source = t - inputs.lead_time
        delivered = entered.reshape(-1)[np.maximum(source, 0) * (families * reps) + cell]
        delivered *= source >= 0
        pipeline -= delivered
        active += delivered
        refurbished += delivered

        # 5. New production, no further than the requirement (when there is one).
        new = flows.poisson("production", inputs.production[t])
        if has_requirement:
            room = inputs.required[t] - active.sum(axis=0) - pipeline.sum(axis=0)
            room = flows.whole(np.clip(room, 0.0, MAX_PRODUCTION_ROOM))
            new = np.minimum(new, room).astype(new.dtype if flows.integer else np.float64)
        main, split = inputs.production_family, inputs.production_split_family
        if len(split):
            made = np.add.reduce(produced[[main, *split]].astype(np.float64), axis=0)
            share, new = split_new_hulls(new, made, produced[split].astype(np.float64),
                                         inputs.production_split_share, flows.whole)
            active[split] += share.astype(dtype)
            produced[split] += share.astype(dtype)
            new = new.astype(dtype)
        active[main] += new
        produced[main] += new

        # 6. Foreign supply, from its first delivery month until its cap.
        if len(inputs.supply_family):
            arriving = flows.poisson_by_inversion("supply", inputs.supply_rate, supplies)
            arriving = (arriving + inputs.supply_batch * (inputs.supply_first == t)) * (
                inputs.supply_first <= t
            )
            arriving = np.minimum(arriving, inputs.supply_cap - shipped)
            shipped += arriving
            np.add.at(active, inputs.supply_family, arriving)
            np.add.at(imported, inputs.supply_family, arriving)

        # 7. Record, with the total over families in the last family slot.
        np.add(good, fair, out=state[STORAGE])
        state[STORAGE] += poor
        month = series[t, :RECORDED]
        month[:, :families] = state
        state.sum(axis=1, out=month[:, families])

    return Trace.from_series(
        series, effort_refurbishable, capacity=inputs.capacity.astype(np.float64),
        donor_shortfall=donor_shortfall, effort_spent=effort_spent,
    )  # fmt: skip
