"""The public API for sweeps, sensitivity and scenario discovery."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sim.api.runs import load_scenario
from sim.model.facts import load_facts
from sim.model.params import Scenario
from sim.runs.run import DEFAULT_SEED

if TYPE_CHECKING:
    from sim.analysis.discover import Condition, Discovery
    from sim.analysis.sensitivity import MorrisIndices, SobolIndices
    from sim.analysis.sweep import SweepResult

#: Outcomes :func:`sobol` and :func:`morris` analyse unless told otherwise (as the CLI).
SENSITIVITY_OUTCOMES = ("active_end", "storage_exhausted")
#: Most parameters per outcome a sensitivity chart shows.
CHART_TOP = 15


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def sweep(
    scenario: Scenario | str | Path,
    params: Sequence[str],
    *,
    grid: bool = False,
    reps: int = 1000,
    seed: int = DEFAULT_SEED,
    sampling: str = "random",
) -> SweepResult:
    """Sweep parameters of a scenario (or a scenario file), every point on the same random
    numbers, as ``tanksim sweep`` does.

    ``params``: ``"KEY=LOW:HIGH:STEPS"`` strings, a dotted key as ``tanksim validate`` lists
    it (e.g. ``"storage.fair_share=0.15:0.45:5"``) and STEPS evenly spaced values from LOW to
    HIGH in the parameter's own units. One at a time (default) each parameter is varied alone
    with the others drawn from their distributions; ``grid`` runs every combination (at most
    2,000 points). A base point with nothing fixed comes first. Every point runs the same
    ``reps`` replications with the same ``seed`` and the same draws of the other parameters,
    so differences between points come from the swept values alone.

    Returns a :class:`~sim.analysis.sweep.SweepResult`: ``points[i]`` (``varied``: the parameter
    varied,
    ``"base"`` or ``"grid"``; ``values``: the fixed values) and ``stats[i][metric]``: mean,
    p05, p25, p50, p75, p95 over replications of each headline metric (counts in tanks;
    months as indices from the scenario start, with ``never_share``; a month mean counts never
    as the month after the horizon, a percentile among never is None). Raises
    :class:`sim.analysis.sweep.SweepError` (a ValueError) naming a bad key or value.
    """
    from sim.analysis.sweep import parse_sweep, run_sweep

    scenario = _as_scenario(scenario)
    texts = [params] if isinstance(params, str) else list(params)
    specs = [parse_sweep(text, scenario) for text in texts]
    return run_sweep(scenario, specs, grid=grid, reps=reps, seed=seed, sampling=sampling)


def sweep_table(result: SweepResult) -> str:
    """A plain-text table of a sweep: at each point the fixed values, the mean active fleet at
    the horizon end with its 5-95% range (tanks), the mean and median month good+fair storage
    is exhausted, and the share of replications in which it never is."""
    from sim.cli.explore import sweep_text

    return sweep_text(result)


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """A global sensitivity analysis of one scenario, from :func:`sobol` or :func:`morris`.

    ``indices`` is the library's result: a :class:`sim.analysis.sensitivity.SobolIndices` when
    ``method`` is ``"sobol"`` (``first`` and ``total`` indices, shares of the outcome's
    variance, with ``*_low``/``*_high`` 95% bootstrap bounds; ``random_flows`` (S,), the
    share of the variance due to the model's own random flows), or a
    :class:`~sim.analysis.sensitivity.MorrisIndices` when ``"morris"`` (``mu_star`` with bounds,
    ``mu``,
    ``sigma``, in the outcome's units per step of half an input's probability range). Its
    arrays are (S, d): outcome ``indices.outcomes[s]`` by input ``indices.parameters[j]``.
    ``scenario`` and ``seed`` record what was run.
    """

    scenario: Scenario
    method: str
    seed: int
    indices: SobolIndices | MorrisIndices


def _outcomes(names: Sequence[str], scenario: Scenario) -> tuple:
    from sim.analysis.sensitivity import parse_outcome

    names = [names] if isinstance(names, str) else names
    return tuple(parse_outcome(name, scenario) for name in dict.fromkeys(names))


def sobol(
    scenario: Scenario | str | Path,
    outcomes: Sequence[str] = SENSITIVITY_OUTCOMES,
    *,
    n: int = 256,
    seed: int = DEFAULT_SEED,
) -> Sensitivity:
    """Sobol' indices of ``outcomes`` over all the uncertain inputs of a scenario at once, as
    ``tanksim sensitivity --method sobol`` computes them.

    ``outcomes``: headline metrics (``active_end``, ``lost_end``, ``storage_exhausted``, ...;
    month metrics as months from the scenario start, never = the month after the horizon) or
    ``"VARIABLE@YYYY-MM"`` (a trajectory variable, all families, at that month's end). The
    inputs are the parameters with a distribution; on a calibrated scenario the calibrated
    parameters, drawn jointly from its posterior, are one input, ``"calibrated set (posterior
    row)"``. ``n`` base samples (a power of two) cost n (d + 3) replications for d inputs; the
    CLI's default is 1,024. Returns a :class:`Sensitivity` holding
    :class:`sim.analysis.sensitivity.SobolIndices`: per outcome and input the first-order index (the
    share of the outcome's variance the input explains alone) and the total index (alone and
    in interactions), each (S, d) with its 95% bootstrap interval.
    """
    from sim.analysis.sensitivity import run_sobol

    scenario = _as_scenario(scenario)
    result = run_sobol(scenario, _outcomes(outcomes, scenario), n=n, seed=seed)
    return Sensitivity(scenario, "sobol", seed, result)


def morris(
    scenario: Scenario | str | Path,
    outcomes: Sequence[str] = SENSITIVITY_OUTCOMES,
    *,
    trajectories: int = 32,
    seed: int = DEFAULT_SEED,
) -> Sensitivity:
    """Morris screening of ``outcomes`` (as :func:`sobol`) over all the uncertain inputs of a
    scenario: ``trajectories`` random one-at-a-time paths, r (d + 1) replications for d
    inputs. Returns a :class:`Sensitivity` holding :class:`sim.analysis.sensitivity.MorrisIndices`,
    each (S, d) in the outcome's units (tanks, or months): ``mu_star``, the mean absolute
    change when an input moves by half its probability range, with a 95% bootstrap interval;
    ``mu``, the mean signed change (positive: the outcome rises with the input); ``sigma``,
    their standard deviation (non-linearity or interactions).
    """
    from sim.analysis.sensitivity import run_morris

    scenario = _as_scenario(scenario)
    result = run_morris(
        scenario, _outcomes(outcomes, scenario), trajectories=trajectories, seed=seed
    )
    return Sensitivity(scenario, "morris", seed, result)


def _sensitivity_data(analysis: Sensitivity) -> dict:
    from sim.analysis.sensitivity import indices_data

    result = analysis.indices
    return {
        "scenario": analysis.scenario.name, "method": analysis.method,
        "n": result.n if analysis.method == "sobol" else result.trajectories,
        "replications": result.evaluations, "seed": analysis.seed,
        "parameters": len(result.parameters), "outcomes": indices_data(result),
    }  # fmt: skip


def sensitivity_table(analysis: Sensitivity, *, top: int = 10) -> str:
    """A plain-text table of the ``top`` inputs per outcome, most influential first: Sobol'
    total and first-order indices with their 95% intervals, or Morris mu*, mu and sigma."""
    from sim.cli.explore import sensitivity_text

    return sensitivity_text(_sensitivity_data(analysis), top=top)


def sensitivity_rows(analysis: Sensitivity) -> list[dict]:
    """One dict per outcome and input, most influential first within each outcome:
    ``outcome``, ``unit``, ``parameter`` and the statistics as floats (Sobol': ``first``,
    ``first_low``, ``first_high``, ``total``, ``total_low``, ``total_high``; Morris:
    ``mu_star``, ``mu_star_low``, ``mu_star_high``, ``mu``, ``sigma``)."""
    rows = []
    for outcome, entry in _sensitivity_data(analysis)["outcomes"].items():
        for parameter, stats in entry["parameters"].items():
            rows.append({"outcome": outcome, "unit": entry["unit"], "parameter": parameter,
                         **stats})  # fmt: skip
    return rows


@dataclass(frozen=True, eq=False)
class ScenarioDiscovery:
    """Scenario discovery on one scenario, from :func:`discover`.

    ``found`` is the library's :class:`sim.analysis.discover.Discovery`: the PRIM peeling trajectory
    ``boxes``, the chosen ``box`` (``limits`` (d, 2), each input's lower and upper bound in
    its own units, -inf/inf where unrestricted; ``coverage``, ``density`` and ``mass``,
    shares in [0, 1]), ``p_values`` (quasi-p-value by input index) and ``parameters``.
    ``samples`` (N, d) are the sampled inputs (columns as ``found.parameters``), ``outputs``
    (N, S) the outcomes ``condition`` uses (columns as ``condition.outcomes``; months from the
    scenario start, never = the month after the horizon) and ``of_interest`` (N,) whether the
    condition holds.
    """

    scenario: Scenario
    condition: Condition
    sampling: str
    seed: int
    samples: np.ndarray
    outputs: np.ndarray
    of_interest: np.ndarray
    found: Discovery


def discover(
    scenario: Scenario | str | Path,
    where: str,
    *,
    n: int = 2000,
    sampling: str = "lhs",
    min_density: float | None = None,
    seed: int = DEFAULT_SEED,
) -> ScenarioDiscovery:
    """Where in a scenario's input space does ``where`` hold? PRIM, as ``tanksim discover``.

    Samples ``n`` sets of the uncertain inputs (``sampling``: ``"lhs"`` Latin hypercube,
    ``"random"`` or ``"sobol"``; a calibrated scenario's calibrated inputs come jointly from
    its posterior rows), runs one replication of each, marks the sets where ``where`` holds,
    and peels a box of input space in which they are dense. ``where`` compares outcomes (as
    :func:`sobol` takes them) with numbers (tanks), ``YYYY-MM`` months or ``never``, joined
    by ``and``, ``or`` and parentheses, e.g. ``"active_end < 1500"``; it is parsed, never run
    as code. The box reported is the one with the highest coverage among those with density
    at least ``min_density`` (default 0.8). Raises ValueError when the expression is wrong,
    or when no sampled set, or every one, meets it.
    """
    from sim.analysis.discover import MIN_DENSITY, parse_condition
    from sim.analysis.discover import discover as _discover
    from sim.analysis.sensitivity import Evaluator, uncertain_params
    from sim.runs.designs import Design
    from sim.runs.sampling import draw_params

    scenario = _as_scenario(scenario)
    condition = parse_condition(where, scenario)
    params = tuple(uncertain_params(scenario))
    design = None if sampling == "random" else Design(sampling, n)
    values = draw_params(scenario, seed=seed, first_rep=0, reps=n, design=design)
    outputs = Evaluator(scenario, condition.outcomes, seed)(values)
    cases = condition.evaluate({o.name: outputs[:, k] for k, o in enumerate(condition.outcomes)})
    if not cases.any() or cases.all():
        which = "no" if not cases.any() else "every"
        raise ValueError(f"{where!r}: {which} replication of {n:,} meets it; nothing to discover")
    samples = np.column_stack([values[name] for name in params])
    density = MIN_DENSITY if min_density is None else min_density
    found = _discover(samples, cases, params, min_density=density)
    return ScenarioDiscovery(scenario, condition, sampling, seed, samples, outputs, cases, found)


def _discovery_data(result: ScenarioDiscovery) -> dict:
    from sim.analysis.discover import discovery_data

    return {"scenario": result.scenario.name, "seed": result.seed, "sampling": result.sampling,
            **discovery_data(result.found, result.condition)}  # fmt: skip


def discovery_table(result: ScenarioDiscovery) -> str:
    """A plain-text summary of a discovery: how many sampled sets meet the condition, the
    chosen box's coverage, density and mass, and each restricted input's limits with its
    sampled range and quasi-p-value (small: the restriction matters), most significant first.
    """
    from sim.cli.explore import discover_text

    return discover_text(_discovery_data(result))


def box_rows(result: ScenarioDiscovery) -> list[dict]:
    """The chosen box as one dict per restricted input, most significant first: ``parameter``,
    ``low``/``high`` (its own units; None where the box leaves that side open), ``sampled_low``,
    ``sampled_high`` and ``quasi_p``."""
    limits = _discovery_data(result)["box"]["limits"]
    return [
        {"parameter": name, "low": lim["low"], "high": lim["high"],
         "sampled_low": lim["sampled"][0], "sampled_high": lim["sampled"][1],
         "quasi_p": lim["quasi_p"]}
        for name, lim in limits.items()
    ]  # fmt: skip


def _explore_caption(scenario: Scenario, names: Sequence[str], lead: str) -> str:
    """What was run, the scenario, and the publications behind the inputs shown."""
    from sim.analysis.sensitivity import CALIBRATED
    from sim.figures.explore import explore_caption

    calibrated = ""
    if CALIBRATED in names and scenario.posterior is not None:
        post = scenario.posterior
        calibrated = (f" The calibrated set is one of the {len(post.values):,} parameter sets "
                      f"of {Path(post.path).name}, drawn jointly.")  # fmt: skip
    return explore_caption(scenario, names, lead, load_facts(),
                           "tanksim validate lists every input with its source.",
                           note=calibrated)  # fmt: skip


def plot_tornado(result: SweepResult) -> Figure:
    """Tornado chart of a one-at-a-time sweep (:func:`sweep`), one panel each for the mean
    active fleet at the horizon end (tanks) and the mean month good+fair storage is exhausted:
    per swept parameter a bar from the base value (dashed line: nothing fixed) to the value
    with the parameter at LOW (hatched) and at HIGH (dark), widest swing on top; a whisker
    spans all the steps where the response is not monotone. Raises
    :class:`sim.analysis.sweep.SweepError` (a ValueError) for a grid sweep."""
    from sim.figures.explore import sweep_figure

    scen = result.scenario
    return sweep_figure(result, lambda names, lead: _explore_caption(scen, names, lead))


def plot_sensitivity(analysis: Sensitivity, *, top: int = CHART_TOP) -> Figure:
    """Bar chart of a :func:`sobol` or :func:`morris` analysis, one panel per outcome, the
    ``top`` most influential inputs on top. Sobol': total (dark) and first-order (hatched)
    indices, shares of the outcome's variance, with 95% intervals. Morris: mu* (dark, with its
    95% interval) and sigma (circles), in the outcome's units per step."""
    from sim.figures.explore import indices_figure

    scen = analysis.scenario
    return indices_figure(
        scen, analysis.indices, seed=analysis.seed, top=top, all_hint="all: api.sensitivity_rows",
        caption_for=lambda names, lead: _explore_caption(scen, names, lead),
    )  # fmt: skip


def plot_discovery(result: ScenarioDiscovery) -> Figure:
    """PRIM's peeling trajectory (coverage against density, from the whole sample towards
    small dense boxes; the chosen box ringed) and the chosen box's limits on each restricted
    input, as a position within its sampled range, with the quasi-p-values."""
    from sim.figures.explore import discovery_figure

    scen = result.scenario
    return discovery_figure(
        scen, result.found, where=result.condition.text, sampling=result.sampling,
        seed=result.seed, caption_for=lambda names, lead: _explore_caption(scen, names, lead),
    )  # fmt: skip
