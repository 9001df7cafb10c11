"""The foreign families observed: what the loss record's North Korean tank entries (none so
far) say about a scenario's North Korean deliveries, replication by replication.

Observation model (the same thinning as every family's, docs/observation.md): each true loss
of a supplied family is visually confirmed with the replication's detection share, typed
(not in the "unknown tank" bucket) with one minus the unknown share, and listed under its own
family (not as the Russian look-alike: a Chonma-ho as a T-62) with the family's
identification share (``observation.identification.FAMILY``, absent: one). Confirmation is
binomial thinning, so given ``L`` true losses of family ``g`` to the record's latest snapshot
the record's count ``k`` of that family has probability ``Binomial(k; L, p)`` with
``p = detection x (1 - unknown) x identification``; for the record's zero, ``(1 - p) ** L``.

Conditioning is importance weighting: each replication of the scenario (parameters and flows
drawn from its priors) is weighted by that likelihood, the product over the supplied
families. The weights are a deterministic function of each replication's own draws, so they
do not depend on chunking, worker count or engine, and need no random stream; conditioned
figures are weighted means and weighted percentiles (docs/north-korea.md says why this and
not a recalibration). ``ess`` (Kish's effective sample size) says how many equally weighted
replications the conditioned figures are worth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from sim.model.calendar import month_fraction, parse_month
from sim.model.params import IDENTIFICATION, OBSERVATION, UNKNOWN, Scenario
from sim.model.record import GROUPS, Record, confirmed_by_family
from sim.runs.designs import Design
from sim.runs.run import RunResult
from sim.runs.sampling import draw_params

DETECTION = "losses.detection_share"
#: Below this probability of the record's count of a scenario's foreign tanks (to its latest
#: snapshot), the scenario's own assumptions are contradicted by the record: ``validate`` and
#: ``run`` say so in one line. A 5% tail, the convention of a two-sided 90% band.
CONTRADICTED_BELOW = 0.05
Z95 = 1.959964  # two-sided 95% normal quantile


@dataclass(frozen=True)
class ForeignReading:
    """The record's count of each supplied family at its latest snapshot."""

    date: str  # YYYY-MM-DD
    month: int  # month index of the date
    day: int
    families: tuple[str, ...]  # (G,) the scenario's supplied families the record can type
    confirmed: tuple[int, ...]  # (G,) confirmed losses to ``date``, tanks


def foreign_reading(scenario: Scenario, record: Record) -> ForeignReading | None:
    """What ``record`` says about ``scenario``'s supplied families at its latest snapshot,
    or None: no supplied family the record types, or a snapshot outside the horizon."""
    dates, groups, counts = confirmed_by_family(record)
    families = tuple(f for f in scenario.supplied_families if f in GROUPS)
    if not families or not len(dates):
        return None
    date = str(dates[-1])
    month, day = parse_month(date[:7]), int(date[8:10])
    if not scenario.start <= month <= scenario.end:
        return None
    confirmed = tuple(int(counts[-1, groups.index(f)]) for f in families)
    return ForeignReading(date, month, day, families, confirmed)


def confirm_share(values: dict[str, np.ndarray], families: tuple[str, ...]) -> np.ndarray:
    """(G, R) share of a family's true losses the record lists under it: detection x
    (1 - unknown share) x identification; ``values`` the replications' parameters."""
    detection = values[DETECTION]
    typed = 1.0 - values[UNKNOWN] if UNKNOWN in values else np.ones_like(detection)
    ones = np.ones_like(detection)
    ident = [values.get(f"{OBSERVATION}.{IDENTIFICATION}.{f}", ones) for f in families]
    return detection * typed * np.stack(ident)


def losses_at(supplied_lost: np.ndarray, scenario: Scenario, reading: ForeignReading,
              families: tuple[str, ...]) -> np.ndarray:  # fmt: skip
    """(G, R) whole true losses of ``reading.families`` to the reading's date, read from
    month-end series ``supplied_lost`` (T, len(families), R) as every record figure is:
    ``end(m-1) + day / days x (end(m) - end(m-1))``, rounded to whole tanks."""
    m = reading.month - scenario.start
    index = [families.index(f) for f in reading.families]
    end = supplied_lost[m, index].astype(np.float64)
    before = supplied_lost[m - 1, index].astype(np.float64) if m > 0 else np.zeros_like(end)
    return np.rint(before + month_fraction(reading.month, reading.day) * (end - before))


def log_binomial(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """log P(k | n, p) of a binomial, elementwise; -inf where k > n."""
    k, n = np.broadcast_arrays(np.asarray(k, float), np.asarray(n, float))
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
        out = out + np.where(k > 0, k * np.log(p), 0.0)
        out = out + np.where(n > k, (n - k) * np.log1p(-p), 0.0)
    return np.where(k > n, -np.inf, out)


@dataclass(frozen=True)
class RecordWeights:
    """A run's replications weighed against the record's foreign entries.

    ``likelihood`` (R,): P(the record's counts | replication); ``p_zero`` (R,): P(no
    supplied-family tank among the record's confirmed losses | replication).
    """

    reading: ForeignReading
    likelihood: np.ndarray
    p_zero: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        """(R,) normalised importance weights (equal if no replication fits the record)."""
        total = self.likelihood.sum()
        if total <= 0:
            return np.full(len(self.likelihood), 1.0 / len(self.likelihood))
        return self.likelihood / total

    @property
    def p_record(self) -> float:
        """P(the record's counts) under the scenario's own assumptions (the evidence)."""
        return float(self.likelihood.mean())

    @property
    def p_zero_unconditioned(self) -> float:
        """P(zero confirmed supplied-family tanks to the record's date) under the priors:
        the expected share of replications with none."""
        return float(self.p_zero.mean())

    @property
    def p_zero_conditioned(self) -> float:
        """The same for a fresh confirmation of the conditioned replications (the posterior
        predictive)."""
        return float((self.weights * self.p_zero).sum())

    @property
    def ess(self) -> float:
        """Kish's effective sample size of the weights, replications."""
        w = self.weights
        return float(1.0 / (w**2).sum())

    def contradicted(self) -> bool:
        """The record's counts are in the scenario's own 5% tail (:data:`CONTRADICTED_BELOW`)."""
        return self.p_record < CONTRADICTED_BELOW

    def summary(self) -> dict:
        """The figures compare.json and the docs quote."""
        return {
            "record_date": self.reading.date,
            "families": list(self.reading.families),
            "record_confirmed": list(self.reading.confirmed),
            "p_record": self.p_record,
            "p_zero_unconditioned": self.p_zero_unconditioned,
            "p_zero_conditioned": self.p_zero_conditioned,
            "ess": self.ess,
        }


def weigh_losses(losses: np.ndarray, share: np.ndarray, reading: ForeignReading) -> RecordWeights:
    """:class:`RecordWeights` from true losses ``losses`` and confirm shares ``share``, each
    (G, R), against ``reading``."""
    observed = np.array(reading.confirmed, float)[:, None]
    likelihood = np.exp(log_binomial(observed, losses, share).sum(axis=0))
    p_zero = np.exp(log_binomial(np.zeros_like(observed), losses, share).sum(axis=0))
    return RecordWeights(reading, likelihood, p_zero)


def record_weights(result: RunResult, record: Record) -> RecordWeights | None:
    """Weigh ``result``'s replications against ``record`` (None: nothing to weigh: no
    supplied family the record types, or a one-path run at the means)."""
    scenario = result.scenario
    reading = foreign_reading(scenario, record)
    if reading is None or result.supplied_lost is None or result.sampling == "deterministic":
        return None
    design = None if result.sampling == "random" else Design(result.sampling, result.reps)
    values = draw_params(scenario, seed=result.seed, first_rep=0, reps=result.reps,
                         design=design)  # fmt: skip
    losses = losses_at(result.supplied_lost, scenario, reading, scenario.supplied_families)
    return weigh_losses(losses, confirm_share(values, reading.families), reading)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    """Quantiles ``qs`` of ``values`` (R,) under normalised ``weights`` (R,): the smallest
    value whose cumulative weight reaches q (numpy's ``inverted_cdf`` with equal weights)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    at = np.searchsorted(cumulative, np.asarray(qs) - 1e-12, side="left")
    return values[order][np.minimum(at, len(values) - 1)]


def weighted_stats(diff: np.ndarray, weights: np.ndarray) -> dict:
    """Weighted mean of ``diff`` (R,) with its 95% interval (self-normalised importance
    sampling standard error) and weighted p05, p50, p95."""
    diff = diff.astype(float)
    mean = float((weights * diff).sum())
    se = float(np.sqrt((weights**2 * (diff - mean) ** 2).sum()))
    p05, p50, p95 = weighted_quantiles(diff, weights, (0.05, 0.5, 0.95))
    return {"mean": mean, "ci95": [mean - Z95 * se, mean + Z95 * se], "p05": float(p05),
            "p50": float(p50), "p95": float(p95), "se": se}  # fmt: skip


def warning_line(scenario: Scenario, weights: RecordWeights) -> str | None:
    """One line when the record contradicts ``scenario``'s own assumptions, else None."""
    if not weights.contradicted():
        return None
    seen = ", ".join(f"{n} {f}" for f, n in zip(weights.reading.families,
                                                weights.reading.confirmed))  # fmt: skip
    return (
        f"{scenario.name}: the loss record to {weights.reading.date} lists {seen} "
        f"among confirmed losses, which the scenario's own assumptions give a "
        f"probability of {weights.p_record:.1%} (below {CONTRADICTED_BELOW:.0%}); see "
        "docs/north-korea.md"
    )
