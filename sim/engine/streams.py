"""Random numbers keyed by what they are for, so results do not depend on chunking.

Replications are grouped in fixed blocks of :data:`BLOCK`. Each (block, purpose) pair has
its own generator, seeded by ``SeedSequence(seed, spawn_key=(block, crc32(purpose)))``; a
chunk is any run of whole blocks. The same seed therefore gives the same numbers whatever the
chunk size or worker count, and two scenarios share the draws of every flow they share.

Every count is drawn by inverting its CDF at one uniform number: each month, each stream
gives exactly one uniform per replication of its block, whatever the state. A replication's
draw of a flow therefore depends only on its own uniform and its own state, never on another
replication's, and a count never falls when its uniform rises. Inversion is exact (up to the
2**-24 resolution of the uniforms) when the count's variance is below
:data:`EXACT_BELOW_VARIANCE`; above it a third-order Cornish-Fisher expansion of the normal
quantile, with Sheppard's lattice corrections, stands in: its CDF differs from the exact one
by less than 5e-5 (tests/test_streams.py measures it exactly, over every uniform the flows
can draw).

:class:`RandomFlows` draws integer counts; :class:`ExpectedFlows` returns expected values
with the same interface, for deterministic runs.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy import special

#: Replications per random-number block. Structural: changing it changes every draw.
BLOCK = 1024
#: Months of uniforms drawn per generator call (a speed setting: changes no number).
BATCH_MONTHS = 12
#: Counts whose variance is below this are inverted exactly, by summing the probability
#: mass; the others by the Cornish-Fisher quantile (largest CDF error 3e-5, at this bound;
#: it falls as variance**-2 above it). Below about 4 the expansion would err by 3e-4 or more.
EXACT_BELOW_VARIANCE = 10.0
#: Uniforms are float32 multiples of 2**-24; half a step centres them in (0, 1).
HALF_STEP = 2.0**-25
#: Where exact summation stops searching (structural: with the variance below
#: EXACT_BELOW_VARIANCE and u <= 1 - 2**-25, no count comes near it).
MAX_EXACT_COUNT = 1000


def stream(seed: int, block: int, purpose: str) -> np.random.Generator:
    """The generator for one block of replications and one purpose (a flow or parameter)."""
    key = (block, zlib.crc32(purpose.encode("utf-8")))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def block_slices(first_rep: int, reps: int) -> list[tuple[int, slice]]:
    """``(block index, slice into the chunk)`` for a chunk starting at a block boundary."""
    if first_rep % BLOCK:
        raise ValueError(f"a chunk must start at a multiple of {BLOCK}, not {first_rep}")
    out = []
    for offset in range(0, reps, BLOCK):
        out.append(((first_rep + offset) // BLOCK, slice(offset, min(offset + BLOCK, reps))))
    return out


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
        normal = np.rint(lam + np.sqrt(lam) * special.ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
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


class _Batched:
    """Draws for one purpose: ``fill(gen, months, size)`` gives (months, size) for one
    block; a batch of :data:`BATCH_MONTHS` months is drawn per generator at a time and
    handed out one month per :meth:`next` call, shape (rows, reps)."""

    def __init__(self, gens, blocks, reps, dtype, fill, left):
        self.gens, self.blocks, self.reps = gens, blocks, reps
        self.dtype, self.fill, self.left = dtype, fill, left
        self.buffer, self.used = None, 0

    def next(self):
        if self.buffer is None or self.used == len(self.buffer):
            months = BATCH_MONTHS if self.left is None else max(1, min(BATCH_MONTHS, self.left))
            self.buffer = np.empty((months, len(self.gens), self.reps), self.dtype)
            for row, gens in enumerate(self.gens):
                for gen, (_, part) in zip(gens, self.blocks):
                    self.buffer[:, row, part] = self.fill(gen, months, part)
            self.used = 0
        out = self.buffer[self.used]
        self.used += 1
        if self.left is not None:
            self.left -= 1
        return out


class RandomFlows:
    """Integer draws for one chunk of replications; the last array axis is replications.

    Each call of a flow (``binomial``, ``poisson``...) with a given purpose is the next month
    of that purpose's streams. Call :meth:`plan` with the number of months first to avoid
    drawing beyond the horizon (it changes no number).
    """

    integer = True

    def __init__(self, seed: int, first_rep: int, reps: int):
        self.seed, self.reps = seed, reps
        self.blocks = block_slices(first_rep, reps)
        self.months: int | None = None
        # purpose -> (its rows, its batched draws); a purpose keeps the rows it started with
        self._flows: dict[str, tuple[tuple[str, ...] | None, _Batched]] = {}
        self._noise_cv: np.ndarray | None = None

    def plan(self, months: int) -> None:
        """The number of months each flow will be drawn for."""
        self.months = months

    def _gens(self, purpose: str) -> list[np.random.Generator]:
        return [stream(self.seed, block, purpose) for block, _ in self.blocks]

    def _next(self, purpose: str, rows: tuple[str, ...] | None, fill, dtype) -> np.ndarray:
        rows = None if rows is None else tuple(rows)
        held = self._flows.get(purpose)
        if held is None:
            keys = [purpose] if rows is None else [f"{purpose}:{name}" for name in rows]
            gens = [self._gens(k) for k in keys]
            held = (rows, _Batched(gens, self.blocks, self.reps, dtype, fill, self.months))
            self._flows[purpose] = held
        elif held[0] != rows:
            raise ValueError(f"flow {purpose!r} drawn with rows {rows}, before with {held[0]}")
        return held[1].next()

    def uniforms(self, purpose: str, rows: tuple[str, ...] | None = None) -> np.ndarray:
        """This month's uniforms, float32 multiples of 2**-24 in [0, 1) (add
        :data:`HALF_STEP` to centre them in (0, 1)): shape (len(rows), reps), or (reps,).

        Row i uses the stream keyed ``purpose:rows[i]`` (``purpose`` without rows), so each
        family, priority entry or supply keeps its own draws.
        """
        u = self._next(purpose, rows, _fill_uniform, np.float32)
        return u if rows is not None else u[0]

    def binomial(self, purpose: str, n, p, rows: tuple[str, ...] | None = None) -> np.ndarray:
        """Binomial(n, p) counts, shape of ``n`` ((len(rows), reps) with rows, else (reps,))."""
        return binomial_quantile(self.uniforms(purpose, rows), n, p, offset=HALF_STEP)

    def binomials(self, *requests) -> list[np.ndarray]:
        """Several binomial flows at once, each ``(purpose, n, p, rows)`` as in
        :meth:`binomial`: the same numbers as one call each, computed together (fewer,
        larger array operations)."""
        shapes, idxs, us, ns, ps, seen = [], [], [], [], [], {}
        for purpose, n, p, rows in requests:
            u = self.uniforms(purpose, rows)
            if id(n) not in seen:
                seen[id(n)] = (n, np.flatnonzero(np.broadcast_to(n, u.shape) > 0))
            idx = seen[id(n)][1]
            shapes.append(u.shape)
            idxs.append(idx)
            us.append(u.reshape(-1)[idx])
            ns.append(_gather(n, u.shape, idx))
            ps.append(_gather(p, u.shape, idx))
        uu = np.concatenate(us).astype(np.float64)
        uu += HALF_STEP
        nn = np.concatenate(ns).astype(np.float64)
        k = _binomial_quantile_1d(uu, nn, np.concatenate(ps).astype(np.float64))
        out, start = [], 0
        for shape, idx in zip(shapes, idxs):
            counts = np.zeros(shape, np.int64)
            counts.reshape(-1)[idx] = k[start : start + len(idx)]
            start += len(idx)
            out.append(counts)
        return out

    def poisson(self, purpose: str, lam, rows: tuple[str, ...] | None = None) -> np.ndarray:
        """Poisson counts with mean ``lam``."""
        return poisson_quantile(self.uniforms(purpose, rows), lam, offset=HALF_STEP)

    def poisson_by_inversion(self, purpose: str, lam, rows: tuple[str, ...]) -> np.ndarray:
        """Poisson counts by exact inversion of the CDF (:func:`poisson_inverse_cdf`): with
        the same stream, the count never falls when ``lam`` rises (a search over rates
        needs it)."""
        lam = np.asarray(lam, dtype=float)
        u = self.uniforms(purpose, rows).astype(np.float64) + HALF_STEP
        return poisson_inverse_cdf(u, lam)

    def noise(self, purpose: str, cv: np.ndarray) -> np.ndarray:
        """Gamma multipliers with mean 1 and coefficient of variation ``cv``, shape (reps,).

        ``cv`` is a per-replication parameter: it must be the same at every call.
        """
        cv = np.broadcast_to(np.asarray(cv, dtype=float), (self.reps,))
        if self._noise_cv is None:
            self._noise_cv = cv.copy()
        elif not np.array_equal(cv, self._noise_cv):
            raise ValueError("noise: cv must not change from month to month")
        shape = 1.0 / np.maximum(cv, 1e-6) ** 2

        def fill(gen, months, part):
            return gen.gamma(shape[part], 1.0 / shape[part], size=(months, part.stop - part.start))

        out = self._next(purpose, None, fill, np.float64)[0]
        return np.where(cv > 0, out, 1.0)

    @staticmethod
    def whole(x: np.ndarray) -> np.ndarray:
        """Whole hulls: round down (with a tolerance for float error) to integral floats."""
        return np.floor(x + 1e-9)


def _fill_uniform(gen: np.random.Generator, months: int, part: slice) -> np.ndarray:
    return gen.random((months, part.stop - part.start), dtype=np.float32)


class ExpectedFlows:
    """Expected values in place of draws: a deterministic, fractional-count run."""

    integer = False

    def __init__(self, reps: int = 1):
        self.reps = reps

    def plan(self, months: int) -> None:
        """Nothing to plan: expected values draw nothing."""

    @staticmethod
    def binomial(purpose: str, n, p, rows=None) -> np.ndarray:
        return n * p

    @staticmethod
    def binomials(*requests) -> list[np.ndarray]:
        return [n * p for _, n, p, _ in requests]

    @staticmethod
    def poisson(purpose: str, lam, rows=None) -> np.ndarray:
        return np.asarray(lam, dtype=float)

    poisson_by_inversion = poisson

    def noise(self, purpose: str, cv: np.ndarray) -> np.ndarray:
        return np.ones(self.reps)

    @staticmethod
    def whole(x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=float)
