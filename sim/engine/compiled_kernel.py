"""The month step compiled with numba: a run of months for every replication of a chunk.

:func:`months` is the tile-by-tile statement of :func:`sim.engine.simulate.simulate` (read
that first: it is the model). Replications are independent, so the kernel runs tiles of
:data:`TILE` of them in parallel (``prange``); within a tile each flow is a loop over the
tile's replications, innermost, as the numpy engine's array operations are, so memory is
read in whole cache lines and the compiler can vectorise the arithmetic. The state lives in
the chunk's arrays (replications last) between calls, so a chunk runs a batch of months per
call with only that batch's uniforms in memory. Stocks are float64, which hold whole
numbers exactly in stochastic runs. Every floating-point operation is the numpy engine's,
in its order, so both engines give the same numbers. The uniforms (and the gamma loss
noise) come in from the keyed streams; the inverse CDFs are :mod:`sim.engine.compiled_draws`.

Importing this module imports numba.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.engine.compiled_draws import (
    flipped,
    invert_binomials,
    maximum,
    minimum,
    poisson,
    poisson_inverse,
    push,
)
from sim.engine.compiled_steps import (  # noqa: F401 (re-exported: the state's slots)
    ACTIVE,
    FAIR,
    GOOD,
    IMPORTED,
    LOST,
    PIPELINE,
    POOR,
    PRODUCED,
    RECORDED,
    REFURBISHED,
    SCRAPPED,
    STORAGE,
    _at,
    _by_family,
    _flip_rows,
    _losses,
    _plan,
    _strip,
    _sum_rows,
    _whole,
)

#: Replications stepped together through each flow (a speed setting: changes no number).
TILE = 64

jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@jit
def _tile(
    r0, w, t0, t1, uniforms, noise, stochastic, loss_hazard, has_requirement, supply_top,
    vulnerability, good_to_fair, fair_to_poor, true_losses, hazard, committed, deployed, required,
    capacity, lead_time, entry_family, entry_condition, entry_donors, entry_start,
    entry_stop, family_share, production_family, production, supply_family, supply_rate,
    supply_cap, supply_first, supply_batch, part_start, part_entries, part_effort, part_failure,
    state, entered, cost, failure, shipped, short_so_far,
    series, effort_refurbishable, donor_shortfall, effort_spent, pairwise,
):  # fmt: skip
    """Months ``t0 .. t1 - 1`` for replications ``r0 .. r0 + w - 1`` (see :func:`months`)."""
    fams = state.shape[1]
    entries = entry_family.shape[0]
    half = 2.0**-25
    u_fair, u_loss, u_donor = fams, 2 * fams, 3 * fams
    u_fail, u_prod = 3 * fams + entries, 3 * fams + 2 * entries
    u_supply = u_prod + 1
    at_risk = np.empty((fams, w))
    prob = np.empty((fams, w))
    terms = np.empty((max(fams, entries), w))
    per_family = np.empty((fams, w))
    left = np.empty((3 * fams, w))
    starts = np.empty((entries, w))
    budget = np.empty((fams, w))  # pass 1 of the plan: each family's share
    spent = np.empty(w)
    # the month's binomial draws: a compact list (compiled_draws.push), its scratch, and
    # the counts by flow row and replication (degradation and losses; donors and failures)
    capacity_draws = max(3 * fams, 2 * entries, 1) * w
    draws = np.empty((6, capacity_draws))
    slots = np.empty(capacity_draws, np.int64)
    work = np.empty((8, capacity_draws))
    iwork = np.empty((2, capacity_draws), np.int64)
    drawn = np.empty(capacity_draws)
    refurb = np.empty((2, entries, w))
    taken, failed = refurb[0], refurb[1]
    eps = np.empty(w)
    expected_loss = np.empty(w)
    sums = np.empty(w)
    other = np.empty(w)
    wanted = np.empty(w)
    remaining = np.empty(w)
    scratch = np.empty(max(fams, entries, 1))
    # the draws' probabilities that stay put: degradation, donors, failures (flipped)
    degrade = np.empty((2, 3, w))
    donor = np.empty((3, entries, w))
    failing = np.empty((3, entries, w))
    if stochastic:
        for j in range(w):
            r = _at(r0, j)
            degrade[0, 0, j], degrade[0, 1, j], degrade[0, 2, j] = flipped(good_to_fair[r])
            degrade[1, 0, j], degrade[1, 1, j], degrade[1, 2, j] = flipped(fair_to_poor[r])
        _flip_rows(entry_donors, r0, w, donor[0], donor[1], donor[2])
        _flip_rows(failure, r0, w, failing[0], failing[1], failing[2])
    for t in range(t0, t1):
        m = t - t0
        # 0. Spare parts
        for e in range(part_start.shape[0]):
            if part_start[e] == t:
                for k in range(entries):
                    if part_entries[e, k]:
                        for j in range(w):
                            r = _at(r0, j)
                            cost[k, r] *= part_effort[e, r]
                            failure[k, r] = minimum(failure[k, r] * part_failure[e, r], 1.0)
                if stochastic:
                    _flip_rows(failure, r0, w, failing[0], failing[1], failing[2])
        # 1-2. Degradation and losses
        for j in range(w):
            r = _at(r0, j)
            eps[j] = noise[m, r]
        _losses(t, r0, w, stochastic, loss_hazard, eps, vulnerability, true_losses, hazard,
                committed, deployed, state, at_risk, prob, expected_loss, terms, sums, pairwise,
                scratch)  # fmt: skip
        if stochastic:
            size = 0
            for f in range(fams):
                for j in range(w):
                    r = _at(r0, j)
                    for row in (f, fams + f, 2 * fams + f):
                        drawn[row * w + j] = 0.0
                    n = state[GOOD, f, r]
                    if n > 0:
                        size = push(draws, slots, size, f * w + j, uniforms[m, f, r] + half, n,
                                    good_to_fair[r], degrade[0, 0, j], degrade[0, 1, j],
                                    degrade[0, 2, j])  # fmt: skip
                    n = state[FAIR, f, r]
                    if n > 0:
                        size = push(draws, slots, size, (fams + f) * w + j,
                                    uniforms[m, u_fair + f, r] + half, n, fair_to_poor[r],
                                    degrade[1, 0, j], degrade[1, 1, j], degrade[1, 2, j])
                    n = at_risk[f, j]
                    if n > 0:
                        p = prob[f, j]
                        size = push(draws, slots, size, (2 * fams + f) * w + j,
                                    uniforms[m, u_loss + f, r] + half, n, p,
                                    1.0 - p if p > 0.5 else p, np.nan, np.nan)  # fmt: skip
            invert_binomials(size, draws, slots, drawn, work, iwork)
        else:
            for f in range(fams):
                for j in range(w):
                    r = _at(r0, j)
                    drawn[f * w + j] = state[GOOD, f, r] * good_to_fair[r]
                    drawn[(fams + f) * w + j] = state[FAIR, f, r] * fair_to_poor[r]
                    drawn[(2 * fams + f) * w + j] = at_risk[f, j] * prob[f, j]
        for f in range(fams):
            for j in range(w):
                r = _at(r0, j)
                to_fair, to_poor = drawn[f * w + j], drawn[(fams + f) * w + j]
                lost_now = drawn[(2 * fams + f) * w + j]
                state[GOOD, f, r] -= to_fair
                fair = state[FAIR, f, r] + to_fair
                state[FAIR, f, r] = fair - to_poor
                state[POOR, f, r] += to_poor
                state[ACTIVE, f, r] -= lost_now
                state[LOST, f, r] += lost_now
        # 3. Refurbishment starts: family shares, then down the priority list
        _sum_rows(state[ACTIVE], r0, w, sums, pairwise, scratch)
        _sum_rows(state[PIPELINE], r0, w, other, pairwise, scratch)
        for j in range(w):
            r = _at(r0, j)
            want = required[t, r] - sums[j] - other[j]
            want += float(lead_time[r]) * (expected_loss[j] - production[t, r])
            wanted[j] = maximum(want, 0.0)
            remaining[j] = capacity[t, r]
        for c in range(3):
            for f in range(fams):
                for j in range(w):
                    r = _at(r0, j)
                    left[c * fams + f, j] = state[GOOD + c, f, r]
        _plan(t, r0, w, stochastic, entry_family, entry_condition, entry_donors, cost, failure,
              entry_start, entry_stop, family_share, left, remaining, wanted, starts, budget,
              spent)  # fmt: skip
        # Donors and failures drawn; started hulls and donors stripped from storage
        if stochastic:
            size = 0
            for k in range(entries):
                for j in range(w):
                    r = _at(r0, j)
                    taken[k, j], failed[k, j] = 0.0, 0.0
                    n = starts[k, j]
                    if n > 0:
                        size = push(draws, slots, size, k * w + j,
                                    uniforms[m, u_donor + k, r] + half, n, entry_donors[k, r],
                                    donor[0, k, j], donor[1, k, j], donor[2, k, j])  # fmt: skip
                        size = push(draws, slots, size, (entries + k) * w + j,
                                    uniforms[m, u_fail + k, r] + half, n, failure[k, r],
                                    failing[0, k, j], failing[1, k, j], failing[2, k, j])
            invert_binomials(size, draws, slots, refurb.reshape(-1), work, iwork)
        else:
            for k in range(entries):
                for j in range(w):
                    r = _at(r0, j)
                    taken[k, j] = starts[k, j] * entry_donors[k, r]
                    failed[k, j] = starts[k, j] * failure[k, r]
        _strip(r0, w, entry_family, entry_condition, state, starts, taken, terms)
        _sum_rows(terms[:entries], 0, w, sums, pairwise, scratch)
        for j in range(w):
            r = _at(r0, j)
            short_so_far[r] += sums[j]
            donor_shortfall[t, r] = short_so_far[r]
        # scrapped: donors taken and failed hulls; the rest enter the pipeline
        _by_family(w, entry_family, entry_condition, taken, failed, 1.0, per_family)
        for f in range(fams):
            for j in range(w):
                r = _at(r0, j)
                state[SCRAPPED, f, r] += per_family[f, j]
        _by_family(w, entry_family, entry_condition, starts, failed, -1.0, per_family)
        for f in range(fams):
            for j in range(w):
                r = _at(r0, j)
                entered[t, f, r] = per_family[f, j]
                state[PIPELINE, f, r] += per_family[f, j]
        for j in range(w):
            sums[j] = 0.0
        for k in range(entries):
            refurbishable = 1.0 if entry_condition[k] != 2 else 0.0
            for j in range(w):
                r = _at(r0, j)
                sums[j] += starts[k, j] * cost[k, r]
                terms[k, j] = starts[k, j] * (cost[k, r] * refurbishable)
        _sum_rows(terms[:entries], 0, w, other, pairwise, scratch)
        for j in range(w):
            r = _at(r0, j)
            effort_spent[t, r] = sums[j]
            effort_refurbishable[t, r] = other[j]
        # 4. Deliveries
        for f in range(fams):
            for j in range(w):
                r = _at(r0, j)
                source = t - lead_time[r]
                delivered = entered[source, f, r] if source >= 0 else 0.0
                state[PIPELINE, f, r] -= delivered
                state[ACTIVE, f, r] += delivered
                state[REFURBISHED, f, r] += delivered
        # 5. New production
        for j in range(w):
            r = _at(r0, j)
            if stochastic:
                other[j] = poisson(uniforms[m, u_prod, r] + half, production[t, r])
            else:
                other[j] = production[t, r]
        if has_requirement:
            _sum_rows(state[ACTIVE], r0, w, sums, pairwise, scratch)
            _sum_rows(state[PIPELINE], r0, w, wanted, pairwise, scratch)
            for j in range(w):
                r = _at(r0, j)
                room = required[t, r] - sums[j] - wanted[j]
                room = _whole(minimum(maximum(room, 0.0), 1e9), stochastic)
                other[j] = minimum(other[j], room)
        for j in range(w):
            r = _at(r0, j)
            state[ACTIVE, production_family, r] += other[j]
            state[PRODUCED, production_family, r] += other[j]
        # 6. Foreign supply
        for s in range(supply_family.shape[0]):
            active, imported = state[ACTIVE, supply_family[s]], state[IMPORTED, supply_family[s]]
            for j in range(w):
                r = _at(r0, j)
                if stochastic:
                    u = uniforms[m, u_supply + s, r] + half
                    arriving = poisson_inverse(u, supply_rate[s, r], supply_top)
                else:
                    arriving = supply_rate[s, r]
                first = supply_first[s, r]
                arriving = (arriving + supply_batch[s, r] * (1.0 if first == t else 0.0)) * (
                    1.0 if first <= t else 0.0
                )
                arriving = minimum(arriving, supply_cap[s, r] - shipped[s, r])
                shipped[s, r] += arriving
                active[r] += arriving
                imported[r] += arriving
        # 7. Record
        for f in range(fams):
            for j in range(w):
                r = _at(r0, j)
                state[STORAGE, f, r] = state[GOOD, f, r] + state[FAIR, f, r] + state[POOR, f, r]
        for v in range(RECORDED):
            row = state[v]
            out = series[t, v]
            for f in range(fams):
                for j in range(w):
                    r = _at(r0, j)
                    out[f, r] = row[f, r]
            _sum_rows(row, r0, w, sums, pairwise, scratch)
            for j in range(w):
                r = _at(r0, j)
                out[fams, r] = sums[j]


@numba.njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def months(
    t0, t1, uniforms, noise, stochastic, loss_hazard, has_requirement, supply_top,
    vulnerability, good_to_fair, fair_to_poor, true_losses, hazard, committed, deployed, required,
    capacity, lead_time, entry_family, entry_condition, entry_donors, entry_start,
    entry_stop, family_share, production_family, production, supply_family, supply_rate,
    supply_cap, supply_first, supply_batch, part_start, part_entries, part_effort, part_failure,
    state, entered, cost, failure, shipped, short_so_far,
    series, effort_refurbishable, donor_shortfall, effort_spent,
):  # fmt: skip
    """Step months ``t0 .. t1 - 1`` of a chunk: update the state, fill those months of
    ``series`` (T, V, F + 1, R) and of the (T, R) effort and shortfall series.

    ``uniforms`` (t1 - t0, 3F + 2K + 1 + S, R) float32, rows in the order degrade:good (F),
    degrade:fair (F), losses (F), refurb:donors (K), refurb:failures (K), production (1),
    supply (S) (no rows in expected-value runs); ``noise`` (t1 - t0, R) the loss
    multipliers. The state, carried from call to call: ``state`` (11, F, R) the recorded
    stocks of this month, ``entered`` (T, F, R) hulls entering the pipeline by month,
    ``cost`` and ``failure`` (K, R) after spare parts, ``shipped`` (S, R) foreign supply so
    far, ``short_so_far`` (R,) donor shortfall so far. Other arguments are the fields of
    :class:`sim.engine.inputs.Inputs` as float64 (indices and months as int64);
    ``family_share`` (F, R), or (0, R) when the scenario has no family shares.
    """
    reps = state.shape[2]
    pairwise = reps == 1  # numpy sums a lone replication's families pairwise
    tiles = (reps + TILE - 1) // TILE
    for tile in numba.prange(tiles):
        r0 = tile * TILE
        _tile(
            r0, min(TILE, reps - r0), t0, t1, uniforms, noise, stochastic, loss_hazard,
            has_requirement, supply_top, vulnerability, good_to_fair, fair_to_poor,
            true_losses, hazard, committed, deployed, required, capacity, lead_time, entry_family,
            entry_condition, entry_donors, entry_start, entry_stop, family_share,
            production_family, production, supply_family,
            supply_rate, supply_cap, supply_first, supply_batch, part_start, part_entries,
            part_effort, part_failure, state, entered, cost, failure, shipped, short_so_far,
            series, effort_refurbishable, donor_shortfall, effort_spent, pairwise,
        )  # fmt: skip
