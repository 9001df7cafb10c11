"""The public API for scenario discovery (PRIM), behind ``tanksim discover``; re-exported by
:mod:`sim.api`. Nothing here prints, writes files or imports
click; bad input raises a ValueError subclass with one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim import defaults
from sim.analysis.results import ScenarioDiscovery
from sim.api.explore import Progress, _as_scenario, _caption
from sim.api.scenarios import facts, load_scenario  # noqa: F401  (the module's API too)
from sim.model.errors import InputError
from sim.model.params import Scenario
from sim.runs.run import DEFAULT_SEED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.runs.chunks import ChunkExecutor


def discover(
    scenario: Scenario | str | Path,
    where: str,
    *,
    n: int = defaults.DISCOVER_N,
    sampling: str = defaults.DISCOVER_SAMPLING,
    min_density: float | None = None,
    seed: int = DEFAULT_SEED,
    progress: Progress = None,
    executor: ChunkExecutor | None = None,
    engine: str | None = None,
) -> ScenarioDiscovery:
    """Where in a scenario's input space does ``where`` hold? PRIM, as ``tanksim discover``.

    Samples ``n`` sets of the uncertain inputs (``sampling``: ``"lhs"`` Latin hypercube,
    ``"random"`` or ``"sobol"``; a calibrated scenario's calibrated inputs come jointly from
    its posterior rows), runs one replication of each, marks the sets where ``where`` holds,
    and peels a box of input space in which they are dense. ``where`` compares outcomes (as
    :func:`sobol` takes them) with numbers (tanks), ``YYYY-MM`` months or ``never``, joined
    by ``and``, ``or`` and parentheses, e.g. ``"active_end < 1500"``; it is parsed, never run
    as code. The box reported is the one with the highest coverage among those with density
    at least ``min_density`` (a share in [0, 1], default 0.8). ``engine`` (``numpy`` or
    ``compiled``, None for the default) runs the month step; the same numbers either way.

    Raises
    ------
    ValueError
        The expression is wrong (:class:`sim.analysis.condition.ExpressionError`), the
        design is beyond the budget (:class:`sim.analysis.budget.BudgetError`),
        ``min_density`` is not a finite share, or no sampled set, or every one, meets it
        (:class:`sim.analysis.discover.DiscoveryError`).
    """
    import math

    from sim.analysis.budget import check_budget
    from sim.analysis.condition import parse_condition
    from sim.analysis.discover import MIN_DENSITY, DiscoveryError
    from sim.analysis.discover import discover as _discover
    from sim.analysis.outcomes import Evaluator, uncertain_params
    from sim.runs.designs import Design
    from sim.runs.sampling import draw_params

    density = MIN_DENSITY if min_density is None else min_density
    if not (math.isfinite(density) and 0 <= density <= 1):
        raise InputError(f"= {density!r}: must be a share in [0, 1]", argument="min_density")
    scenario = _as_scenario(scenario)
    condition = parse_condition(where, scenario)
    params = tuple(uncertain_params(scenario))
    held = n * 8.0 * (3 * len(scenario.params()) + len(params) + 2 * len(condition.outcomes))
    check_budget(f"{{arg:n}} {n:,}", n, scenario.months, held)
    design = None if sampling == "random" else Design(sampling, n)
    values = draw_params(scenario, seed=seed, first_rep=0, reps=n, design=design)
    outputs = Evaluator(scenario, condition.outcomes, seed, progress=progress,
                        executor=executor, engine=engine)(values)  # fmt: skip
    cases = condition.evaluate({o.name: outputs[:, k] for k, o in enumerate(condition.outcomes)})
    if not cases.any() or cases.all():
        which = "no" if not cases.any() else "every"
        raise DiscoveryError(
            f"{where!r}: {which} replication of {n:,} meets it; nothing to discover"
        )
    samples = np.column_stack([values[name] for name in params])
    found = _discover(samples, cases, params, min_density=density)
    return ScenarioDiscovery(scenario, condition, sampling, seed, samples, outputs, cases, found)


def discovery_data(result: ScenarioDiscovery) -> dict:
    """discover.json: scenario, seed, sampling, the condition, base rate, the chosen box
    (coverage, density, mass, each restricted input's limits, sampled range and
    quasi-p-value) and the peeling trajectory."""
    from sim.analysis.discover import discovery_data as data

    return {"scenario": result.scenario.name, "seed": result.seed, "sampling": result.sampling,
            **data(result.found, result.condition)}  # fmt: skip


def discovery_table(result: ScenarioDiscovery) -> str:
    """A plain-text summary of a discovery: how many sampled sets meet the condition, the
    chosen box's coverage, density and mass, and each restricted input's limits with its
    sampled range and quasi-p-value (small: the restriction matters), most significant first.
    """
    from sim.present.explore_text import discover_text

    return discover_text(discovery_data(result))


def box_rows(result: ScenarioDiscovery) -> list[dict]:
    """The chosen box as one dict per restricted input, most significant first: ``parameter``,
    ``low``/``high`` (its own units; None where the box leaves that side open), ``sampled_low``,
    ``sampled_high`` and ``quasi_p`` (:func:`sim.analysis.discover.box_limits`)."""
    from sim.analysis.discover import box_limits

    return box_limits(result.found)


def plot_discovery(result: ScenarioDiscovery) -> Figure:
    """PRIM's peeling trajectory (coverage against density, from the whole sample towards
    small dense boxes; the chosen box ringed) and the chosen box's limits on each restricted
    input, as a position within its sampled range, with the quasi-p-values."""
    from sim.io.explore_figures import discovery_figure

    scen = result.scenario
    return discovery_figure(
        scen, result.found, where=result.condition.text, sampling=result.sampling,
        seed=result.seed, caption_for=_caption(scen),
    )  # fmt: skip
