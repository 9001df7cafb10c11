"""The refurbishment priority list ordered by usefulness: quality per unit of effort.

A hull of family f in condition c costs ``refurb_effort[f] x effort[c]`` effort units, and a
share ``failure[c]`` of the hulls started never reach the fleet, so one effort unit buys
``(1 - failure[c]) / (refurb_effort[f] x effort[c])`` usable tanks, each worth
``quality_weight[f]`` (T-90M equivalents). Entries are served in falling order of that
product, so capacity goes to the hulls that add the most fighting value per effort unit, not
to the cheapest (by effort alone a poor T-54/55 costs less than a fair T-80 and would be
taken first). Donor hulls cost hulls, not effort, and do not enter the ranking.

The order is one for every replication (the priority list is structural in the engine): it
is ranked at each parameter's prior mean, so it depends on the scenario alone, never on a
chunk's draws, and calibration does not reorder the list it was calibrated with.
"""

from __future__ import annotations

import numpy as np

from sim.model.distributions import clip_to_domain
from sim.model.params import CONDITIONS, Family, Scenario

#: The lowest quality weight (at its prior mean) of a family whose stored hulls are still
#: refurbished in peacetime, when a scenario's ``[peace]`` names no ``rebuild_families``
#: (seeds/assumptions.toml: assumption-peacetime-rebuild-families). With the bundled
#: weights it keeps the T-72 (0.7), T-80 (0.75) and T-90 (0.85) and stops the T-64 (0.5),
#: T-62 (0.4) and T-54/55 (0.3).
PEACE_REBUILD_MIN_QUALITY = 0.7


def mean_values(scenario: Scenario) -> dict[str, float]:
    """Each parameter at its prior mean, clipped into its domain (a calibrated posterior is
    ignored on purpose: see the module docstring)."""
    return {
        name: float(clip_to_domain(np.array([param.dist.mean()]), param.domain)[0])
        for name, param in scenario.params().items()
    }


def usefulness(scenario: Scenario, values: dict[str, float] | None = None) -> dict:
    """Quality-weighted usable tanks per effort unit of each priority entry, at ``values``
    (default: :func:`mean_values`); keys are ``(family, condition)``."""
    v = mean_values(scenario) if values is None else values
    out = {}
    for family, condition in scenario.priority:
        base = f"families.{family}"
        cost = v[f"{base}.refurb_effort"] * v[f"refurbishment.effort.{condition}"]
        usable = 1.0 - v[f"refurbishment.failure.{condition}"]
        out[(family, condition)] = v[f"{base}.quality_weight"] * usable / cost
    return out


def usefulness_order(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """``scenario.priority`` sorted by falling :func:`usefulness` (ties: the better
    condition first, then the listed order)."""
    score = usefulness(scenario)
    listed = {entry: i for i, entry in enumerate(scenario.priority)}
    return tuple(
        sorted(
            scenario.priority,
            key=lambda e: (-score[e], CONDITIONS.index(e[1]), listed[e]),
        )
    )


def default_rebuild_families(families: tuple[Family, ...]) -> tuple[str, ...]:
    """The families refurbished in peacetime by default: those whose quality weight, at its
    prior mean, is at least :data:`PEACE_REBUILD_MIN_QUALITY`; in family order."""
    return tuple(
        family.name
        for family in families
        if family.quality_weight.dist.mean() >= PEACE_REBUILD_MIN_QUALITY
    )
