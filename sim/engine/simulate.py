"""The monthly stock-and-flow engine: a pure function of inputs and a source of flows.

Replications are the last axis of every array: a family's stocks are (F, R), storage is
(3, F, R) for good/fair/poor, priority entries are (K, R). The loop over months is the only
Python loop over the model; inside a month every flow is one vectorised operation over
families (or entries) and replications. Stochastic runs keep counts as int32 (exact: every
count stays far below 2**31); expected-value runs keep float64.

One month, in order: degradation, losses, refurbishment starts, pipeline deliveries, new
production, foreign supply; then the month's stocks are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.inputs import Inputs
from sim.engine.streams import ExpectedFlows, RandomFlows

GOOD, FAIR, POOR = 0, 1, 2

#: Trajectory variables, in output order. lost..imported and lost_confirmed are cumulative
#: since the start; lost_confirmed is the model's counterpart of Oryx's visually confirmed
#: count (true losses times the replication's detection share). The engine records the
#: first eleven; :func:`sim.engine.metrics.trajectory_series` derives the last two.
VARIABLES = (
    "active", "storage", "storage_good", "storage_fair", "storage_poor", "pipeline",
    "lost", "scrapped", "refurbished", "produced", "imported", "active_weighted",
    "lost_confirmed",
)  # fmt: skip
#: Variables the engine records each month (the first RECORDED of VARIABLES).
RECORDED = 11
(ACTIVE, STORAGE, STORAGE_GOOD, _FAIR, _POOR, PIPELINE, LOST, SCRAPPED, REFURBISHED,
 PRODUCED, IMPORTED) = range(RECORDED)  # fmt: skip


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

    @classmethod
    def from_series(cls, series, effort_refurbishable, capacity) -> Trace:
        """The trace whose fields are views of ``series`` (T, V, F + 1, R)."""
        fam = series[:, :, :-1]
        return cls(
            series=series,
            active=fam[:, ACTIVE],
            storage=fam[:, STORAGE_GOOD : STORAGE_GOOD + 3],
            pipeline=fam[:, PIPELINE],
            lost=fam[:, LOST],
            scrapped=fam[:, SCRAPPED],
            refurbished=fam[:, REFURBISHED],
            produced=fam[:, PRODUCED],
            imported=fam[:, IMPORTED],
            effort_refurbishable=effort_refurbishable,
            capacity=capacity,
        )


def _loss_probability(active, vulnerability, expected_losses):
    """Per-family loss probability (F, R): losses split by active x vulnerability, capped at 1."""
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


def _demand_before(demand: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Effort demanded by the entries ahead of each entry (K, R): an exclusive cumulative
    sum down the priority list, adding the entries in priority order (the partial sums of
    ``cumsum``). One vectorised add per entry: numpy's ``cumsum`` along the first axis of a
    (K, R) array was 16x slower here (1.5 ms against 0.1 ms for K = 18, R = 8,192)."""
    out[0] = 0.0
    for k in range(1, len(demand)):
        np.add(out[k - 1], demand[k - 1], out=out[k])
    return out


def _strip_donors(donors, stock, storage_rows, entry_row, poor_row, own, groups) -> np.ndarray:
    """Take each entry's donor hulls out of storage and return how many were taken (K, R).

    ``stock`` (K, R) is each entry's own stock after its starts. Donor hulls are stripped
    for parts, worst first: a poor entry's come from its own (poor) stock; a good or fair
    entry's from its family's poor hulls, then from its own stock when those run out.
    Poor entries (``own``, a (K,) mask) are served first, then good, then fair (``groups``:
    within a condition group every entry is a different family, so each group is one
    vectorised step).
    """
    taken = np.minimum(donors, stock)
    stock[own] -= taken[own]
    storage_rows[entry_row[own]] = stock[own]
    for entries in groups:
        poor = storage_rows[poor_row[entries]]
        from_poor = np.minimum(donors[entries], poor)
        storage_rows[poor_row[entries]] = poor - from_poor
        from_own = np.minimum(donors[entries] - from_poor, stock[entries])
        stock[entries] -= from_own
        storage_rows[entry_row[entries]] = stock[entries]
        taken[entries] = from_poor + from_own
    return taken


def simulate(inputs: Inputs, flows: RandomFlows | ExpectedFlows) -> Trace:
    """Run every month for a chunk of replications and return the :class:`Trace`."""
    months, families, reps = inputs.shape
    dtype = np.int32 if flows.integer else np.float64
    flows.plan(months)
    # np.zeros: fresh zeroed pages from the system are cheaper to fill than np.empty's.
    series = np.zeros((months, len(VARIABLES), families + 1, reps), dtype)
    state = np.zeros((RECORDED, families, reps), dtype)  # this month's row of ``series``
    active, pipeline = state[ACTIVE], state[PIPELINE]
    storage = state[STORAGE_GOOD : STORAGE_GOOD + 3]
    good, fair, poor = storage
    lost, scrapped, refurbished = state[LOST], state[SCRAPPED], state[REFURBISHED]
    produced, imported = state[PRODUCED], state[IMPORTED]
    active[...] = inputs.active0
    storage[...] = inputs.storage0
    storage_rows = storage.reshape(3 * families, reps)
    entry_row = inputs.entry_condition * families + inputs.entry_family
    by_family = _ByFamily(inputs.entry_family, inputs.entry_condition, families)
    per_family = np.empty((families, reps), np.float64)
    # Hulls entering the pipeline by month; month t delivers what entered at t - lead time.
    entered = np.zeros((months, families, reps), dtype)
    cell = np.arange(families * reps).reshape(families, reps)
    shipped = np.zeros(inputs.supply_rate.shape, dtype)
    effort_refurbishable = np.empty((months, reps), np.float64)
    refurbishable = (inputs.entry_condition != POOR)[:, None]
    cost, failure = inputs.entry_cost.copy(), inputs.entry_failure.copy()
    cost_refurbishable = cost * refurbishable
    donor_divisor = 1.0 + inputs.entry_donors
    donor_own = inputs.entry_condition == POOR  # poor entries strip their own hulls
    poor_row = POOR * families + inputs.entry_family  # (K,) storage row of each entry's poor
    donor_extra = ~donor_own[:, None]  # entries that strip their family's poor hulls
    donor_groups = [np.flatnonzero(inputs.entry_condition == c) for c in (GOOD, FAIR)]
    before = np.empty((len(inputs.entry_family), reps), np.float64)  # demand of earlier entries
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

        # 1. Degradation of stored hulls, and 2. losses, never more than the active stock
        # (drawn together: neither depends on the other).
        expected = inputs.true_losses[t] * flows.noise("losses:intensity", inputs.loss_cv)
        prob = _loss_probability(active, inputs.vulnerability, expected)
        to_fair, to_poor, lost_now = flows.binomials(
            ("degrade:good", good, inputs.good_to_fair, fams),
            ("degrade:fair", fair, inputs.fair_to_poor, fams),
            ("losses", active, prob, fams),
        )
        good -= to_fair
        fair += to_fair
        fair -= to_poor
        poor += to_poor
        active -= lost_now
        lost += lost_now

        # 3. Refurbishment starts, spending capacity down the priority list: entry k may
        # start at most floor(stock / (1 + donors)) hulls at ``cost`` effort units each;
        # earlier entries are served first (a cumulative sum replaces a loop over entries).
        stock = storage_rows[entry_row].astype(np.float64)
        # Donors come from the family's poor hulls first (see _strip_donors), so a good or
        # fair entry may start as many hulls as its own and the poor stock can supply.
        donor_pool = stock + donor_extra * storage_rows[poor_row]
        available = flows.whole(np.minimum(donor_pool / donor_divisor, stock))
        demand = available * cost
        effort = np.subtract(inputs.capacity[t], _demand_before(demand, before), out=before)
        np.clip(effort, 0.0, demand, out=effort)
        effort /= cost
        starts = np.minimum(flows.whole(effort), available)
        # Donors and failures are scrapped; the rest enter the pipeline.
        donors, failed = flows.binomials(
            ("refurb:donors", starts, inputs.entry_donors, entries),
            ("refurb:failures", starts, failure, entries),
        )
        stock -= starts
        donors = _strip_donors(
            donors, stock, storage_rows, entry_row, poor_row, donor_own, donor_groups
        )
        donors += failed
        np.add(scrapped, by_family(donors, per_family), out=scrapped, casting="unsafe")
        starts_less_failed = starts - failed
        entered[t] = by_family(starts_less_failed, per_family)
        pipeline += entered[t]
        starts *= cost_refurbishable
        starts.sum(axis=0, out=effort_refurbishable[t])

        # 4. Deliveries from the pipeline.
        source = t - inputs.lead_time
        delivered = entered.reshape(-1)[np.maximum(source, 0) * (families * reps) + cell]
        delivered *= source >= 0
        pipeline -= delivered
        active += delivered
        refurbished += delivered

        # 5. New production.
        new = flows.poisson("production", inputs.production[t])
        active[inputs.production_family] += new
        produced[inputs.production_family] += new

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
        series, effort_refurbishable, capacity=inputs.capacity.astype(np.float64)
    )
