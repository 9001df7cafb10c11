"""Scenarios and facts for the public API: read, validate, describe. Imports nothing heavy
(no matplotlib, no scipy.stats through this module), so ``tanksim validate`` starts at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.model.facts import Fact, load_facts

if TYPE_CHECKING:
    from sim.model.params import Scenario

#: The default paired-comparison threshold: this share of the reference run's mean
#: first-month active fleet (structural: a level a reader can picture, not a model input).
THRESHOLD_SHARE = 0.75
#: The first year whose December is a default comparison date.
FIRST_DEFAULT_YEAR = 2026


def facts() -> dict[str, Fact]:
    """Every sourced fact in ``seeds/`` (or ``$TANKSIM_SEEDS``), keyed by id."""
    return load_facts()


def load_scenario(
    path: str | Path,
    *,
    start: str | None = None,
    end: str | None = None,
    facts: dict[str, Fact] | None = None,
    hypothesis: dict[str, str] | None = None,
) -> Scenario:
    """Read and validate a scenario file, checking that every cited fact id exists.

    Parameters
    ----------
    path : the scenario's TOML file.
    start, end : ``"YYYY-MM"`` overriding its horizon.
    facts : the facts to check against (default: :func:`facts`, read now).
    hypothesis : {group: variant} overriding the file's ``[hypothesis]`` selection.

    Raises
    ------
    sim.model.loader.ScenarioError
        A ValueError naming the file, key and value on bad input.
    """
    from sim.model import loader

    known = load_facts() if facts is None else facts
    return loader.load_scenario(path, fact_ids=set(known), start=start, end=end,
                               hypothesis=hypothesis)


def default_dates(start: int, end: int) -> list[int]:
    """Default comparison dates: each December from 2026 within the horizon, and its end.

    Parameters
    ----------
    start, end : first and last month of the horizon, as month indices (year * 12 + month - 1).

    Returns
    -------
    Sorted month indices, without repeats.
    """
    years = range(FIRST_DEFAULT_YEAR, end // 12 + 1)
    decembers = [y * 12 + 11 for y in years if start <= y * 12 + 11 <= end]
    return sorted({*decembers, end})


def posterior_info(scenario: Scenario) -> dict | None:
    """How a scenario uses its calibrated posterior, as plain data (None without one).

    Returns
    -------
    ``file``; ``rows`` (N, parameter sets in the file); ``distinct`` (distinct rows: a
    posterior resampled from few particles repeats rows); ``ess`` (effective sample size of
    the calibration's last generation if its JSON records it, else None); ``drawn`` (the
    parameters taken jointly from one row per replication); ``overridden`` (calibrated
    columns this scenario replaces with its own distribution); ``targets`` (count);
    ``hypothesis`` (the selected hypothesis whose rows alone are drawn, "" for every row).
    """
    from sim.analysis.posterior_info import posterior_counts

    post = scenario.posterior
    if post is None:
        return None
    return {
        "file": post.path,
        **posterior_counts(post),
        "drawn": list(post.names),
        "overridden": list(post.overridden),
        "targets": len((post.meta or {}).get("targets", [])),
        "hypothesis": post.hypothesis,
    }


@dataclass(frozen=True)
class Validation:
    """What ``tanksim validate`` shows of a scenario: the scenario read and checked, its
    description (every resolved parameter with its sources, the posterior it draws from;
    with ``deterministic``, the value each parameter takes in a deterministic run) as
    ``text``, and the warning of the check against the loss record (None when the record
    contradicts nothing)."""

    scenario: Scenario
    text: str
    warning: str | None = None


def validate(path: str | Path, *, deterministic: bool = False) -> Validation:
    """Read and check the scenario file ``path``, describe it and check its North Korean
    families' deliveries against the loss record (a short run: :mod:`sim.api.foreign`),
    as ``tanksim validate`` does.

    Raises a ValueError (``ScenarioError``) with one line for a bad scenario file.
    """
    from sim.api.foreign import check_against_record
    from sim.present.scenario_text import deterministic_text, validate_text

    known = facts()
    loaded = load_scenario(path, facts=known)
    text = validate_text(loaded, known, posterior_info(loaded))
    if deterministic:
        from sim.runs.sampling import expected_values

        text += "\n" + deterministic_text(expected_values(loaded))
    return Validation(loaded, text, check_against_record(loaded) or None)
