"""Plain text describing a scenario: what ``tanksim validate`` prints."""

from __future__ import annotations

from sim.model.calendar import format_month


def posterior_line(info: dict) -> str:
    """One line on a posterior: rows, distinct sets, effective sample size, what it sets.

    ``info`` is :func:`sim.api.scenarios.posterior_info`'s output.
    """
    ess = "" if info["ess"] is None else f", effective sample size {info['ess']:,.0f}"
    if info.get("hypothesis"):
        ess += f" (of these rows); only the rows of hypothesis {info['hypothesis']} are drawn"
    return (
        f"posterior: {info['file']} ({info['rows']:,} rows, {info['distinct']:,} distinct "
        f"sets{ess}; {info['targets']} targets); {len(info['drawn'])} parameters marked "
        "[calibrated] drawn jointly from one row per replication"
    )


def walk_line(scenario) -> str:
    """Where the loss hazard follows its random walk after the record (one line)."""
    fitted = format_month(scenario.fitted_until)
    walk = scenario.walk_months
    if not walk:
        return f"losses after the record ({fitted}): no month of the horizon walks"
    first, last = (format_month(scenario.start + t) for t in (walk.start, walk.stop - 1))
    text = f"losses after the record ({fitted}): the log hazard walks {first}..{last}"
    if walk.stop < scenario.months:
        text += f", replaced by the hazard step of {format_month(scenario.start + walk.stop)}"
    return text


def validate_text(scenario, facts: dict, posterior: dict | None) -> str:
    """Every resolved parameter of ``scenario`` with its distribution and cited facts.

    Parameters
    ----------
    scenario : a :class:`~sim.model.params.Scenario`.
    facts : the facts by id (each cited one's figure, unit and citation are printed).
    posterior : :func:`sim.api.scenarios.posterior_info` of the scenario, or None.
    """
    lines = [f"{scenario.name}: valid ({' <- '.join(reversed(scenario.files))})"]
    if scenario.description:
        lines.append(f"description: {scenario.description}")
    lines.append(f"families: {', '.join(scenario.family_names)}")
    lines.append(f"priority: {', '.join(f'{f}:{c}' for f, c in scenario.priority)}")
    if scenario.walk_months or scenario.fitted_until is not None:
        lines.append(walk_line(scenario))
    drawn = set(posterior["drawn"]) if posterior else set()
    if posterior:
        lines.append(posterior_line(posterior))
        if posterior["overridden"]:
            lines.append("    overridden here, own distribution: "
                         + ", ".join(posterior["overridden"]))  # fmt: skip
    for name, param in scenario.params().items():
        lines.append(f"{name} = {param.describe()}" + (" [calibrated]" if name in drawn else ""))
        for fact_id in param.facts:
            fact = facts[fact_id]
            lines.append(f"    {fact_id}: {fact.figure()} {fact.unit}, {fact.citation()}")
    return "\n".join(lines)


def deterministic_text(values: dict[str, float | int]) -> str:
    """The values a ``--deterministic`` run (one path at the means) uses, one per line.

    ``values`` is :func:`sim.runs.sampling.expected_values`'s output: means clipped to their
    domain, the posterior's column means for calibrated parameters, whole months for lead
    times and delivery lags.
    """
    lines = ["deterministic run (one path at the means) uses:"]
    lines += [f"    {name} = {value:,}" if isinstance(value, int) else f"    {name} = {value:.6g}"
              for name, value in values.items()]  # fmt: skip
    return "\n".join(lines)
