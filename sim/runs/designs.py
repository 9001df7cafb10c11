"""Sampling designs: where in the unit cube each replication's parameter draws come from.

A design gives every uncertain parameter one uniform number per replication; the parameter's
inverse CDF (``Param.dist.quantile``, then :func:`~sim.model.distributions.clip_to_domain`) turns it
into a value (:func:`sim.runs.sampling.draw_params`). The design is kept apart from the
distributions, as in EMA Workbench's samplers.

- ``random``: independent uniforms from a stream keyed by (block of replications, parameter
  name). This is the default and is what :func:`sim.runs.sampling.draw_params` does without a
  design, number for number.
- ``lhs``: a Latin hypercube over all N replications. Each parameter's column is a
  one-dimensional :class:`scipy.stats.qmc.LatinHypercube` (one point in each of N
  equal-probability strata, placed at random within it) seeded from a stream keyed by the
  parameter's name, so the columns are paired at random and a parameter shared by two
  scenarios gets the same column in both (common random numbers in ``tanksim compare``).
- ``sobol``: scrambled Sobol' points (:class:`scipy.stats.qmc.Sobol`), one dimension per
  uncertain parameter in the order of :meth:`~sim.model.params.Scenario.params`. Their balance
  properties hold for N a power of two; otherwise the first N points of the next power of
  two are used (still low-discrepancy, though no longer exactly balanced). Scenarios that
  add uncertain parameters before others shift the dimensions, so two such scenarios do
  not share parameter draws under ``sobol`` (their random flows are still shared).

The whole design for N replications is generated up front, from the seed alone, and each
chunk takes its rows: numbers never depend on the chunk size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim import defaults
from sim.engine.streams import stream

SAMPLINGS: tuple[str, ...] = defaults.SAMPLINGS


@dataclass(frozen=True)
class Design:
    """A sampling design for ``reps`` replications (all of them, not a chunk's)."""

    kind: str
    reps: int

    def __post_init__(self) -> None:
        if self.kind not in SAMPLINGS:
            raise ValueError(f"sampling {self.kind!r}: must be one of {', '.join(SAMPLINGS)}")
        if self.reps < 1:
            raise ValueError(f"a design needs at least one replication, got {self.reps}")

    def unit(
        self, names: tuple[str, ...], *, seed: int, first: int, reps: int
    ) -> dict[str, np.ndarray] | None:
        """Uniforms in (0, 1) for replications ``first .. first + reps - 1`` of each name.

        ``names`` are the scenario's uncertain parameters, in order. Returns None for the
        ``random`` design, whose uniforms come from the per-block parameter streams.
        """
        if self.kind == "random":
            return None
        if first < 0 or first + reps > self.reps:
            raise ValueError(
                f"replications {first}..{first + reps - 1} outside a design of {self.reps}"
            )
        cube = unit_cube(self.kind, tuple(names), self.reps, seed)
        return {name: cube[first : first + reps, j] for j, name in enumerate(names)}


def sobol_points_used(reps: int) -> int:
    """Sobol' points generated for ``reps`` replications: the next power of two."""
    return 1 << max(0, math.ceil(math.log2(reps)))


@lru_cache(maxsize=4)
def unit_cube(kind: str, names: tuple[str, ...], reps: int, seed: int) -> np.ndarray:
    """The whole design, shape (reps, len(names)), values in (0, 1); read-only and cached."""
    from scipy.stats import qmc  # here, not at the top: the CLI starts without scipy.stats

    if kind == "lhs":
        columns = [
            qmc.LatinHypercube(d=1, rng=stream(seed, 0, f"design:lhs:{name}")).random(reps)[:, 0]
            for name in names
        ]
        cube = np.column_stack(columns) if columns else np.empty((reps, 0))
    elif kind == "sobol":
        if names:
            engine = qmc.Sobol(d=len(names), scramble=True, rng=stream(seed, 0, "design:sobol"))
            cube = engine.random_base2(int(math.log2(sobol_points_used(reps))))[:reps]
        else:
            cube = np.empty((reps, 0))
    else:
        raise ValueError(f"no unit cube for sampling {kind!r}")
    cube.setflags(write=False)
    return cube
