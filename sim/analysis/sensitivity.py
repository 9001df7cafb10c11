"""Global sensitivity of model outcomes to the scenario's uncertain parameters: Sobol' indices.

Over every uncertain parameter (``dist`` other than fixed; :mod:`sim.analysis.outcomes`) at
once, each sampled in the unit cube and mapped through its inverse CDF, the **Sobol' indices**
(variance-based): first-order ``S1`` (the share of the outcome's variance a parameter explains
alone) and total ``ST`` (alone and in interactions), from Saltelli's design of two matrices A
and B of N scrambled Sobol' points and the d matrices AB_i (A with column i from B): N (d + 2)
replications. The indices are computed by :func:`scipy.stats.sobol_indices` (Saltelli 2010
first-order and Jansen total estimators). scipy rather than SALib: it is already a
dependency, maintained with scipy's test suite, and accepts precomputed outputs, which lets
the model run A, B and each AB_i as separate ensembles with common random numbers (below).
Its own ``bootstrap`` method takes no seed, so the 95% intervals come from
:func:`scipy.stats.bootstrap` (BCa, seeded from the run's seed) applied to the same
estimator, resampling the N rows. Morris screening is :mod:`sim.analysis.morris`.

**The model's own randomness.** Random streams are keyed by block of replications and flow
(:mod:`sim.engine.streams`), and :func:`sim.runs.ensemble.run_ensemble` runs parameter set j as
replication j. A, B and every AB_i are separate ensembles, so row j of each runs on the
streams of replication j; between A and AB_i only one parameter differs, in every row: an
inert parameter changes no number at all, and the flows' noise largely cancels in the
differences. (It does not cancel exactly for an influential parameter: each count
is drawn by inverting its CDF at one uniform per flow, month and replication, the same
whatever the parameters (:mod:`sim.engine.streams`), but the count it gives depends on the
state the changed parameter has moved.) The indices are shares of the
outcome's total variance, which includes the random flows' own; their share,
``random_flows``, is estimated from A run again on independent streams, as
E[(f(A; streams) - f(A; other streams))^2] / (2 Var f), the total index of the flows; the
first-order indices of the parameters sum to at most about 1 - ``random_flows``.

**When n is too small** the estimators misbehave in ways a reader may not spot:
:func:`sobol_warnings` names a first-order index above its total index beyond the bootstrap
interval (impossible in the limit) and intervals wider than :data:`MAX_INTERVAL_WIDTH`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.stats import qmc

from sim import defaults
from sim.analysis.morris import MORRIS_STATS, MorrisIndices
from sim.analysis.outcomes import Evaluator, Outcome, Progress, factors, unit_to_values
from sim.engine.streams import stream
from sim.model.params import Scenario
from sim.runs.chunks import ChunkExecutor
from sim.runs.run import DEFAULT_CHUNK

METHODS = defaults.SENSITIVITY_METHODS
CONFIDENCE = 0.95
N_RESAMPLES = 999
#: Resamples held in memory at once by the Sobol' bootstrap (bounds memory, not results).
BOOTSTRAP_BATCH = 16
#: Widest 95% interval of a total index (in index units, shares of the variance) before the
#: analysis warns that n is too small for the indices to be read.
MAX_INTERVAL_WIDTH = 0.2
#: How far (in index units) a first-order index must lie above its total index's 95%
#: interval before the analysis warns: smaller excesses are estimator noise on indices near 0.
MIN_EXCESS = 0.02
SOBOL_STATS = ("first", "first_low", "first_high", "total", "total_low", "total_high")


@dataclass(frozen=True)
class SobolIndices:
    """First-order and total Sobol' indices, each (S, d), with their interval bounds.

    ``random_flows`` (S,) is the share of variance due to the random flows (alone and in
    interactions); ``variance`` (S,) the outcome's variance; ``n`` the base sample (N) and
    ``evaluations`` the replications run, N (d + 3).
    """

    parameters: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    first: np.ndarray
    first_low: np.ndarray
    first_high: np.ndarray
    total: np.ndarray
    total_low: np.ndarray
    total_high: np.ndarray
    random_flows: np.ndarray
    variance: np.ndarray
    n: int
    evaluations: int


def saltelli_matrices(d: int, n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-cube matrices A and B, (n, d) each: the two halves of n scrambled Sobol' points
    in 2d dimensions (Saltelli et al. 2010, sec. 5). ``n`` must be a power of two."""
    if n < 2 or n & (n - 1):
        raise ValueError(f"Sobol' analysis needs N a power of two (e.g. 1024), got {n}")
    engine = qmc.Sobol(d=2 * d, scramble=True, rng=stream(seed, 0, "sensitivity:sobol"))
    points = engine.random_base2(int(np.log2(n)))
    return points[:, :d], points[:, d:]


def _saltelli_statistic(f_A, f_B, f_AB):
    """(first, total) as a (2, S, d, ...) array from centred outputs: f_A, f_B (S, ..., n),
    f_AB (d, S, ..., n). The estimators of :func:`scipy.stats.sobol_indices`."""
    var = np.var(np.stack([f_A, f_B]), axis=(0, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_B * (f_AB - f_A), axis=-1) / var
        total = 0.5 * np.mean((f_A - f_AB) ** 2, axis=-1) / var
    out = np.swapaxes(np.stack([first, total]), 1, 2)
    return np.where(np.isfinite(out), out, 0.0)


def sobol_from_outputs(
    f_A: np.ndarray,
    f_B: np.ndarray,
    f_AB: np.ndarray,
    *,
    seed: int,
    confidence: float = CONFIDENCE,
    n_resamples: int = N_RESAMPLES,
) -> dict[str, np.ndarray]:
    """Sobol' indices and bootstrap intervals from model outputs.

    ``f_A`` and ``f_B`` are (S, n) outputs at A and B, ``f_AB`` (d, S, n) at each AB_i.
    Returns arrays (S, d): ``first``, ``total`` with ``*_low`` and ``*_high`` bounds, and
    (S,) ``variance``. Point estimates come from
    :func:`scipy.stats.sobol_indices`; intervals are BCa bootstrap intervals over rows
    (percentile intervals where BCa is undefined, e.g. an index that is 0 in every resample).
    """
    f_A, f_B, f_AB = (np.asarray(a, dtype=float) for a in (f_A, f_B, f_AB))
    n = f_A.shape[-1]
    result = stats.sobol_indices(func={"f_A": f_A, "f_B": f_B, "f_AB": f_AB}, n=n)
    first = np.reshape(result.first_order, f_AB.shape[1::-1])
    total = np.reshape(result.total_order, f_AB.shape[1::-1])
    mean = np.mean([f_A, f_B], axis=(0, -1)).reshape(-1, 1)
    cA, cB, cAB = f_A - mean, f_B - mean, f_AB - mean
    variance = np.var(np.stack([f_A, f_B]), axis=(0, -1))

    def statistic(idx, axis=-1):
        return _saltelli_statistic(cA[:, idx], cB[:, idx], cAB[:, :, idx])

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # BCa is undefined where an index is the same in every resample (e.g. 0 for an
        # inert parameter); scipy then warns and returns NaN, replaced below.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        boot = stats.bootstrap(
            (np.arange(n),), statistic, vectorized=True, batch=BOOTSTRAP_BATCH,
            n_resamples=n_resamples, confidence_level=confidence, method="BCa",
            rng=stream(seed, 0, "sensitivity:bootstrap"),
        )  # fmt: skip
    low, high = boot.confidence_interval.low, boot.confidence_interval.high
    tail = 100 * (1 - confidence) / 2
    p_low, p_high = np.percentile(boot.bootstrap_distribution, [tail, 100 - tail], axis=-1)
    low = np.where(np.isfinite(low), low, p_low)
    high = np.where(np.isfinite(high), high, p_high)
    return {
        "first": first, "first_low": low[0], "first_high": high[0],
        "total": total, "total_low": low[1], "total_high": high[1], "variance": variance,
    }  # fmt: skip


def noise_share(f_A: np.ndarray, f_A_again: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Share of the variance due to the random flows, (S,): outputs (S, n) at the same
    parameter sets on two independent sets of streams, E[(f - f')^2] / (2 var)."""
    half_sq = 0.5 * np.mean((np.asarray(f_A, float) - f_A_again) ** 2, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(variance > 0, half_sq / variance, 0.0)


def other_streams(seed: int) -> int:
    """A seed for streams independent of ``seed``'s (for the noise estimate)."""
    return int(np.random.SeedSequence(seed, spawn_key=(0x5EED,)).generate_state(1)[0])


def run_sobol(
    scenario: Scenario,
    outcomes: tuple[Outcome, ...],
    *,
    n: int,
    seed: int,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress = None,
    executor: ChunkExecutor | None = None,
    n_resamples: int = N_RESAMPLES,
    engine: str | None = None,
) -> SobolIndices:
    """Sobol' indices of ``outcomes`` over every uncertain parameter.

    Parameters
    ----------
    scenario : the scenario; its factors (:func:`sim.analysis.outcomes.factors`) are the d
        inputs.
    outcomes : the S outcomes (:func:`sim.analysis.outcomes.parse_outcome`).
    n : base samples N, a power of two; N (d + 3) replications run (A, B, the d AB_i, and A
        again on other streams for ``random_flows``).
    seed : root seed of the design, the model's streams and the bootstrap.
    chunk, progress, executor : replications per chunk (changes no number); called with
        replications as they finish; where chunks run.
    n_resamples : bootstrap resamples behind the 95% intervals.
    engine : ``numpy`` or ``compiled`` (None for the default); changes no number.

    Returns
    -------
    SobolIndices
        ``first``, ``total`` and their bounds (S, d), shares of each outcome's variance.
    """
    params = factors(scenario)
    if not params:
        raise ValueError(f"{scenario.name}: no uncertain parameters to analyse")
    A, B = saltelli_matrices(len(params), n, seed=seed)
    evaluate = Evaluator(scenario, outcomes, seed, chunk, progress, executor, engine)
    f_A = evaluate(unit_to_values(params, A)).T
    f_B = evaluate(unit_to_values(params, B)).T
    pages = []
    for i in range(len(params)):
        AB = A.copy()
        AB[:, i] = B[:, i]
        pages.append(evaluate(unit_to_values(params, AB)).T)
    out = sobol_from_outputs(f_A, f_B, np.stack(pages), seed=seed, n_resamples=n_resamples)
    again = Evaluator(scenario, outcomes, other_streams(seed), chunk, progress, executor,
                      engine)
    flows = noise_share(f_A, again(unit_to_values(params, A)).T, out["variance"])
    return SobolIndices(
        parameters=tuple(f.name for f in params), outcomes=outcomes, n=n,
        evaluations=n * (len(params) + 3),
        random_flows=flows, **out,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Plain data views

def sobol_rows(result: SobolIndices):
    """Rows of indices.csv for a Sobol' analysis, one per (outcome, parameter)."""
    for s, outcome in enumerate(result.outcomes):
        for j, name in enumerate(result.parameters):
            yield (
                outcome.name, name,
                *(f"{getattr(result, k)[s, j]:.6g}" for k in SOBOL_STATS),
            )  # fmt: skip


def indices_data(result: SobolIndices | MorrisIndices) -> dict:
    """indices.json: per outcome, its unit and each parameter's statistics, parameters in
    decreasing order of importance (total index, or mu_star)."""
    sobol = isinstance(result, SobolIndices)
    keys = SOBOL_STATS if sobol else MORRIS_STATS
    rank_by = result.total if sobol else result.mu_star
    out = {}
    for s, outcome in enumerate(result.outcomes):
        order = np.argsort(-rank_by[s], kind="stable")
        entry: dict = {"unit": outcome.unit}
        if sobol:
            entry["variance"] = float(result.variance[s])
            entry["random_flows"] = float(result.random_flows[s])
            entry["sum_first_order"] = float(result.first[s].sum())
        entry["parameters"] = {
            result.parameters[j]: {k: float(getattr(result, k)[s, j]) for k in keys} for j in order
        }
        out[outcome.name] = entry
    return out


def sobol_warnings(result: SobolIndices) -> list[str]:
    """Why the indices of ``result`` cannot be trusted at its n, one sentence each (empty
    when none applies).

    Warns when a first-order index lies more than :data:`MIN_EXCESS` above its total
    index's 95% interval (first-order can never exceed total; at small n sampling error
    makes it look so), and when an outcome's widest total-index interval is wider than
    :data:`MAX_INTERVAL_WIDTH`.
    """
    out = []
    more = f"raise --n above {result.n:,}"
    for s, outcome in enumerate(result.outcomes):
        above = np.flatnonzero(result.first[s] > result.total_high[s] + MIN_EXCESS)
        if len(above):
            j = above[np.argmax(result.first[s, above] - result.total_high[s, above])]
            out.append(
                f"{outcome.name}: {len(above)} first-order index(es) above the total index's "
                f"95% interval by more than {MIN_EXCESS} (e.g. {result.parameters[j]}: "
                f"{result.first[s, j]:.3f} against "
                f"{result.total[s, j]:.3f} [{result.total_low[s, j]:.3f}, "
                f"{result.total_high[s, j]:.3f}]); n is too small, {more}"
            )
        widths = result.total_high[s] - result.total_low[s]
        if len(widths) and widths.max() > MAX_INTERVAL_WIDTH:
            j = int(np.argmax(widths))
            out.append(
                f"{outcome.name}: total-index interval {widths[j]:.2f} wide for "
                f"{result.parameters[j]} (more than {MAX_INTERVAL_WIDTH}); {more}"
            )
    return out


def sensitivity_warnings(result: SobolIndices | MorrisIndices) -> list[str]:
    """:func:`sobol_warnings` or :func:`sim.analysis.morris.morris_warnings`."""
    from sim.analysis.morris import morris_warnings

    return sobol_warnings(result) if isinstance(result, SobolIndices) else morris_warnings(result)
