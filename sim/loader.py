"""Read scenario TOML files (with ``extends``), validate them once, build a :class:`Scenario`.

Every problem raises :class:`ScenarioError`, whose text is one line naming the file, the
key and the bad value. Nothing here prints or exits; the CLI does that.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.calendar import format_month, parse_month
from sim.distributions import DIST_ARGS, OPTIONAL_ARGS, Dist, Param, dist_problem, domain_problem
from sim.params import (
    CAPACITY,
    COMMITTED,
    CONDITIONS,
    HAZARD,
    LOSS_MODELS,
    LOSSES,
    ORDERS,
    PRODUCTION,
    REQUIRED,
    Family,
    Parts,
    Peace,
    Scenario,
    Step,
    Supply,
    Thresholds,
)  # fmt: skip
from sim.posterior import Posterior, PosteriorError, read_posterior
from sim.priority import usefulness_order


class ScenarioError(ValueError):
    """A bad scenario input: ``file: key = value: message``."""

    def __init__(self, file: str | Path, key: str, value: Any, message: str):
        self.file, self.key, self.value, self.message = str(file), key, value, message
        super().__init__(f"{file}: {key} = {show(value)}: {message}")


def show(value: Any) -> str:
    """A compact one-line, TOML-like rendering of a value for error messages."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------------------------
# Files and `extends`


def _read_toml(path: Path, referrer: Path | None) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if referrer is None:
            raise ScenarioError(path, "(file)", str(path), "no such scenario file") from None
        raise ScenarioError(referrer, "extends", str(path), "no such file") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, "(syntax)", str(path), f"not valid TOML: {err}") from None
    except OSError as err:
        raise ScenarioError(path, "(file)", str(path), err.strerror or str(err)) from None


def read_chain(path: Path) -> list[tuple[Path, dict]]:
    """The file and every file it extends, most basic first; cycles are an error.

    ``extends`` is a path or a list of paths (relative to the file's folder, or absolute),
    merged in order so later ones win; a file reached twice is read once.
    """
    order: list[tuple[Path, dict]] = []
    done: set[Path] = set()

    def visit(current: Path, referrer: Path | None, stack: tuple[Path, ...]) -> None:
        resolved = current.resolve()
        if resolved in stack:
            raise ScenarioError(referrer, "extends", str(current), "cyclic extends")
        if resolved in done:
            return
        data = _read_toml(current, referrer)
        parents = data.pop("extends", [])
        parents = [parents] if isinstance(parents, str) else parents
        if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
            message = "must be a file path or a list of them"
            raise ScenarioError(current, "extends", parents, message)
        for parent in parents:
            visit(current.parent / parent, current, (*stack, resolved))
        done.add(resolved)
        order.append((current, data))

    visit(Path(path), None, ())
    return order


def _is_param_table(value: Any) -> bool:
    """A distribution or cited-value table: replaced whole by a child, never merged."""
    return isinstance(value, dict) and ("dist" in value or "value" in value)


def merge_chain(chain: list[tuple[Path, dict]]) -> tuple[dict, dict[str, Path]]:
    """Merge a chain of files, most basic first, noting which file set each key.

    Tables merge key by key (later files win); arrays and parameter tables (those with
    ``dist`` or ``value``) replace what they override as a whole.
    """
    merged: dict = {}
    origins: dict[str, Path] = {}

    def merge(into: dict, data: dict, prefix: str, file: Path) -> None:
        for key, value in data.items():
            dotted = f"{prefix}{key}"
            origins[dotted] = file
            if isinstance(value, dict) and not _is_param_table(value):
                if not isinstance(into.get(key), dict) or _is_param_table(into[key]):
                    into[key] = {}
                merge(into[key], value, dotted + ".", file)
            else:
                into[key] = value
                if isinstance(value, dict):
                    for inner in value:
                        origins[f"{dotted}.{inner}"] = file

    for file, data in chain:
        merge(merged, data, "", file)
    return merged, origins


# ---------------------------------------------------------------------------------------------
# Validation


class _Checker:
    """Walks the merged tables; every error names the file that set the offending key."""

    def __init__(self, origins: dict[str, Path], fact_ids: set[str] | None, start: int, end: int):
        self.origins, self.fact_ids, self.start, self.end = origins, fact_ids, start, end

    def fail(self, key: str, value: Any, message: str) -> None:
        probe = key
        while probe and probe not in self.origins:
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        file = self.origins.get(probe) or next(iter(self.origins.values()), "(scenario)")
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

    def text(self, key: str, raw: Any) -> str:
        if not isinstance(raw, str) or not raw:
            self.fail(key, raw, "must be a non-empty string")
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
            problem = dist_problem(kind, args)
            if problem:
                self.fail(key, raw, f"impossible {kind} distribution: {problem}")
            facts = self._facts(f"{key}.facts", raw.get("facts", []))
            note = raw.get("note", "")
            if not isinstance(note, str):
                self.fail(f"{key}.note", note, "must be a string")
            dist = Dist(kind, tuple(args.items()))
        else:
            dist = Dist("fixed", (("value", self.number(key, raw)),))
        problem = domain_problem(dist, domain)
        if problem:
            self.fail(key, raw, problem)
        return Param(dist, domain, facts, note)

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
        if not isinstance(raw, dict) or not raw or _is_param_table(raw):
            self.fail(key, raw, 'must be a table of "YYYY-MM" = value entries')
        steps = [
            Step(self.month(f"{key}.{date}", date), self.param(f"{key}.{date}", value, domain))
            for date, value in raw.items()
        ]
        return tuple(sorted(steps, key=lambda step: step.month))


TOP = (
    "description", "horizon", "families", "storage", "losses", "refurbishment",
    "production", "supply", "parts", "metrics", "posterior", "demand", "peace",
)  # fmt: skip
LOSS_KEYS = (
    "model", "confirmed_per_month", "hazard_per_month", "committed_share", "detection_share",
    "monthly_cv",
)  # fmt: skip
FAMILY_KEYS = ("active", "storage", "vulnerability", "quality_weight", "refurb_effort")
#: The value of a count a scenario leaves out (a family's stocks, a supply's first batch).
ABSENT = {"value": 0, "facts": ["assumption-absent-means-none"]}
STORAGE_KEYS = ("good_share", "fair_share", "good_to_fair", "fair_to_poor")
FAMILY_REQUIRED = ("vulnerability", "quality_weight", "refurb_effort")


def _horizon(check: _Checker, raw: dict, start: str | None, end: str | None) -> tuple[int, int]:
    horizon = check.table("horizon", raw.get("horizon", {}), ("start", "end"), ("start", "end"))
    months = []
    for name, override in (("start", start), ("end", end)):
        try:
            months.append(parse_month(horizon[name]))
        except ValueError:
            check.fail(f"horizon.{name}", horizon[name], "must be a month as YYYY-MM")
        if override is not None:
            try:
                months[-1] = parse_month(override)
            except ValueError:
                raise ScenarioError(
                    "(command line)", f"--{name}", override, "must be YYYY-MM"
                ) from None
    if months[0] > months[1]:
        span = f"{format_month(months[0])}..{format_month(months[1])}"
        raise ScenarioError("(command line)", "--start/--end", span, "start must not be after end")
    return months[0], months[1]


def _family(check: _Checker, name: str, raw: Any) -> Family:
    key = f"families.{name}"
    check.table(key, raw, FAMILY_KEYS, FAMILY_REQUIRED)
    return Family(
        name=name,
        active=check.param(f"{key}.active", raw.get("active", ABSENT), "count"),
        storage=check.param(f"{key}.storage", raw.get("storage", ABSENT), "count"),
        vulnerability=check.param(f"{key}.vulnerability", raw["vulnerability"], "positive"),
        quality_weight=check.param(f"{key}.quality_weight", raw["quality_weight"], "count"),
        refurb_effort=check.param(f"{key}.refurb_effort", raw["refurb_effort"], "positive"),
    )


def _conditions(check: _Checker, key: str, raw: Any, domain: str) -> tuple[Param, Param, Param]:
    check.table(key, raw, CONDITIONS, CONDITIONS)
    return tuple(check.param(f"{key}.{c}", raw[c], domain) for c in CONDITIONS)


def _priority(check: _Checker, raw: Any, families: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    key = "refurbishment.priority"
    if not isinstance(raw, list) or not raw:
        check.fail(key, raw, 'must be a non-empty list like ["T-62:good", ...]')
    entries: list[tuple[str, str]] = []
    for i, item in enumerate(raw):
        fam, _, cond = item.rpartition(":") if isinstance(item, str) else ("", "", "")
        if fam not in families or cond not in CONDITIONS:
            close = difflib.get_close_matches(fam, families, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}:{cond}'?" if close and fam not in families else ""
            check.fail(f"{key}[{i}]", item, f"must be FAMILY:CONDITION with a known family{hint}")
        if (fam, cond) in entries:
            check.fail(f"{key}[{i}]", item, "listed twice")
        entries.append((fam, cond))
    return tuple(entries)


def _family_ref(check: _Checker, key: str, raw: Any, families: tuple[str, ...]) -> str:
    if raw not in families:
        close = difflib.get_close_matches(str(raw), families, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        check.fail(key, raw, f"not a family defined under [families]{hint}")
    return raw


def _supply(check: _Checker, name: str, raw: Any, families: tuple[str, ...]) -> Supply:
    key = f"supply.{name}"
    fields = ("family", "start", "tanks_per_month", "total_cap", "delivery_lag_months")
    check.table(key, raw, (*fields, "first_batch"), fields)
    return Supply(
        name=name,
        family=_family_ref(check, f"{key}.family", raw["family"], families),
        start=check.month(f"{key}.start", raw["start"]),
        tanks_per_month=check.param(f"{key}.tanks_per_month", raw["tanks_per_month"], "count"),
        total_cap=check.param(f"{key}.total_cap", raw["total_cap"], "count"),
        delivery_lag_months=check.param(
            f"{key}.delivery_lag_months", raw["delivery_lag_months"], "months"
        ),
        first_batch=check.param(f"{key}.first_batch", raw.get("first_batch", ABSENT), "count"),
    )


def _parts(check: _Checker, name: str, raw: Any, families: tuple[str, ...]) -> Parts:
    key = f"parts.{name}"
    fields = ("start", "families", "effort_factor", "failure_factor")
    check.table(key, raw, fields, fields)
    if not isinstance(raw["families"], list) or not raw["families"]:
        check.fail(f"{key}.families", raw["families"], "must be a non-empty list of families")
    return Parts(
        name=name,
        start=check.month(f"{key}.start", raw["start"]),
        families=tuple(
            _family_ref(check, f"{key}.families[{i}]", f, families)
            for i, f in enumerate(raw["families"])
        ),
        effort_factor=check.param(f"{key}.effort_factor", raw["effort_factor"], "positive"),
        failure_factor=check.param(f"{key}.failure_factor", raw["failure_factor"], "count"),
    )


def _losses(check: _Checker, raw: Any) -> dict:
    """The ``[losses]`` table: a hazard on the committed force (``hazard_per_month`` with
    ``committed_share``) or an imposed count schedule (``confirmed_per_month``). With both
    (a file that extends a hazard scenario and imposes counts), ``model`` says which one
    applies; the other stays a parameter of the scenario but draws nothing."""
    losses = check.table("losses", raw, LOSS_KEYS, ("detection_share", "monthly_cv"))
    counts, hazard = "confirmed_per_month" in losses, "hazard_per_month" in losses
    model = losses.get("model")
    if model is not None and model not in LOSS_MODELS:
        check.fail("losses.model", model, f"must be one of {', '.join(LOSS_MODELS)}")
    if model is None:
        if counts and hazard:
            message = 'hazard_per_month and confirmed_per_month: say model = "hazard" or "counts"'
            check.fail("losses", raw, message)
        if not counts and not hazard:
            message = "needs hazard_per_month (with committed_share) or confirmed_per_month"
            check.fail("losses", raw, message)
        model = "hazard" if hazard else "counts"
    if model == "counts" and not counts:
        check.fail("losses.confirmed_per_month", "(missing)", 'required with model = "counts"')
    if model == "hazard" and not hazard:
        check.fail("losses.hazard_per_month", "(missing)", 'required with model = "hazard"')
    if hazard and "committed_share" not in losses:
        check.fail("losses.committed_share", "(missing)", "required with hazard_per_month")
    out = {"loss_schedule": (), "hazard_schedule": (), "committed_schedule": (),
           "loss_model": model}  # fmt: skip
    if counts:
        out["loss_schedule"] = check.schedule(LOSSES, losses["confirmed_per_month"], "count")
    if hazard:
        out["hazard_schedule"] = check.schedule(HAZARD, losses["hazard_per_month"], "share")
    if "committed_share" in losses:
        out["committed_schedule"] = check.schedule(COMMITTED, losses["committed_share"], "share")
    return out


def _peace(check: _Checker, raw: Any) -> Peace:
    fields = ("start", "capacity_share", "production_share", "ramp_months")
    check.table("peace", raw, fields, fields)
    return Peace(
        start=check.month("peace.start", raw["start"]),
        capacity_share=check.param("peace.capacity_share", raw["capacity_share"], "share"),
        production_share=check.param("peace.production_share", raw["production_share"], "share"),
        ramp_months=check.param("peace.ramp_months", raw["ramp_months"], "months"),
    )


def _keys(raw: Any) -> tuple[str, ...]:
    """The keys of a table whose keys are free names (families, supplies)."""
    return tuple(raw) if isinstance(raw, dict) else ()


def build_scenario(
    raw: dict,
    origins: dict[str, Path],
    *,
    name: str,
    files: tuple[str, ...],
    fact_ids: set[str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Scenario:
    """Validate merged scenario tables and build the frozen :class:`Scenario`."""
    boot = _Checker(origins, fact_ids, 0, 10**9)
    required = ("horizon", "families", "storage", "losses", "refurbishment", "production")
    boot.table("", raw, TOP, required + ("metrics",))
    first, last = _horizon(boot, raw, start, end)
    declared = (parse_month(raw["horizon"]["start"]), parse_month(raw["horizon"]["end"]))
    check = _Checker(origins, fact_ids, *declared)
    fam_raw = check.table("families", raw["families"], _keys(raw["families"]))
    if not fam_raw:
        check.fail("families", fam_raw, "needs at least one family")
    families = tuple(_family(check, n, v) for n, v in fam_raw.items())
    names = tuple(f.name for f in families)
    store = check.table("storage", raw["storage"], STORAGE_KEYS, STORAGE_KEYS)
    losses = check.table("losses", raw["losses"], LOSS_KEYS)
    refurb_keys = (
        "capacity_per_month", "lead_time_months", "effort", "donors", "failure", "priority",
    )  # fmt: skip
    refurb = check.table(
        "refurbishment", raw["refurbishment"], (*refurb_keys, "order"), refurb_keys
    )
    order = refurb.get("order", "usefulness")
    if order not in ORDERS:
        check.fail("refurbishment.order", order, f"must be one of {', '.join(ORDERS)}")
    demand = check.table("demand", raw.get("demand", {}), ("required_active",))
    prod = check.table(
        "production", raw["production"], ("family", "tanks_per_year"), ("family", "tanks_per_year")
    )
    supply = check.table("supply", raw.get("supply", {}), _keys(raw.get("supply", {})))
    parts = check.table("parts", raw.get("parts", {}), _keys(raw.get("parts", {})))
    metric_keys = ("exhausted_share", "refurb_low_share", "active_drop_share")
    metrics = check.table(
        "metrics", raw.get("metrics"), (*metric_keys, "rebuild_after", "requirement_share"),
        metric_keys,
    )  # fmt: skip
    rebuild = metrics.get("rebuild_after")
    description = raw.get("description", "")
    if not isinstance(description, str):
        check.fail("description", description, "must be a string")
    scenario = Scenario(
        name=name,
        files=files,
        start=first,
        end=last,
        families=families,
        **{k: check.param(f"storage.{k}", store[k], "share") for k in STORAGE_KEYS},
        **_losses(check, raw["losses"]),
        detection_share=check.param(
            "losses.detection_share", losses["detection_share"], "positive"
        ),
        loss_cv=check.param("losses.monthly_cv", losses["monthly_cv"], "count"),
        capacity_schedule=check.schedule(CAPACITY, refurb["capacity_per_month"], "count"),
        lead_time_months=check.param(
            "refurbishment.lead_time_months", refurb["lead_time_months"], "months"
        ),
        condition_effort=_conditions(check, "refurbishment.effort", refurb["effort"], "positive"),
        condition_donors=_conditions(check, "refurbishment.donors", refurb["donors"], "share"),
        condition_failure=_conditions(check, "refurbishment.failure", refurb["failure"], "share"),
        priority=_priority(check, refurb["priority"], names),
        production_family=_family_ref(check, "production.family", prod["family"], names),
        production_schedule=check.schedule(PRODUCTION, prod["tanks_per_year"], "count"),
        supplies=tuple(_supply(check, n, v, names) for n, v in supply.items()),
        parts=tuple(_parts(check, n, v, names) for n, v in parts.items()),
        required_schedule=(
            check.schedule(REQUIRED, demand["required_active"], "count")
            if "required_active" in demand
            else ()
        ),
        peace=_peace(check, raw["peace"]) if "peace" in raw else None,
        priority_order=order,
        thresholds=Thresholds(
            *(check.share(f"metrics.{k}", metrics[k]) for k in metric_keys),
            rebuild_after=check.month("metrics.rebuild_after", rebuild) if rebuild else None,
            requirement_share=check.share(
                "metrics.requirement_share", metrics.get("requirement_share", 0.95)
            ),
        ),
        description=description,
    )
    if "posterior" in raw:
        scenario = replace(scenario, posterior=_posterior(check, raw["posterior"], scenario))
    if order == "usefulness":
        scenario = replace(scenario, priority=usefulness_order(scenario))
    return scenario


def _posterior(check: _Checker, value: Any, scenario: Scenario) -> Posterior:
    """The calibrated sets named by ``posterior``, a CSV path relative to the file setting it."""
    if not isinstance(value, str) or not value.endswith(".csv"):
        check.fail("posterior", value, "must be the path of a posterior .csv file")
    path = Path(value)
    if not path.is_absolute():
        path = Path(check.origins["posterior"]).parent / path
    try:
        return read_posterior(path, scenario.params())
    except PosteriorError as err:
        check.fail("posterior", value, str(err))


def load_scenario(
    path: str | Path,
    *,
    fact_ids: set[str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Scenario:
    """Read, merge and validate a scenario file; ``start``/``end`` override its horizon."""
    chain = read_chain(Path(path))
    raw, origins = merge_chain(chain)
    return build_scenario(
        raw,
        origins,
        name=Path(path).stem,
        files=tuple(str(p) for p, _ in chain),
        fact_ids=fact_ids,
        start=start,
        end=end,
    )
