"""The public API for sweeps, sensitivity and scenario discovery: the one orchestration
behind ``tanksim sweep``, ``sensitivity`` and ``discover``.

Each function takes a :class:`~sim.model.params.Scenario` (or a scenario file), runs, and
returns a plain object; ``*_table`` functions give text (:mod:`sim.present.explore_text`),
``*_data`` the JSON the results folders hold, ``plot_*`` matplotlib Figures. Nothing here
prints, writes files or imports click. Bad input raises a ValueError subclass with one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim import defaults
from sim.analysis.results import Sensitivity
from sim.api.runs import facts, load_scenario
from sim.model.params import Scenario
from sim.runs.run import DEFAULT_SEED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.sweep import SweepResult
    from sim.runs.chunks import ChunkExecutor

#: Outcomes :func:`sobol` and :func:`morris` analyse unless told otherwise (as the CLI).
SENSITIVITY_OUTCOMES = defaults.SENSITIVITY_OUTCOMES
#: Most parameters per outcome a sensitivity chart shows.
CHART_TOP = 15
#: ``progress(replications)``, called as chunks finish.
Progress = Callable[[int], None] | None


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _caption(scenario: Scenario):
    from sim.io.explore_outputs import caption_for

    return caption_for(scenario, facts(), "tanksim validate lists every input with its "
                       "source.")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Sweeps


def sweep(
    scenario: Scenario | str | Path,
    params: Sequence[str],
    *,
    grid: bool = False,
    reps: int = defaults.SWEEP_REPS,
    seed: int = DEFAULT_SEED,
    sampling: str = defaults.SWEEP_SAMPLING,
    progress: Progress = None,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
) -> SweepResult:
    """Sweep parameters of a scenario (or a scenario file), every point on the same random
    numbers, as ``tanksim sweep`` does.

    Parameters
    ----------
    scenario : the scenario, or the path of its file.
    params : ``"KEY=LOW:HIGH:STEPS"`` strings (or one string): a dotted key as ``tanksim
        validate`` lists it (e.g. ``"storage.fair_share=0.15:0.45:5"``) and STEPS evenly
        spaced values from LOW to HIGH in the parameter's own units.
    grid : every combination (at most 2,000 points); default one at a time, each parameter
        varied alone with the others drawn from their distributions.
    reps, seed, sampling : replications per point, root seed, design of the other draws.
    progress, executor : replications done; where chunks run (default: this process).
    engine : ``numpy`` or ``compiled`` (numba), None for the default
        (:func:`sim.runs.engines.default`); the same numbers either way.

    Returns
    -------
    SweepResult
        A base point with nothing fixed first; ``points[i]`` (``varied``: the parameter
        varied, ``"base"`` or ``"grid"``; ``values``: the fixed values) and
        ``stats[i][metric]``: mean, p05, p25, p50, p75, p95 over replications of each
        headline metric (:mod:`sim.analysis.stats`: counts in tanks; months as indices from
        the scenario start, the mean over the replications in which the event happens, a
        percentile among the "never" ones None, with ``never_share``).

    Raises
    ------
    sim.analysis.sweep.SweepError
        A ValueError naming a bad key or value, or a sweep beyond the budget
        (:mod:`sim.analysis.budget`).
    """
    from sim.analysis.sweep import parse_sweep, run_sweep

    scenario = _as_scenario(scenario)
    texts = [params] if isinstance(params, str) else list(params)
    specs = [parse_sweep(text, scenario) for text in texts]
    return run_sweep(scenario, specs, grid=grid, reps=reps, seed=seed, sampling=sampling,
                     progress=progress, executor=executor, engine=engine)  # fmt: skip


def sweep_table(result: SweepResult) -> str:
    """A plain-text table of a sweep: at each point the fixed values, the mean active fleet at
    the horizon end with its 5-95% range (tanks), the mean and median month good+fair storage
    is exhausted, and the share of replications in which it never is."""
    from sim.present.explore_text import sweep_text

    return sweep_text(result)


def sweep_data(result: SweepResult) -> dict:
    """sweep.json: the sweep's definition and every point's statistics (months as YYYY-MM)."""
    from sim.analysis.sweep import sweep_data as data

    return data(result)


def plot_tornado(result: SweepResult) -> Figure:
    """Tornado chart of a one-at-a-time sweep (:func:`sweep`), one panel each for the mean
    active fleet at the horizon end (tanks) and the median month good+fair storage is
    exhausted: per swept parameter a bar from the base value (dashed line: nothing fixed) to
    the value with the parameter at LOW (hatched) and at HIGH (dark), widest swing on top; a
    whisker spans all the steps where the response is not monotone. Raises
    :class:`sim.analysis.sweep.SweepError` (a ValueError) for a grid sweep."""
    from sim.io.explore_figures import sweep_figure

    return sweep_figure(result, _caption(result.scenario))


# ---------------------------------------------------------------------------------------------
# Sensitivity


def _outcomes(names: Sequence[str], scenario: Scenario) -> tuple:
    from sim.analysis.outcomes import parse_outcome

    names = [names] if isinstance(names, str) else names
    return tuple(parse_outcome(name, scenario) for name in dict.fromkeys(names))


def sensitivity_replications(scenario: Scenario, method: str, n: int) -> int:
    """Replications a :func:`sobol` (n (d + 3)) or :func:`morris` (n (d + 1)) analysis of
    ``scenario``'s d inputs runs."""
    from sim.analysis.outcomes import factors

    d = len(factors(scenario))
    return n * (d + 3) if method == "sobol" else n * (d + 1)


def _sensitivity(scenario, outcomes, method, n, seed, progress, executor,
                 engine=None) -> Sensitivity:  # fmt: skip
    from sim.analysis.budget import check_budget
    from sim.analysis.morris import run_morris
    from sim.analysis.outcomes import factors
    from sim.analysis.sensitivity import BOOTSTRAP_BATCH, run_sobol, sensitivity_warnings

    scenario = _as_scenario(scenario)
    chosen = _outcomes(outcomes, scenario)
    d, s, p = len(factors(scenario)), len(chosen), len(scenario.params())
    if method == "sobol":  # A, B, the values of one design, outputs, the bootstrap batch
        held = n * 8.0 * (2 * d + 2 * p + (d + 3) * s + 3 * BOOTSTRAP_BATCH * (d + 2) * s)
    else:
        held = n * 8.0 * (d + 1) * (d + 2 * s) + n * 8.0 * 2 * p
    check_budget(f"{{arg:n}} {n:,}", sensitivity_replications(scenario, method, n), scenario.months,
                 held)  # fmt: skip
    if method == "sobol":
        result = run_sobol(scenario, chosen, n=n, seed=seed, progress=progress,
                           executor=executor, engine=engine)  # fmt: skip
    else:
        result = run_morris(scenario, chosen, trajectories=n, seed=seed, progress=progress,
                            executor=executor, engine=engine)  # fmt: skip
    return Sensitivity(scenario, method, seed, result, tuple(sensitivity_warnings(result)))


def sobol(
    scenario: Scenario | str | Path,
    outcomes: Sequence[str] = SENSITIVITY_OUTCOMES,
    *,
    n: int = defaults.SOBOL_N,
    seed: int = DEFAULT_SEED,
    progress: Progress = None,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
) -> Sensitivity:
    """Sobol' indices of ``outcomes`` over all the uncertain inputs of a scenario at once, as
    ``tanksim sensitivity --method sobol`` computes them.

    Parameters
    ----------
    scenario : the scenario, or the path of its file.
    outcomes : headline metrics (``active_end``, ``lost_end``, ``storage_exhausted``, ...;
        month metrics as months from the scenario start, never = the month after the
        horizon) or ``"VARIABLE@YYYY-MM"`` (a trajectory variable, all families, at that
        month's end).
    n : base samples, a power of two; n (d + 3) replications for d inputs (the CLI's
        default is 1,024).
    seed, progress, executor : root seed; replications done; where chunks run.
    engine : ``numpy`` or ``compiled`` (numba), None for the default; the same numbers.

    Returns
    -------
    Sensitivity
        Holding :class:`sim.analysis.sensitivity.SobolIndices`: per outcome and input the
        first-order index (the share of the outcome's variance the input explains alone)
        and the total index (alone and in interactions), each (S, d) with its 95% bootstrap
        interval, and ``warnings`` when n is too small for them. The inputs are the
        parameters with a distribution; on a calibrated scenario the calibrated parameters,
        drawn jointly from its posterior, are one input, ``"calibrated set (posterior
        row)"``.

    Raises
    ------
    ValueError
        An unknown outcome, n not a power of two, no uncertain input, or a design beyond the
        budget (:class:`sim.analysis.budget.BudgetError`).
    """
    return _sensitivity(scenario, outcomes, "sobol", n, seed, progress, executor, engine)


def morris(
    scenario: Scenario | str | Path,
    outcomes: Sequence[str] = SENSITIVITY_OUTCOMES,
    *,
    trajectories: int = defaults.MORRIS_TRAJECTORIES,
    seed: int = DEFAULT_SEED,
    progress: Progress = None,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
) -> Sensitivity:
    """Morris screening of ``outcomes`` (as :func:`sobol`) over all the uncertain inputs of a
    scenario: ``trajectories`` random one-at-a-time paths, r (d + 1) replications for d
    inputs; ``engine`` as :func:`sobol`.

    Returns
    -------
    Sensitivity
        Holding :class:`sim.analysis.morris.MorrisIndices`, each (S, d) in the outcome's
        units (tanks, or months): ``mu_star``, the mean absolute change when an input moves
        by half its probability range, with a 95% bootstrap interval; ``mu``, the mean
        signed change (positive: the outcome rises with the input); ``sigma``, their
        standard deviation (non-linearity or interactions). ``warnings`` when fewer than
        10 trajectories.
    """
    return _sensitivity(scenario, outcomes, "morris", trajectories, seed, progress, executor,
                        engine)  # fmt: skip


def sensitivity_data(analysis: Sensitivity) -> dict:
    """indices.json: scenario, method, n, replications, seed, inputs, ``warnings`` and per
    outcome its unit and each input's statistics, most influential first."""
    from sim.analysis.sensitivity import indices_data

    result = analysis.indices
    return {
        "scenario": analysis.scenario.name, "method": analysis.method,
        "n": result.n if analysis.method == "sobol" else result.trajectories,
        "replications": result.evaluations, "seed": analysis.seed,
        "parameters": len(result.parameters), "warnings": list(analysis.warnings),
        "outcomes": indices_data(result),
    }  # fmt: skip


def sensitivity_table(analysis: Sensitivity, *, top: int = 10) -> str:
    """A plain-text table of the ``top`` inputs per outcome, most influential first: Sobol'
    total and first-order indices with their 95% intervals, or Morris mu*, mu and sigma."""
    from sim.present.explore_text import sensitivity_text

    return sensitivity_text(sensitivity_data(analysis), top=top)


def sensitivity_rows(analysis: Sensitivity) -> list[dict]:
    """One dict per outcome and input, most influential first within each outcome:
    ``outcome``, ``unit``, ``parameter`` and the statistics as floats (Sobol': ``first``,
    ``first_low``, ``first_high``, ``total``, ``total_low``, ``total_high``; Morris:
    ``mu_star``, ``mu_star_low``, ``mu_star_high``, ``mu``, ``sigma``)."""
    rows = []
    for outcome, entry in sensitivity_data(analysis)["outcomes"].items():
        for parameter, stats in entry["parameters"].items():
            rows.append({"outcome": outcome, "unit": entry["unit"], "parameter": parameter,
                         **stats})  # fmt: skip
    return rows


def plot_sensitivity(analysis: Sensitivity, *, top: int = CHART_TOP) -> Figure:
    """Bar chart of a :func:`sobol` or :func:`morris` analysis, one panel per outcome, the
    ``top`` most influential inputs on top. Sobol': total (dark) and first-order (hatched)
    indices, shares of the outcome's variance, with 95% intervals. Morris: mu* (dark, with its
    95% interval) and sigma (circles), in the outcome's units per step."""
    from sim.io.explore_figures import indices_figure

    scen = analysis.scenario
    return indices_figure(
        scen, analysis.indices, seed=analysis.seed, top=top, all_hint="all: api.sensitivity_rows",
        caption_for=_caption(scen), warnings=analysis.warnings,
    )  # fmt: skip


__all__ = [
    "CHART_TOP", "SENSITIVITY_OUTCOMES", "Sensitivity", "morris",
    "plot_sensitivity", "plot_tornado", "sensitivity_data", "sensitivity_rows",
    "sensitivity_replications", "sensitivity_table", "sobol", "sweep", "sweep_data",
    "sweep_table", "facts", "load_scenario",
]  # fmt: skip
