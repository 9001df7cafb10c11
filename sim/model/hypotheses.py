"""Competing hypotheses: named variants of a scenario's inputs where credible sources disagree.

A scenario names the alternatives and selects one per group::

    [hypothesis]
    production = "new-hulls"            # the variant this file runs with

    [hypotheses.production.new-hulls]
    sources = ["new-tank-production-per-year"]   # fact ids in seeds/
    note = "500-600 a year are new hulls"
    [hypotheses.production.new-hulls.set.production.tanks_per_year]
    "2022-02" = {dist = "uniform", low = 500, high = 600, facts = [...]}

The selected variant's ``set`` table is merged over the scenario's tables (as a file that
extends it would be), then the scenario is checked as usual. ``tanksim calibrate`` fits every
variant and weighs them by how well each reproduces the record (:mod:`sim.api.evidence`).
Every error is one line naming the file, the key and the value.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.model.chain import is_param_table
from sim.model.errors import ScenarioError

VARIANT_KEYS = ("sources", "note", "set")


@dataclass(frozen=True)
class Variant:
    """One named alternative: the facts it rests on, why, and the tables it sets."""

    group: str
    name: str
    sources: tuple[str, ...]
    note: str
    tables: dict


def _where(origins: dict[str, Path], key: str) -> str:
    probe = key
    while probe and probe not in origins:
        probe = probe.rpartition(".")[0]
    return str(origins.get(probe) or next(iter(origins.values()), "(scenario)"))


def _fail(origins: dict[str, Path], key: str, value: Any, why: str) -> None:
    raise ScenarioError(_where(origins, key), key, value, why)


def read_hypotheses(
    raw: dict, origins: dict[str, Path], fact_ids: set[str] | None = None
) -> tuple[dict[str, str], dict[str, dict[str, Variant]]]:
    """The selection {group: variant} and every group's variants, checked.

    Raises :class:`ScenarioError` (one line: file, key, value, why) for a selection naming
    no variant, a group without a selection, a variant without sources or with an unknown
    fact, or a variant that sets nothing.
    """
    chosen = raw.get("hypothesis", {})
    groups = raw.get("hypotheses", {})
    if not isinstance(chosen, dict):
        _fail(origins, "hypothesis", chosen, "must be a table {group = variant}")
    if not isinstance(groups, dict):
        _fail(origins, "hypotheses", groups, "must be a table of groups of variants")
    variants: dict[str, dict[str, Variant]] = {}
    for group, table in groups.items():
        key = f"hypotheses.{group}"
        if not isinstance(table, dict) or len(table) < 2:
            _fail(origins, key, table, "needs at least two named variants")
        variants[group] = {}
        for name, spec in table.items():
            vkey = f"{key}.{name}"
            if not isinstance(spec, dict):
                _fail(origins, vkey, spec, "must be a table with sources, note and set")
            for field in spec:
                if field not in VARIANT_KEYS:
                    _fail(origins, f"{vkey}.{field}", spec[field], "unknown key")
            sources = spec.get("sources")
            if not isinstance(sources, list) or not sources or not all(
                isinstance(s, str) for s in sources
            ):
                _fail(origins, f"{vkey}.sources", sources, "must list the fact ids it rests on")
            if fact_ids is not None:
                for fact in sources:
                    if fact not in fact_ids:
                        _fail(origins, f"{vkey}.sources", fact, "unknown fact id (tanksim facts)")
            if not isinstance(spec.get("note", ""), str):
                _fail(origins, f"{vkey}.note", spec["note"], "must be a string")
            tables = spec.get("set")
            if not isinstance(tables, dict) or not tables:
                _fail(origins, f"{vkey}.set", tables, "must be a table of the inputs it sets")
            for top in tables:
                if top in ("hypothesis", "hypotheses", "extends", "posterior"):
                    _fail(origins, f"{vkey}.set.{top}", tables[top], "a variant cannot set this")
            variants[group][name] = Variant(group, name, tuple(sources), spec.get("note", ""),
                                            tables)  # fmt: skip
    for group, name in chosen.items():
        key = f"hypothesis.{group}"
        if group not in variants:
            close = difflib.get_close_matches(group, list(variants), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            _fail(origins, key, name, f"no [hypotheses.{group}] table names variants{hint}")
        if not isinstance(name, str) or name not in variants[group]:
            known = ", ".join(variants[group])
            _fail(origins, key, name, f"not a variant of {group} (one of: {known})")
    for group in variants:
        if group not in chosen:
            _fail(origins, f"hypothesis.{group}", None,
                  f"missing: select one of {', '.join(variants[group])}")  # fmt: skip
    return dict(chosen), variants


def _merge(
    into: dict, data: dict, prefix: str, file: Path, origins: dict[str, Path], later: set[str]
) -> None:
    """Merge a variant's tables defined in ``file``; a key set by a file that comes later in
    the extends chain (``later``: resolved paths) wins, as if the variant were a file
    extended right after ``file``."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if dotted in origins and str(Path(origins[dotted]).resolve()) in later and not (
            isinstance(value, dict) and not is_param_table(value)
        ):
            continue
        origins[dotted] = file
        if isinstance(value, dict) and not is_param_table(value):
            if not isinstance(into.get(key), dict) or is_param_table(into[key]):
                into[key] = {}
            _merge(into[key], value, dotted + ".", file, origins, later)
        else:
            into[key] = value
            if isinstance(value, dict):
                for inner in value:
                    origins[f"{dotted}.{inner}"] = file


def apply_hypotheses(
    raw: dict,
    origins: dict[str, Path],
    fact_ids: set[str] | None = None,
    choose: dict[str, str] | None = None,
    files: list[Path] | None = None,
) -> tuple[dict, dict[str, Path], dict[str, str]]:
    """``raw`` with each group's selected variant merged in, without the hypothesis tables.

    ``choose`` ({group: variant}) overrides the file's selection (``tanksim calibrate`` uses
    it to fit every variant). ``files`` is the extends chain, most basic first: a key a file
    later than the variant's own sets keeps that file's value. Returns the merged tables,
    their origins and the selection.
    """
    selection, variants = read_hypotheses(raw, origins, fact_ids)
    for group, name in (choose or {}).items():
        if group not in variants or name not in variants[group]:
            known = ", ".join(f"{g}={v}" for g in variants for v in variants[g]) or "none"
            raise ScenarioError("(command line)", "{arg:hypothesis}", f"{group}={name}",
                                f"no such variant (known: {known})")  # fmt: skip
        selection[group] = name
    merged = {k: v for k, v in raw.items() if k not in ("hypothesis", "hypotheses")}
    merged_origins = dict(origins)
    chain = [str(Path(f).resolve()) for f in (files or [])]
    for group, name in selection.items():
        file = Path(_where(origins, f"hypotheses.{group}.{name}.set"))
        own = str(file.resolve())
        later = set(chain[chain.index(own) + 1 :]) if own in chain else set()
        _merge(merged, variants[group][name].tables, "", file, merged_origins, later)
    return merged, merged_origins, selection


def explicit_groups(raw: dict, origins: dict[str, Path]) -> frozenset[str]:
    """The groups whose selection a file makes itself: set by a file other than the one
    naming the group's variants (whose own selection is the default a calibration mixes
    over). Such a selection draws only its hypothesis' rows of a mixed posterior."""
    chosen = raw.get("hypothesis", {})
    if not isinstance(chosen, dict):
        return frozenset()
    return frozenset(
        group for group in chosen
        if origins.get(f"hypothesis.{group}") != origins.get(f"hypotheses.{group}")
    )  # fmt: skip


def combinations(variants: dict[str, dict[str, Variant]]) -> list[dict[str, str]]:
    """Every joint selection {group: variant}, in the files' order (one per hypothesis)."""
    groups = list(variants)
    return [dict(zip(groups, names)) for names in itertools.product(*(variants[g] for g in groups))]


def label(selection: dict[str, str]) -> str:
    """A hypothesis' name: ``group=variant`` pairs joined by ``+``."""
    return "+".join(f"{g}={v}" for g, v in selection.items())
