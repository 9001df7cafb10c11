"""The loss record's North Korean (foreign) entries against a scenario: the weights that
condition its replications, and the one-line warning ``validate`` and ``run`` print when the
record contradicts the scenario's own assumptions (:mod:`sim.analysis.foreign_record`).
Imports nothing heavy until a scenario with supplied families is checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.params import Scenario
    from sim.model.record import Record
    from sim.runs.run import RunResult

#: Replications ``validate`` runs (to the record's latest snapshot) to check a scenario with
#: North Korean families against the record: P(record) to about +-0.01 at the 5% line.
CHECK_REPS = 500


def record_warning(result: RunResult, record: Record | None = None) -> str | None:
    """One line when the loss record's foreign entries contradict ``result``'s scenario (its
    own assumptions give them a probability under 5%: :mod:`sim.analysis.foreign_record`),
    else None; ``record`` default: the record in use."""
    from sim.analysis.foreign_record import warning_line

    weights = conditioned_weights([result], record).get(result.scenario.name)
    return None if weights is None else warning_line(result.scenario, weights)


def check_against_record(scenario: Scenario, *, seed: int | None = None,
                         reps: int = CHECK_REPS) -> str | None:  # fmt: skip
    """:func:`record_warning` of a short run (``reps`` replications, to the record's latest
    snapshot, ``seed`` default the runs' default) of ``scenario``; None at once when it has
    no supplied family the record types."""
    if not scenario.supplied_families:
        return None
    import dataclasses

    from sim.analysis.foreign_record import foreign_reading
    from sim.model.record import load_record
    from sim.runs.run import DEFAULT_SEED, run_scenario

    record = load_record()
    reading = foreign_reading(scenario, record)
    if reading is None:
        return None
    short = dataclasses.replace(scenario, end=reading.month)
    seed = DEFAULT_SEED if seed is None else seed
    return record_warning(run_scenario(short, reps=reps, seed=seed), record)


def conditioned_weights(results: Sequence[RunResult], record: Record | None = None) -> dict:
    """Each run's replications weighed against the loss record's foreign entries, by scenario
    name (scenarios without supplied families the record types are left out); ``record``
    default: the record in use (:func:`sim.model.record.load_record`)."""
    from sim.analysis.foreign_record import record_weights
    from sim.model.record import load_record

    if not any(r.supplied_lost is not None for r in results):
        return {}
    record = load_record() if record is None else record
    out = {r.scenario.name: record_weights(r, record) for r in results}
    return {name: w for name, w in out.items() if w is not None}
