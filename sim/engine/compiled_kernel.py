"""The month step compiled with numba: a run of months for every replication of a chunk.

:func:`months` is the tile-by-tile statement of :func:`sim.engine.simulate.simulate` (read
that first: it is the model). Replications are independent, so the kernel runs tiles of
:data:`TILE` of them in parallel (``prange``); within a tile each flow is a loop over the
tile's replications, innermost, as the numpy engine's array operations are, so memory is
read in whole cache lines and the compiler can vectorise the arithmetic. The state lives in
the chunk's arrays (replications last) between calls, so a chunk runs a batch of months per
call with only that batch's uniforms in memory. Its arguments are three named structures
built in one place (:mod:`sim.engine.compiled_inputs`), and each step of the month is a
helper numbered as in :func:`sim.engine.simulate.simulate`. Stocks are float64, which hold whole
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
from sim.engine.compiled_steps import (
    _at,
    _by_family,
    _flip_rows,
    _losses,
    _plan,
    _strip,
    _sum_rows,
    _whole,
    scratch,
)
from sim.model.constants import (
    ACTIVE,
    CONDITIONS,
    HALF_STEP,
    IMPORTED,
    LOST,
    MAX_PRODUCTION_ROOM,
    PIPELINE,
    POOR,
    PRODUCED,
    RECORDED,
    REFURBISHED,
    SCRAPPED,
    STORAGE,
    STORAGE_FAIR,
    STORAGE_GOOD,
    STORAGE_POOR,
)

#: Replications stepped together through each flow (a speed setting: changes no number).
TILE = 64

jit = numba.njit(cache=True, nogil=True, error_model="numpy")
#: The month's steps are inlined into :func:`_tile` (numba IR inlining): one compiled loop
#: body over the tile, as fast as a single hand-written function (separately compiled
#: steps measured about 70% slower).
step = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")


@step
def _uniform_rows(fams, entries):
    """The first row of each flow's uniforms after degrade:good (rows 0 .. F - 1): of
    degrade:fair, losses, refurb:donors, refurb:failures, production and supply."""
    fair, loss, donor = fams, 2 * fams, 3 * fams
    fail, prod = 3 * fams + entries, 3 * fams + 2 * entries
    return fair, loss, donor, fail, prod, prod + 1


@step
def _fixed_probabilities(r0, w, g, c, sc):
    """What the draws need of the probabilities that stay put (compiled_draws.flipped):
    degradation's, and the entries' donor and failure shares (until spare parts change
    these)."""
    degrade, good_to_fair, fair_to_poor = sc.degrade, g.good_to_fair, g.fair_to_poor
    donor, failing = sc.donor, sc.failing
    for j in range(w):
        r = _at(r0, j)
        degrade[0, 0, j], degrade[0, 1, j], degrade[0, 2, j] = flipped(good_to_fair[r])
        degrade[1, 0, j], degrade[1, 1, j], degrade[1, 2, j] = flipped(fair_to_poor[r])
    _flip_rows(g.entry_donors, r0, w, donor[0], donor[1], donor[2])
    _flip_rows(c.entry_failure, r0, w, failing[0], failing[1], failing[2])


@step
def _step0_spare_parts(t, r0, w, g, c, sc):
    """0. Foreign spare parts change effort and failure from their start month."""
    parts_start, parts_entries, failing = g.parts_start, g.parts_entries, sc.failing
    for e in range(parts_start.shape[0]):
        if parts_start[e] != t:
            continue
        for k in range(parts_entries.shape[1]):
            if parts_entries[e, k]:
                _apply_parts(e, k, r0, w, g, c)
        if g.stochastic:
            _flip_rows(c.entry_failure, r0, w, failing[0], failing[1], failing[2])


@step
def _apply_parts(e, k, r0, w, g, c):
    """Spare-parts effect ``e`` on entry ``k``: its effort and failure (capped at 1) scaled."""
    cost, failure = c.entry_cost, c.entry_failure
    effort_factor, failure_factor = g.parts_effort_factor, g.parts_failure_factor
    for j in range(w):
        r = _at(r0, j)
        cost[k, r] *= effort_factor[e, r]
        failure[k, r] = minimum(failure[k, r] * failure_factor[e, r], 1.0)


@step
def _draw_degradation_and_losses(m, r0, w, uniforms, g, state, sc):
    """Steps 1-2's counts into ``sc.drawn``: to fair, to poor and lost by flow row (3F)
    and replication; binomial draws at the month's uniforms, or expected values."""
    fams = state.shape[1]
    drawn, at_risk, prob, degrade = sc.drawn, sc.at_risk, sc.prob, sc.degrade
    good_to_fair, fair_to_poor = g.good_to_fair, g.fair_to_poor
    if not g.stochastic:
        for f in range(fams):
            for j in range(w):
                r = _at(r0, j)
                drawn[f * w + j] = state[STORAGE_GOOD, f, r] * good_to_fair[r]
                drawn[(fams + f) * w + j] = state[STORAGE_FAIR, f, r] * fair_to_poor[r]
                drawn[(2 * fams + f) * w + j] = at_risk[f, j] * prob[f, j]
        return
    u_fair, u_loss = _uniform_rows(fams, 0)[:2]
    draws, slots = sc.draws, sc.slots
    size = 0
    for f in range(fams):
        for j in range(w):
            r = _at(r0, j)
            for row in (f, fams + f, 2 * fams + f):
                drawn[row * w + j] = 0.0
            n = state[STORAGE_GOOD, f, r]
            if n > 0:
                size = push(draws, slots, size, f * w + j, uniforms[m, f, r] + HALF_STEP, n,
                            good_to_fair[r], degrade[0, 0, j], degrade[0, 1, j],
                            degrade[0, 2, j])  # fmt: skip
            n = state[STORAGE_FAIR, f, r]
            if n > 0:
                size = push(draws, slots, size, (fams + f) * w + j,
                            uniforms[m, u_fair + f, r] + HALF_STEP, n, fair_to_poor[r],
                            degrade[1, 0, j], degrade[1, 1, j], degrade[1, 2, j])  # fmt: skip
            n = at_risk[f, j]
            if n > 0:
                p = prob[f, j]
                size = push(draws, slots, size, (2 * fams + f) * w + j,
                            uniforms[m, u_loss + f, r] + HALF_STEP, n, p,
                            1.0 - p if p > 0.5 else p, np.nan, np.nan)  # fmt: skip
    invert_binomials(size, draws, slots, drawn, sc.work, sc.iwork)


@step
def _step1_2_degradation_and_losses(t, m, r0, w, uniforms, noise, g, c, sc, pairwise):
    """1. Degradation of stored hulls, and 2. losses, drawn together."""
    state, drawn, eps = c.state, sc.drawn, sc.eps
    fams = state.shape[1]
    for j in range(w):
        eps[j] = noise[m, _at(r0, j)]
    _losses(t, r0, w, g, state, sc, pairwise)
    _draw_degradation_and_losses(m, r0, w, uniforms, g, state, sc)
    for f in range(fams):
        for j in range(w):
            r = _at(r0, j)
            to_fair, to_poor = drawn[f * w + j], drawn[(fams + f) * w + j]
            lost_now = drawn[(2 * fams + f) * w + j]
            state[STORAGE_GOOD, f, r] -= to_fair
            fair = state[STORAGE_FAIR, f, r] + to_fair
            state[STORAGE_FAIR, f, r] = fair - to_poor
            state[STORAGE_POOR, f, r] += to_poor
            state[ACTIVE, f, r] -= lost_now
            state[LOST, f, r] += lost_now


@step
def _step3_plan(t, r0, w, g, c, sc, pairwise):
    """3. Refurbishment starts (``sc.starts``): the gap to the required fleet, then the
    capacity spent by family shares and down the priority list."""
    state, sums, other, wanted, remaining = c.state, sc.sums, sc.other, sc.wanted, sc.remaining
    required, lead_time, production, capacity = g.required, g.lead_time, g.production, g.capacity
    expected_loss, left = sc.expected_loss, sc.left
    fams = state.shape[1]
    _sum_rows(state[ACTIVE], r0, w, sums, pairwise, sc.pairwise_terms)
    _sum_rows(state[PIPELINE], r0, w, other, pairwise, sc.pairwise_terms)
    for j in range(w):
        r = _at(r0, j)
        want = required[t, r] - sums[j] - other[j]
        want += float(lead_time[r]) * (expected_loss[j] - production[t, r])
        wanted[j] = maximum(want, 0.0)
        remaining[j] = capacity[t, r]
    for condition in range(CONDITIONS):
        for f in range(fams):
            for j in range(w):
                left[condition * fams + f, j] = state[STORAGE_GOOD + condition, f, _at(r0, j)]
    _plan(t, r0, w, g, c, sc)


@step
def _step3_draw_donors_and_failures(m, r0, w, uniforms, g, c, sc):
    """3. Donors (``sc.refurb[0]``) and failures (``sc.refurb[1]``) of the hulls started."""
    starts, refurb, donors, failure = sc.starts, sc.refurb, g.entry_donors, c.entry_failure
    taken, failed = refurb[0], refurb[1]
    entries = starts.shape[0]
    if not g.stochastic:
        for k in range(entries):
            for j in range(w):
                r = _at(r0, j)
                taken[k, j] = starts[k, j] * donors[k, r]
                failed[k, j] = starts[k, j] * failure[k, r]
        return
    u_donor, u_fail = _uniform_rows(c.state.shape[1], entries)[2:4]
    draws, slots, donor, failing = sc.draws, sc.slots, sc.donor, sc.failing
    size = 0
    for k in range(entries):
        for j in range(w):
            r = _at(r0, j)
            taken[k, j], failed[k, j] = 0.0, 0.0
            n = starts[k, j]
            if n > 0:
                size = push(draws, slots, size, k * w + j,
                            uniforms[m, u_donor + k, r] + HALF_STEP, n, donors[k, r],
                            donor[0, k, j], donor[1, k, j], donor[2, k, j])  # fmt: skip
                size = push(draws, slots, size, (entries + k) * w + j,
                            uniforms[m, u_fail + k, r] + HALF_STEP, n, failure[k, r],
                            failing[0, k, j], failing[1, k, j], failing[2, k, j])  # fmt: skip
    invert_binomials(size, draws, slots, refurb.reshape(-1), sc.work, sc.iwork)


@step
def _step3_book_starts(t, r0, w, g, c, out, sc, pairwise):
    """3. Started hulls and donors out of storage; donors and failures scrapped, the rest
    into the pipeline; the month's donor shortfall and effort recorded."""
    state, starts, sums, other, terms = c.state, sc.starts, sc.sums, sc.other, sc.terms
    taken, failed, per_family = sc.refurb[0], sc.refurb[1], sc.per_family
    short_so_far, donor_shortfall, entered = c.short_so_far, out.donor_shortfall, c.entered
    cost, entry_condition = c.entry_cost, g.entry_condition
    effort_spent, effort_refurbishable = out.effort_spent, out.effort_refurbishable
    fams, entries = state.shape[1], starts.shape[0]
    _strip(r0, w, g, state, starts, taken, terms)
    _sum_rows(terms[:entries], 0, w, sums, pairwise, sc.pairwise_terms)
    for j in range(w):
        r = _at(r0, j)
        short_so_far[r] += sums[j]
        donor_shortfall[t, r] = short_so_far[r]
    _by_family(w, g, taken, failed, 1.0, per_family)
    for f in range(fams):
        for j in range(w):
            state[SCRAPPED, f, _at(r0, j)] += per_family[f, j]
    _by_family(w, g, starts, failed, -1.0, per_family)
    for f in range(fams):
        for j in range(w):
            r = _at(r0, j)
            entered[t, f, r] = per_family[f, j]
            state[PIPELINE, f, r] += per_family[f, j]
    for j in range(w):
        sums[j] = 0.0
    for k in range(entries):
        refurbishable = 1.0 if entry_condition[k] != POOR else 0.0
        for j in range(w):
            r = _at(r0, j)
            sums[j] += starts[k, j] * cost[k, r]
            terms[k, j] = starts[k, j] * (cost[k, r] * refurbishable)
    _sum_rows(terms[:entries], 0, w, other, pairwise, sc.pairwise_terms)
    for j in range(w):
        r = _at(r0, j)
        effort_spent[t, r] = sums[j]
        effort_refurbishable[t, r] = other[j]


@step
def _step4_deliveries(t, r0, w, g, c):
    """4. Deliveries from the pipeline: what entered it a lead time ago."""
    state, entered, lead_time = c.state, c.entered, g.lead_time
    for f in range(state.shape[1]):
        for j in range(w):
            r = _at(r0, j)
            source = t - lead_time[r]
            delivered = entered[source, f, r] if source >= 0 else 0.0
            state[PIPELINE, f, r] -= delivered
            state[ACTIVE, f, r] += delivered
            state[REFURBISHED, f, r] += delivered


@step
def _step5_production(t, m, r0, w, uniforms, g, c, sc, pairwise):
    """5. New production, no further than the requirement (when there is one)."""
    state, new, sums, wanted = c.state, sc.other, sc.sums, sc.wanted
    production, required = g.production, g.required
    u_prod = _uniform_rows(state.shape[1], g.entry_family.shape[0])[4]
    for j in range(w):
        r = _at(r0, j)
        if g.stochastic:
            new[j] = poisson(uniforms[m, u_prod, r] + HALF_STEP, production[t, r])
        else:
            new[j] = production[t, r]
    if g.has_requirement:
        _sum_rows(state[ACTIVE], r0, w, sums, pairwise, sc.pairwise_terms)
        _sum_rows(state[PIPELINE], r0, w, wanted, pairwise, sc.pairwise_terms)
        for j in range(w):
            r = _at(r0, j)
            room = required[t, r] - sums[j] - wanted[j]
            room = _whole(minimum(maximum(room, 0.0), MAX_PRODUCTION_ROOM), g.stochastic)
            new[j] = minimum(new[j], room)
    family, split, shares = g.production_family, g.production_split_family, g.production_split_share
    for j in range(w):
        r = _at(r0, j)
        if split.shape[0]:  # engine.simulate.split_new_hulls, one replication at a time
            made = state[PRODUCED, family, r]
            for p in range(split.shape[0]):
                made += state[PRODUCED, split[p], r]
            after, wanted, before = made + new[j], 0.0, 0.0
            for p in range(split.shape[0]):
                short = _whole(shares[p, r] * after, g.stochastic) - state[PRODUCED, split[p], r]
                wanted += maximum(short, 0.0)
                granted = minimum(wanted, new[j])
                state[ACTIVE, split[p], r] += granted - before
                state[PRODUCED, split[p], r] += granted - before
                before = granted
            new[j] -= before
        state[ACTIVE, family, r] += new[j]
        state[PRODUCED, family, r] += new[j]


@step
def _step6_foreign_supply(t, m, r0, w, uniforms, g, c):
    """6. Foreign supply, from its first delivery month until its cap."""
    state, shipped, supply_family = c.state, c.shipped, g.supply_family
    rate, cap, first_month, batch = g.supply_rate, g.supply_cap, g.supply_first, g.supply_batch
    stochastic, top = g.stochastic, g.supply_top
    u_supply = _uniform_rows(state.shape[1], g.entry_family.shape[0])[5]
    for s in range(supply_family.shape[0]):
        active, imported = state[ACTIVE, supply_family[s]], state[IMPORTED, supply_family[s]]
        for j in range(w):
            r = _at(r0, j)
            if stochastic:
                u = uniforms[m, u_supply + s, r] + HALF_STEP
                arriving = poisson_inverse(u, rate[s, r], top)
            else:
                arriving = rate[s, r]
            first = first_month[s, r]
            arriving = (arriving + batch[s, r] * (1.0 if first == t else 0.0)) * (
                1.0 if first <= t else 0.0
            )
            arriving = minimum(arriving, cap[s, r] - shipped[s, r])
            shipped[s, r] += arriving
            active[r] += arriving
            imported[r] += arriving


@step
def _step7_record(t, r0, w, c, out, sc, pairwise):
    """7. Record, with the total over families in the last family slot."""
    state, sums, series = c.state, sc.sums, out.series
    fams = state.shape[1]
    for f in range(fams):
        for j in range(w):
            r = _at(r0, j)
            state[STORAGE, f, r] = (
                state[STORAGE_GOOD, f, r] + state[STORAGE_FAIR, f, r] + state[STORAGE_POOR, f, r]
            )
    for v in range(RECORDED):
        row = state[v]
        month = series[t, v]
        for f in range(fams):
            for j in range(w):
                r = _at(r0, j)
                month[f, r] = row[f, r]
        _sum_rows(row, r0, w, sums, pairwise, sc.pairwise_terms)
        for j in range(w):
            month[fams, _at(r0, j)] = sums[j]


@jit
def _tile(r0, w, t0, t1, uniforms, noise, g, c, out, pairwise):
    """Months ``t0 .. t1 - 1`` for replications ``r0 .. r0 + w - 1`` (see :func:`months`)."""
    sc = scratch(c.state.shape[1], g.entry_family.shape[0], w)
    if g.stochastic:
        _fixed_probabilities(r0, w, g, c, sc)
    for t in range(t0, t1):
        m = t - t0
        _step0_spare_parts(t, r0, w, g, c, sc)
        _step1_2_degradation_and_losses(t, m, r0, w, uniforms, noise, g, c, sc, pairwise)
        _step3_plan(t, r0, w, g, c, sc, pairwise)
        _step3_draw_donors_and_failures(m, r0, w, uniforms, g, c, sc)
        _step3_book_starts(t, r0, w, g, c, out, sc, pairwise)
        _step4_deliveries(t, r0, w, g, c)
        _step5_production(t, m, r0, w, uniforms, g, c, sc, pairwise)
        _step6_foreign_supply(t, m, r0, w, uniforms, g, c)
        _step7_record(t, r0, w, c, out, sc, pairwise)


@numba.njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def months(t0, t1, uniforms, noise, given, carried, written):
    """Step months ``t0 .. t1 - 1`` of a chunk: update the ``carried`` state, fill those
    months of the ``written`` arrays.

    ``uniforms`` (t1 - t0, 3F + 2K + 1 + S, R) float32, rows in the order degrade:good (F),
    degrade:fair (F), losses (F), refurb:donors (K), refurb:failures (K), production (1),
    supply (S) (no rows in expected-value runs); ``noise`` (t1 - t0, R) the loss
    multipliers. ``given``, ``carried`` and ``written`` are the
    :class:`~sim.engine.compiled_inputs.Given` inputs, the
    :class:`~sim.engine.compiled_inputs.Carried` state and the
    :class:`~sim.engine.compiled_inputs.Written` trace arrays of
    :mod:`sim.engine.compiled_inputs`.
    """
    reps = carried.state.shape[2]
    pairwise = reps == 1  # numpy sums a lone replication's families pairwise
    tiles = (reps + TILE - 1) // TILE
    for tile in numba.prange(tiles):
        r0 = tile * TILE
        _tile(r0, min(TILE, reps - r0), t0, t1, uniforms, noise, given, carried, written, pairwise)
