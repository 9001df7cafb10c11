"""From a chunk's :class:`Trace` to trajectory series and per-replication headline metrics."""

from __future__ import annotations

import numpy as np

from sim.engine.inputs import Inputs
from sim.engine.simulate import Trace
from sim.model.constants import (  # noqa: F401 (re-exported: the output order and slots)
    ACTIVE,
    ACTIVE_WEIGHTED,
    FAIR,
    GOOD,
    LOST,
    LOST_CONFIRMED,
    PIPELINE,
    RECORDED,
    STORAGE_FAIR,
    STORAGE_GOOD,
    VARIABLES,
)
from sim.model.params import Thresholds

COUNT_METRICS = ("active_end", "active_weighted_end", "lost_end", "worst_month_loss_share")
#: Month metrics timed from ``Thresholds.rebuild_after`` (scenarios whose losses fall).
REBUILD_METRICS = ("rebuild_active", "rebuild_restorable", "reach_requirement")
MONTH_METRICS = ("storage_exhausted", "refurb_below_half", "active_down_25", *REBUILD_METRICS)
NEVER = -1
ALL = -1  #: the family slot holding the total over families


def trajectory_series(trace: Trace, inputs: Inputs) -> np.ndarray:
    """Every trajectory as one array (T, V, F + 1, R); the last family slot is ``all``.

    ``active_weighted`` (whole T-90M equivalents) and ``lost_confirmed`` are rounded in
    integer runs. The array is the trace's own ``series``: the engine recorded the first
    variables, this fills in the derived ones (so calling it twice changes nothing).
    """
    series = trace.series
    families = series.shape[2] - 1
    derived = series[:, RECORDED:]
    rounded = np.issubdtype(series.dtype, np.integer)
    scratch = np.multiply(trace.active, inputs.quality_weight[None])  # (T, F, R) float64
    if rounded:
        np.rint(scratch, out=scratch)
    derived[:, ACTIVE_WEIGHTED - RECORDED, :families] = scratch
    np.multiply(trace.lost, inputs.detection_share, out=scratch)  # the same memory again
    if rounded:
        np.rint(scratch, out=scratch)
    derived[:, LOST_CONFIRMED - RECORDED, :families] = scratch
    derived[:, :, :families].sum(axis=2, out=derived[:, :, families])
    return series


def _owned(values: np.ndarray) -> np.ndarray:
    """A copy (int64 for counts, as the series once were): a view would keep the chunk's
    whole series alive for as long as the metric is kept."""
    return values.astype(np.int64 if np.issubdtype(values.dtype, np.integer) else np.float64)


def first_month(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along axis 0 of a (T, R) mask, or :data:`NEVER`; shape (R,)."""
    return np.where(mask.any(axis=0), mask.argmax(axis=0), NEVER)


def worst_month_loss_share(lost: np.ndarray, active: np.ndarray, active0: np.ndarray):
    """Per replication, the largest share of the active fleet lost in one month, (R,).

    ``lost`` (T, R) cumulative losses and ``active`` (T, R) the active fleet at each month's
    end, all families; ``active0`` (R,) the fleet at the start. A month's losses are taken
    from the fleet at the end of the month before (losses come first in the month)."""
    before = np.concatenate([active0[None].astype(np.float64), active[:-1]], axis=0)
    lost_now = np.diff(lost, axis=0, prepend=0).astype(np.float64)
    share = np.divide(lost_now, before, out=np.zeros_like(before), where=before > 0)
    return share.max(axis=0)


def headline_metrics(
    series: np.ndarray,
    trace: Trace,
    inputs: Inputs,
    thresholds: Thresholds,
    rebuild_from: int | None = None,
) -> dict[str, np.ndarray]:
    """Per-replication headline metrics, each shape (R,); months are indices from the start.

    - ``storage_exhausted``: good+fair storage, all families, at or below
      ``exhausted_share`` of its initial level;
    - ``refurb_below_half``: effort spent on good or fair hulls below ``refurb_low_share`` of
      the month's capacity (the rest idle or sunk into poor hulls, for lack of better ones);
    - ``active_down_25``: active fleet below ``1 - active_drop_share`` of its initial level;
    - ``worst_month_loss_share``: the largest share of the active fleet lost in one month;

    and, only with ``rebuild_from`` (a month index), the first month from then on in which
    - ``rebuild_active``: the active fleet is back at its initial level;
    - ``rebuild_restorable``: the active fleet, the pipeline and good+fair storage together
      are back at their initial level (hulls under repair came out of that storage);
    - ``reach_requirement``: the active fleet is at ``requirement_share`` of the required
      fleet or more (never, without a requirement).
    """
    active = series[:, ACTIVE, ALL]
    good_fair = series[:, STORAGE_GOOD, ALL] + series[:, STORAGE_FAIR, ALL]
    initial_good_fair = inputs.storage0[GOOD : FAIR + 1].sum(axis=(0, 1))
    initial_active = inputs.active0.sum(axis=0)
    capacity = trace.capacity
    out = {}
    if rebuild_from is not None:
        after = np.arange(len(active))[:, None] >= rebuild_from
        out["rebuild_active"] = first_month(after & (active >= initial_active))
        restorable = active + series[:, PIPELINE, ALL] + good_fair
        out["rebuild_restorable"] = first_month(
            after & (restorable >= initial_active + initial_good_fair)
        )
        required = thresholds.requirement_share * inputs.required
        out["reach_requirement"] = first_month(after & (active >= required))
    return out | {
        "active_end": _owned(active[-1]),
        "active_weighted_end": _owned(series[-1, ACTIVE_WEIGHTED, ALL]),
        "lost_end": _owned(series[-1, LOST, ALL]),
        "worst_month_loss_share": worst_month_loss_share(
            series[:, LOST, ALL], active, initial_active
        ),
        "storage_exhausted": first_month(
            good_fair <= thresholds.exhausted_share * initial_good_fair
        ),
        "refurb_below_half": first_month(
            (capacity > 0) & (trace.effort_refurbishable < thresholds.refurb_low_share * capacity)
        ),
        "active_down_25": first_month(active < (1 - thresholds.active_drop_share) * initial_active),
    }
