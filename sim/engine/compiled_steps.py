"""The parts of the compiled month step, each over a tile of replications (numba).

Helpers of :mod:`sim.engine.compiled_kernel`: each is the tile-by-tile statement of a part
of a step of :func:`sim.engine.simulate.simulate`, with the numpy engine's floating-point
operations in its order. Arrays are indexed ``[.., r0 + j]`` for the chunk's arrays and
``[.., j]`` for the tile's :class:`Scratch`, ``j < w``; replications innermost. ``g`` is
the chunk's :class:`~sim.engine.compiled_inputs.Given`, ``c`` its
:class:`~sim.engine.compiled_inputs.Carried` state, ``sc`` the tile's :class:`Scratch`.

Importing this module imports numba.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from sim.engine.compiled_draws import IWORK_ROWS, LIST_ROWS, WORK_ROWS, flipped, maximum, minimum
from sim.model.constants import (
    ACTIVE,
    CONDITIONS,
    MIN_USABLE,
    POOR,
    STORAGE_GOOD,
    STORAGE_POOR,
    WHOLE_TOLERANCE,
)

jit = numba.njit(cache=True, nogil=True, error_model="numpy")


class Scratch(NamedTuple):
    """A tile's working arrays (w replications), reused month after month."""

    at_risk: np.ndarray  # (F, w) tanks exposed to this month's losses
    prob: np.ndarray  # (F, w) their loss probability
    expected_loss: np.ndarray  # (w,) losses expected without the month's noise
    eps: np.ndarray  # (w,) the month's loss noise
    terms: np.ndarray  # (max(F, K), w) the terms of a sum over families or entries
    per_family: np.ndarray  # (F, w) a sum over entries by family
    left: np.ndarray  # (3F, w) hulls left in storage while refurbishment is planned
    starts: np.ndarray  # (K, w) hulls started at each priority entry
    budget: np.ndarray  # (F, w) pass 1 of the plan: each family's share
    spent: np.ndarray  # (w,) effort spent in pass 1
    refurb: np.ndarray  # (2, K, w) donors taken (row 0) and failed hulls (row 1)
    draws: np.ndarray  # (6, D) the month's binomial draws (compiled_draws.push)
    slots: np.ndarray  # (D,) int64 where each draw's count goes
    work: np.ndarray  # (8, D) scratch of compiled_draws.invert_binomials
    iwork: np.ndarray  # (2, D) int64, its integer scratch
    drawn: np.ndarray  # (D,) degradation and loss counts, by flow row (3F) and replication
    sums: np.ndarray  # (w,) a sum over families or entries
    other: np.ndarray  # (w,) another one
    wanted: np.ndarray  # (w,) usable tanks that would close the gap to the requirement
    remaining: np.ndarray  # (w,) capacity not yet spent
    pairwise_terms: np.ndarray  # (max(F, K, 1),) a lone replication's terms (_sum_rows)
    degrade: np.ndarray  # (2, 3, w) flipped() of good_to_fair and fair_to_poor
    donor: np.ndarray  # (3, K, w) flipped() of the entries' donor shares
    failing: np.ndarray  # (3, K, w) flipped() of the entries' failure shares


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def scratch(fams, entries, w):
    """The :class:`Scratch` of a tile of ``w`` replications, ``fams`` families and
    ``entries`` priority entries."""
    capacity_draws = max(CONDITIONS * fams, 2 * entries, 1) * w
    return Scratch(
        at_risk=np.empty((fams, w)),
        prob=np.empty((fams, w)),
        expected_loss=np.empty(w),
        eps=np.empty(w),
        terms=np.empty((max(fams, entries), w)),
        per_family=np.empty((fams, w)),
        left=np.empty((CONDITIONS * fams, w)),
        starts=np.empty((entries, w)),
        budget=np.empty((fams, w)),
        spent=np.empty(w),
        refurb=np.empty((2, entries, w)),
        draws=np.empty((LIST_ROWS, capacity_draws)),
        slots=np.empty(capacity_draws, np.int64),
        work=np.empty((WORK_ROWS, capacity_draws)),
        iwork=np.empty((IWORK_ROWS, capacity_draws), np.int64),
        drawn=np.empty(capacity_draws),
        sums=np.empty(w),
        other=np.empty(w),
        wanted=np.empty(w),
        remaining=np.empty(w),
        pairwise_terms=np.empty(max(fams, entries, 1)),
        degrade=np.empty((2, 3, w)),  # two flows; q, log1p(-q), q / (1 - q)
        donor=np.empty((3, entries, w)),  # q, log1p(-q), q / (1 - q)
        failing=np.empty((3, entries, w)),
    )


@jit
def _at(r0, j):
    """The chunk's replication ``r0 + j`` as an unsigned index: numba then skips the
    wraparound of negative indices, so the compiler sees consecutive elements and
    vectorises the loop over ``j`` (8 times faster on the loops measured)."""
    return np.uint64(r0 + j)


@jit
def _whole(x, stochastic):
    """``RandomFlows.whole`` (round down with a tolerance) or ``ExpectedFlows.whole``."""
    return np.floor(x + WHOLE_TOLERANCE) if stochastic else x


@jit
def _pairwise(terms, n):
    """numpy's pairwise sum of ``terms[:n]`` (eight partial sums, then the rest in order),
    as it sums a contiguous axis: a lone replication's families or entries."""
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


@jit
def _sum_rows(a, c0, w, out, pairwise, scratch):
    """``out[j]`` = numpy's sum over the rows of ``a[:, c0 + j]`` for j < ``w``: in row
    order from the first row when there are several replications, pairwise when there is
    one (``pairwise``; ``scratch`` holds its terms)."""
    rows = a.shape[0]
    if pairwise:
        for i in range(rows):
            scratch[i] = a[i, c0]
        out[0] = _pairwise(scratch, rows)
        return
    for j in range(w):
        out[j] = a[0, _at(c0, j)]
    for i in range(1, rows):
        for j in range(w):
            out[j] += a[i, _at(c0, j)]


@jit
def _flip_rows(p, r0, w, q, log_q, ratio):
    """:func:`flipped` of ``p[k, r0 + j]`` into ``q``, ``log_q``, ``ratio`` [k, j]."""
    for k in range(p.shape[0]):
        for j in range(w):
            r = _at(r0, j)
            q[k, j], log_q[k, j], ratio[k, j] = flipped(p[k, r])


@jit
def _losses(t, r0, w, g, state, sc, pairwise):
    """Steps 1-2's loss probability: ``sc.at_risk`` and ``sc.prob`` (F, w) and
    ``sc.expected_loss`` (w,), with the month's loss noise ``sc.eps`` (w,)."""
    at_risk, prob, expected_loss = sc.at_risk, sc.prob, sc.expected_loss
    terms, sums = sc.terms, sc.sums
    noise, vulnerability, scratch = sc.eps, g.vulnerability, sc.pairwise_terms
    stochastic = g.stochastic
    fams = at_risk.shape[0]
    active = state[ACTIVE]
    if g.loss_hazard:
        hazard, committed, deployed = g.hazard, g.committed_share, g.deployed
        for f in range(fams):
            for j in range(w):
                r = _at(r0, j)
                share = committed[t, r] * deployed[f, r]  # a foreign family: its deployed share
                at_risk[f, j] = _whole(active[f, r] * share, stochastic)
                prob[f, j] = minimum(vulnerability[f, r] * (hazard[t, r] * noise[j]), 1.0)
                without = minimum(vulnerability[f, r] * (hazard[t, r] * 1.0), 1.0)
                terms[f, j] = at_risk[f, j] * without
        _sum_rows(terms[:fams], 0, w, expected_loss, pairwise, scratch)
        return
    true_losses = g.true_losses
    for f in range(fams):
        for j in range(w):
            r = _at(r0, j)
            terms[f, j] = vulnerability[f, r] * active[f, r]
    _sum_rows(terms[:fams], 0, w, sums, pairwise, scratch)
    _sum_rows(active, r0, w, expected_loss, pairwise, scratch)  # the active fleet, for now
    for f in range(fams):
        for j in range(w):
            r = _at(r0, j)
            total = sums[j]
            safe = total if total > 0 else 1.0
            share = (true_losses[t, r] * noise[j]) * vulnerability[f, r]
            share /= safe
            share = minimum(share, 1.0)
            prob[f, j] = share * (1.0 if total > 0 else 0.0)
            at_risk[f, j] = active[f, r]
    for j in range(w):
        r = _at(r0, j)
        expected_loss[j] = minimum(true_losses[t, r], expected_loss[j])


@jit
def _serve(left, j, own_row, poor_row, own_poor, donors, cost, failure, budget, wanted,
           stochastic):  # fmt: skip
    """``sim.engine.simulate._serve`` for one entry and replication ``j`` of the tile:
    returns the hulls started, the budget and ``wanted`` after them; ``left`` (3F, w) is
    spent in place."""
    divisor = 1.0 + donors
    usable = maximum(1.0 - failure, MIN_USABLE)
    own = left[own_row, j]
    if own_poor:
        available = _whole(own / divisor, stochastic)
    else:
        pooled = _whole((own + left[poor_row, j]) / divisor, stochastic)
        available = minimum(pooled, _whole(own, stochastic))  # whole hulls of own
    demand = available * cost
    effort = minimum(budget, demand)
    budget = maximum(budget - demand, 0.0)
    n = minimum(_whole(effort / cost, stochastic), available)
    n = minimum(n, _whole(wanted / usable, stochastic))
    wanted -= n * usable
    claim = n * donors
    own -= n
    if own_poor:
        own -= claim
    else:
        from_poor = minimum(claim, left[poor_row, j])
        left[poor_row, j] -= from_poor
        own -= claim - from_poor
    left[own_row, j] = own
    return n, budget, wanted


@jit
def _serve_entry(k, f, condition, donors, cost, failure, stochastic, r0, w, left, budget,
                 wanted, starts, spent, add, tally):  # fmt: skip
    """Entry ``k`` (family ``f``, ``condition``; ``donors``, ``cost`` and ``failure`` the
    entries' (K, R) arrays) for each replication of the tile out of ``budget`` (w,), spent
    in place with ``left`` and ``wanted``: ``starts[k]`` set (added to, with ``add``), and
    with ``tally`` the effort of the hulls started added to ``spent`` (w,). Takes the
    arrays it reads, not the structures: it runs once per entry and pass."""
    fams = left.shape[0] // CONDITIONS
    own_row = condition * fams + f
    for j in range(w):
        r = _at(r0, j)
        n, budget[j], wanted[j] = _serve(
            left, j, own_row, POOR * fams + f, condition == POOR, donors[k, r],
            cost[k, r], failure[k, r], budget[j], wanted[j], stochastic,
        )  # fmt: skip
        starts[k, j] = starts[k, j] + n if add else n
        if tally:
            spent[j] += n * cost[k, r]


@jit
def _plan(t, r0, w, g, c, sc):
    """``sim.engine.simulate.plan_starts`` for the tile in month ``t``: ``sc.starts``
    (K, w); ``sc.left`` (3F, w) the hulls in storage, ``sc.remaining`` and ``sc.wanted``
    (w,) are spent. ``g.family_share`` (S, F, R) by period (``g.family_share_period``
    (T,)), or (0, F, R) for no family shares (pass 2 alone); ``sc.budget`` (F, w) and
    ``sc.spent`` (w,) are scratch."""
    left, remaining, wanted = sc.left, sc.remaining, sc.wanted
    starts, budget, spent = sc.starts, sc.budget, sc.spent
    family_share, entry_family = g.family_share, g.entry_family
    entry_start, entry_stop, entry_condition = g.entry_start, g.entry_stop, g.entry_condition
    donors, cost, failure, stochastic = g.entry_donors, c.entry_cost, c.entry_failure, g.stochastic
    fams = left.shape[0] // CONDITIONS
    shares = family_share.shape[0] > 0
    entries = entry_family.shape[0]
    for j in range(w):
        spent[j] = 0.0
    for first in (True, False):
        if first and not shares:
            continue
        if first:  # pass 1: each family's share on its own entries
            period = g.family_share_period[t]
            for f in range(fams):
                for j in range(w):
                    budget[f, j] = family_share[period, f, _at(r0, j)] * remaining[j]
        for k in range(entries):  # pass 2: what pass 1 left, down the whole list
            if t < entry_start[k] or t >= entry_stop[k]:
                if first or not shares:
                    for j in range(w):
                        starts[k, j] = 0.0
                continue
            _serve_entry(k, entry_family[k], entry_condition[k], donors, cost, failure,
                         stochastic, r0, w, left, budget[entry_family[k]] if first else remaining,
                         wanted, starts, spent, shares and not first, first)  # fmt: skip
        if first:
            for j in range(w):
                remaining[j] = maximum(remaining[j] - spent[j], 0.0)


@jit
def _strip(r0, w, g, state, starts, taken, short):
    """``sim.engine.simulate.strip_donors`` for the tile: started hulls, then ``taken``
    (K, w: the donors drawn, replaced by those found) out of storage; ``short`` the rest."""
    entry_family, entry_condition = g.entry_family, g.entry_condition
    for k in range(entry_family.shape[0]):
        own = state[STORAGE_GOOD + entry_condition[k], entry_family[k]]
        for j in range(w):
            r = _at(r0, j)
            own[r] -= starts[k, j]
    for k in range(entry_family.shape[0]):
        own_c = entry_condition[k]
        own = state[STORAGE_GOOD + own_c, entry_family[k]]
        poor = state[STORAGE_POOR, entry_family[k]]
        for j in range(w):
            r = _at(r0, j)
            want = taken[k, j]
            if own_c == POOR:
                take = minimum(want, poor[r])
                poor[r] -= take
            else:
                from_poor = minimum(want, poor[r])
                poor[r] -= from_poor
                from_own = minimum(want - from_poor, own[r])
                own[r] -= from_own
                take = from_poor + from_own
            taken[k, j] = take
            short[k, j] = want - take


@jit
def _by_family(w, g, a, b, sign, out):
    """``out[f, j]`` = ``_ByFamily`` of ``a + sign * b`` (K, w): zero, then each
    condition's entries (distinct families) added, conditions and entries in order."""
    entry_family, entry_condition = g.entry_family, g.entry_condition
    out[:, :w] = 0.0
    for c in range(CONDITIONS):
        for k in range(entry_family.shape[0]):
            if entry_condition[k] == c:
                row = out[entry_family[k]]
                for j in range(w):
                    row[j] += a[k, j] + sign * b[k, j]
