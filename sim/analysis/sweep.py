"""Parameter sweeps: one-at-a-time or full-factorial, every point on the same random numbers.

A sweep varies scenario parameters, named by their dotted keys (``families.T-62.storage``,
``losses.hazard_per_month.2024-06``; TOML quoting such as ``families."T-54/55".storage``
is accepted), over evenly spaced values from LOW to HIGH. At a point the swept parameters
are set to the point's values in every replication, and every other parameter is drawn from
its distribution as in a run. Every point runs the same replications 0..N-1 with the same
seed and the same draws of the other parameters (:func:`sim.runs.ensemble.run_ensemble`), so the
differences between points come from the swept values, not from sampling noise: a parameter
with no effect gives identical metrics at every point.

One-at-a-time (the default) varies each parameter alone, the others at their distributions;
a full-factorial grid runs every combination. Both also run the base point, where nothing is
fixed. Each point is summarised by the headline metrics with the one summariser,
:mod:`sim.analysis.stats`, as summary.json is: mean and percentiles, and for month metrics the
share of replications in which the event never happens. For month metrics the mean is over
the replications in which the event happens (None if it never does), so read it with
``never_share``: where that differs between points, the means are over different
replications.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.analysis.budget import check_budget
from sim.analysis.stats import count_stats, month_stats
from sim.engine.metrics import MONTH_METRICS
from sim.model.calendar import format_month
from sim.model.distributions import DOMAINS
from sim.model.errors import InputError
from sim.model.params import Scenario
from sim.runs.chunks import ChunkExecutor
from sim.runs.designs import Design
from sim.runs.ensemble import run_ensemble
from sim.runs.reduce import STAT_NAMES
from sim.runs.run import DEFAULT_CHUNK
from sim.runs.sampling import draw_params

#: Most points a sweep may have (a full-factorial grid grows fast).
MAX_POINTS = 2000
BASE, GRID = "base", "grid"
STATS = STAT_NAMES  # mean, p05, p25, p50, p75, p95


class SweepError(InputError):
    """A --param specification that cannot be swept."""


@dataclass(frozen=True)
class SweepParam:
    """Parameter ``name`` swept over ``steps`` evenly spaced values from ``low`` to ``high``."""

    name: str
    low: float
    high: float
    steps: int

    def values(self) -> np.ndarray:
        return np.linspace(self.low, self.high, self.steps)


def normalise_key(key: str) -> str:
    """A dotted key as :meth:`Scenario.params` names it: spaces and TOML quotes removed."""
    return key.strip().replace('"', "").replace("'", "")


def parse_sweep(text: str, scenario: Scenario) -> SweepParam:
    """A :class:`SweepParam` from ``KEY=LOW:HIGH:STEPS``.

    Parameters
    ----------
    text : a dotted key as ``tanksim validate`` lists it, ``=``, then LOW and HIGH (finite,
        LOW < HIGH, inside the parameter's domain, in its own units) and STEPS (>= 2).
    scenario : the scenario whose parameter is swept.

    Raises
    ------
    SweepError
        One line naming the key (with a close match) or the value that is wrong.
    """
    key, sep, spec = text.partition("=")
    if not sep or not key.strip():
        raise SweepError(f"{text!r}: expected KEY=LOW:HIGH:STEPS")
    name = normalise_key(key)
    params = scenario.params()
    if name not in params:
        dated = [p for p in params if p.startswith(f"{name}.")]  # a schedule's steps
        close = dated[:1] or difflib.get_close_matches(name, params, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else " (tanksim validate lists them)"
        if len(dated) > 1:
            hint = f"; it has dated steps: {', '.join(repr(d) for d in dated)}"
        raise SweepError(f"{text!r}: {scenario.name} has no parameter {name!r}{hint}")
    parts = spec.split(":")
    if len(parts) != 3:
        raise SweepError(f"{text!r}: {spec!r} is not LOW:HIGH:STEPS")
    low, high = (_number(text, part) for part in parts[:2])
    try:
        steps = int(parts[2])
    except ValueError:
        raise SweepError(f"{text!r}: STEPS {parts[2]!r} is not a whole number") from None
    if steps < 2:
        raise SweepError(f"{text!r}: STEPS must be at least 2, got {steps}")
    if not low < high:
        raise SweepError(f"{text!r}: LOW must be below HIGH, got {low:g} and {high:g}")
    floor, ceiling, closed = DOMAINS[params[name].domain]
    if (low < floor if closed else low <= floor) or high > ceiling:
        bound = f">= {floor:g}" if closed else f"> {floor:g}"
        where = (f"in {'[' if closed else '('}{floor:g}, {ceiling:g}]" if ceiling < math.inf
                 else bound)
        raise SweepError(f"{text!r}: {name} must be {where}")
    return SweepParam(name, low, high, steps)


def _number(text: str, part: str) -> float:
    try:
        value = float(part)
    except ValueError:
        raise SweepError(f"{text!r}: {part!r} is not a number") from None
    if not math.isfinite(value):
        raise SweepError(f"{text!r}: {part!r} is not a finite number")
    return value


@dataclass(frozen=True)
class SweepPoint:
    """One point: ``varied`` is the parameter varied alone, ``"grid"`` or ``"base"``;
    ``values`` maps each fixed parameter to its value here (empty at the base point)."""

    varied: str
    values: dict[str, float]


def sweep_points(specs: list[SweepParam], grid: bool) -> list[SweepPoint]:
    """The base point, then each parameter's values in turn (one at a time) or every
    combination (``grid``, the last parameter varying fastest)."""
    points = [SweepPoint(BASE, {})]
    if grid:
        combos = itertools.product(*(spec.values() for spec in specs))
        points += [
            SweepPoint(GRID, {s.name: float(v) for s, v in zip(specs, combo)}) for combo in combos
        ]
    else:
        points += [
            SweepPoint(spec.name, {spec.name: float(v)}) for spec in specs for v in spec.values()
        ]
    return points


def point_count(specs: list[SweepParam], grid: bool) -> int:
    """Points a sweep runs, the base point included."""
    return 1 + (math.prod(s.steps for s in specs) if grid else sum(s.steps for s in specs))


@dataclass(frozen=True)
class SweepResult:
    """Headline-metric statistics at every point of a sweep.

    ``stats[i][metric]`` holds mean and percentiles at ``points[i]``
    (:func:`sim.analysis.stats.count_stats`, :func:`~sim.analysis.stats.month_stats`): counts
    in tanks; months as int indices from the scenario start, the mean over the replications
    in which the event happens, a percentile None where it falls among those in which it
    never does, with ``never_share``.
    """

    scenario: Scenario
    specs: tuple[SweepParam, ...]
    grid: bool
    reps: int
    seed: int
    sampling: str
    points: tuple[SweepPoint, ...]
    stats: tuple[dict[str, dict], ...]


def run_sweep(
    scenario: Scenario,
    specs: list[SweepParam],
    *,
    grid: bool = False,
    reps: int,
    seed: int,
    sampling: str = "random",
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
) -> SweepResult:
    """Run every point of the sweep with ``reps`` replications on the same random numbers.

    The other parameters are drawn once (by ``sampling``, :mod:`sim.runs.designs`) and reused
    at every point. ``progress`` is called with replications as they finish. ``engine``
    (``numpy`` or ``compiled``, None for the default) changes no number.

    Raises
    ------
    SweepError
        Nothing to sweep, a parameter swept twice, more than :data:`MAX_POINTS` points, or
        more replications or memory than :mod:`sim.analysis.budget` allows.
    """
    if not specs:
        raise SweepError("nothing to sweep: give at least one --param")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise SweepError(f"a parameter is swept twice: {', '.join(names)}")
    if point_count(specs, grid) > MAX_POINTS:
        raise SweepError(f"{point_count(specs, grid):,} points: at most {MAX_POINTS:,}")
    points_n = point_count(specs, grid)
    try:
        check_budget(f"{points_n:,} points of {reps:,} replications", points_n * reps,
                     scenario.months, reps * 8.0 * (2 * len(scenario.params()) + 16))  # fmt: skip
    except ValueError as err:
        raise SweepError(str(err)) from None
    design = None if sampling == "random" else Design(sampling, reps)
    drawn = draw_params(scenario, seed=seed, first_rep=0, reps=reps, design=design)
    points = sweep_points(specs, grid)
    stats = []
    for point in points:
        values = drawn | {k: np.full(reps, v) for k, v in point.values.items()}
        ensemble = run_ensemble(
            scenario, values, seed=seed, chunk=chunk, progress=progress, executor=executor,
            engine=engine,
        )
        stats.append(
            {
                k: month_stats(v, scenario.months) if k in MONTH_METRICS else count_stats(v)
                for k, v in ensemble.metrics.items()
            }
        )
    return SweepResult(
        scenario, tuple(specs), grid, reps, seed, sampling, tuple(points), tuple(stats)
    )


# ---------------------------------------------------------------------------------------------
# Plain data views


def _show(value: float | None, metric: str, scenario: Scenario) -> str:
    if metric not in MONTH_METRICS:
        return f"{value:.6g}"
    return "never" if value is None else format_month(scenario.start + round(value))


def sweep_columns(result: SweepResult) -> tuple[str, ...]:
    """Header of sweep.csv."""
    return (
        ("point", "varied", *(s.name for s in result.specs), "metric", "unit")
        + STATS
        + ("never_share",)
    )


def sweep_rows(result: SweepResult):
    """Rows of sweep.csv: one per point and metric; a swept parameter's cell is empty where
    it is drawn from its distribution; months as YYYY-MM (mean rounded), or ``never``."""
    scen = result.scenario
    for i, (point, stats) in enumerate(zip(result.points, result.stats)):
        cells = [
            f"{point.values[s.name]:.6g}" if s.name in point.values else "" for s in result.specs
        ]
        for metric, s in stats.items():
            month = metric in MONTH_METRICS
            yield (
                i, point.varied, *cells, metric, "month" if month else "tanks",
                *(_show(s[k], metric, scen) for k in STATS),
                f"{s['never_share']:.4g}" if month else "",
            )  # fmt: skip


def sweep_data(result: SweepResult) -> dict:
    """sweep.json: the sweep's definition and every point's statistics (months as YYYY-MM,
    None where the percentile falls among replications in which the event never happens)."""
    scen = result.scenario

    def show(metric: str, s: dict) -> dict:
        if metric not in MONTH_METRICS:
            return s
        out = {k: None if s[k] is None else format_month(scen.start + round(s[k])) for k in STATS}
        return out | {"never_share": s["never_share"]}

    return {
        "scenario": scen.name,
        "mode": "grid" if result.grid else "one-at-a-time",
        "reps": result.reps,
        "seed": result.seed,
        "sampling": result.sampling,
        "parameters": [vars(s) for s in result.specs],
        "month_mean": "over the replications in which the event happens (see never_share)",
        "points": [
            {
                "point": i,
                "varied": p.varied,
                "values": p.values,
                "metrics": {m: show(m, s) for m, s in stats.items()},
            }
            for i, (p, stats) in enumerate(zip(result.points, result.stats))
        ],  # fmt: skip
    }


@dataclass(frozen=True)
class TornadoBar:
    """One parameter's effect on a statistic in a one-at-a-time sweep: the statistic at the
    parameter's LOW and HIGH values, and its smallest and largest over all the steps."""

    name: str
    low_input: float
    high_input: float
    at_low: float
    at_high: float
    least: float
    most: float

    @property
    def swing(self) -> float:
        return self.most - self.least


def tornado_bars(result: SweepResult, metric: str, stat: str = "mean") -> tuple[float, list]:
    """(base value, bars sorted by decreasing swing) of ``stat`` of ``metric``, for a
    one-at-a-time sweep; month metrics as month indices from the scenario start (never, or a
    statistic among the replications where the event never happens: the month after the
    horizon)."""
    if result.grid:
        raise SweepError("a tornado chart needs a one-at-a-time sweep, not a grid")
    base = result.stats[0][metric][stat]
    base = result.scenario.months if base is None else base
    bars = []
    for spec in result.specs:
        rows = [
            s[metric][stat] for p, s in zip(result.points, result.stats) if p.varied == spec.name
        ]
        rows = [result.scenario.months if v is None else v for v in rows]
        bars.append(
            TornadoBar(spec.name, spec.low, spec.high, rows[0], rows[-1], min(rows), max(rows))
        )
    bars.sort(key=lambda b: -b.swing)
    return base, bars


#: What the tornado chart shows: mean active fleet at the horizon end and median month in
#: which good+fair storage is exhausted (a median is defined over every replication, never
#: included, so it compares like with like across points; the mean is not).
TORNADO_METRICS = (("active_end", "mean"), ("storage_exhausted", "p50"))
