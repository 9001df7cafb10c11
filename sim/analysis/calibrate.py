"""History matching by approximate Bayesian computation (ABC-SMC) on the dated record.

Every uncertain parameter is a coordinate u of the unit cube (its inverse CDF maps u to a
value), so the prior is uniform on the cube and an importance weight is 1 / proposal
density. Generation 0 draws from the prior; each later generation perturbs particles of the
previous one with a normal kernel truncated to the cube (diagonal, twice the weighted
variance; Beaumont et al. 2009; in 40-odd dimensions a full-covariance kernel in logit space
collapsed the weights to one particle), and keeps the best ``particles`` proposals, so the
tolerance falls adaptively (Del Moral et al. 2012). The last generation keeps only sets
that fit every target (distance <= 1: inside every observed interval). One replication =
one parameter set, with its own random streams: the engine runs a generation at once.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

from sim import defaults
from sim.analysis.targets import Target, distances, model_values, target_probes
from sim.model.distributions import clip_to_domain
from sim.model.errors import InputError
from sim.model.params import Scenario
from sim.runs.chunks import ChunkExecutor
from sim.runs.ensemble import run_ensemble
from sim.runs.run import DEFAULT_CHUNK
from sim.runs.sampling import draw_params

DEFAULT_DRAWS = defaults.DRAWS
DEFAULT_PARTICLES = defaults.PARTICLES
DEFAULT_GENERATIONS = defaults.GENERATIONS
POSTERIOR_ROWS = 1_000
#: Batches the last generation may propose to collect ``particles`` sets that fit every target.
FINAL_BATCHES = 20
#: A generation whose tolerance is above this share of the previous one's has stalled.
STALL = 0.98


class CalibrationError(InputError):
    """Calibration found nothing consistent with the targets (message: one line)."""


@dataclass(frozen=True)
class Generation:
    """One ABC-SMC generation: its tolerance, how many proposals met it, and how many met
    every target outright (distance <= 1)."""

    epsilon: float
    proposed: int
    accepted: int
    fit_all: int
    ess: float


@dataclass(frozen=True)
class Calibration:
    """Weighted particles of the final generation (all within every target's interval).

    ``values`` (N, D) are parameter values for ``names``; ``u`` (N, D) their unit-cube
    coordinates; ``weights`` (N,) sum to 1; ``model`` (N, K) the targets' model values.
    ``converged`` says only that the last generation collected the particles asked for
    (within ``tolerance``); :func:`sim.api.calibration.calibrate` also asks that the
    fit hold and the tolerance be 1.
    """

    names: tuple[str, ...]
    values: np.ndarray
    u: np.ndarray
    weights: np.ndarray
    model: np.ndarray
    generations: tuple[Generation, ...]
    converged: bool
    seed: int
    draws: int
    targets: tuple[Target, ...] = field(default=())
    #: The prior's acceptance rate at the final tolerance (every target inside its interval),
    #: estimated by importance sampling from the last generation's proposals (prior / proposal
    #: density, the prior being uniform on the cube), and its Monte Carlo standard error.
    evidence: float = float("nan")
    evidence_se: float = float("nan")
    #: The final generation's tolerance: 1 (every kept set inside every interval), or, when
    #: no set of the generation before fitted every target (a model the record rejects),
    #: the smallest tolerance reached, and ``converged`` is False.
    tolerance: float = 1.0
    #: The final generation's proposals: largest distance (M,) and log proposal density
    #: (M,) (0 for prior draws), for :meth:`evidence_at` another tolerance.
    final_worst: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    final_logq: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def evidence_at(self, tolerance: float) -> tuple[float, float]:
        """The prior's acceptance rate at ``tolerance`` (at least :attr:`tolerance`),
        estimated from the final generation's proposals, and its standard error."""
        return _evidence_at(self.final_worst, self.final_logq, tolerance)

    @property
    def ess(self) -> float:
        """Effective sample size of the weighted particles, 1 / sum(w^2): between 1 (one
        particle carries all the weight) and the number of particles (equal weights)."""
        return float(1.0 / np.sum(self.weights**2))

    def resample(self, rows: int = POSTERIOR_ROWS) -> np.ndarray:
        """Equal-weight posterior sample by systematic resampling (deterministic given the
        seed).

        Parameters
        ----------
        rows : rows wanted. With fewer particles than rows, rows repeat particles: count the
            distinct ones with :func:`distinct_sets`.

        Returns
        -------
        (rows, D) array of parameter values, columns as ``names``, each in its own units.
        """
        rng = _rng(self.seed, "resample", 0)
        positions = (rng.random() + np.arange(rows)) / rows
        index = np.searchsorted(np.cumsum(self.weights), positions, side="left")
        return self.values[np.minimum(index, len(self.values) - 1)]


def distinct_sets(rows: np.ndarray) -> int:
    """Number of distinct parameter sets among ``rows`` (N, D)."""
    return int(len(np.unique(np.asarray(rows), axis=0))) if len(rows) else 0


def _rng(seed: int, purpose: str, generation: int) -> np.random.Generator:
    key = (zlib.crc32(f"calibrate:{purpose}".encode()), generation)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def calibrated_names(scenario: Scenario, last_month: int) -> tuple[str, ...]:
    """Uncertain parameters that can affect months up to ``last_month``: every non-fixed
    parameter except schedule steps that begin later and, when ``last_month`` is at or
    before the last fitted month, the hazard's walk after it (those keep their prior)."""
    names = []
    fitted = scenario.fitted_until
    after_record = set(scenario.continuation_names())
    for name, param in scenario.params().items():
        if param.dist.kind == "fixed":
            continue
        if name in after_record and fitted is not None and last_month <= fitted:
            continue
        date = name.rsplit(".", 1)[-1]
        if len(date) == 7 and date[4] == "-" and date[:4].isdigit():
            year, month = int(date[:4]), int(date[5:])
            if year * 12 + month - 1 > last_month:
                continue
        names.append(name)
    return tuple(names)


def to_values(scenario: Scenario, names: tuple[str, ...], u: np.ndarray) -> dict[str, np.ndarray]:
    """Parameter values for unit-cube points ``u`` (N, D)."""
    params = scenario.params()
    return {
        name: clip_to_domain(params[name].dist.quantile(u[:, d]), params[name].domain)
        for d, name in enumerate(names)
    }


def _kernel_scale(u: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-dimension kernel standard deviation: sqrt(2 x weighted variance), floored."""
    mean = weights @ u
    variance = weights @ (u - mean) ** 2
    return np.sqrt(np.maximum(2.0 * variance, 1e-8))


def _propose(rng, parents: np.ndarray, weights: np.ndarray, sigma: np.ndarray, n: int):
    """``n`` points: a parent drawn by weight, moved by a normal kernel truncated to (0, 1)."""
    mu = parents[rng.choice(len(parents), size=n, p=weights)]
    lo, hi = ndtr((0.0 - mu) / sigma), ndtr((1.0 - mu) / sigma)
    r = lo + rng.random(mu.shape) * (hi - lo)
    out = mu + sigma * ndtri(np.clip(r, 1e-15, 1 - 1e-15))
    return np.clip(out, 1e-12, 1 - 1e-12)


def _log_proposal_density(u: np.ndarray, parents, weights, sigma) -> np.ndarray:
    """log q(u) (N,) of the truncated-normal mixture proposal, computed blockwise."""
    scaled_p = parents / sigma
    log_z = np.log(ndtr((1.0 - parents) / sigma) - ndtr(-parents / sigma)).sum(axis=1)
    const = -0.5 * u.shape[1] * np.log(2 * np.pi) - np.log(sigma).sum()
    base = np.log(weights) - log_z - 0.5 * (scaled_p**2).sum(axis=1)
    out = np.empty(len(u))
    for start in range(0, len(u), 2048):
        block = u[start : start + 2048] / sigma
        cross = block @ scaled_p.T - 0.5 * (block**2).sum(axis=1, keepdims=True)
        out[start : start + 2048] = logsumexp(cross + base, axis=1) + const
    return out


def calibrate(
    scenario: Scenario,
    targets: list[Target],
    *,
    draws: int = DEFAULT_DRAWS,
    particles: int = DEFAULT_PARTICLES,
    generations: int = DEFAULT_GENERATIONS,
    seed: int,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    executor: ChunkExecutor | None = None,
    report: Callable[[Generation], None] | None = None,
    engine: str | None = None,
) -> Calibration:
    """ABC-SMC over ``scenario``'s uncertain parameters against ``targets``: one run, for
    one hypothesis.

    This is the single-scenario calibration, for a :class:`~sim.model.params.Scenario`
    built in code or one hypothesis alone: no competing hypotheses weighed, no posterior
    predictive check, a posterior the scenario carries ignored only if the caller drops it
    (``replace(scenario, posterior=None)``). What ``tanksim calibrate`` computes (every
    hypothesis of a scenario file fitted and mixed by evidence, then the fit checked) is
    :func:`sim.api.calibrate`.

    ``scenario`` should end at the last target month (later months cost time and inform
    nothing). Each generation simulates ``draws`` parameter sets and keeps the best
    ``particles``. Once enough fit every target outright (or the tolerance stalls), the
    last generation proposes up to :data:`FINAL_BATCHES` batches from one proposal and
    keeps every set that fits every target; ``converged`` is False if that yields fewer
    than ``particles`` sets. ``engine`` (``numpy`` or ``compiled``, None for the default)
    runs the month step and changes no number.
    """
    if particles > draws:
        raise ValueError(f"particles ({particles}) cannot exceed draws ({draws})")
    names = calibrated_names(scenario, max(t.month for t in targets))
    probes, slices = target_probes(targets, scenario.start)

    def simulate_batch(u: np.ndarray, key: int) -> tuple[np.ndarray, np.ndarray]:
        noise_seed = int(_rng(seed, "noise", key).integers(2**63))
        values = draw_params(scenario, seed=noise_seed, first_rep=0, reps=len(u))
        values |= to_values(scenario, names, u)  # the rest keep their prior draws
        ensemble = run_ensemble(
            scenario, values, seed=noise_seed, probes=probes,
            chunk=chunk, progress=progress, executor=executor, engine=engine,
        )  # fmt: skip
        model = model_values(targets, slices, ensemble.probes, values)
        return model, distances(targets, model).max(axis=1)

    history: list[Generation] = []
    parents = weights = sigma = None
    final = False
    tolerance = 1.0
    for gen in range(generations):
        final = final or gen == generations - 1
        if final and history and history[-1].fit_all == 0:
            tolerance = max(1.0, history[-1].epsilon)  # the record rejects a perfect fit
        batches = FINAL_BATCHES if final else 1
        kept_u, kept_model, kept_logq, proposed = [], [], [], 0
        all_worst, all_logq = [], []
        for batch in range(batches):
            key = gen * FINAL_BATCHES + batch
            rng = _rng(seed, "propose", key)
            if parents is None:
                u = rng.random((draws, len(names)))
            else:
                u = _propose(rng, parents, weights, sigma, draws)
            model, worst = simulate_batch(u, key)
            proposed += draws
            if final:
                epsilon = tolerance
                fit_all = int((worst <= 1.0).sum()) + sum(len(k) for k in kept_u)
                all_worst.append(worst)
                all_logq.append(np.zeros(len(u)) if parents is None else
                                _log_proposal_density(u, parents, weights, sigma))  # fmt: skip
            else:
                epsilon = max(1.0, float(np.partition(worst, particles - 1)[particles - 1]))
                fit_all = int((worst <= 1.0).sum())
            keep = worst <= epsilon
            kept_u.append(u[keep])
            kept_model.append(model[keep])
            if parents is not None:
                logq = all_logq[-1][keep] if final else None
                if logq is None:
                    logq = _log_proposal_density(u[keep], parents, weights, sigma)
                kept_logq.append(logq)
            if final and sum(len(k) for k in kept_u) >= particles:
                break
        u_new = np.concatenate(kept_u)
        if final:
            evidence = _evidence(kept_logq if parents is not None else None, len(u_new), proposed)
            if tolerance > 1.0:  # the rate at tolerance 1: none of these fits every target
                evidence = _evidence_at(np.concatenate(all_worst), np.concatenate(all_logq), 1.0)
        if not len(u_new):
            raise CalibrationError(
                f"no parameter set fits every target after {proposed:,} proposals in the last "
                f"generation (tolerance {tolerance:g}); widen the target intervals or the "
                "priors, or raise --draws"
            )
        if parents is None:
            new_weights = np.ones(len(u_new))
        else:
            log_q = np.concatenate(kept_logq)  # the prior is uniform: weight = 1 / q
            new_weights = np.exp(log_q.min() - log_q)
        new_weights /= new_weights.sum()
        ess = float(1.0 / (new_weights**2).sum())
        step = Generation(epsilon, proposed, len(u_new), fit_all, ess)
        history.append(step)
        if report is not None:
            report(step)
        stalled = len(history) > 1 and epsilon > STALL * history[-2].epsilon
        parents, weights, model_kept = u_new, new_weights, np.concatenate(kept_model)
        sigma = _kernel_scale(parents, weights)
        if final:
            break
        # The last generation comes once enough of a generation fits every target outright,
        # or once the tolerance stops falling (replication noise then dominates the distance).
        final = epsilon <= 1.0 or fit_all * FINAL_BATCHES >= particles or stalled
    return Calibration(
        names=names,
        values=np.column_stack(list(to_values(scenario, names, parents).values())),
        u=parents,
        weights=weights,
        model=model_kept,
        generations=tuple(history),
        converged=len(parents) >= particles,
        seed=seed,
        draws=draws,
        targets=tuple(targets),
        evidence=evidence[0],
        evidence_se=evidence[1],
        tolerance=tolerance,
        final_worst=np.concatenate(all_worst),
        final_logq=np.concatenate(all_logq),
    )


def _evidence_at(worst: np.ndarray, logq: np.ndarray, tolerance: float) -> tuple[float, float]:
    """Prior acceptance rate at ``tolerance`` and its standard error from proposals with
    largest distances ``worst`` (M,) and log proposal densities ``logq`` (M,)."""
    w = np.where(worst <= tolerance, np.exp(-logq), 0.0)
    rate = float(w.sum() / max(len(w), 1))
    return rate, float(np.sqrt(max(float((w**2).mean()) - rate**2, 0.0) / max(len(w), 1)))


def _evidence(kept_logq: list | None, accepted: int, proposed: int) -> tuple[float, float]:
    """Prior acceptance rate at tolerance 1 and its standard error: the mean over the final
    generation's proposals of 1{fits} x prior / proposal density (plain rejection rate when
    the proposals were prior draws)."""
    if kept_logq is None:
        rate = accepted / proposed
        return rate, float(np.sqrt(rate * (1 - rate) / proposed))
    w = np.exp(-np.concatenate(kept_logq)) if accepted else np.zeros(0)
    rate = float(w.sum() / proposed)
    var = max(float((w**2).sum() / proposed) - rate**2, 0.0) / proposed
    return rate, float(np.sqrt(var))
