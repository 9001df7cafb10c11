"""Model outcomes and inputs shared by sensitivity analysis and scenario discovery.

**Outcomes** are headline metrics (:data:`sim.engine.metrics.COUNT_METRICS`,
:data:`sim.engine.metrics.MONTH_METRICS`) or ``VARIABLE@YYYY-MM``, a trajectory variable for all
families at the end of a month. Month metrics are months from the scenario start, and a
replication in which the event never happens counts as the month after the horizon (so
"never" is the latest possible value, not a missing one).

**Inputs** (factors) are the scenario's uncertain parameters, each sampled independently from
its own distribution; on a calibrated scenario (``posterior = ...``) the calibrated parameters
are drawn jointly, so they enter as one factor, the calibrated set (a row of the posterior).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engine.metrics import COUNT_METRICS, MONTH_METRICS, NEVER, REBUILD_METRICS, VARIABLES
from sim.model.calendar import format_month, parse_month
from sim.model.distributions import Param, clip_to_domain
from sim.model.errors import InputError
from sim.model.params import Scenario
from sim.runs.chunks import ChunkExecutor
from sim.runs.ensemble import Ensemble, Probe, run_ensemble
from sim.runs.run import DEFAULT_CHUNK

Progress = Callable[[int], None] | None


class OutcomeError(InputError):
    """An outcome name that is neither a headline metric nor VARIABLE@YYYY-MM."""





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
    """Runs parameter sets through the model and returns outcome values (N, S); ``engine``
    (``numpy`` or ``compiled``, None for the default) changes no number."""

    scenario: Scenario
    outcomes: tuple[Outcome, ...]
    seed: int
    chunk: int = DEFAULT_CHUNK
    progress: Progress = None
    executor: ChunkExecutor | None = None
    engine: str | None = None

    def __call__(self, values: dict[str, np.ndarray]) -> np.ndarray:
        probes = tuple(dict.fromkeys(o.probe for o in self.outcomes if o.probe is not None))
        ensemble = run_ensemble(
            self.scenario, values, seed=self.seed, probes=probes, chunk=self.chunk,
            progress=self.progress, executor=self.executor, engine=self.engine,
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


