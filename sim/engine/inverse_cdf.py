"""Counts by inverting their CDF at one uniform: exact summation of the probability mass
for small variances, a Cornish-Fisher quantile with lattice corrections above them (see the
error bounds below and tests/test_streams.py), and Poisson by a normal approximation for
large means. Pure functions of arrays; :mod:`sim.engine.streams` feeds them the uniforms."""

from __future__ import annotations

import numpy as np
from scipy import special

from sim.model.constants import HALF_STEP, QUANTILE_CLIP  # noqa: F401 (HALF_STEP re-exported)

#: Counts whose variance is below this are inverted exactly, by summing the probability
#: mass; the others by the Cornish-Fisher quantile (largest CDF error 3e-5, at this bound;
#: it falls as variance**-2 above it). Below about 4 the expansion would err by 3e-4 or more.
EXACT_BELOW_VARIANCE = 10.0
#: Where exact summation stops searching (structural: with the variance below
#: EXACT_BELOW_VARIANCE and u <= 1 - 2**-25, no count comes near it).
MAX_EXACT_COUNT = 1000


#: Above this mean, :func:`poisson_inverse_cdf` uses the normal approximation.
POISSON_NORMAL_ABOVE = 400.0


def poisson_inverse_cdf(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The smallest k with Poisson(lam) CDF(k) >= u, elementwise (non-decreasing in lam and u).

    Exact summation of the probability mass up to :data:`POISSON_NORMAL_ABOVE`, a rounded
    normal approximation beyond (where exp(-lam) would underflow). Used for foreign supply,
    where a search over rates needs counts that never fall as the rate rises.
    """
    lam = np.broadcast_to(lam, u.shape)
    small = np.minimum(lam, POISSON_NORMAL_ABOVE)
    mass = np.exp(-small)
    cdf = mass.copy()
    count = (u > cdf).astype(np.int64)
    top = float(small.max(initial=0.0))
    for k in range(1, int(top + 12 * np.sqrt(top) + 30)):
        mass = mass * small / k
        cdf = cdf + mass
        above = u > cdf
        if not above.any():
            break
        count += above
    big = lam > POISSON_NORMAL_ABOVE
    if big.any():
        centred = np.clip(u, QUANTILE_CLIP, 1 - QUANTILE_CLIP)
        normal = np.rint(lam + np.sqrt(lam) * special.ndtri(centred))
        count = np.where(big, np.maximum(normal, 0).astype(np.int64), count)
    return count


def _sum_mass(u, mass, top, step):
    """Smallest k with sum_{j<=k} mass_j >= u, where mass_0 = ``mass`` and
    mass_j = mass_{j-1} * (top / j - step) (1-D float arrays; ``step`` may be the scalar 0;
    ``mass`` is overwritten).

    Binomial(n, q): top = (n + 1) q / (1 - q), step = q / (1 - q); Poisson(lam):
    top = lam, step = 0. The CDF only rises, so summing [u > CDF(j)] over j counts k
    exactly; rows whose search has ended are dropped whenever fewer than half still
    search, so the work is about the sum of the counts.
    """
    cdf = mass.copy()
    above = u > cdf
    count = above.astype(np.float64)
    result, where = count, None  # where: positions in ``result`` of the rows still held
    factor = np.empty_like(cdf)
    j = 0
    while j < MAX_EXACT_COUNT:
        searching = int(np.count_nonzero(above))
        if not searching:
            break
        if searching * 2 < len(u):
            keep = np.flatnonzero(above)
            if where is None:
                result, where = count.copy(), keep
            else:
                result[where] = count
                where = where[keep]
            u, mass, cdf, top, count = u[keep], mass[keep], cdf[keep], top[keep], count[keep]
            step = step[keep] if np.ndim(step) else step
            factor = factor[:searching]
        j += 1
        np.multiply(top, 1.0 / j, out=factor)
        if np.ndim(step):
            factor -= step
        mass *= factor
        cdf += mass
        above = u > cdf
        count += above
    if where is None:
        return count
    result[where] = count
    return result


def _cornish_fisher(u, mean, k2, k3, k4, k5):
    """Quantile at ``u`` of a count (a unit lattice) with cumulants ``mean``, ``k2`` .. ``k5``:
    the Cornish-Fisher expansion to third order, with Sheppard's corrections for the
    lattice (variance less 1/12, fourth cumulant plus 1/120), rounded to the lattice."""
    var = k2 - 1.0 / 12.0
    sd = np.sqrt(var)
    g1 = k3 / (var * sd)
    g2 = (k4 + 1.0 / 120.0) / (var * var)
    g3 = k5 / (var * var * sd)
    z = special.ndtri(u)
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
    return np.floor(w, out=w)


def _binomial_quantile_1d(u, n, p):
    """:func:`binomial_quantile` for 1-D float arrays with n > 0 and 0 <= p <= 1."""
    flip = np.flatnonzero(p > 0.5)  # X = n - Y with Y ~ Binomial(n, 1 - p), inverted at 1 - u
    if len(flip):
        p, u = p.copy(), u.copy()
        p[flip] = 1.0 - p[flip]
        u[flip] = 1.0 - u[flip]
    var = n * p
    var *= 1.0 - p
    exact = var < EXACT_BELOW_VARIANCE
    k = np.empty_like(u)
    parts = (np.flatnonzero(exact), np.flatnonzero(~exact))
    if len(parts[0]):
        i = parts[0] if len(parts[1]) else slice(None)
        ni, pi = n[i], p[i]
        ratio = pi / (1.0 - pi)
        first = np.log1p(-pi)
        first *= ni
        k[i] = np.minimum(_sum_mass(u[i], np.exp(first, out=first), (ni + 1.0) * ratio, ratio), ni)
    if len(parts[1]):
        i = parts[1] if len(parts[0]) else slice(None)
        ni, pi, vi = n[i], p[i], var[i]
        pq = vi / ni
        k3 = vi * (1.0 - 2.0 * pi)
        k4 = vi * (1.0 - 6.0 * pq)
        k5 = k3 * (1.0 - 12.0 * pq)
        k[i] = np.clip(_cornish_fisher(u[i], ni * pi, vi, k3, k4, k5), 0.0, ni)
    if len(flip):
        k[flip] = n[flip] - k[flip]
    return k


def _poisson_quantile_1d(u, lam):
    """:func:`poisson_quantile` for 1-D float arrays with lam > 0."""
    exact = lam < EXACT_BELOW_VARIANCE
    k = np.empty_like(u)
    parts = (np.flatnonzero(exact), np.flatnonzero(~exact))
    if len(parts[0]):
        i = parts[0] if len(parts[1]) else slice(None)
        k[i] = _sum_mass(u[i], np.exp(-lam[i]), lam[i], 0.0)
    if len(parts[1]):
        i = parts[1] if len(parts[0]) else slice(None)
        li = lam[i]
        k[i] = np.maximum(_cornish_fisher(u[i], li, li, li, li, li), 0.0)
    return k


def _gather(a, shape: tuple[int, ...], idx: np.ndarray) -> np.ndarray:
    """``np.broadcast_to(a, shape).reshape(-1)[idx]`` without materialising the broadcast
    when ``a`` is one value per replication (the last axis)."""
    a = np.asarray(a)
    if a.shape == shape:
        return a.reshape(-1)[idx]
    if a.ndim == 1 and len(shape) > 1 and a.shape[0] == shape[-1]:
        return a[idx % shape[-1]]
    return np.broadcast_to(a, shape).reshape(-1)[idx]


def binomial_quantile(u: np.ndarray, n, p, offset: float = 0.0) -> np.ndarray:
    """Binomial(n, p) counts at uniforms ``u`` in (0, 1), elementwise; int64, shape of ``u``.

    Exact inversion (the smallest k with CDF(k) >= u) when n p (1 - p) <
    :data:`EXACT_BELOW_VARIANCE`, the Cornish-Fisher quantile otherwise. Non-decreasing in
    ``u``; never below 0 or above n. ``offset`` is added to every uniform first.
    """
    u = np.asarray(u)
    out = np.zeros(u.shape, np.int64)
    idx = np.flatnonzero(np.broadcast_to(n, u.shape) > 0)
    if len(idx):
        uu = u.reshape(-1)[idx].astype(np.float64)
        uu += offset
        nn = _gather(n, u.shape, idx).astype(np.float64)
        pp = _gather(p, u.shape, idx).astype(np.float64)
        out.reshape(-1)[idx] = _binomial_quantile_1d(uu, nn, pp)
    return out


def poisson_quantile(u: np.ndarray, lam, offset: float = 0.0) -> np.ndarray:
    """Poisson(lam) counts at uniforms ``u`` in (0, 1), elementwise; int64, shape of ``u``.

    Exact inversion when lam < :data:`EXACT_BELOW_VARIANCE`, the Cornish-Fisher quantile
    otherwise. Non-decreasing in ``u``. ``offset`` is added to every uniform first.
    """
    u = np.asarray(u)
    out = np.zeros(u.shape, np.int64)
    idx = np.flatnonzero(np.broadcast_to(lam, u.shape) > 0)
    if len(idx):
        uu = u.reshape(-1)[idx].astype(np.float64)
        uu += offset
        ll = _gather(lam, u.shape, idx).astype(np.float64)
        out.reshape(-1)[idx] = _poisson_quantile_1d(uu, ll)
    return out
