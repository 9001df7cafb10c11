"""The tornado, sensitivity and discovery figures of sweeps, sensitivity analyses and
discoveries: this module turns the analysis results into the plain arrays and labels that
:mod:`sim.figures.tornado`, :mod:`sim.figures.sensitivity` and :mod:`sim.figures.discovery`
draw (the figures import nothing from :mod:`sim.analysis`). Used by the results folders
(:mod:`sim.io.explore_outputs`) and by :mod:`sim.api.explore`'s ``plot_*``.

Each builder writes the figure's lead (what was run) and asks the caller's ``caption_for(names,
lead)`` for the caption, given the inputs shown: a results folder points readers to
manifest.json, the API to ``tanksim validate``. ``noun`` ("parameter" or "input") is the word
each caller uses for an uncertain input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.discover import box_limits
from sim.analysis.outcomes import CALIBRATED
from sim.analysis.sensitivity import SobolIndices
from sim.analysis.sweep import TORNADO_METRICS, SweepResult, tornado_bars
from sim.figures.discovery import Limit, discovery_chart
from sim.figures.sensitivity import IndexPanel, sensitivity_chart
from sim.figures.style import (
    ASSUMPTION_FILES,
    CAPTION_DESCRIPTION,
    WHOLE_DESCRIPTION,
    shorten,
)
from sim.figures.tornado import TornadoPanel, tornado_chart
from sim.model.calendar import format_month
from sim.model.params import Scenario
from sim.present.manifest import short_source

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.discover import Discovery
    from sim.analysis.morris import MorrisIndices
    from sim.model.facts import Fact

#: ``caption_for(names, lead)``: the caption of a figure showing the inputs ``names``.
CaptionFor = Callable[[Sequence[str], str], str]


def sources(scenario: Scenario, names: Sequence[str], facts: dict[str, Fact]) -> list[str]:
    """Distinct publications behind the parameters ``names``, each named once
    (:func:`sim.present.manifest.short_source`: no relays or dates; the manifest keeps the
    full citations), assumptions left out; the calibrated set
    (:data:`sim.analysis.outcomes.CALIBRATED`) stands for its posterior's parameters, whose
    prior distributions cite their facts."""
    params = scenario.params()
    posterior = getattr(scenario, "posterior", None)
    if CALIBRATED in names and posterior is not None:
        names = [n for n in names if n != CALIBRATED] + list(posterior.names)
    seen: dict[str, None] = {}
    for name in names:
        for fact_id in params[name].facts if name in params else ():
            fact = facts.get(fact_id)
            if fact is not None and fact.kind != "assumption":
                seen.setdefault(short_source(fact.author, fact.source), None)
    return sorted(seen)


def explore_caption(
    scenario: Scenario,
    names: Sequence[str],
    lead: str,
    facts: dict[str, Fact],
    tail: str,
    *,
    noun: str = "input",
    note: str = "",
) -> str:
    """What was run (``lead``), the scenario, an optional ``note``, the publications behind
    the inputs ``names`` shown, and ``tail``: where every input's source is listed."""
    cited = "; ".join(sources(scenario, names, facts)) or "none (assumptions only)"
    about = ""
    if scenario.description:
        shown = shorten(scenario.description, CAPTION_DESCRIPTION, WHOLE_DESCRIPTION)
        about = f" Scenario: {shown}."
    return (
        f"{lead}{about}{note} Sources of the {noun}s shown (via seeds/): {cited}. "
        f"Unsourced inputs are stated assumptions ({ASSUMPTION_FILES}); {tail}"
    )


def sweep_figure(result: SweepResult, caption_for: CaptionFor, *, span: str = "from") -> Figure:
    """Tornado chart of a one-at-a-time sweep: the mean active fleet at the horizon end and
    the median month good+fair storage is exhausted. ``span``: "from" or "over" LOW to HIGH in
    the lead. Raises :class:`sim.analysis.sweep.SweepError` for a grid sweep."""
    scen = result.scenario
    panels = []
    for metric, stat in TORNADO_METRICS:
        base, bars = tornado_bars(result, metric, stat)
        if metric == "active_end":
            xlabel = f"mean over replications, tanks ({format_month(scen.end)})"
            panels.append(TornadoPanel("Active fleet at the horizon end", xlabel, base, bars))
        else:
            xlabel = "median month over replications (never = the month after the horizon)"
            panels.append(
                TornadoPanel(
                    "Good+fair storage exhausted", xlabel, base, bars, month_origin=scen.start
                )
            )
    lead = (
        f"Scenario '{scen.name}', {result.reps:,} replications per point, seed "
        f"{result.seed}, {result.sampling} sampling; each parameter varied alone {span} LOW "
        "to HIGH, all others drawn from their distributions, same random numbers at every "
        "point."
    )
    caption = caption_for([s.name for s in result.specs], lead)
    heading = f"Which swept inputs move the outcome most: one-at-a-time sweep of '{scen.name}'"
    return tornado_chart(panels, heading=heading, caption=caption)


def indices_figure(
    scenario: Scenario,
    result: SobolIndices | MorrisIndices,
    *,
    seed: int,
    top: int,
    caption_for: CaptionFor,
    all_hint: str,
    noun: str = "input",
    warnings: Sequence[str] = (),
) -> Figure:
    """Bar chart of Sobol' indices or Morris effects, one panel per outcome, the ``top`` most
    influential inputs on top. ``all_hint``: where all of them are (in the lead, in
    parentheses, when there are more than ``top``); ``warnings`` (n too small) lead the
    caption.
    """
    sobol_ = isinstance(result, SobolIndices)
    panels, shown = [], {}
    for s, outcome in enumerate(result.outcomes):
        unit = "months" if outcome.kind == "month" else "tanks"
        label = outcome.name + (" (never = month after the horizon)" if unit == "months" else "")
        if sobol_:
            panels.append(
                IndexPanel(
                    label,
                    "Sobol' index (share of the outcome's variance)",
                    result.parameters,
                    result.total[s],
                    result.total_low[s],
                    result.total_high[s],
                    result.first[s],
                    result.first_low[s],
                    result.first_high[s],
                    note=f"random flows: {result.random_flows[s]:.0%} of the variance",
                )
            )
            ranking = result.total[s]
        else:
            panels.append(
                IndexPanel(
                    label,
                    f"effect of a step of half the {noun}'s probability range, {unit}",
                    result.parameters,
                    result.mu_star[s],
                    result.mu_star_low[s],
                    result.mu_star_high[s],
                    result.sigma[s],
                )
            )
            ranking = result.mu_star[s]
        for j in np.argsort(-ranking, kind="stable")[:top]:
            shown.setdefault(result.parameters[j], None)
    d = len(result.parameters)
    if sobol_:
        method, size = "sobol", f"N = {result.n:,} base samples"
        heading = f"Sobol' sensitivity indices, scenario '{scenario.name}'"
    else:
        method, size = "morris", f"{result.trajectories} trajectories"
        heading = f"Morris screening, scenario '{scenario.name}'"
    if d > top:
        shown_note = f"the {top} most influential {noun}s per outcome are shown ({all_hint})"
    else:
        shown_note = f"all {d} shown"
    lead = (
        f"{d} uncertain {noun}s, {size}, {result.evaluations:,} replications, seed {seed}; "
        f"{shown_note}."
    )
    if warnings:
        lead = "WARNING, n too small: " + "; ".join(warnings) + ". " + lead
    caption = caption_for(list(shown), lead)
    return sensitivity_chart(panels, method=method, heading=heading, caption=caption, top=top)


def limits(found: Discovery) -> list[Limit]:
    """The chosen box's limits (:func:`sim.analysis.discover.box_limits`) as the figure's
    :class:`~sim.figures.discovery.Limit` rows."""
    return [
        Limit(lim["parameter"], lim["low"], lim["high"], lim["sampled_low"],
              lim["sampled_high"], lim["quasi_p"])
        for lim in box_limits(found)
    ]  # fmt: skip


def discovery_figure(
    scenario: Scenario,
    found: Discovery,
    *,
    where: str,
    sampling: str,
    seed: int,
    caption_for: CaptionFor,
    noun: str = "input",
) -> Figure:
    """PRIM's peeling trajectory and the chosen box's limits for the condition ``where``."""
    shown = limits(found)
    lead = (
        f"Scenario '{scenario.name}': {found.n:,} parameter sets ({sampling} sampling, "
        f"seed {seed}) over {len(found.parameters)} uncertain {noun}s; "
        f"{found.cases:,} meet '{where}'. PRIM peeling, 5% per step; p: quasi-p-value of "
        "each restriction (one-sided binomial test)."
    )
    caption = caption_for([lim.name for lim in shown], lead)
    boxes = found.boxes
    return discovery_chart(
        [b.coverage for b in boxes],
        [b.density for b in boxes],
        [len(b.restricted()) for b in boxes],
        found.chosen,
        found.cases / found.n,
        shown,
        heading=f"Where does '{where}' happen? Scenario discovery for '{scenario.name}'",
        caption=caption,
    )
