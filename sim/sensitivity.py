"""Global sensitivity of model outcomes to the scenario's uncertain parameters.

Two methods, both over every uncertain parameter (``dist`` other than fixed) at once, each
parameter sampled in the unit cube and mapped through its inverse CDF:

- **Sobol' indices** (variance-based): first-order ``S1`` (the share of the outcome's
  variance a parameter explains alone) and total ``ST`` (alone and in interactions), from
  Saltelli's design of two matrices A and B of N scrambled Sobol' points and the d matrices
  AB_i (A with column i from B): N (d + 2) replications. The indices are computed by
  :func:`scipy.stats.sobol_indices` (Saltelli 2010 first-order and Jansen total estimators).
  scipy rather than SALib: it is already a dependency, maintained with scipy's test suite,
  and accepts precomputed outputs, which lets the model run A, B and each AB_i as separate
  ensembles with common random numbers (below). Its own ``bootstrap`` method takes no seed,
  so the 95% intervals come from :func:`scipy.stats.bootstrap` (BCa, seeded from the run's
  seed) applied to the same estimator, resampling the N rows.
- **Morris elementary effects** (screening): r random one-at-a-time trajectories on a
  4-level grid of quantiles (12.5%, 37.5%, 62.5%, 87.5%); each step moves one parameter by
  half its probability range (e.g. from its 12.5% to its 62.5% quantile). ``mu_star`` is
  the mean absolute change of the outcome per step, in the outcome's units, ``mu`` the mean
  signed change (positive: the outcome rises with the parameter) and ``sigma`` their
  standard deviation (non-linearity or interactions); r (d + 1) replications. Written here
  (about 60 lines) rather than taken from SALib, which would bring pandas and multiprocess
  for it; tests check it against cases with known effects.

**The model's own randomness.** Random streams are keyed by block of replications and flow
(:mod:`sim.streams`), and :func:`sim.ensemble.run_ensemble` runs parameter set j as
replication j. A, B and every AB_i are separate ensembles, so row j of each runs on the
streams of replication j; every Morris trajectory moves the parameters in the same (random)
order, and step k of all trajectories is one ensemble. Between A and AB_i, or between two
Morris steps, only one parameter differs, in every row: an inert parameter changes no
number at all, and the flows' noise largely cancels in the differences. (It does not cancel
exactly for influential parameters: a binomial draw consumes a varying count of random
numbers, so a changed parameter shifts the later draws of its block.) The indices are
shares of the outcome's total variance, which includes the random flows' own; their share,
``random_flows``, is estimated from A run again on independent streams, as
E[(f(A; streams) - f(A; other streams))^2] / (2 Var f), the total index of the flows; the
first-order indices of the parameters sum to at most about 1 - ``random_flows``.

**Inputs** are the scenario's uncertain parameters, each sampled independently from its
own distribution; on a calibrated scenario (``posterior = ...``) the calibrated parameters are
drawn jointly, so they enter as one factor, the calibrated set (a row of the posterior),
and their indices are those of the group.

**Outcomes** are headline metrics (:data:`sim.metrics.COUNT_METRICS`,
:data:`sim.metrics.MONTH_METRICS`) or ``VARIABLE@YYYY-MM``, a trajectory variable for all
families at the end of a month. Month metrics are months from the scenario start, and a
replication in which the event never happens counts as the month after the horizon (so
"never" is the latest possible value, not a missing one).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from sim.calendar import format_month, parse_month
from sim.chunks import ChunkExecutor
from sim.distributions import Param, clip_to_domain
from sim.ensemble import Ensemble, Probe, run_ensemble
from sim.metrics import COUNT_METRICS, MONTH_METRICS, NEVER, REBUILD_METRICS, VARIABLES
from sim.params import Scenario
from sim.run import DEFAULT_CHUNK
from sim.streams import stream

METHODS = ("sobol", "morris")
CONFIDENCE = 0.95
N_RESAMPLES = 999
#: Morris grid: levels per parameter, and the jump (in levels) of each step.
MORRIS_LEVELS = 4
MORRIS_JUMP = MORRIS_LEVELS // 2
#: Resamples held in memory at once by the Sobol' bootstrap (bounds memory, not results).
BOOTSTRAP_BATCH = 16

Progress = Callable[[int], None] | None


class OutcomeError(ValueError):
    """An outcome name that is neither a headline metric nor VARIABLE@YYYY-MM."""


# ---------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Outcome:
    """A per-replication model output: a headline metric or a trajectory value at a month.

    ``kind`` is ``"count"`` (tanks), ``"month"`` (months from the scenario start; never =
    the month after the horizon) or ``"probe"`` (tanks: ``probe.variable``, all families,
    at the end of ``probe.month``).
    """

    name: str
    kind: str
    probe: Probe | None = None

    @property
    def unit(self) -> str:
        if self.kind == "month":
            return "months from the scenario start (never = the month after the horizon)"
        return "tanks"


def headline_names(scenario: Scenario) -> tuple[str, ...]:
    """Headline metrics this scenario produces."""
    months = tuple(m for m in MONTH_METRICS if m not in REBUILD_METRICS)
    if scenario.thresholds.rebuild_after is not None:
        months += REBUILD_METRICS
    return COUNT_METRICS + months


def parse_outcome(text: str, scenario: Scenario) -> Outcome:
    """An :class:`Outcome` from ``text``: a headline metric or ``VARIABLE@YYYY-MM``.

    Raises :class:`OutcomeError` naming the text, with a close match where there is one.
    """
    name = text.strip()
    if "@" in name:
        variable, _, date = name.partition("@")
        if variable not in VARIABLES:
            close = difflib.get_close_matches(variable, VARIABLES, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else f" (one of {', '.join(VARIABLES)})"
            raise OutcomeError(f"{name!r}: unknown trajectory variable {variable!r}{hint}")
        try:
            month = parse_month(date)
        except ValueError:
            raise OutcomeError(f"{name!r}: the date after '@' must be YYYY-MM") from None
        if not scenario.start <= month <= scenario.end:
            raise OutcomeError(
                f"{name!r}: {date} is outside the horizon "
                f"{format_month(scenario.start)}..{format_month(scenario.end)}"
            )
        return Outcome(name, "probe", Probe(variable, month))
    known = headline_names(scenario)
    if name in known:
        return Outcome(name, "month" if name in MONTH_METRICS else "count")
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"one of {', '.join(known)}"
    raise OutcomeError(f"{name!r}: unknown outcome; {hint} (or VARIABLE@YYYY-MM)")


def outcome_matrix(
    ensemble: Ensemble, outcomes: tuple[Outcome, ...], months: int, probes: tuple[Probe, ...]
) -> np.ndarray:
    """Outcome values (N, S) as floats; month metrics with never as ``months``."""
    columns = []
    for outcome in outcomes:
        if outcome.kind == "probe":
            columns.append(ensemble.probes[:, probes.index(outcome.probe)].astype(float))
        elif outcome.kind == "month":
            values = ensemble.metrics[outcome.name]
            columns.append(np.where(values == NEVER, months, values).astype(float))
        else:
            columns.append(ensemble.metrics[outcome.name].astype(float))
    return np.column_stack(columns)


@dataclass(frozen=True)
class Evaluator:
    """Runs parameter sets through the model and returns outcome values (N, S)."""

    scenario: Scenario
    outcomes: tuple[Outcome, ...]
    seed: int
    chunk: int = DEFAULT_CHUNK
    progress: Progress = None
    executor: ChunkExecutor | None = None

    def __call__(self, values: dict[str, np.ndarray]) -> np.ndarray:
        probes = tuple(dict.fromkeys(o.probe for o in self.outcomes if o.probe is not None))
        ensemble = run_ensemble(
            self.scenario, values, seed=self.seed, probes=probes, chunk=self.chunk,
            progress=self.progress, executor=self.executor,
        )  # fmt: skip
        return outcome_matrix(ensemble, self.outcomes, self.scenario.months, probes)


def uncertain_params(scenario: Scenario) -> dict[str, Param]:
    """The scenario's parameters that have a distribution, in their stable order."""
    return {k: p for k, p in scenario.params().items() if p.dist.kind != "fixed"}


#: Name of the factor that stands for a scenario's calibrated parameter sets.
CALIBRATED = "calibrated set (posterior row)"


@dataclass(frozen=True)
class Factor:
    """One independent input of the analysis: a parameter drawn from its own distribution,
    or (``posterior`` set) the scenario's calibrated parameter sets, drawn jointly as one
    factor: u picks a row of the posterior, as a run does."""

    name: str
    param: Param | None = None
    posterior: Any = None

    def values(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter values (N,) for uniforms ``u`` (N,)."""
        if self.posterior is None:
            return {self.name: clip_to_domain(self.param.dist.quantile(u), self.param.domain)}
        rows = len(self.posterior.values)
        index = np.minimum((u * rows).astype(np.int64), rows - 1)
        return {n: self.posterior.values[index, d] for d, n in enumerate(self.posterior.names)}


def factors(scenario: Scenario) -> tuple[Factor, ...]:
    """The independent inputs: every uncertain parameter, except that the parameters of a
    calibrated posterior (drawn jointly, hence dependent) form one factor, :data:`CALIBRATED`.
    """
    posterior = getattr(scenario, "posterior", None)
    joint = set(posterior.names) if posterior is not None else set()
    out = [Factor(k, param=p) for k, p in uncertain_params(scenario).items() if k not in joint]
    if joint:
        out.append(Factor(CALIBRATED, posterior=posterior))
    return tuple(out)


def unit_to_values(inputs: tuple[Factor, ...], unit: np.ndarray) -> dict[str, np.ndarray]:
    """Parameter values from unit-cube points (N, d), column j for the j-th factor."""
    values: dict[str, np.ndarray] = {}
    for j, factor in enumerate(inputs):
        values |= factor.values(unit[:, j])
    return values


# ---------------------------------------------------------------------------------------------
# Sobol'


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
) -> SobolIndices:
    """Sobol' indices of ``outcomes`` over every uncertain parameter, N = ``n`` (a power of
    two) base samples, N (d + 3) replications (A, B, the d AB_i, and A again on other
    streams for ``random_flows``); ``progress`` gets replications as they finish.
    """
    params = factors(scenario)
    if not params:
        raise ValueError(f"{scenario.name}: no uncertain parameters to analyse")
    A, B = saltelli_matrices(len(params), n, seed=seed)
    evaluate = Evaluator(scenario, outcomes, seed, chunk, progress, executor)
    f_A = evaluate(unit_to_values(params, A)).T
    f_B = evaluate(unit_to_values(params, B)).T
    pages = []
    for i in range(len(params)):
        AB = A.copy()
        AB[:, i] = B[:, i]
        pages.append(evaluate(unit_to_values(params, AB)).T)
    out = sobol_from_outputs(f_A, f_B, np.stack(pages), seed=seed, n_resamples=n_resamples)
    again = Evaluator(scenario, outcomes, other_streams(seed), chunk, progress, executor)
    flows = noise_share(f_A, again(unit_to_values(params, A)).T, out["variance"])
    return SobolIndices(
        parameters=tuple(f.name for f in params), outcomes=outcomes, n=n,
        evaluations=n * (len(params) + 3),
        random_flows=flows, **out,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Morris


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
) -> MorrisIndices:
    """Morris screening of ``outcomes`` over every uncertain parameter: ``trajectories``
    random trajectories, r (d + 1) replications; trajectory t runs as replication t."""
    if trajectories < 2:
        raise ValueError(f"Morris screening needs at least 2 trajectories, got {trajectories}")
    params = factors(scenario)
    if not params:
        raise ValueError(f"{scenario.name}: no uncertain parameters to analyse")
    points, moved, signs = morris_trajectories(len(params), trajectories, seed=seed)
    evaluate = Evaluator(scenario, outcomes, seed, chunk, progress, executor)
    outputs = np.stack(
        [evaluate(unit_to_values(params, points[:, k])) for k in range(len(params) + 1)], axis=1
    )
    stats_ = morris_statistics(morris_effects(outputs, moved, signs), seed=seed)
    return MorrisIndices(
        parameters=tuple(f.name for f in params), outcomes=outcomes, trajectories=trajectories,
        evaluations=trajectories * (len(params) + 1), **stats_,
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


def morris_rows(result: MorrisIndices):
    """Rows of indices.csv for a Morris screening, one per (outcome, parameter)."""
    for s, outcome in enumerate(result.outcomes):
        for j, name in enumerate(result.parameters):
            yield (outcome.name, name, *(f"{getattr(result, k)[s, j]:.6g}" for k in MORRIS_STATS))


SOBOL_STATS = ("first", "first_low", "first_high", "total", "total_low", "total_high")
MORRIS_STATS = ("mu_star", "mu_star_low", "mu_star_high", "mu", "sigma")


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
