"""Scenario discovery: which regions of input space lead to an outcome of interest.

Over a sampled ensemble of the scenario's uncertain parameters (Latin hypercube by default),
a condition such as ``active_end < 1500`` or ``storage_exhausted <= 2026-06`` marks each
replication as a case of interest or not, and PRIM (the Patient Rule Induction Method,
Friedman and Fisher 1999, as used in exploratory modelling by Bryant and Lempert 2010)
looks for a box, a range for each of a few parameters, inside which such cases are dense.

**Conditions** are parsed, never evaluated as code (:mod:`sim.analysis.condition`).

**PRIM** here is peeling only (no pasting), written small because the maintained
implementations (``ema_workbench``, ``prim``) bring pandas and more: starting from the
whole sample, each step removes the ``alpha`` share of the points in the box below a lower
or above an upper quantile of one parameter, whichever leaves the densest box, until the
box holds ``mass_min`` of the sample or is pure. Every box along the way is kept (the
peeling trajectory). Coverage is the share of all cases of interest that fall in the box,
density the share of the box's points that are cases, mass the share of all points in the
box. The box reported is the one with the highest coverage among those with density at least
``min_density``, or the densest if none reaches it. For each restricted parameter a one-sided
binomial test (as in ema_workbench's quasi-p-values) says how likely a density this high
would be if that restriction were dropped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim import defaults
from sim.analysis.condition import Condition
from sim.model.errors import InputError

ALPHA = 0.05
MASS_MIN = 0.05
MIN_DENSITY = defaults.MIN_DENSITY


class DiscoveryError(InputError):
    """Nothing to discover: no sampled set, or every one, meets the condition."""


# ---------------------------------------------------------------------------------------------
# PRIM


@dataclass(frozen=True)
class Box:
    """One box of the peeling trajectory: ``limits`` (d, 2), lower and upper bound of each
    parameter (-inf / inf where unrestricted); ``coverage``, ``density``, ``mass``; ``count``
    points inside and ``cases`` of them of interest."""

    limits: np.ndarray
    coverage: float
    density: float
    mass: float
    count: int
    cases: int

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Boolean (N,) for points x (N, d)."""
        return np.all((x >= self.limits[:, 0]) & (x <= self.limits[:, 1]), axis=1)

    def restricted(self) -> np.ndarray:
        """Indices of the parameters whose range this box limits."""
        return np.flatnonzero(np.isfinite(self.limits).any(axis=1))


def _box(limits: np.ndarray, inside: np.ndarray, y: np.ndarray) -> Box:
    count, cases = int(inside.sum()), int(y[inside].sum())
    return Box(
        limits=limits.copy(), coverage=cases / max(int(y.sum()), 1),
        density=cases / max(count, 1), mass=count / len(y), count=count, cases=cases,
    )  # fmt: skip


def peel(
    x: np.ndarray, y: np.ndarray, *, alpha: float = ALPHA, mass_min: float = MASS_MIN
) -> list[Box]:
    """The PRIM peeling trajectory for points ``x`` (N, d) and cases of interest ``y`` (N,).

    The first box is the whole sample. Each step peels ``alpha`` of the box's points off one
    side of one parameter, choosing the peel that leaves the highest density (ties: the one
    that removes fewest points), and stops when the box would hold less than ``mass_min``
    of all points, is pure, or no peel can remove a point.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    n, d = x.shape
    if len(y) != n:
        raise ValueError(f"x has {n} points but y has {len(y)}")
    limits = np.tile([-np.inf, np.inf], (d, 1))
    inside = np.ones(n, dtype=bool)
    boxes = [_box(limits, inside, y)]
    while boxes[-1].density < 1 and y.any():
        best = None
        xin, yin = x[inside], y[inside]
        for j in range(d):
            low, high = np.quantile(xin[:, j], [alpha, 1 - alpha])
            for side, keep, bound in ((0, xin[:, j] >= low, low), (1, xin[:, j] <= high, high)):
                kept = int(keep.sum())
                if kept == len(yin) or kept < mass_min * n or kept == 0:
                    continue
                score = (yin[keep].mean(), kept)
                if best is None or score > best[0]:
                    best = (score, j, side, bound)
        if best is None:
            break
        _, j, side, bound = best
        limits[j, side] = bound
        inside &= (x[:, j] >= bound) if side == 0 else (x[:, j] <= bound)
        boxes.append(_box(limits, inside, y))
    return boxes


def choose_box(boxes: list[Box], min_density: float = MIN_DENSITY) -> int:
    """Index of the box with the highest coverage among those with density >= ``min_density``
    (the densest box if none is that dense; the later box on ties)."""
    dense = [i for i, b in enumerate(boxes) if b.density >= min_density]
    if dense:
        return max(dense, key=lambda i: (boxes[i].coverage, i))
    return max(range(len(boxes)), key=lambda i: (boxes[i].density, i))


def quasi_p_values(x: np.ndarray, y: np.ndarray, box: Box) -> dict[int, float]:
    """For each restricted parameter j: P(at least the box's cases | the density of the box
    without its limit on j), one-sided binomial. Small values: the restriction matters."""
    out = {}
    for j in box.restricted():
        loose = box.limits.copy()
        loose[j] = (-np.inf, np.inf)
        inside = np.all((x >= loose[:, 0]) & (x <= loose[:, 1]), axis=1)
        p = float(y[inside].mean()) if inside.any() else 0.0
        test = stats.binomtest(box.cases, box.count, p, alternative="greater")
        out[int(j)] = float(test.pvalue)
    return out


@dataclass(frozen=True)
class Discovery:
    """PRIM's answer: the peeling trajectory, the chosen box, parameter names and sampled
    ranges (d, 2), and the quasi-p-values of the chosen box's restrictions."""

    parameters: tuple[str, ...]
    ranges: np.ndarray
    boxes: tuple[Box, ...]
    chosen: int
    p_values: dict[int, float]
    cases: int
    n: int

    @property
    def box(self) -> Box:
        return self.boxes[self.chosen]


def discover(
    x: np.ndarray,
    y: np.ndarray,
    parameters: tuple[str, ...],
    *,
    alpha: float = ALPHA,
    mass_min: float = MASS_MIN,
    min_density: float = MIN_DENSITY,
) -> Discovery:
    """PRIM over sampled inputs and the cases of interest among them.

    Parameters
    ----------
    x : (N, d) sampled inputs, column j in parameter ``parameters[j]``'s own units.
    y : (N,) bool, True where the condition holds.
    parameters : the d input names.
    alpha, mass_min, min_density : share peeled per step; smallest box, as a share of N;
        least density of the box reported (all shares in [0, 1]).

    Returns
    -------
    Discovery
        The peeling trajectory, the chosen box and its restrictions' quasi-p-values.
    """
    boxes = peel(x, y, alpha=alpha, mass_min=mass_min)
    chosen = choose_box(boxes, min_density)
    ranges = np.column_stack([x.min(axis=0), x.max(axis=0)])
    return Discovery(
        parameters=tuple(parameters), ranges=ranges, boxes=tuple(boxes), chosen=chosen,
        p_values=quasi_p_values(x, y, boxes[chosen]), cases=int(np.sum(y)), n=len(y),
    )  # fmt: skip


def box_limits(found: Discovery) -> list[dict]:
    """The chosen box's limit on each restricted parameter, most significant first.

    Returns
    -------
    One dict per restricted parameter: ``parameter``; ``low`` and ``high``, the box's bounds
    in the parameter's own units (None where the box leaves that side open);
    ``sampled_low``/``sampled_high``, the sampled range; ``quasi_p``, the quasi-p-value of
    the restriction (small: it matters).
    """
    out = []
    for j in sorted(found.p_values, key=lambda j: found.p_values[j]):
        low, high = found.box.limits[j]
        out.append({
            "parameter": found.parameters[j],
            "low": None if np.isinf(low) else float(low),
            "high": None if np.isinf(high) else float(high),
            "sampled_low": float(found.ranges[j, 0]), "sampled_high": float(found.ranges[j, 1]),
            "quasi_p": found.p_values[j],
        })  # fmt: skip
    return out


def box_rows(found: Discovery):
    """Rows of box.csv (:data:`BOX_COLUMNS`): :func:`box_limits` as text."""
    for lim in box_limits(found):
        yield (
            lim["parameter"],
            "" if lim["low"] is None else f"{lim['low']:.6g}",
            "" if lim["high"] is None else f"{lim['high']:.6g}",
            f"{lim['sampled_low']:.6g}", f"{lim['sampled_high']:.6g}", f"{lim['quasi_p']:.3g}",
        )  # fmt: skip


BOX_COLUMNS = ("parameter", "box_low", "box_high", "sampled_low", "sampled_high", "quasi_p")
PEELING_COLUMNS = ("step", "coverage", "density", "mass", "points", "cases", "restricted")


def peeling_rows(found: Discovery):
    """Rows of peeling.csv: one per box of the trajectory."""
    for i, b in enumerate(found.boxes):
        yield (i, f"{b.coverage:.4f}", f"{b.density:.4f}", f"{b.mass:.4f}", b.count, b.cases,
               len(b.restricted()))  # fmt: skip


def discovery_data(found: Discovery, condition: Condition) -> dict:
    """discover.json: the condition, base rate, the chosen box and the trajectory."""
    box = found.box
    limits = {
        lim["parameter"]: {"low": lim["low"], "high": lim["high"],
                           "sampled": [lim["sampled_low"], lim["sampled_high"]],
                           "quasi_p": lim["quasi_p"]}
        for lim in box_limits(found)
    }  # fmt: skip
    return {
        "where": condition.text,
        "n": found.n,
        "cases": found.cases,
        "base_rate": found.cases / found.n,
        "chosen_step": found.chosen,
        "box": {
            "coverage": box.coverage,
            "density": box.density,
            "mass": box.mass,
            "limits": limits,
        },  # fmt: skip
        "trajectory": [
            {
                "step": i,
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "restricted": len(b.restricted()),
            }
            for i, b in enumerate(found.boxes)
        ],  # fmt: skip
    }
