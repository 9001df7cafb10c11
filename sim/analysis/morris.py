"""Morris elementary effects: screening of model outcomes over the uncertain parameters.

r random one-at-a-time trajectories on a 4-level grid of quantiles (12.5%, 37.5%, 62.5%,
87.5%); each step moves one parameter by half its probability range (e.g. from its 12.5% to
its 62.5% quantile). ``mu_star`` is the mean absolute change of the outcome per step, in the
outcome's units, ``mu`` the mean signed change (positive: the outcome rises with the
parameter) and ``sigma`` their standard deviation (non-linearity or interactions); r (d + 1)
replications. Written here (about 60 lines) rather than taken from SALib, which would bring
pandas and multiprocess for it; tests check it against cases with known effects. Every
trajectory moves the parameters in the same (random) order, and step k of all trajectories
is one ensemble on the same random streams (see :mod:`sim.analysis.sensitivity`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.analysis.outcomes import Evaluator, Outcome, Progress, factors, unit_to_values
from sim.engine.streams import stream
from sim.model.params import Scenario
from sim.runs.chunks import ChunkExecutor
from sim.runs.run import DEFAULT_CHUNK

CONFIDENCE = 0.95
N_RESAMPLES = 999
#: Levels of the Morris grid per parameter; each step jumps half of them.
MORRIS_LEVELS = 4
#: Fewest trajectories whose bootstrap interval of mu* the analysis reports without a warning.
MIN_TRAJECTORIES = 10
MORRIS_STATS = ("mu_star", "mu_star_low", "mu_star_high", "mu", "sigma")


@dataclass(frozen=True)
class MorrisIndices:
    """Morris elementary-effect statistics, each (S, d), in the outcomes' units per step of
    half a parameter's probability range: ``mu_star`` (with bootstrap bounds), ``mu``,
    ``sigma``. ``trajectories`` is r; ``evaluations`` r (d + 1)."""

    parameters: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    mu_star: np.ndarray
    mu_star_low: np.ndarray
    mu_star_high: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    trajectories: int
    evaluations: int


def morris_trajectories(
    d: int, r: int, *, seed: int, levels: int = MORRIS_LEVELS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """r one-at-a-time trajectories of d + 1 points on a grid of ``levels`` quantiles.

    Each trajectory starts at a random grid point and moves every parameter once, by
    ``levels // 2`` levels up or down (at random where both stay on the grid), in one random
    order shared by all trajectories (so step k changes the same parameter in every row).
    Returns the unit-cube points (r, d + 1, d) (bin centres (k + 0.5) / levels), the
    parameter moved at each step (r, d) and the step's direction, +1 or -1 (r, d).
    """
    rng = stream(seed, 0, "sensitivity:morris")
    jump = levels // 2
    points = np.empty((r, d + 1, d))
    moved = np.empty((r, d), dtype=np.intp)
    signs = np.empty((r, d))
    order = rng.permutation(d)
    for t in range(r):
        level = rng.integers(0, levels, size=d)
        points[t, 0] = level
        for k, j in enumerate(order):
            up = level[j] + jump <= levels - 1 and (level[j] - jump < 0 or rng.random() < 0.5)
            signs[t, k] = 1.0 if up else -1.0
            level[j] += jump if up else -jump
            moved[t, k] = j
            points[t, k + 1] = level
    return (points + 0.5) / levels, moved, signs


def morris_effects(outputs: np.ndarray, moved: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Elementary effects (r, d, S) from outputs (r, d + 1, S) along the trajectories:
    the change of each output at each step, signed so that positive means the outcome rises
    with the parameter, placed at the parameter moved."""
    r, d = moved.shape
    steps = (outputs[:, 1:] - outputs[:, :-1]) * signs[:, :, None]
    effects = np.empty((r, d, outputs.shape[-1]))
    effects[np.arange(r)[:, None], moved] = steps
    return effects


def morris_statistics(
    effects: np.ndarray, *, seed: int, confidence: float = CONFIDENCE
) -> dict[str, np.ndarray]:
    """mu_star (with percentile-bootstrap bounds over trajectories), mu and sigma, (S, d),
    from elementary effects (r, d, S)."""
    mu_star = np.abs(effects).mean(axis=0).T
    mu = effects.mean(axis=0).T
    sigma = (effects.std(axis=0, ddof=1) if len(effects) > 1 else np.zeros_like(effects[0])).T
    boot = stats.bootstrap(
        (np.abs(effects),), np.mean, axis=0, vectorized=True, n_resamples=N_RESAMPLES,
        confidence_level=confidence, method="percentile",
        rng=stream(seed, 0, "sensitivity:morris-bootstrap"),
    )  # fmt: skip
    return {
        "mu_star": mu_star, "mu_star_low": boot.confidence_interval.low.T,
        "mu_star_high": boot.confidence_interval.high.T, "mu": mu, "sigma": sigma,
    }  # fmt: skip


def run_morris(
    scenario: Scenario,
    outcomes: tuple[Outcome, ...],
    *,
    trajectories: int,
    seed: int,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress = None,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
) -> MorrisIndices:
    """Morris screening of ``outcomes`` over every uncertain parameter.

    Parameters
    ----------
    scenario, outcomes : as :func:`sim.analysis.sensitivity.run_sobol`.
    trajectories : r, at least 2 (fewer than :data:`MIN_TRAJECTORIES` draw a warning from
        :func:`morris_warnings`); r (d + 1) replications run, trajectory t as replication t.
    seed, chunk, progress, executor, engine : as :func:`sim.analysis.sensitivity.run_sobol`.

    Returns
    -------
    MorrisIndices
        ``mu_star`` with 95% bounds, ``mu`` and ``sigma``, each (S, d) in the outcome's units
        (tanks, or months) per step of half a parameter's probability range.
    """
    if trajectories < 2:
        raise ValueError(f"Morris screening needs at least 2 trajectories, got {trajectories}")
    params = factors(scenario)
    if not params:
        raise ValueError(f"{scenario.name}: no uncertain parameters to analyse")
    points, moved, signs = morris_trajectories(len(params), trajectories, seed=seed)
    evaluate = Evaluator(scenario, outcomes, seed, chunk, progress, executor, engine)
    outputs = np.stack(
        [evaluate(unit_to_values(params, points[:, k])) for k in range(len(params) + 1)], axis=1
    )
    stats_ = morris_statistics(morris_effects(outputs, moved, signs), seed=seed)
    return MorrisIndices(
        parameters=tuple(f.name for f in params), outcomes=outcomes, trajectories=trajectories,
        evaluations=trajectories * (len(params) + 1), **stats_,
    )  # fmt: skip


def morris_rows(result: MorrisIndices):
    """Rows of indices.csv for a Morris screening, one per (outcome, parameter)."""
    for s, outcome in enumerate(result.outcomes):
        for j, name in enumerate(result.parameters):
            yield (outcome.name, name, *(f"{getattr(result, k)[s, j]:.6g}" for k in MORRIS_STATS))


def morris_warnings(result: MorrisIndices) -> list[str]:
    """Why the statistics of ``result`` cannot be trusted at its r, one sentence each: fewer
    than :data:`MIN_TRAJECTORIES` trajectories, whose bootstrap intervals resample almost
    nothing."""
    r = result.trajectories
    if r >= MIN_TRAJECTORIES:
        return []
    return [f"{r} trajectories ({result.evaluations:,} replications): mu* and its 95% interval "
            f"rest on {r} effects per parameter and mean little; use --n "
            f"{MIN_TRAJECTORIES} or more"]  # fmt: skip
