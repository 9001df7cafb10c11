"""Each family's share of the fleet, of the exposed fleet and of the losses, period by
period, against the record's share of typed losses: the diagnosis of a family mix that does
not fit (docs/observation.md, "Which families are lost").

The model splits a month's losses across families in proportion to active x loss weight
(``vulnerability``: a committed tank's relative loss rate, which also carries how much of a
family's fleet is in combat). So a family's share of the true losses follows its share of
the *exposed* fleet (active x weight), and the record's share of typed losses says what that
share must have been. Pure functions of arrays; nothing here runs the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def group_matrix(families: Sequence[str], groups: Sequence[Sequence[str]]) -> np.ndarray:
    """(G, F) 0/1 matrix summing the model's families into comparison groups.

    ``families`` (F,) the model's family names; ``groups`` (G,) each a list of family names
    (names the model lacks are skipped).
    """
    index = {name: f for f, name in enumerate(families)}
    out = np.zeros((len(groups), len(families)))
    for g, members in enumerate(groups):
        for name in members:
            if name in index:
                out[g, index[name]] = 1.0
    return out


def _share(x: np.ndarray) -> np.ndarray:
    total = x.sum(axis=-1, keepdims=True)
    return np.divide(x, total, out=np.zeros_like(x), where=total > 0)


def period_shares(
    active: np.ndarray,
    weight: np.ndarray,
    lost: np.ndarray,
    periods: Sequence[tuple[int, int]],
    groups: np.ndarray,
) -> dict[str, np.ndarray]:
    """Shares of each group, per replication and period.

    Parameters
    ----------
    active : (R, T, F) active tanks at the end of each month, by family.
    weight : (R, F) each family's loss weight (``vulnerability``; T-72 = 1).
    lost : (R, T, F) cumulative true losses at the end of each month, by family.
    periods : (P,) pairs ``(first, last)`` of month indices into T, inclusive: the period's
        losses are those of months ``first..last`` (from nothing lost when ``first`` is 0),
        its fleet the mean of the active fleet at the end of months ``first - 1 .. last - 1``
        (of months ``0 .. last - 1`` when ``first`` is 0, the first month standing in for
        the fleet before it).
    groups : (G, F) from :func:`group_matrix`.

    Returns
    -------
    dict of (R, P, G) arrays, each summing to 1 over G (0 where the total is 0):
    ``fleet`` (share of the active tanks), ``exposed`` (of active x weight) and ``losses``
    (of the true losses in the period).
    """
    if any(first < 0 or last < first or last >= active.shape[1] for first, last in periods):
        raise ValueError(f"periods {list(periods)}: each needs 0 <= first <= last < "
                         f"{active.shape[1]}")  # fmt: skip
    fleet, exposed, losses = [], [], []
    for first, last in periods:
        before = active[:, max(first - 1, 0) : max(last, 1)].mean(axis=1)  # (R, F)
        lost_before = lost[:, first - 1] if first > 0 else np.zeros_like(lost[:, 0])
        fleet.append(_share(before @ groups.T))
        exposed.append(_share((before * weight) @ groups.T))
        losses.append(_share((lost[:, last] - lost_before) @ groups.T))
    return {name: np.stack(values, axis=1) for name, values in
            (("fleet", fleet), ("exposed", exposed), ("losses", losses))}  # fmt: skip


def record_shares(counts: np.ndarray, bounds: Sequence[tuple[int, int]]) -> np.ndarray:
    """(P, G) each group's share of the typed losses the record adds between two snapshots.

    ``counts`` (N, G) cumulative confirmed losses by snapshot and group (typed groups only);
    ``bounds`` (P,) pairs of snapshot indices ``(before, after)``, ``before`` -1 meaning the
    start of the war (nothing lost).
    """
    counts = np.asarray(counts, dtype=float)
    rows = []
    for before, after in bounds:
        start = counts[before] if before >= 0 else np.zeros(counts.shape[1])
        rows.append(_share(counts[after] - start))
    return np.array(rows)
