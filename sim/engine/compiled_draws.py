"""Scalar inverse CDFs for the compiled month step (numba, nopython).

Each function is the per-element statement of its vectorised counterpart in
:mod:`sim.engine.inverse_cdf`, with the same floating-point operations in the same order, so a
count drawn here equals the numpy engine's count at the same uniform. The normal quantile is
scipy's own compiled ``ndtri`` (through ``scipy.special.cython_special``), so it is the same
function, not a port. ``exp`` and ``log1p`` are the C library's: numpy's SIMD versions (on
AVX-512 machines) may differ from them in the last bit, which changes a count only when a
uniform lies within about 1e-16 of a CDF value (README, Performance).

Importing this module imports numba.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import binding
from numba.core import types
from numba.extending import get_cython_function_address

from sim.engine.inverse_cdf import EXACT_BELOW_VARIANCE, MAX_EXACT_COUNT, POISSON_NORMAL_ABOVE
from sim.model.constants import QUANTILE_CLIP

# scipy's ndtri as a named external symbol (not a ctypes pointer), so the kernels can be cached
binding.add_symbol(
    "tanksim_scipy_ndtri", get_cython_function_address("scipy.special.cython_special", "ndtri")
)
_ndtri = types.ExternalFunction("tanksim_scipy_ndtri", types.float64(types.float64))

jit = numba.njit(cache=True, nogil=True, error_model="numpy")
#: 1.0 / j for j = 0 .. MAX_EXACT_COUNT (entry 0 unused): the same doubles as computing
#: ``1.0 / j`` in the search, without a division per step.
RECIPROCAL = np.concatenate(([0.0], 1.0 / np.arange(1, MAX_EXACT_COUNT + 1, dtype=np.float64)))


@jit
def minimum(a, b):
    """``np.minimum`` of two floats: NaN if either is NaN."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a <= b else b


@jit
def maximum(a, b):
    """``np.maximum`` of two floats: NaN if either is NaN."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


@jit
def _sum_mass(u, mass, top, step, binomial):
    """Smallest k with sum_{j<=k} mass_j >= u (see ``inverse_cdf._sum_mass``)."""
    cdf = mass
    count = 1.0 if u > cdf else 0.0
    above = u > cdf
    j = 0
    while above and j < MAX_EXACT_COUNT:
        j += 1
        factor = top * RECIPROCAL[j]
        if binomial:
            factor -= step
        mass *= factor
        cdf += mass
        above = u > cdf
        if above:
            count += 1.0
    return count


@jit
def _cornish_fisher(u, mean, k2, k3, k4, k5):
    """``inverse_cdf._cornish_fisher`` at one uniform."""
    var = k2 - 1.0 / 12.0
    sd = math.sqrt(var)
    g1 = k3 / (var * sd)
    g2 = (k4 + 1.0 / 120.0) / (var * var)
    g3 = k5 / (var * var * sd)
    z = _ndtri(u)
    z2 = z * z
    z4 = z2 * z2
    w = g1 * (
        (z2 - 1) / 6 + g2 * -(z4 - 5 * z2 + 2) / 24 + g1 * g1 * (12 * z4 - 53 * z2 + 17) / 324
    )
    w += z * (g2 * (z2 - 3) / 24 - g1 * g1 * (2 * z2 - 5) / 36)
    w += g3 * (z4 - 6 * z2 + 3) / 120
    w += z
    w *= sd
    w += mean + 0.5
    return np.floor(w)


@jit
def binomial(u, n, p):
    """Binomial(n, p) count at the centred uniform ``u`` (float64); 0 when n <= 0."""
    if not n > 0:
        return 0.0
    flip = p > 0.5
    if flip:
        p = 1.0 - p
        u = 1.0 - u
    var = n * p
    var *= 1.0 - p
    if var < EXACT_BELOW_VARIANCE:
        ratio = p / (1.0 - p)
        first = math.log1p(-p) * n
        k = minimum(_sum_mass(u, math.exp(first), (n + 1.0) * ratio, ratio, True), n)
    else:
        pq = var / n
        k3 = var * (1.0 - 2.0 * p)
        k4 = var * (1.0 - 6.0 * pq)
        k5 = k3 * (1.0 - 12.0 * pq)
        k = minimum(maximum(_cornish_fisher(u, n * p, var, k3, k4, k5), 0.0), n)
    return n - k if flip else k


@jit
def flipped(p):
    """What :func:`invert_binomials` needs of a probability ``p`` that stays the same over
    many draws (see :func:`push`): q = min(p, 1 - p) as :func:`binomial` flips it,
    log1p(-q) and q / (1 - q)."""
    q = 1.0 - p if p > 0.5 else p
    return q, math.log1p(-q), q / (1.0 - q)


@jit
def poisson(u, lam):
    """Poisson(lam) count at the centred uniform ``u``; 0 when lam <= 0."""
    if not lam > 0:
        return 0.0
    if lam < EXACT_BELOW_VARIANCE:
        return _sum_mass(u, math.exp(-lam), lam, 0.0, False)
    return maximum(_cornish_fisher(u, lam, lam, lam, lam, lam), 0.0)


@jit
def poisson_inverse(u, lam, top):
    """``inverse_cdf.poisson_inverse_cdf`` at one centred uniform; ``top`` is the largest
    ``min(lam, POISSON_NORMAL_ABOVE)`` of the chunk (it bounds the search)."""
    if lam > POISSON_NORMAL_ABOVE:
        c = minimum(maximum(u, QUANTILE_CLIP), 1 - QUANTILE_CLIP)
        normal = float(round(lam + math.sqrt(lam) * _ndtri(c)))  # round half to even, as rint
        return maximum(normal, 0.0)
    small = minimum(lam, POISSON_NORMAL_ABOVE)
    mass = math.exp(-small)
    cdf = mass
    count = 1.0 if u > cdf else 0.0
    stop = int(top + 12 * math.sqrt(top) + 30)
    k = 1
    while k < stop:
        mass = mass * small / k
        cdf = cdf + mass
        if not u > cdf:
            break
        count += 1.0
        k += 1
    return count


#: Rows of the compact list of binomial draws :func:`invert_binomials` reads.
U, N, P, Q, LOG_Q, RATIO = range(6)
#: Rows of its float scratch (the search's lanes) and of its integer scratch.
MASS, CDF, TOP, STEP, UU, COUNT, RESULT, FLIP = range(8)
LANE, DRAW = range(2)
#: Row counts of the list and its two scratch arrays.
LIST_ROWS, WORK_ROWS, IWORK_ROWS = RATIO + 1, FLIP + 1, DRAW + 1


@jit
def push(draws, slots, i, slot, u, n, p, q, log_q, ratio):
    """Put draw ``i`` (count ``n > 0``, centred uniform ``u``, probability ``p`` and
    :func:`flipped` of it, or NaN ``log_q`` and ``ratio`` when not computed) in the list;
    its count goes to ``out[slot]``. Returns ``i + 1``."""
    draws[U, i], draws[N, i], draws[P, i] = u, n, p
    draws[Q, i], draws[LOG_Q, i], draws[RATIO, i] = q, log_q, ratio
    slots[i] = slot
    return i + 1


@jit
def _search(live, work, iwork):
    """The exact inversion's search (``_sum_mass``) for lanes ``0 .. live - 1`` of ``work``
    in lockstep, so the compiler can vectorise it: each lane's count goes to
    ``work[RESULT, iwork[LANE, e]]``. A lane that stops has its uniform set to -inf, so it
    counts no more; lanes still searching are moved to the front when they are fewer than
    half, as ``inverse_cdf._sum_mass`` drops rows."""
    mass, cdf, top, step = work[MASS], work[CDF], work[TOP], work[STEP]
    uu, count, result, lane = work[UU], work[COUNT], work[RESULT], iwork[LANE]
    going = 0
    for e in range(live):
        above = uu[e] > cdf[e]
        count[e] = 1.0 if above else 0.0
        uu[e] = uu[e] if above else -np.inf
        going += above
    j = 0
    while going > 0 and j < MAX_EXACT_COUNT:
        if going * 2 < live:
            kept = 0
            for e in range(live):
                if uu[e] > -np.inf:
                    mass[kept], cdf[kept], top[kept] = mass[e], cdf[e], top[e]
                    step[kept], uu[kept], count[kept] = step[e], uu[e], count[e]
                    lane[kept] = lane[e]
                    kept += 1
                else:
                    result[lane[e]] = count[e]
            live = kept
        j += 1
        reciprocal = RECIPROCAL[j]
        going = 0
        for e in range(live):
            factor = top[e] * reciprocal
            factor -= step[e]
            m = mass[e] * factor
            mass[e] = m
            c = cdf[e] + m
            cdf[e] = c
            above = uu[e] > c
            count[e] += 1.0 if above else 0.0
            uu[e] = uu[e] if above else -np.inf
            going += above
    for e in range(live):
        result[lane[e]] = count[e]


@jit
def invert_binomials(size, draws, slots, out, work, iwork):
    """The counts of draws ``0 .. size - 1`` of the list (:func:`push`), each written to
    ``out[slots[i]]``: :func:`binomial` of each, computed together (the exact inversions'
    searches in lockstep). ``work`` (8, capacity) and ``iwork`` (2, capacity) are scratch."""
    exact = 0
    for i in range(size):
        n, p, q = draws[N, i], draws[P, i], draws[Q, i]
        flip = p > 0.5
        u = 1.0 - draws[U, i] if flip else draws[U, i]
        var = n * q
        var *= 1.0 - q
        if var < EXACT_BELOW_VARIANCE:
            log_q, ratio = draws[LOG_Q, i], draws[RATIO, i]
            if log_q != log_q:
                log_q, ratio = math.log1p(-q), q / (1.0 - q)
            first = log_q * n
            mass = math.exp(first)
            work[MASS, exact], work[CDF, exact], work[UU, exact] = mass, mass, u
            work[TOP, exact], work[STEP, exact] = (n + 1.0) * ratio, ratio
            iwork[LANE, exact], iwork[DRAW, exact] = exact, i
            exact += 1
        else:
            pq = var / n
            k3 = var * (1.0 - 2.0 * q)
            k4 = var * (1.0 - 6.0 * pq)
            k5 = k3 * (1.0 - 12.0 * pq)
            k = minimum(maximum(_cornish_fisher(u, n * q, var, k3, k4, k5), 0.0), n)
            out[slots[i]] = n - k if flip else k
    _search(exact, work, iwork)
    for e in range(exact):
        i = iwork[DRAW, e]
        n = draws[N, i]
        k = minimum(work[RESULT, e], n)
        out[slots[i]] = n - k if draws[P, i] > 0.5 else k
