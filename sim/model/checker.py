"""Checking the merged tables of a scenario: shapes, keys and types, with the file of each key.

The values' own rules (domains, distributions, shares, bounds) live on the types
(:mod:`sim.model.params`, :mod:`sim.model.distributions`); :meth:`Checker.param` builds them
and names the file and key when they refuse a value.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any

from sim.model.calendar import format_month, parse_month
from sim.model.chain import is_param_table
from sim.model.distributions import DIST_ARGS, OPTIONAL_ARGS, Dist, Param
from sim.model.errors import ScenarioError
from sim.model.params import Step


class Checker:
    """Walks the merged tables; every error names the file that set the offending key."""

    def __init__(
        self, origins: dict[str, Path], fact_ids: set[str] | None, start: int, end: int,
        root: str | None = None,
    ) -> None:  # fmt: skip
        self.origins, self.fact_ids, self.start, self.end = origins, fact_ids, start, end
        self.root = root  # the file named for a rule of the whole scenario

    def fail(self, key: str, value: Any, message: str) -> None:
        probe = key
        while probe and probe not in self.origins:
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        fallback = self.root or next(iter(self.origins.values()), "(scenario)")
        file = self.origins.get(probe) or fallback
        raise ScenarioError(file, key, value, message)

    def table(self, key: str, raw: Any, allowed: tuple[str, ...], required=()) -> dict:
        if not isinstance(raw, dict):
            self.fail(key, raw, "must be a table")
        for name, value in raw.items():
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(f"{key}.{name}".lstrip("."), value, f"unknown key{hint}")
        for name in required:
            if name not in raw:
                self.fail(f"{key}.{name}".lstrip("."), "(missing)", "required key is missing")
        return raw

    def month(self, key: str, raw: Any) -> int:
        try:
            month = parse_month(raw)
        except ValueError:
            self.fail(key, raw, "must be a month as YYYY-MM")
        if not self.start <= month <= self.end:
            span = f"{format_month(self.start)}..{format_month(self.end)}"
            self.fail(key, raw, f"outside the horizon {span}")
        return month

    def number(self, key: str, raw: Any) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            self.fail(key, raw, "must be a number")
        if not math.isfinite(raw):
            self.fail(key, raw, "must be a finite number")
        return float(raw)

    def share(self, key: str, raw: Any) -> float:
        self.number(key, raw)
        if not 0 <= raw <= 1:
            self.fail(key, raw, "a share must be in [0, 1]")
        return float(raw)

    def param(self, key: str, raw: Any, domain: str) -> Param:
        facts: tuple[str, ...] = ()
        note = ""
        if isinstance(raw, bool) or not isinstance(raw, int | float | dict):
            self.fail(key, raw, "must be a number or a distribution table")
        if isinstance(raw, dict):
            kind = raw.get("dist", "fixed" if "value" in raw else None)
            if kind is None:
                self.fail(key, raw, "a distribution table needs dist = ... (or value = ...)")
            if kind not in DIST_ARGS:
                close = difflib.get_close_matches(str(kind), DIST_ARGS, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(f"{key}.dist", kind, f"unknown distribution{hint}")
            names = DIST_ARGS[kind] + OPTIONAL_ARGS.get(kind, ())
            self.table(key, raw, ("dist", "facts", "note") + names, required=DIST_ARGS[kind])
            args = {name: self.number(f"{key}.{name}", raw[name]) for name in names if name in raw}
            facts = self._facts(f"{key}.facts", raw.get("facts", []))
            note = raw.get("note", "")
            if not isinstance(note, str):
                self.fail(f"{key}.note", note, "must be a string")
            kind_args = (kind, tuple(args.items()))
        else:
            kind_args = ("fixed", (("value", self.number(key, raw)),))
        try:
            return Param(Dist(*kind_args), domain, facts, note)
        except ScenarioError as err:  # the value breaks a rule of the type: name it here
            self.fail(key, raw, err.message)

    def _facts(self, key: str, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
            self.fail(key, raw, "must be a list of fact id strings")
        for fact_id in raw:
            if self.fact_ids is not None and fact_id not in self.fact_ids:
                close = difflib.get_close_matches(fact_id, self.fact_ids, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(key, fact_id, f"no such fact in seeds/{hint}")
        return tuple(raw)

    def schedule(self, key: str, raw: Any, domain: str) -> tuple[Step, ...]:
        """A table of ``"YYYY-MM" = value`` steps; each value holds until the next date."""
        if not isinstance(raw, dict) or not raw or is_param_table(raw):
            self.fail(key, raw, 'must be a table of "YYYY-MM" = value entries')
        steps = [
            Step(self.month(f"{key}.{date}", date), self.param(f"{key}.{date}", value, domain))
            for date, value in raw.items()
        ]
        return tuple(sorted(steps, key=lambda step: step.month))
