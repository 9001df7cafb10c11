"""Read scenario TOML files (with ``extends``), check them, build a :class:`Scenario`.

Every problem raises :class:`ScenarioError`, whose text is one line naming the file, the
key and the bad value. Nothing here prints or exits; the CLI does that. Reading and merging
files is :mod:`sim.model.chain`; checking tables is :mod:`sim.model.checker`; the values'
own rules are on the types (:mod:`sim.model.params`).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from sim.model.calendar import format_month, parse_month
from sim.model.chain import is_param_table, merge_chain, read_chain
from sim.model.checker import Checker
from sim.model.distributions import Param
from sim.model.errors import ScenarioError, show
from sim.model.params import (
    ALL_DEPLOYED,
    CAPACITY,
    COMMITTED,
    CONDITIONS,
    DEPLOYED,
    HAZARD,
    HAZARD_DRIFT,
    HAZARD_FACTOR,
    HAZARD_VOLATILITY,
    IDENTIFICATION,
    LOSS_MODELS,
    LOSSES,
    NO_DELAY,
    OBSERVATION,
    ORDERS,
    PRODUCTION,
    PRODUCTION_SHARE,
    REQUIRED,
    START_DELAY,
    UNKNOWN,
    Family,
    Parts,
    Peace,
    Scenario,
    Supply,
    Thresholds,
    reserved_family_name,
)  # fmt: skip
from sim.model.posterior import Posterior, PosteriorError, read_posterior
from sim.model.priority import default_rebuild_families, usefulness_order

__all__ = ["ScenarioError", "build_scenario", "load_scenario", "merge_chain", "read_chain", "show"]


TOP = (
    "description", "horizon", "families", "storage", "losses", "refurbishment",
    "production", "supply", "parts", "metrics", "posterior", "demand", "peace", "observation",
)  # fmt: skip
LOSS_KEYS = (
    "model", "confirmed_per_month", "hazard_per_month", "committed_share", "detection_share",
    "monthly_cv", "fitted_until", "hazard_drift", "hazard_volatility", "hazard_factor",
    "unknown_share",
)  # fmt: skip
FAMILY_KEYS = ("active", "storage", "vulnerability", "quality_weight", "refurb_effort")
#: The value of a count a scenario leaves out (a family's stocks, a supply's first batch).
ABSENT = {"value": 0, "facts": ["assumption-absent-means-none"]}
STORAGE_KEYS = ("good_share", "fair_share", "good_to_fair", "fair_to_poor")
FAMILY_REQUIRED = ("vulnerability", "quality_weight", "refurb_effort")


def _horizon(check: Checker, raw: dict, start: str | None, end: str | None) -> tuple[int, int]:
    """The scenario's start month and the last month simulated.

    The stocks describe the scenario's own start month, so the simulation always starts
    there: ``start`` may only repeat it. ``end`` moves the horizon's end (earlier or later).
    """
    horizon = check.table("horizon", raw.get("horizon", {}), ("start", "end"), ("start", "end"))
    months = []
    for name, override in (("start", start), ("end", end)):
        try:
            months.append(parse_month(horizon[name]))
        except ValueError:
            check.fail(f"horizon.{name}", horizon[name], "must be a month as YYYY-MM")
        if override is not None:
            try:
                months.append(parse_month(override))
            except ValueError:
                raise ScenarioError(
                    "(command line)", f"{{arg:{name}}}", override, "must be YYYY-MM"
                ) from None
        else:
            months.append(months[-1])
    declared, first, _, last = months
    if first > last:
        span = f"{format_month(first)}..{format_month(last)}"
        if start is None and end is None:  # the file's own horizon: name the file
            check.fail("horizon", span, "start must not be after end")
        given = "/".join(f"{{arg:{n}}}" for n, v in (("start", start), ("end", end))
                         if v is not None)  # fmt: skip
        raise ScenarioError("(command line)", given, span, "start must not be after end "
                            f"(the scenario starts {format_month(declared)})")  # fmt: skip
    if first != declared:
        stocks = format_month(declared)
        raise ScenarioError(
            "(command line)", "{arg:start}", start,
            f"the scenario's stocks describe {stocks} and the simulation starts there "
            "({arg:end} sets the horizon's end)",
        )  # fmt: skip
    return first, last


def _family(check: Checker, name: str, raw: Any) -> Family:
    key = f"families.{name}"
    reserved = reserved_family_name(name)
    if reserved:
        check.fail(key, name, reserved)
    check.table(key, raw, FAMILY_KEYS, FAMILY_REQUIRED)
    return Family(
        name=name,
        active=check.param(f"{key}.active", raw.get("active", ABSENT), "count"),
        storage=check.param(f"{key}.storage", raw.get("storage", ABSENT), "count"),
        vulnerability=check.param(f"{key}.vulnerability", raw["vulnerability"], "positive"),
        quality_weight=check.param(f"{key}.quality_weight", raw["quality_weight"], "count"),
        refurb_effort=check.param(f"{key}.refurb_effort", raw["refurb_effort"], "positive"),
    )


def _conditions(check: Checker, key: str, raw: Any, domain: str) -> tuple[Param, Param, Param]:
    check.table(key, raw, CONDITIONS, CONDITIONS)
    return tuple(check.param(f"{key}.{c}", raw[c], domain) for c in CONDITIONS)


def _priority(check: Checker, raw: Any, families: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
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


def _family_ref(check: Checker, key: str, raw: Any, families: tuple[str, ...]) -> str:
    if raw not in families:
        close = difflib.get_close_matches(str(raw), families, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        check.fail(key, raw, f"not a family defined under [families]{hint}")
    return raw


def _supply(check: Checker, name: str, raw: Any, families: tuple[str, ...]) -> Supply:
    key = f"supply.{name}"
    fields = ("family", "start", "tanks_per_month", "total_cap", "delivery_lag_months")
    check.table(key, raw, (*fields, "first_batch", DEPLOYED, START_DELAY), fields)
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
        deployed_share=(check.param(f"{key}.{DEPLOYED}", raw[DEPLOYED], "share")
                        if DEPLOYED in raw else ALL_DEPLOYED),
        start_delay_months=(check.param(f"{key}.{START_DELAY}", raw[START_DELAY], "months")
                            if START_DELAY in raw else NO_DELAY),
    )  # fmt: skip


def _parts(check: Checker, name: str, raw: Any, families: tuple[str, ...]) -> Parts:
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


def _losses(check: Checker, raw: Any) -> dict:
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
    return out | _continuation(check, losses)


def _continuation(check: Checker, losses: dict) -> dict:
    """After ``fitted_until`` the log hazard walks (``hazard_drift``, ``hazard_volatility``)
    and ``hazard_factor`` steps multiply it; the rules tying them together are
    :func:`sim.model.rules.check_scenario`'s."""
    out: dict = {"fitted_until": None, "hazard_drift": None, "hazard_volatility": None,
                 "hazard_factor_schedule": ()}  # fmt: skip
    if "fitted_until" in losses:
        out["fitted_until"] = check.month("losses.fitted_until", losses["fitted_until"])
    for field, key in (("hazard_drift", HAZARD_DRIFT), ("hazard_volatility", HAZARD_VOLATILITY)):
        name = key.split(".", 1)[1]
        if name in losses:
            out[field] = check.param(key, losses[name], "log_change")
    if "hazard_factor" in losses:
        factors = check.schedule(HAZARD_FACTOR, losses["hazard_factor"], "positive")
        out["hazard_factor_schedule"] = factors
    return out


def _peace(check: Checker, raw: Any, families: tuple[Family, ...]) -> Peace:
    """The ``[peace]`` table; ``rebuild_families`` defaults to
    :func:`~sim.model.priority.default_rebuild_families`."""
    fields = ("start", "capacity_share", "production_share", "ramp_months")
    check.table("peace", raw, (*fields, "rebuild_families"), fields)
    names = tuple(f.name for f in families)
    if "rebuild_families" in raw:
        listed = raw["rebuild_families"]
        if not isinstance(listed, list):
            check.fail("peace.rebuild_families", listed, "must be a list of families")
        rebuilt = tuple(
            _family_ref(check, f"peace.rebuild_families[{i}]", f, names)
            for i, f in enumerate(listed)
        )
    else:
        rebuilt = default_rebuild_families(families)
    return Peace(
        start=check.month("peace.start", raw["start"]),
        capacity_share=check.param("peace.capacity_share", raw["capacity_share"], "share"),
        production_share=check.param("peace.production_share", raw["production_share"], "share"),
        ramp_months=check.param("peace.ramp_months", raw["ramp_months"], "months"),
        rebuild_families=rebuilt,
    )


def _family_weights(check: Checker, raw: Any, names: tuple[str, ...]) -> tuple:
    """``[refurbishment.family_weight]``: (family, weight) pairs in family order. A weight is
    a number or distribution table (for the whole run) or a table of ``"YYYY-MM" = value``
    steps (each holds until the next)."""
    key = "refurbishment.family_weight"
    table = check.table(key, raw, _keys(raw))
    for family in table:
        _family_ref(check, f"{key}.{family}", family, names)

    def weight(family: str, value: Any):
        if isinstance(value, dict) and not is_param_table(value):
            return check.schedule(f"{key}.{family}", value, "count")
        return check.param(f"{key}.{family}", value, "count")

    return tuple((family, weight(family, table[family])) for family in names if family in table)


def _production_shares(check: Checker, raw: Any, names: tuple[str, ...]) -> tuple:
    """``[production.share]``: (family, share) pairs in family order (the rules on them:
    :func:`sim.model.rules._check_production_shares`)."""
    table = check.table(PRODUCTION_SHARE, raw, _keys(raw))
    for family in table:
        _family_ref(check, f"{PRODUCTION_SHARE}.{family}", family, names)
    return tuple((family, check.param(f"{PRODUCTION_SHARE}.{family}", table[family], "share"))
                 for family in names if family in table)  # fmt: skip


def _observation(
    check: Checker, raw: Any, families: tuple[str, ...]
) -> tuple[tuple[str, Param], ...]:
    """The ``[observation]`` table: ``coverage.SOURCE`` parameters (positive factors by which
    a source's count multiplies the model's counterpart) and ``identification.FAMILY``
    (shares of a foreign family's confirmed losses the record lists under that family), as
    (dotted name, Param)."""
    table = check.table(OBSERVATION, raw, ("coverage", IDENTIFICATION))
    coverage = check.table(f"{OBSERVATION}.coverage", table.get("coverage", {}),
                           _keys(table.get("coverage", {})))  # fmt: skip
    found = table.get(IDENTIFICATION, {})
    named = check.table(f"{OBSERVATION}.{IDENTIFICATION}", found, _keys(found))
    for family in named:
        _family_ref(check, f"{OBSERVATION}.{IDENTIFICATION}.{family}", family, families)
    return tuple(
        (f"coverage.{name}", check.param(f"{OBSERVATION}.coverage.{name}", value, "positive"))
        for name, value in coverage.items()
    ) + tuple(
        (f"{IDENTIFICATION}.{name}",
         check.param(f"{OBSERVATION}.{IDENTIFICATION}.{name}", value, "share"))
        for name, value in named.items()
    )  # fmt: skip


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
    hypothesis: dict[str, str] | None = None,
    explicit: frozenset[str] = frozenset(),
) -> Scenario:
    """Validate merged scenario tables and build the frozen :class:`Scenario`.

    ``hypothesis`` ({group: variant}) and ``explicit`` (the groups a file selects itself)
    choose the rows of a posterior that mixes hypotheses (:mod:`sim.model.posterior`)."""
    boot = Checker(origins, fact_ids, 0, 10**9, files[-1] if files else None)
    required = ("horizon", "families", "storage", "losses", "refurbishment", "production")
    boot.table("", raw, TOP, required + ("metrics",))
    first, last = _horizon(boot, raw, start, end)
    declared = (parse_month(raw["horizon"]["start"]), parse_month(raw["horizon"]["end"]))
    check = Checker(origins, fact_ids, *declared, files[-1] if files else None)
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
        "refurbishment", raw["refurbishment"], (*refurb_keys, "order", "family_weight"),
        refurb_keys,
    )  # fmt: skip
    order = refurb.get("order", "usefulness")
    if order not in ORDERS:
        check.fail("refurbishment.order", order, f"must be one of {', '.join(ORDERS)}")
    demand = check.table("demand", raw.get("demand", {}), ("required_active",))
    prod = check.table(
        "production", raw["production"], ("family", "tanks_per_year", "share"),
        ("family", "tanks_per_year"),
    )  # fmt: skip
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
    scenario = _built(
        check,
        name=name,
        files=files,
        start=first,
        end=last,
        families=families,
        **{k: check.param(f"storage.{k}", store[k], "share") for k in STORAGE_KEYS},
        **_losses(check, raw["losses"]),
        detection_share=check.param(
            "losses.detection_share", losses["detection_share"], "positive_share"
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
        production_shares=_production_shares(check, prod.get("share", {}), names),
        supplies=tuple(_supply(check, n, v, names) for n, v in supply.items()),
        parts=tuple(_parts(check, n, v, names) for n, v in parts.items()),
        required_schedule=(
            check.schedule(REQUIRED, demand["required_active"], "count")
            if "required_active" in demand
            else ()
        ),
        peace=_peace(check, raw["peace"], families) if "peace" in raw else None,
        unknown_share=(
            check.param(UNKNOWN, losses["unknown_share"], "share")
            if "unknown_share" in losses
            else None
        ),
        observation=_observation(check, raw.get("observation", {}), names),
        family_weights=_family_weights(check, refurb.get("family_weight", {}), names),
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
        posterior = _posterior(check, raw["posterior"], scenario, hypothesis or {}, explicit)
        scenario = _built(check, **{**vars(scenario), "posterior": posterior})
    if order == "usefulness":
        scenario = _built(check, **{**vars(scenario), "priority": usefulness_order(scenario)})
    return scenario


def _built(check: Checker, **fields: Any) -> Scenario:
    """The :class:`Scenario`, or the rule it breaks, named with the file that set the key."""
    try:
        return Scenario(**fields)
    except ScenarioError as err:
        check.fail(err.key, err.value, err.message)


def _posterior(
    check: Checker, value: Any, scenario: Scenario, selection: dict, explicit: frozenset[str]
) -> Posterior:
    """The calibrated sets named by ``posterior``, a CSV path relative to the file setting it
    (only the selected hypotheses' rows, for ``explicit`` groups)."""
    if not isinstance(value, str) or not value.endswith(".csv"):
        check.fail("posterior", value, "must be the path of a posterior .csv file")
    path = Path(value)
    if not path.is_absolute():
        path = Path(check.origins["posterior"]).parent / path
    try:
        return read_posterior(path, scenario.params(), selection, explicit)
    except PosteriorError as err:
        check.fail("posterior", value, str(err))


def load_scenario(
    path: str | Path,
    *,
    fact_ids: set[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    hypothesis: dict[str, str] | None = None,
) -> Scenario:
    """Read, merge and validate a scenario file; ``start``/``end`` override its horizon;
    ``hypothesis`` ({group: variant}) overrides its ``[hypothesis]`` selection
    (:mod:`sim.model.hypotheses`).

    A posterior mixing competing hypotheses is drawn whole, unless a file selects a variant
    of a group other than the file naming the group's variants (whose selection is the
    default the calibration mixes over): then only the rows of the hypotheses agreeing with
    that selection are drawn. ``hypothesis`` changes the priors only, not the rows."""
    from sim.model.hypotheses import apply_hypotheses, explicit_groups

    chain = read_chain(Path(path))
    raw, origins = merge_chain(chain)
    explicit = explicit_groups(raw, origins)
    raw, origins, selection = apply_hypotheses(raw, origins, fact_ids, hypothesis,
                                               [p for p, _ in chain])  # fmt: skip
    return build_scenario(
        raw,
        origins,
        name=Path(path).stem,
        files=tuple(str(p) for p, _ in chain),
        fact_ids=fact_ids,
        start=start,
        end=end,
        hypothesis=selection,
        explicit=explicit,
    )
