"""The loss hazard after the record: a random walk of its logarithm from the last fitted value.

Up to the scenario's ``fitted_until`` month the hazard is its dated step schedule, the steps
calibration fits to the record. After it, until a later hazard step replaces it (a
ceasefire's peacetime hazard), the hazard continues from its last fitted value as

    log h[t] = log h[t - 1] + drift + volatility * z[t],    z[t] ~ N(0, 1),

so the first projected months carry on the fitted pace and the spread grows with the
horizon. ``hazard_factor`` steps multiply the hazard from their dates (an escalation scales
the walk's level; the walk itself goes on). A hazard is a monthly probability, so the
walked and multiplied values are capped at 1.

The innovations ``z`` come from streams keyed by block and calendar month
(:data:`WALK_PURPOSE` plus ``:YYYY-MM``, :func:`sim.engine.streams.stream`): a replication's
innovation for a month is the same whatever the chunking, the worker count, the horizon or
the scenario (an escalation and its baseline walk alike until the escalation's factor).
Expected-value runs set every innovation to zero: their hazard is the walk's median path
``h * exp(drift * k)``, not its mean (which is higher by ``exp(k * volatility**2 / 2)``).
"""

from __future__ import annotations

import numpy as np

from sim.engine.streams import block_slices, stream
from sim.model.calendar import format_month
from sim.model.params import HAZARD_DRIFT, HAZARD_FACTOR, HAZARD_VOLATILITY, Scenario, step_name

#: Stream purpose of the walk's innovations (``:YYYY-MM`` is appended for each month).
WALK_PURPOSE = "losses.hazard_walk"
#: A hazard is the monthly loss probability of a committed reference tank.
MAX_HAZARD = 1.0


def walk_shocks(scenario: Scenario, *, seed: int, first_rep: int, reps: int) -> np.ndarray:
    """Standard normal innovations of the hazard walk, shape (W, reps) for the W months of
    ``scenario.walk_months``; replications ``first_rep .. first_rep + reps - 1``."""
    months = scenario.walk_months
    out = np.empty((len(months), reps))
    for block, part in block_slices(first_rep, reps):
        for row, t in enumerate(months):
            purpose = f"{WALK_PURPOSE}:{format_month(scenario.start + t)}"
            out[row, part] = stream(seed, block, purpose).standard_normal(part.stop - part.start)
    return out


def continued_hazard(
    schedule: np.ndarray,
    months: range,
    drift: np.ndarray,
    volatility: np.ndarray,
    shocks: np.ndarray,
) -> np.ndarray:
    """The (T, R) hazard with months ``months`` (indices, the month before the first being
    the last fitted one) replaced by the walk from that month's value.

    ``drift`` and ``volatility`` (R,) are per month on the log hazard; ``shocks`` (W, R)
    are the standard normal innovations, one row per month of ``months``."""
    out = schedule.copy()
    if len(months):
        if shocks.shape != (len(months), schedule.shape[1]):
            raise ValueError(f"shocks have shape {shocks.shape}, the walk needs "
                             f"{(len(months), schedule.shape[1])}")  # fmt: skip
        steps = np.cumsum(drift + volatility * shocks, axis=0)
        walked = schedule[months.start - 1] * np.exp(steps)
        out[months.start : months.stop] = np.minimum(walked, MAX_HAZARD)
    return out


def hazard_series(
    scenario: Scenario,
    values: dict[str, np.ndarray],
    schedule: np.ndarray,
    shocks: np.ndarray | None,
) -> np.ndarray:
    """The (T, R) monthly hazard: the step ``schedule`` continued by the walk after
    ``fitted_until`` (``shocks`` None: innovations at zero, the median path) and multiplied
    by the ``hazard_factor`` steps from their dates."""
    months, (T, reps) = scenario.walk_months, schedule.shape
    hazard = schedule
    if len(months):
        shocks = np.zeros((len(months), reps)) if shocks is None else shocks
        drift, volatility = values[HAZARD_DRIFT], values[HAZARD_VOLATILITY]
        hazard = continued_hazard(schedule, months, drift, volatility, shocks)
    steps = scenario.hazard_factor_schedule
    if steps:
        factor = np.ones((T, reps))
        for step in steps:
            factor[max(step.month - scenario.start, 0) :] = values[step_name(HAZARD_FACTOR, step)]
        hazard = np.minimum(hazard * factor, MAX_HAZARD)
    return hazard
