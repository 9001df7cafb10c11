"""The publications behind a set of facts: the one place that turns fact ids into citations."""

from __future__ import annotations

from collections.abc import Iterable


def cited_sources(fact_ids: Iterable[str], facts: dict) -> list[str]:
    """Distinct citations of the facts ``fact_ids`` (unknown ids and assumptions left out),
    sorted.

    Parameters
    ----------
    fact_ids : fact ids, in any order, repeats allowed.
    facts : :class:`~sim.model.facts.Fact` objects by id.
    """
    seen: dict[str, None] = {}
    for fact_id in fact_ids:
        fact = facts.get(fact_id)
        if fact is not None and fact.kind != "assumption":
            seen.setdefault(fact.citation(), None)
    return sorted(seen)
