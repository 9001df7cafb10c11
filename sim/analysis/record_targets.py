"""Calibration targets read from the loss record: Oryx's confirmed losses by family group,
at quarter ends and the latest snapshot, each compared at its snapshot's own date.

The observation model (the model's counterpart of each figure):

- confirmed losses of a family group = detection share x (1 - unknown share) x the group's
  true losses (the model's ``lost``, summed over its families);
- the record's "unknown tank" bucket = detection share x unknown share x all true losses;
- the record's total = detection share x all true losses.

The summaries: for each group (and the total), the losses between consecutive chosen
snapshots (the first one: since the invasion) and the cumulative level at the latest
snapshot. The "unknown tank" bucket gives its level only: Oryx later re-types losses out of
it (it fell by 12 between 2022-06-30 and 2022-09-30), so its increments mix new losses with
reclassification, which no thinning of losses can produce, and one such impossible summary
would set ABC's tolerance for every other. Increments keep one period's misfit from
counting again in every later level, so no single cumulative total dominates; ABC-SMC's
max-distance criterion weighs each summary on its own. Each interval is
``observed +- (relative x observed + 2 sqrt(observed) + floor)``: a relative model
discrepancy (larger for a period than for a level), a counting term (about two standard
deviations of binomial thinning of that many losses) and a floor for posting lag on small
counts (seeds/assumptions.toml, ``assumption-record-*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.analysis.targets import Target
from sim.model.params import UNKNOWN

DETECTION = "losses.detection_share"
ALL = "all"
#: The record's bucket of losses whose type was not identified.
UNKNOWN_BUCKET = "unknown"
#: The total over every record column.
TOTAL = "total"

#: Comparison groups: (name, the model's families summed, the record's families summed).
#: Pre-war T-90Ms are in the model's T-90 stock and new builds in T-90M, while the record's
#: T-90M column cannot tell a pre-war hull from a new one, so the T-90 group meets every
#: T-90 variant with both model families. North Korean families are groups of their own
#: when the scenario holds them (the record through 2025 lists none).
GROUPS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("T-54/55", ("T-54/55",), ("T-54/55",)),
    ("T-62", ("T-62",), ("T-62",)),
    ("T-64", ("T-64",), ("T-64",)),
    ("T-72", ("T-72",), ("T-72",)),
    ("T-80", ("T-80",), ("T-80",)),
    ("T-90", ("T-90", "T-90M"), ("T-90", "T-90M")),
    ("NK-T62", ("NK-T62",), ("NK-T62",)),
    ("Chonma-2", ("Chonma-2",), ("Chonma-2",)),
)
#: Marks the cumulative level at the latest snapshot (not a period).
LEVEL = -1
#: Quarter-end months (1-12).
QUARTER_MONTHS = (3, 6, 9, 12)


@dataclass(frozen=True)
class Discrepancy:
    """The stated measurement assumption behind each record target's interval:
    half-width = ``relative`` x observed + ``counting`` x sqrt(observed) + ``floor``.

    ``relative_period`` applies to losses over a period, ``relative_level`` to a cumulative
    level. Defaults: seeds/assumptions.toml, ``assumption-record-discrepancy-period``,
    ``assumption-record-discrepancy-level``, ``assumption-record-counting`` and
    ``assumption-record-floor``.
    """

    relative_period: float = 0.3
    relative_level: float = 0.15
    counting: float = 2.0
    floor: float = 5.0

    def half_width(self, observed: float, period: bool) -> float:
        relative = self.relative_period if period else self.relative_level
        count = max(observed, 0.0)
        return relative * count + self.counting * np.sqrt(count) + self.floor


def chosen_snapshots(dates: np.ndarray) -> np.ndarray:
    """Indices (sorted, unique) of the snapshots nearest each quarter end that the record
    covers (from its first to its last snapshot date), plus the latest snapshot.

    ``dates`` (N,) datetime64[D], increasing.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    first, last = dates[0], dates[-1]
    years = range(first.astype(object).year, last.astype(object).year + 1)
    chosen = set()
    for year in years:
        for month in QUARTER_MONTHS:
            end = (np.datetime64(f"{year:04d}-{month:02d}", "M") + 1).astype("datetime64[D]") - 1
            if first <= end <= last:
                chosen.add(int(np.argmin(np.abs(dates - end))))
    chosen.add(len(dates) - 1)
    return np.array(sorted(chosen), dtype=np.intp)


def _month_day(date: np.datetime64) -> tuple[int, int]:
    day = date.astype(object)
    return day.year * 12 + day.month - 1, day.day


def group_series(
    families: Sequence[str], counts: np.ndarray, model_families: Sequence[str]
) -> list[tuple[str, tuple[str, ...], np.ndarray]]:
    """(group, the model families it sums, its record series (N,)) for every group the
    record and the model both hold, then the unknown bucket and the total.

    ``families`` (G,) the record's columns; ``counts`` (N, G) cumulative confirmed losses.
    """
    column = {name: g for g, name in enumerate(families)}
    counts = np.asarray(counts)
    out = []
    for name, model, record in GROUPS:
        model = tuple(f for f in model if f in model_families)
        cols = [column[f] for f in record if f in column]
        if model and cols:
            out.append((name, model, counts[:, cols].sum(axis=1)))
    if UNKNOWN_BUCKET in column:
        out.append((UNKNOWN_BUCKET, (ALL,), counts[:, column[UNKNOWN_BUCKET]]))
    out.append((TOTAL, (ALL,), counts.sum(axis=1)))
    return out


def record_targets(
    dates: np.ndarray,
    families: Sequence[str],
    counts: np.ndarray,
    model_families: Sequence[str],
    *,
    fact: str,
    source: str = "Oryx (record)",
    discrepancy: Discrepancy = Discrepancy(),
) -> list[Target]:
    """Targets from a loss record: per group, the losses between consecutive chosen
    snapshots (:func:`chosen_snapshots`) and the cumulative level at the latest one.

    Parameters
    ----------
    dates : (N,) datetime64[D], the snapshots' dates, increasing.
    families : (G,) the record's family columns (``"unknown"`` the untyped bucket).
    counts : (N, G) cumulative confirmed losses, tanks.
    model_families : the scenario's families (groups it lacks are left out).
    fact : the fact id every target cites (the record).
    source, discrepancy : the source named in the fit report; the interval assumption.

    Returns
    -------
    Targets, group by group, in date order, with ``series`` the group's name.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    index = chosen_snapshots(dates)
    targets = []
    for group, model, series in group_series(families, counts, model_families):
        common = _observed_as(group, model, source=source, fact=fact)
        starts = [None, *index[:-1]]
        periods = [] if group == UNKNOWN_BUCKET else list(zip(index, starts))
        for i, before in [*periods, (index[-1], LEVEL)]:
            month, day = _month_day(dates[i])
            level = before is LEVEL
            since = _month_day(dates[before]) if before not in (None, LEVEL) else (None, None)
            observed = float(series[i] - (series[before] if since[0] is not None else 0))
            width = discrepancy.half_width(observed, period=not level)
            kind = "level" if level else "period"
            tag = str(dates[i]) if since[0] is None else f"{dates[before]}..{dates[i]}"
            what = ("cumulative confirmed" if level else "confirmed since the invasion"
                    if before is None else "confirmed over the period")  # fmt: skip
            targets.append(Target(
                id=f"record:{group}:{kind}:{tag}", month=month, day=day, since=since[0],
                since_day=since[1], observed=observed, low=observed - width,
                high=observed + width, uncertainty=f"{what}; {_rule(discrepancy, kind)}",
                **common,
            ))  # fmt: skip
    return targets


def _observed_as(group: str, model: tuple[str, ...], *, source: str, fact: str) -> dict:
    """The :class:`Target` fields that say how ``group`` is observed: the model's ``lost``
    summed over ``model`` families, scaled by detection and by the typed (or the untyped)
    share."""
    if group == UNKNOWN_BUCKET:
        scale, complement = (DETECTION, UNKNOWN), ()
    elif group == TOTAL:
        scale, complement = (DETECTION,), ()
    else:
        scale, complement = (DETECTION,), (UNKNOWN,)
    return dict(variables=("lost",), family=model[0], families=model[1:], scale=scale,
                complement=complement, source=source, series=group, fact=fact)  # fmt: skip


def level_observations(
    groups: Sequence[str], dates: np.ndarray, observed: np.ndarray,
    model_families: Sequence[str], *, fact: str, source: str = "Oryx (record)",
) -> list[Target]:  # fmt: skip
    """One cumulative-level observation per (group, date): the record's confirmed losses of
    ``groups`` (K,) at ``dates`` (K,) datetime64[D], ``observed`` (K,) tanks, each read
    through the group's observation process at its own date (for scoring forecasts, so the
    interval is only nominal: observed +- 1)."""
    model_of = {name: tuple(f for f in model if f in model_families) for name, model, _ in GROUPS}
    out = []
    for group, date, value in zip(groups, np.asarray(dates, dtype="datetime64[D]"), observed):
        model = (ALL,) if group in (UNKNOWN_BUCKET, TOTAL) else model_of[group]
        month, day = _month_day(date)
        out.append(Target(
            id=f"record:{group}:level:{date}", month=month, day=day, observed=float(value),
            low=float(value) - 1.0, high=float(value) + 1.0, uncertainty="scored, not fitted",
            **_observed_as(group, model, source=source, fact=fact),
        ))  # fmt: skip
    return out


def _rule(d: Discrepancy, kind: str) -> str:
    relative = d.relative_period if kind == "period" else d.relative_level
    return (f"+-({relative:.0%} x n + {d.counting:g} sqrt(n) + {d.floor:g}): model "
            "discrepancy, counting noise, posting lag (assumption-record-*)")
