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

from sim.engine.inverse_cdf import (  # noqa: F401 (re-exported: the draws' constants)
    EXACT_BELOW_VARIANCE,
    HALF_STEP,
    MAX_EXACT_COUNT,
    POISSON_NORMAL_ABOVE,
    _binomial_quantile_1d,
    _gather,
    binomial_quantile,
    poisson_inverse_cdf,
    poisson_quantile,
)
from sim.model.constants import MIN_LOSS_CV, WHOLE_TOLERANCE

#: Replications per random-number block. Structural: changing it changes every draw.
BLOCK = 1024
#: Months of uniforms drawn per generator call (a speed setting: changes no number).
BATCH_MONTHS = 12


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
        shape = 1.0 / np.maximum(cv, MIN_LOSS_CV) ** 2

        def fill(gen, months, part):
            return gen.gamma(shape[part], 1.0 / shape[part], size=(months, part.stop - part.start))

        out = self._next(purpose, None, fill, np.float64)[0]
        return np.where(cv > 0, out, 1.0)

    @staticmethod
    def whole(x: np.ndarray) -> np.ndarray:
        """Whole hulls: round down (with a tolerance for float error) to integral floats."""
        return np.floor(x + WHOLE_TOLERANCE)


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
