"""The inverse question: what monthly foreign supply keeps the active fleet above a level?

The probability P(rate) that the active fleet stays at or above ``keep_active`` in every
month from the supply's start to ``until`` is estimated on a grid of rates, every rate with
the same seed (common random numbers; deliveries are drawn by CDF inversion, so each
replication's deliveries never fall as the rate rises). The estimate is made monotone by a
running maximum over the grid, and the answer is the smallest rate at which it reaches
``prob``, interpolated between grid points. The interval is where the Wilson 95% bounds of
the probability reach ``prob``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from sim.analysis.foreign_record import record_weights
from sim.engine.simulate import IMPORTED
from sim.model.calendar import format_month
from sim.model.distributions import Dist, Param
from sim.model.errors import InputError
from sim.model.params import Scenario, Supply
from sim.model.record import Record
from sim.runs.chunks import ChunkExecutor
from sim.runs.run import run_scenario

Z95 = 1.959964


class SupplyNeededError(InputError):
    """The scenario or question cannot be answered as asked."""


def pick_supply(scenario: Scenario, family: str | None) -> Supply:
    """The supply of ``family``, or the scenario's only supply."""
    found = [s for s in scenario.supplies if family is None or s.family == family]
    if len(found) != 1:
        names = ", ".join(s.family for s in scenario.supplies) or "none"
        want = f"family {family!r}" if family else "exactly one supply (use --family)"
        raise SupplyNeededError(f"{scenario.name}: needs {want}; supplied families: {names}")
    return found[0]


def with_rate(scenario: Scenario, supply: Supply, rate: float, until: int) -> Scenario:
    """The scenario with that supply's monthly rate fixed at ``rate``, ending at ``until``."""
    fixed = Param(Dist("fixed", (("value", float(rate)),)), "count", (), "supply-needed search")
    supplies = tuple(
        dataclasses.replace(s, tanks_per_month=fixed) if s is supply else s
        for s in scenario.supplies
    )
    return dataclasses.replace(scenario, supplies=supplies, end=until)


def wilson(successes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval for binomial proportions."""
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    return centre - half, centre + half


def first_crossing(rates: np.ndarray, values: np.ndarray, target: float) -> float | None:
    """Smallest rate where the non-decreasing ``values`` reach ``target`` (interpolated)."""
    hit = np.nonzero(values >= target)[0]
    if len(hit) == 0:
        return None
    k = hit[0]
    if k == 0:
        return float(rates[0])
    lo, hi = values[k - 1], values[k]
    return float(rates[k - 1] + (target - lo) / (hi - lo) * (rates[k] - rates[k - 1]))


def supply_needed(
    scenario: Scenario,
    *,
    keep_active: float,
    until: int,
    prob: float,
    family: str | None = None,
    reps: int = 1000,
    seed: int,
    max_rate: float = 100.0,
    grid: int = 21,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
    progress: Callable[[int], None] | None = None,
    record: Record | None = None,
) -> dict:
    """Answer the inverse question; returns JSON-ready data (see module docstring).

    Parameters
    ----------
    scenario : a scenario with at least one foreign supply.
    keep_active : active-fleet level to stay at or above, tanks.
    until : last month it must hold, as a month index.
    prob : required probability, 0-1.
    family : the supplied family whose rate is searched (None: the scenario's only one).
    reps, seed : replications per rate and their seed (the same for every rate).
    max_rate : highest rate searched, tanks/month; ``grid`` rates from 0 to it.
    executor : runs each rate's chunks elsewhere (see :mod:`sim.parallel`).
    engine : ``numpy`` or ``compiled`` (:mod:`sim.runs.engines`; None for the default).
    progress : called with each finished chunk's replications (``reps * grid`` in all).
    record : the loss record; when it reads the supplied families within the horizon, each
        rate's replications are also weighed against its foreign entries
        (:mod:`sim.analysis.foreign_record`) and ``conditioned`` gives the answer under
        those weights (the Wilson interval on the effective replications).

    Returns
    -------
    ``rate`` (tanks/month, None if unreachable), ``rate_interval``, ``grid`` (probability
    and mean tanks delivered at each rate), ``reachable`` and either ``tanks_implied`` or a
    ``message`` saying why not.
    """
    if not scenario.start <= until <= scenario.end:
        raise SupplyNeededError(f"{{arg:until}} {format_month(until)} is outside the horizon")
    supply = pick_supply(scenario, family)
    first = max(supply.start - scenario.start, 0)
    if until - scenario.start < first:
        raise SupplyNeededError(f"{{arg:until}} {format_month(until)} is before the supply starts")
    rates = np.linspace(0.0, max_rate, grid)
    successes, delivered, weighed = [], [], []
    fam = scenario.family_names.index(supply.family)
    for rate in rates:
        result = run_scenario(
            with_rate(scenario, supply, rate, until), reps=reps, seed=seed, keep_paths=True,
            executor=executor, engine=engine, progress=progress,
        )  # fmt: skip
        kept = result.active_paths[first:].min(axis=0) >= keep_active
        successes.append(int(kept.sum()))
        weights = None if record is None else record_weights(result, record)
        if weights is not None:
            weighed.append((float((weights.weights * kept).sum()), weights.ess))
        delivered.append(float(result.stats[-1, IMPORTED, fam, 0]))  # mean, tanks
    successes = np.array(successes)
    estimate = np.maximum.accumulate(successes / reps)
    low, high = (np.maximum.accumulate(b) for b in wilson(successes, reps))
    rate = first_crossing(rates, estimate, prob)
    answer = {
        "scenario": scenario.name,
        "family": supply.family,
        "keep_active": keep_active,
        "from": format_month(scenario.start + first),
        "until": format_month(until),
        "prob": prob,
        "reps": reps,
        "seed": seed,
        "grid": [
            {
                "rate": float(r),
                "probability": float(p),
                "monotone_estimate": float(m),
                "mean_tanks_delivered": d,
            }
            for r, p, m, d in zip(rates, successes / reps, estimate, delivered)
        ],  # fmt: skip
        "rate": rate,
        "rate_interval": [first_crossing(rates, high, prob), first_crossing(rates, low, prob)],
        "reachable": rate is not None,
    }
    if len(weighed) == len(rates):
        answer["conditioned"] = conditioned_answer(rates, np.array(weighed), prob, answer)
    if rate is not None:
        answer["tanks_implied"] = float(np.interp(rate, rates, delivered))
    else:
        answer["message"] = (
            f"not reachable: even at {max_rate:g} tanks/month the probability is only "
            f"{estimate[-1]:.2f} (mean {delivered[-1]:.0f} tanks delivered by "
            f"{format_month(until)}; the total cap and the delivery lag bound what supply can do)"
        )
    return answer


def conditioned_answer(rates: np.ndarray, weighed: np.ndarray, prob: float, plain: dict) -> dict:
    """The answer with each rate's replications weighted by the loss record: ``weighed``
    (grid, 2) holds each rate's weighted probability and effective replications. ``narrowed``:
    the conditioned interval's width over the unconditioned one (None when either is open)."""
    probability, ess = weighed[:, 0], weighed[:, 1]
    estimate = np.maximum.accumulate(probability)
    low, high = (np.maximum.accumulate(b) for b in wilson(probability * ess, ess))
    rate = first_crossing(rates, estimate, prob)
    interval = [first_crossing(rates, high, prob), first_crossing(rates, low, prob)]
    widths = [b - a if None not in (a, b) else None
              for a, b in (interval, plain["rate_interval"])]  # fmt: skip
    return {
        "rate": rate,
        "rate_interval": interval,
        "probability": [float(p) for p in probability],
        "effective_reps": [float(e) for e in ess],
        "narrowed": widths[0] / widths[1] if None not in widths and widths[1] > 0 else None,
    }
