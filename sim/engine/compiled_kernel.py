"""The month step compiled with numba: every month of one replication in one pass.

:func:`months` is the per-replication statement of :func:`sim.engine.simulate.simulate`
(read that first: it is the model). Replications are independent, so the kernel runs them
in parallel (``prange``); each keeps its stocks in float64 scalars and small arrays, which
hold whole numbers exactly in stochastic runs, and writes them once into the trace's
series. Every floating-point operation is the numpy engine's, in its order, so both engines
give the same numbers. The uniforms (and the gamma loss noise) come in from the keyed
streams; the inverse CDFs are :mod:`sim.engine.compiled_draws`.

Importing this module imports numba.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.engine.compiled_draws import binomial, maximum, minimum, poisson, poisson_inverse

# Trajectory slots of the recorded state, as in sim.engine.simulate
ACTIVE, STORAGE, GOOD, FAIR, POOR, PIPELINE, LOST, SCRAPPED, REFURBISHED = range(9)
PRODUCED, IMPORTED, RECORDED = 9, 10, 11
#: Replications stepped together through each month (a speed setting: changes no number):
#: the trace's series and the uniforms have replications last, so neighbours share cache lines.
TILE = 64


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _whole(x, stochastic):
    """``RandomFlows.whole`` (round down with a tolerance) or ``ExpectedFlows.whole``."""
    return np.floor(x + 1e-9) if stochastic else x


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _total(terms, n, pairwise):
    """numpy's sum of ``terms[:n]`` along an axis of replications: in order from the first
    term when there are several replications; numpy's pairwise sum (eight partial sums,
    then the rest in order) when there is one, and the summed axis is the contiguous one."""
    if not pairwise:
        total = terms[0]
        for i in range(1, n):
            total += terms[i]
        return total
    if n < 8:
        total = 0.0
        for i in range(n):
            total += terms[i]
        return total
    p0, p1, p2, p3 = terms[0], terms[1], terms[2], terms[3]
    p4, p5, p6, p7 = terms[4], terms[5], terms[6], terms[7]
    i = 8
    while i < n - n % 8:
        p0 += terms[i]
        p1 += terms[i + 1]
        p2 += terms[i + 2]
        p3 += terms[i + 3]
        p4 += terms[i + 4]
        p5 += terms[i + 5]
        p6 += terms[i + 6]
        p7 += terms[i + 7]
        i += 8
    total = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
    while i < n:
        total += terms[i]
        i += 1
    return 0.0 + total


@numba.njit(cache=True, parallel=True, error_model="numpy")
def months(
    uniforms, noise, stochastic, loss_hazard, has_requirement, supply_top,
    active0, storage0, vulnerability, good_to_fair, fair_to_poor, true_losses, hazard,
    committed, required, capacity, lead_time,
    entry_family, entry_condition, entry_cost, entry_donors, entry_failure,
    production_family, production,
    supply_family, supply_rate, supply_cap, supply_first, supply_batch,
    part_start, part_entries, part_effort, part_failure,
    series, effort_refurbishable, donor_shortfall, effort_spent,
):  # fmt: skip
    """Fill ``series`` (T, V, F + 1, R) and the (T, R) effort and shortfall series.

    ``uniforms`` (T, 3F + 2K + 1 + S, R) float32, rows in the order degrade:good (F),
    degrade:fair (F), losses (F), refurb:donors (K), refurb:failures (K), production (1),
    supply (S); ``noise`` (T, R) the loss multipliers. Other arguments are the fields of
    :class:`sim.engine.inputs.Inputs` as float64 (indices and months as int64).
    """
    n_months, n_rec, slots, reps = series.shape
    fams = slots - 1
    entries = entry_family.shape[0]
    supplies = supply_family.shape[0]
    half = 2.0**-25
    u_fair, u_loss, u_donor = fams, 2 * fams, 3 * fams
    u_fail, u_prod = 3 * fams + entries, 3 * fams + 2 * entries
    u_supply = u_prod + 1
    pairwise = reps == 1  # numpy sums a lone replication's families pairwise
    tiles = (reps + TILE - 1) // TILE
    for tile in numba.prange(tiles):
        r0 = tile * TILE
        width = min(TILE, reps - r0)
        state = np.zeros((width, RECORDED, fams))
        entered = np.zeros((width, n_months, fams))
        cost = np.empty((width, entries))
        failure = np.empty((width, entries))
        shipped = np.zeros((width, supplies))
        short_so_far = np.zeros(width)
        lead_time_f = np.empty(width)
        left = np.empty(3 * fams)
        starts = np.empty(entries)
        taken = np.empty(entries)
        failed = np.empty(entries)
        per_family = np.empty(fams)
        at_risk = np.empty(fams)
        prob = np.empty(fams)
        to_fair = np.empty(fams)
        to_poor = np.empty(fams)
        lost_now = np.empty(fams)
        terms = np.empty(max(fams, entries))
        # this month's uniforms and records of the tile, replications last: copied in and
        # out in whole rows, so the large arrays are read and written a cache line at a time
        tile_uniforms = np.empty((uniforms.shape[1], width))
        record = np.empty((RECORDED, slots, width))
        for j in range(width):
            r = r0 + j
            lead_time_f[j] = float(lead_time[r])
            for k in range(entries):
                cost[j, k] = entry_cost[k, r]
                failure[j, k] = entry_failure[k, r]
            for f in range(fams):
                state[j, ACTIVE, f] = active0[f, r]
                for c in range(3):
                    state[j, GOOD + c, f] = storage0[c, f, r]
        for t in range(n_months):
            for row in range(uniforms.shape[1]):
                for j in range(width):
                    tile_uniforms[row, j] = uniforms[t, row, r0 + j]
            for j in range(width):
                r = r0 + j
                # 0. Spare parts
                for e in range(part_start.shape[0]):
                    if part_start[e] == t:
                        for k in range(entries):
                            if part_entries[e, k]:
                                cost[j, k] *= part_effort[e, r]
                                failure[j, k] = minimum(failure[j, k] * part_failure[e, r], 1.0)
                # 1-2. Degradation and losses
                eps = noise[t, r]
                if loss_hazard:
                    for f in range(fams):
                        at_risk[f] = _whole(state[j, ACTIVE, f] * committed[t, r], stochastic)
                        prob[f] = minimum(vulnerability[f, r] * (hazard[t, r] * eps), 1.0)
                        without = minimum(vulnerability[f, r] * (hazard[t, r] * 1.0), 1.0)
                        terms[f] = at_risk[f] * without
                    expected_loss = _total(terms, fams, pairwise)
                else:
                    for f in range(fams):
                        at_risk[f] = state[j, ACTIVE, f]
                        exposure = vulnerability[f, r] * state[j, ACTIVE, f]
                        terms[f] = exposure
                    total = _total(terms, fams, pairwise)
                    active_sum = _total(state[j, ACTIVE], fams, pairwise)
                    safe = total if total > 0 else 1.0
                    losses_now = true_losses[t, r] * eps
                    for f in range(fams):
                        share = losses_now * vulnerability[f, r]
                        share /= safe
                        share = minimum(share, 1.0)
                        prob[f] = share * (1.0 if total > 0 else 0.0)
                    expected_loss = minimum(true_losses[t, r], active_sum)
                for f in range(fams):
                    good, fair = state[j, GOOD, f], state[j, FAIR, f]
                    if stochastic:
                        u = tile_uniforms[f, j] + half
                        to_fair[f] = binomial(u, good, good_to_fair[r])
                        u = tile_uniforms[u_fair + f, j] + half
                        to_poor[f] = binomial(u, fair, fair_to_poor[r])
                        u = tile_uniforms[u_loss + f, j] + half
                        lost_now[f] = binomial(u, at_risk[f], prob[f])
                    else:
                        to_fair[f] = good * good_to_fair[r]
                        to_poor[f] = fair * fair_to_poor[r]
                        lost_now[f] = at_risk[f] * prob[f]
                for f in range(fams):
                    state[j, GOOD, f] -= to_fair[f]
                    state[j, FAIR, f] += to_fair[f]
                    state[j, FAIR, f] -= to_poor[f]
                    state[j, POOR, f] += to_poor[f]
                    state[j, ACTIVE, f] -= lost_now[f]
                    state[j, LOST, f] += lost_now[f]
                # 3. Refurbishment starts down the priority list
                active_sum = _total(state[j, ACTIVE], fams, pairwise)
                pipeline_sum = _total(state[j, PIPELINE], fams, pairwise)
                wanted = required[t, r] - active_sum - pipeline_sum
                wanted += lead_time_f[j] * (expected_loss - production[t, r])
                wanted = maximum(wanted, 0.0)
                for c in range(3):
                    for f in range(fams):
                        left[c * fams + f] = state[j, GOOD + c, f]
                remaining = capacity[t, r]
                for k in range(entries):
                    own_row = entry_condition[k] * fams + entry_family[k]
                    poor_row = 2 * fams + entry_family[k]
                    own_poor = entry_condition[k] == 2
                    donors = entry_donors[k, r]
                    divisor = 1.0 + donors
                    usable = maximum(1.0 - failure[j, k], 1e-12)
                    own = left[own_row]
                    if own_poor:
                        available = _whole(own / divisor, stochastic)
                    else:
                        pooled = _whole((own + left[poor_row]) / divisor, stochastic)
                        available = minimum(pooled, own)
                    demand = available * cost[j, k]
                    effort = minimum(remaining, demand)
                    remaining -= demand
                    remaining = maximum(remaining, 0.0)
                    n = minimum(_whole(effort / cost[j, k], stochastic), available)
                    n = minimum(n, _whole(wanted / usable, stochastic))
                    wanted -= n * usable
                    starts[k] = n
                    claim = n * donors
                    own -= n
                    if own_poor:
                        own -= claim
                    else:
                        from_poor = minimum(claim, left[poor_row])
                        left[poor_row] -= from_poor
                        own -= claim - from_poor
                    left[own_row] = own
                # Donors and failures drawn; started hulls and donors stripped from storage
                for k in range(entries):
                    if stochastic:
                        u = tile_uniforms[u_donor + k, j] + half
                        taken[k] = binomial(u, starts[k], entry_donors[k, r])
                        u = tile_uniforms[u_fail + k, j] + half
                        failed[k] = binomial(u, starts[k], failure[j, k])
                    else:
                        taken[k] = starts[k] * entry_donors[k, r]
                        failed[k] = starts[k] * failure[j, k]
                for k in range(entries):
                    row = entry_condition[k] * fams + entry_family[k]
                    state[j, GOOD + row // fams, row % fams] -= starts[k]
                for k in range(entries):
                    want = taken[k]
                    own_c, fam = entry_condition[k], entry_family[k]
                    if own_c == 2:
                        take = minimum(want, state[j, POOR, fam])
                        state[j, POOR, fam] -= take
                    else:
                        from_poor = minimum(want, state[j, POOR, fam])
                        state[j, POOR, fam] -= from_poor
                        from_own = minimum(want - from_poor, state[j, GOOD + own_c, fam])
                        state[j, GOOD + own_c, fam] -= from_own
                        take = from_poor + from_own
                    taken[k] = take
                    terms[k] = want - take
                short_so_far[j] += _total(terms, entries, pairwise)
                donor_shortfall[t, r] = short_so_far[j]
                # scrapped: donors taken and failed hulls; the rest enter the pipeline
                per_family[:] = 0.0
                for c in range(3):
                    for k in range(entries):
                        if entry_condition[k] == c:
                            per_family[entry_family[k]] += taken[k] + failed[k]
                for f in range(fams):
                    state[j, SCRAPPED, f] += per_family[f]
                per_family[:] = 0.0
                for c in range(3):
                    for k in range(entries):
                        if entry_condition[k] == c:
                            per_family[entry_family[k]] += starts[k] - failed[k]
                for f in range(fams):
                    entered[j, t, f] = per_family[f]
                    state[j, PIPELINE, f] += per_family[f]
                spent = 0.0
                for k in range(entries):
                    spent += starts[k] * cost[j, k]
                    terms[k] = starts[k] * (cost[j, k] * (1.0 if entry_condition[k] != 2 else 0.0))
                effort_spent[t, r] = spent
                effort_refurbishable[t, r] = _total(terms, entries, pairwise)
                # 4. Deliveries
                source = t - lead_time[r]
                for f in range(fams):
                    delivered = entered[j, source, f] if source >= 0 else 0.0
                    state[j, PIPELINE, f] -= delivered
                    state[j, ACTIVE, f] += delivered
                    state[j, REFURBISHED, f] += delivered
                # 5. New production
                if stochastic:
                    new = poisson(tile_uniforms[u_prod, j] + half, production[t, r])
                else:
                    new = production[t, r]
                if has_requirement:
                    active_sum = _total(state[j, ACTIVE], fams, pairwise)
                    pipeline_sum = _total(state[j, PIPELINE], fams, pairwise)
                    room = required[t, r] - active_sum - pipeline_sum
                    room = _whole(minimum(maximum(room, 0.0), 1e9), stochastic)
                    new = minimum(new, room)
                state[j, ACTIVE, production_family] += new
                state[j, PRODUCED, production_family] += new
                # 6. Foreign supply
                for s in range(supplies):
                    if stochastic:
                        u = tile_uniforms[u_supply + s, j] + half
                        arriving = poisson_inverse(u, supply_rate[s, r], supply_top)
                    else:
                        arriving = supply_rate[s, r]
                    first = supply_first[s, r]
                    arriving = (arriving + supply_batch[s, r] * (1.0 if first == t else 0.0)) * (
                        1.0 if first <= t else 0.0
                    )
                    arriving = minimum(arriving, supply_cap[s, r] - shipped[j, s])
                    shipped[j, s] += arriving
                    state[j, ACTIVE, supply_family[s]] += arriving
                    state[j, IMPORTED, supply_family[s]] += arriving
                # 7. Record
                for f in range(fams):
                    state[j, STORAGE, f] = state[j, GOOD, f] + state[j, FAIR, f] + state[j, POOR, f]
                for v in range(RECORDED):
                    for f in range(fams):
                        record[v, f, j] = state[j, v, f]
                    record[v, fams, j] = _total(state[j, v], fams, pairwise)
            for v in range(RECORDED):
                for f in range(slots):
                    for j in range(width):
                        series[t, v, f, r0 + j] = record[v, f, j]
