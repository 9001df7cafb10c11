"""Parameter values per replication: each drawn once, by inverse CDF, from a keyed stream."""

from __future__ import annotations

import numpy as np

from sim.distributions import clip_to_domain
from sim.params import Scenario
from sim.streams import block_slices, stream


def draw_params(
    scenario: Scenario, *, seed: int, first_rep: int, reps: int
) -> dict[str, np.ndarray]:
    """One value per replication for every parameter, shape (reps,) each.

    Parameter ``name`` in block ``b`` uses the stream keyed ``(b, "param:" + name)``, so a
    parameter shared by two scenarios gets the same draws in both.
    """
    values = {}
    blocks = block_slices(first_rep, reps)
    for name, param in scenario.params().items():
        if param.dist.kind == "fixed":
            values[name] = np.full(reps, param.dist.arg("value"))
            continue
        u = np.empty(reps)
        for block, part in blocks:
            u[part] = stream(seed, block, f"param:{name}").random(part.stop - part.start)
        values[name] = clip_to_domain(param.dist.quantile(u), param.domain)
    return values


def expected_params(scenario: Scenario) -> dict[str, np.ndarray]:
    """Each parameter at its mean (clipped into its domain), shape (1,) each."""
    return {
        name: clip_to_domain(np.array([param.dist.mean()]), param.domain)
        for name, param in scenario.params().items()
    }
