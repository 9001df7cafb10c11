"""The reference model's stores of hull objects, its parameter draws and schedules."""

from __future__ import annotations

import numpy as np
import simpy

from sim.model.constants import FAIR, GOOD, POOR, WHOLE_TOLERANCE  # noqa: F401 (re-exported)
from sim.model.distributions import clip_to_domain
from sim.model.params import (
    Scenario,
    Step,
)  # fmt: skip

FRONT, PLANT, DELIVER, INFLOW, SUPPLY, RECORD = 0.0, 0.25, 0.5, 0.75, 0.8125, 0.875
#: whole hulls: floor with a tolerance for float error, the engines' own
TOLERANCE = WHOLE_TOLERANCE


class Hull:
    """One stored tank hull: its family index and condition (GOOD, FAIR or POOR)."""

    __slots__ = ("serial", "family", "condition")

    def __init__(self, serial: int, family: int, condition: int):
        self.serial, self.family, self.condition = serial, family, condition


class Take(simpy.resources.store.StoreGet):
    """Request for ``amount`` hulls at once from a :class:`HullStore` (a list of hulls)."""

    def __init__(self, store: HullStore, amount: int):
        self.amount = amount
        super().__init__(store)


class HullStore(simpy.Store):
    """A store of :class:`Hull` objects that hands them out and takes them in by the batch:
    ``take(n)`` succeeds with the first ``n`` hulls once ``n`` are there; ``put`` takes a list.
    """

    def take(self, amount: int) -> Take:
        return Take(self, amount)

    def _do_get(self, event):
        if len(self.items) >= event.amount:
            hulls = self.items[: event.amount]
            del self.items[: event.amount]
            event.succeed(hulls)

    def _do_put(self, event):
        self.items.extend(event.item)
        event.succeed()


def draw_values(scenario: Scenario, reps: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every parameter once per replication by inverse CDF, clipped into its domain; with a
    calibrated posterior, each replication takes one whole row of it for its columns."""
    values = {
        name: clip_to_domain(param.dist.quantile(rng.random(reps)), param.domain)
        for name, param in scenario.params().items()
    }
    post = scenario.posterior
    if post is not None:
        rows = rng.integers(len(post.values), size=reps)
        values |= {name: post.values[rows, d] for d, name in enumerate(post.names)}
    return values


def step_value(steps: tuple[Step, ...], values: list[float], month: int) -> float:
    """Value of the latest step dated at or before ``month`` (absolute); 0 before the first."""
    out = 0.0
    for step, value in sorted(zip(steps, values), key=lambda sv: sv[0].month):
        if step.month <= month:
            out = value
    return out


def _pick(store: HullStore, mask: np.ndarray) -> list[Hull]:
    """Remove the hulls flagged in ``mask`` (aligned with ``store.items``) and return them."""
    picked = np.flatnonzero(mask)
    hulls = [store.items[i] for i in picked]
    for i in picked[::-1]:
        del store.items[i]
    return hulls
