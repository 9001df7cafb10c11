"""Random numbers keyed by what they are for, so results do not depend on chunking.

Replications are grouped in fixed blocks of :data:`BLOCK`. Each (block, purpose) pair has
its own generator, seeded by ``SeedSequence(seed, spawn_key=(block, crc32(purpose)))``; a
chunk is any run of whole blocks. The same seed therefore gives the same numbers whatever the
chunk size or worker count, and two scenarios share the draws of every flow they share.

:class:`RandomFlows` draws integer counts; :class:`ExpectedFlows` returns expected values
with the same interface, for deterministic runs.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy import special

#: Replications per random-number block. Structural: changing it changes every draw.
BLOCK = 1024


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
    normal approximation beyond (where exp(-lam) would underflow).
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


class RandomFlows:
    """Integer draws for one chunk of replications; the last array axis is replications."""

    integer = True

    def __init__(self, seed: int, first_rep: int, reps: int):
        self.seed, self.reps = seed, reps
        self.blocks = block_slices(first_rep, reps)
        self._generators: dict[str, list[np.random.Generator]] = {}

    def _gens(self, purpose: str) -> list[np.random.Generator]:
        gens = self._generators.get(purpose)
        if gens is None:
            gens = [stream(self.seed, block, purpose) for block, _ in self.blocks]
            self._generators[purpose] = gens
        return gens

    def _draw(self, purpose: str, method: str, *args, rows: tuple[str, ...] | None = None):
        """Draw with ``method``; with ``rows``, row i of the (len(rows), R) arguments uses the
        stream keyed ``purpose:rows[i]``, so each family keeps its own draws."""
        args = np.broadcast_arrays(*args)
        out = np.empty(args[0].shape, dtype=np.int64)
        if rows is None:
            keyed = [(purpose, ())]
        else:
            keyed = [(f"{purpose}:{name}", (i,)) for i, name in enumerate(rows)]
        for key, row in keyed:
            for gen, (_, part) in zip(self._gens(key), self.blocks):
                where = (*row, ..., part)
                out[where] = getattr(gen, method)(*(a[where] for a in args))
        return out

    def binomial(self, purpose: str, n, p, rows: tuple[str, ...] | None = None) -> np.ndarray:
        """Binomial(n, p) counts, shape of the broadcast of ``n`` and ``p``."""
        return self._draw(purpose, "binomial", n, p, rows=rows)

    def poisson(self, purpose: str, lam, rows: tuple[str, ...] | None = None) -> np.ndarray:
        """Poisson counts with mean ``lam``."""
        return self._draw(purpose, "poisson", lam, rows=rows)

    def poisson_by_inversion(self, purpose: str, lam, rows: tuple[str, ...]) -> np.ndarray:
        """Poisson counts from one uniform each, by inverting the CDF: with the same stream,
        the count never falls when ``lam`` rises (used where a search over rates needs it)."""
        lam = np.asarray(lam, dtype=float)
        u = np.empty(lam.shape)
        for i, name in enumerate(rows):
            for gen, (_, part) in zip(self._gens(f"{purpose}:{name}"), self.blocks):
                u[i, part] = gen.random(part.stop - part.start)
        return poisson_inverse_cdf(u, lam)

    def noise(self, purpose: str, cv: np.ndarray) -> np.ndarray:
        """Gamma multipliers with mean 1 and coefficient of variation ``cv``, shape (reps,)."""
        cv = np.broadcast_to(np.asarray(cv, dtype=float), (self.reps,))
        shape = 1.0 / np.maximum(cv, 1e-6) ** 2
        out = np.empty(self.reps)
        for gen, (_, part) in zip(self._gens(purpose), self.blocks):
            out[part] = gen.gamma(shape[part], 1.0 / shape[part])
        return np.where(cv > 0, out, 1.0)

    @staticmethod
    def whole(x: np.ndarray) -> np.ndarray:
        """Whole hulls: round down (with a tolerance for float error) to integers."""
        return np.floor(x + 1e-9).astype(np.int64)


class ExpectedFlows:
    """Expected values in place of draws: a deterministic, fractional-count run."""

    integer = False

    def __init__(self, reps: int = 1):
        self.reps = reps

    @staticmethod
    def binomial(purpose: str, n, p, rows=None) -> np.ndarray:
        return n * p

    @staticmethod
    def poisson(purpose: str, lam, rows=None) -> np.ndarray:
        return np.asarray(lam, dtype=float)

    poisson_by_inversion = poisson

    def noise(self, purpose: str, cv: np.ndarray) -> np.ndarray:
        return np.ones(self.reps)

    @staticmethod
    def whole(x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=float)
