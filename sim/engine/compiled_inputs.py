"""The compiled month step's arguments, as named structures built in one place.

numba passes a :class:`typing.NamedTuple` of arrays and scalars to a compiled function in
nopython mode and reads its fields by name, so the kernel
(:func:`sim.engine.compiled_kernel.months`) takes three of them rather than a long list of
positional arrays, and two arrays of the same shape cannot be swapped by position:
:func:`kernel_arguments` fills every field by keyword, from the
:class:`~sim.engine.inputs.Inputs` field of the same name where there is one
(tests/test_compiled.py checks each of them).

Importing this module does not import numba.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.engine.inputs import Inputs
from sim.engine.streams import POISSON_NORMAL_ABOVE
from sim.model.constants import ACTIVE, CONDITIONS, RECORDED, STORAGE_GOOD


class Given(NamedTuple):
    """What the kernel reads and never writes: a chunk's inputs, float64 (indices and
    months int64). Fields named as in :class:`~sim.engine.inputs.Inputs` are that field;
    shapes as there (T months, F families, K entries, S supplies, R replications)."""

    stochastic: bool  # integer counts drawn from uniforms (else expected values)
    loss_hazard: bool
    has_requirement: bool  # some month has a finite required fleet
    supply_top: float  # the largest min(supply rate, POISSON_NORMAL_ABOVE): bounds a search
    vulnerability: np.ndarray
    good_to_fair: np.ndarray
    fair_to_poor: np.ndarray
    true_losses: np.ndarray
    hazard: np.ndarray
    committed_share: np.ndarray
    deployed: np.ndarray
    required: np.ndarray
    capacity: np.ndarray
    lead_time: np.ndarray
    entry_family: np.ndarray
    entry_condition: np.ndarray
    entry_donors: np.ndarray
    entry_start: np.ndarray
    entry_stop: np.ndarray
    family_share: np.ndarray  # (S, F, R) by period, or (0, F, R) with no family shares
    family_share_period: np.ndarray  # (T,) int64 the period of each month
    production_family: int
    production: np.ndarray
    production_split_family: np.ndarray  # (P,) families with a share of the new hulls
    production_split_share: np.ndarray  # (P, R) their shares
    supply_family: np.ndarray
    supply_rate: np.ndarray
    supply_cap: np.ndarray
    supply_first: np.ndarray
    supply_batch: np.ndarray
    parts_start: np.ndarray  # (P,) int64, ``Inputs.parts[p].start``
    parts_entries: np.ndarray  # (P, K) bool, ``Inputs.parts[p].entries``
    parts_effort_factor: np.ndarray  # (P, R), ``Inputs.parts[p].effort_factor``
    parts_failure_factor: np.ndarray  # (P, R), ``Inputs.parts[p].failure_factor``


class Carried(NamedTuple):
    """The state the kernel carries from one call (a batch of months) to the next."""

    state: np.ndarray  # (RECORDED, F, R) this month's recorded stocks, by slot
    entered: np.ndarray  # (T, F, R) hulls entering the pipeline, by month
    entry_cost: np.ndarray  # (K, R) effort units per hull started, after spare parts
    entry_failure: np.ndarray  # (K, R) share of started hulls that fail, after spare parts
    shipped: np.ndarray  # (S, R) foreign supply delivered so far
    short_so_far: np.ndarray  # (R,) donor hulls drawn but not found, so far


class Written(NamedTuple):
    """What the kernel writes, month by month: the trace's arrays."""

    series: np.ndarray  # (T, V, F + 1, R) the first RECORDED variables of each month
    effort_refurbishable: np.ndarray  # (T, R) effort units spent on good or fair hulls
    donor_shortfall: np.ndarray  # (T, R) cumulative donor shortfall
    effort_spent: np.ndarray  # (T, R) effort units spent on any hull


def _f64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def _i64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def given(inputs: Inputs, stochastic: bool) -> Given:
    """The kernel's :class:`Given` of ``inputs``, every field by name."""
    reps = inputs.shape[2]
    parts, entries = inputs.parts, len(inputs.entry_family)
    rate = _f64(inputs.supply_rate)
    return Given(
        stochastic=stochastic,
        loss_hazard=bool(inputs.loss_hazard),
        has_requirement=bool(np.isfinite(inputs.required).any()),
        supply_top=float(np.minimum(rate, POISSON_NORMAL_ABOVE).max(initial=0.0)),
        vulnerability=_f64(inputs.vulnerability),
        good_to_fair=_f64(inputs.good_to_fair),
        fair_to_poor=_f64(inputs.fair_to_poor),
        true_losses=_f64(inputs.true_losses),
        hazard=_f64(inputs.hazard),
        committed_share=_f64(inputs.committed_share),
        deployed=_f64(inputs.deployed),
        required=_f64(inputs.required),
        capacity=_f64(inputs.capacity),
        lead_time=_i64(inputs.lead_time),
        entry_family=_i64(inputs.entry_family),
        entry_condition=_i64(inputs.entry_condition),
        entry_donors=_f64(inputs.entry_donors),
        entry_start=_i64(inputs.entry_start),
        entry_stop=_i64(inputs.entry_stop),
        family_share=_f64(
            np.zeros((0, len(inputs.family_names), reps))
            if inputs.family_share is None
            else inputs.family_share
        ),
        family_share_period=_i64(inputs.family_share_period),
        production_family=int(inputs.production_family),
        production=_f64(inputs.production),
        production_split_family=_i64(inputs.production_split_family),
        production_split_share=_f64(inputs.production_split_share).reshape(
            len(inputs.production_split_family), reps),
        supply_family=_i64(inputs.supply_family),
        supply_rate=rate,
        supply_cap=_f64(inputs.supply_cap),
        supply_first=_i64(inputs.supply_first),
        supply_batch=_f64(inputs.supply_batch),
        parts_start=np.array([p.start for p in parts], np.int64),
        parts_entries=np.array([p.entries for p in parts], np.bool_).reshape(len(parts), entries),
        parts_effort_factor=_f64([p.effort_factor for p in parts]).reshape(len(parts), reps),
        parts_failure_factor=_f64([p.failure_factor for p in parts]).reshape(len(parts), reps),
    )


def carried(inputs: Inputs) -> Carried:
    """The :class:`Carried` state before the first month: the starting stocks, the priority
    entries' own cost and failure, nothing entered, shipped or short."""
    months, families, reps = inputs.shape
    state = np.zeros((RECORDED, families, reps))
    state[ACTIVE] = inputs.active0
    state[STORAGE_GOOD : STORAGE_GOOD + CONDITIONS] = inputs.storage0
    return Carried(
        state=state,
        entered=np.zeros((months, families, reps)),
        entry_cost=_f64(inputs.entry_cost).copy(),
        entry_failure=_f64(inputs.entry_failure).copy(),
        shipped=np.zeros(inputs.supply_rate.shape),
        short_so_far=np.zeros(reps),
    )


def written(series: np.ndarray) -> Written:
    """The :class:`Written` arrays around ``series`` (T, V, F + 1, R)."""
    months, reps = series.shape[0], series.shape[3]
    return Written(
        series=series,
        effort_refurbishable=np.empty((months, reps)),
        donor_shortfall=np.empty((months, reps)),
        effort_spent=np.empty((months, reps)),
    )
