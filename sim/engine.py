"""The monthly stock-and-flow engine: a pure function of inputs and a source of flows.

State arrays put replications last: ``active`` is (F, R), ``storage`` is (3, F, R) for
good/fair/poor, the refurbishment pipeline is a ring buffer (M, F, R) of hulls by month of
delivery. The loop over months is the only Python loop over the model; inside a month every
flow is one vectorised operation over families and replications.

One month, in order: degradation, losses, refurbishment starts, pipeline deliveries, new
production, foreign supply; then the month's stocks are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.inputs import Inputs
from sim.streams import ExpectedFlows, RandomFlows

GOOD, FAIR, POOR = 0, 1, 2


@dataclass(frozen=True)
class Trace:
    """Stocks at the end of each month; cumulative flows since the start.

    Shapes: (T, F, R) unless stated. Integer counts (int32) in stochastic runs, float64
    in expected-value runs.
    """

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


def _loss_probability(active, vulnerability, expected_losses):
    """Per-family loss probability (F, R): losses split by active x vulnerability, capped at 1."""
    exposure = vulnerability * active
    total = exposure.sum(axis=0)
    safe = np.where(total > 0, total, 1.0)
    with np.errstate(over="ignore"):  # a vanishing exposure means every tank is at risk
        share = expected_losses * vulnerability / safe
    return np.minimum(1.0, share) * (total > 0)


def _refurbishment_starts(storage, capacity, cost, inputs: Inputs, flows):
    """Hulls started per priority entry (K, R), spending ``capacity`` down the list.

    Entry k may start at most floor(storage / (1 + donors)) hulls, each costing
    ``entry_cost`` effort units. Earlier entries are served first: a cumulative sum
    replaces a loop over entries.
    """
    stock = storage[inputs.entry_condition, inputs.entry_family]
    available = flows.whole(stock / (1.0 + inputs.entry_donors))
    demand = available * cost
    before = np.cumsum(demand, axis=0) - demand
    effort = np.clip(capacity - before, 0.0, demand)
    return np.minimum(flows.whole(effort / cost), available), stock


def simulate(inputs: Inputs, flows: RandomFlows | ExpectedFlows) -> Trace:
    """Run every month for a chunk of replications and return the :class:`Trace`."""
    months, families, reps = inputs.shape
    dtype = np.int64 if flows.integer else np.float64
    out_dtype = np.int32 if flows.integer else np.float64
    active = inputs.active0.astype(dtype).copy()
    storage = inputs.storage0.astype(dtype).copy()
    ring = int(inputs.lead_time.max()) + 1
    pipeline = np.zeros((ring, families, reps), dtype=dtype)
    totals = {k: np.zeros((families, reps), dtype) for k in ("lost", "scrapped", "refurbished")}
    produced = np.zeros((families, reps), dtype)
    imported = np.zeros((families, reps), dtype)
    shipped = np.zeros(inputs.supply_rate.shape, dtype)
    reps_index = np.arange(reps)
    record = {
        name: np.empty((months, families, reps), out_dtype)
        for name in (
            "active",
            "pipeline",
            "lost",
            "scrapped",
            "refurbished",
            "produced",
            "imported",
        )
    }
    record_storage = np.empty((months, 3, families, reps), out_dtype)
    effort_refurbishable = np.empty((months, reps), np.float64)
    refurbishable_entry = (inputs.entry_condition != POOR)[:, None]
    cost, failure = inputs.entry_cost.copy(), inputs.entry_failure.copy()
    fams, entries, supplies = inputs.family_names, inputs.entry_names, inputs.supply_names

    for t in range(months):
        # 0. Foreign spare parts change effort and failure from their start month.
        for effect in inputs.parts:
            if effect.start == t:
                cost[effect.entries] *= effect.effort_factor
                failure[effect.entries] = np.minimum(
                    failure[effect.entries] * effect.failure_factor, 1.0
                )

        # 1. Degradation of stored hulls.
        to_fair = flows.binomial("degrade:good", storage[GOOD], inputs.good_to_fair, fams)
        to_poor = flows.binomial("degrade:fair", storage[FAIR], inputs.fair_to_poor, fams)
        storage[GOOD] -= to_fair
        storage[FAIR] += to_fair - to_poor
        storage[POOR] += to_poor

        # 2. Losses, never more than the active stock.
        expected = inputs.true_losses[t] * flows.noise("losses:intensity", inputs.loss_cv)
        prob = _loss_probability(active, inputs.vulnerability, expected)
        lost = flows.binomial("losses", active, prob, fams)
        active -= lost
        totals["lost"] += lost

        # 3. Refurbishment starts: donors and failures are scrapped, the rest enter the pipeline.
        starts, stock = _refurbishment_starts(storage, inputs.capacity[t], cost, inputs, flows)
        donors = np.minimum(
            flows.binomial("refurb:donors", starts, inputs.entry_donors, entries), stock - starts
        )
        failed = flows.binomial("refurb:failures", starts, failure, entries)
        storage[inputs.entry_condition, inputs.entry_family] = stock - starts - donors
        scrapped = np.zeros((families, reps), dtype)
        np.add.at(scrapped, inputs.entry_family, donors + failed)
        totals["scrapped"] += scrapped
        entering = np.zeros((families, reps), dtype)
        np.add.at(entering, inputs.entry_family, starts - failed)
        slot = (t + inputs.lead_time) % ring
        pipeline[slot, :, reps_index] += entering.T

        # 4. Deliveries from the pipeline.
        delivered = pipeline[t % ring].copy()
        pipeline[t % ring] = 0
        active += delivered
        totals["refurbished"] += delivered

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

        # 7. Record.
        record["active"][t] = active
        record_storage[t] = storage
        record["pipeline"][t] = pipeline.sum(axis=0)
        record["lost"][t] = totals["lost"]
        record["scrapped"][t] = totals["scrapped"]
        record["refurbished"][t] = totals["refurbished"]
        record["produced"][t] = produced
        record["imported"][t] = imported
        effort_refurbishable[t] = (starts * cost * refurbishable_entry).sum(axis=0)

    return Trace(
        storage=record_storage,
        effort_refurbishable=effort_refurbishable,
        capacity=inputs.capacity.astype(np.float64),
        **record,
    )
