"""Calibration targets: dated public figures (seeds/targets.toml) and the model's counterpart
of each, computed per replication from ensemble probes and parameter values.

A figure is read at its date, not at a month's end: the model's value on day ``d`` of month
``m`` is ``end(m-1) + d / (days in m) x (end(m) - end(m-1))`` of its month-end series
(:func:`sim.model.calendar.month_fraction`). A figure measured through an observation
process (a detection share, a source's coverage) multiplies the model's quantity by the
scenario's parameters named in ``scale`` (and by one minus those in ``complement``), drawn
per replication like every other parameter.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.engine.metrics import VARIABLES
from sim.model.calendar import format_date, format_month, month_fraction, parse_date, parse_month
from sim.model.errors import InputError
from sim.model.facts import seeds_dir
from sim.runs.ensemble import ALL, Probe

#: Where the coverage parameters named by a target's ``coverage`` key live in a scenario.
COVERAGE = "observation.coverage"


class TargetsError(InputError):
    """A targets file that cannot be used; the message is one line naming file and key."""


@dataclass(frozen=True)
class Target:
    """One observed figure with its interval.

    The model value is the sum of ``variables`` over ``family`` and ``families`` read at
    ``month`` (day ``day``, or the month's end), minus the same at ``since`` (day
    ``since_day``; a change over a period) or at ``drawdown_to`` (a decline by that month),
    divided by ``share_of`` at ``share_month`` when given, and multiplied by every parameter
    in ``scale`` and by one minus every parameter in ``complement`` (an observation process:
    a detection share, a source's coverage).
    """

    id: str
    fact: str
    variables: tuple[str, ...]
    family: str
    month: int
    observed: float
    low: float
    high: float
    uncertainty: str
    since: int | None = None
    share_of: str | None = None
    share_month: int | None = None
    drawdown_to: int | None = None
    #: Day of ``month`` the figure is dated (None: the month's end).
    day: int | None = None
    #: Day of ``since`` (None: that month's end).
    since_day: int | None = None
    #: Further families summed with ``family``.
    families: tuple[str, ...] = ()
    #: Parameters (dotted names) multiplying the model value.
    scale: tuple[str, ...] = ()
    #: Parameters p whose complement (1 - p) multiplies the model value.
    complement: tuple[str, ...] = ()
    #: Who published the figure (the fit report groups rejected figures by it); "" = the
    #: fact's source.
    source: str = ""
    #: The record series (comparison group) a target read from the record belongs to.
    series: str = ""

    @property
    def minus(self) -> int | None:
        """The month whose value is subtracted, if any."""
        return self.since if self.since is not None else self.drawdown_to

    @property
    def minus_day(self) -> int | None:
        return self.since_day if self.since is not None else None

    @property
    def parameters(self) -> tuple[str, ...]:
        """The scenario parameters the observation process needs."""
        return (*self.scale, *self.complement)

    def _terms(self) -> list[tuple[str, str, int, float, bool]]:
        """(variable, family, month, coefficient, in the denominator) of each probe: a
        reading on day d of month m weighs end(m) by d / days and end(m-1) by the rest."""
        fams = (self.family, *self.families)
        readings = [(self.variables, self.month, self.day, 1.0, False)]
        if self.minus is not None:
            readings.append((self.variables, self.minus, self.minus_day, -1.0, False))
        if self.share_of is not None:
            readings.append(((self.share_of,), self.share_month, None, 1.0, True))
        terms = []
        for variables, month, day, sign, below in readings:
            weight = month_fraction(month, day)
            for fam in fams:
                for v in variables:
                    terms.append((v, fam, month, sign * weight, below))
                    if weight < 1.0:
                        terms.append((v, fam, month - 1, sign * (1.0 - weight), below))
        return terms

    def probes(self, start: int | None = None) -> tuple[Probe, ...]:
        """The trajectory values this target needs, in a fixed order. A reading in the
        scenario's first month (``start``) takes that month's end for the month before too
        (the series has no earlier month)."""
        return tuple(
            Probe(v, m if start is None else max(m, start), f) for v, f, m, _, _ in self._terms()
        )

    def model_value(
        self, values: np.ndarray, params: dict[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """Model counterpart (R,) from ``values`` (R, len(self.probes())) and the
        replications' parameter values ``params`` (name -> (R,)), needed when the target
        names ``scale`` or ``complement`` parameters (KeyError naming a missing one)."""
        terms = self._terms()
        coef = np.array([t[3] for t in terms])
        below = np.array([t[4] for t in terms])
        values = np.asarray(values, dtype=np.float64)
        out = values[:, ~below] @ coef[~below]
        if self.share_of is not None:
            denominator = values[:, below] @ coef[below]
            out = np.divide(out, denominator, out=np.full_like(out, np.nan), where=denominator > 0)
        if self.parameters:
            if params is None:
                raise KeyError(f"target {self.id}: needs the parameters {list(self.parameters)}")
            for name in self.scale:
                out = out * params[name]
            for name in self.complement:
                out = out * (1.0 - params[name])
        return out

    def distance(self, model: np.ndarray) -> np.ndarray:
        """Distance of model values from the observed figure in units of the interval's
        half-width on that side: at most 1 exactly when inside ``[low, high]`` (NaN -> inf)."""
        above = (model - self.observed) / (self.high - self.observed)
        below = (self.observed - model) / (self.observed - self.low)
        return np.nan_to_num(np.maximum(above, below), nan=np.inf)

    @property
    def date(self) -> str:
        """The figure's date, ``YYYY-MM-DD`` (``YYYY-MM``: the month's end)."""
        return format_date(self.month, self.day)

    def describe(self) -> str:
        what = "+".join(self.variables)
        if self.since is not None:
            what += f" change since {format_date(self.since, self.since_day)}"
        if self.drawdown_to is not None:
            what += f" decline to {format_month(self.drawdown_to)}"
        if self.share_of is not None:
            what += f" / {self.share_of} at {format_month(self.share_month)}"
        fams = "+".join((self.family, *self.families))
        process = "".join(f" x {n}" for n in self.scale)
        process += "".join(f" x (1 - {n})" for n in self.complement)
        return f"{what} ({fams}){process} at {self.date}"


KEYS = {"id", "fact", "variable", "family", "month", "observed", "low", "high", "uncertainty",
        "since", "share_of", "share_month", "drawdown_to", "date", "coverage",
        "counts"}  # fmt: skip


def default_targets_path() -> Path:
    return seeds_dir() / "targets.toml"


def load_targets(path: Path | None = None, fact_ids: set[str] | None = None) -> list[Target]:
    """Read and check a targets file; every error is a :class:`TargetsError`."""
    path = Path(path or default_targets_path())
    from sim.model.files import MAX_SCENARIO_BYTES, FileProblem, read_text

    try:  # bounded, regular files only: a pipe or /dev/zero is one line, not a hang
        raw = tomllib.loads(read_text(path, MAX_SCENARIO_BYTES)).get("target", [])
    except (FileProblem, tomllib.TOMLDecodeError) as err:
        raise TargetsError(f"{path}: {err}") from None
    if not raw:
        raise TargetsError(f"{path}: no [[target]] entries")
    targets, seen = [], set()
    for i, entry in enumerate(raw):
        where = f"{path}: target[{i}]"

        def fail(key: str, value: object, message: str, where: str = where):
            raise TargetsError(f"{where}.{key} = {value!r}: {message}")

        for key in entry:
            if key not in KEYS:
                fail(key, entry[key], f"unknown key (one of {', '.join(sorted(KEYS))})")
        for key in ("id", "fact", "variable", "month", "observed", "low", "high", "uncertainty"):
            if key not in entry:
                fail(key, None, "missing")
        if entry["id"] in seen:
            fail("id", entry["id"], "duplicate target id")
        seen.add(entry["id"])
        if fact_ids is not None and entry["fact"] not in fact_ids:
            fail("fact", entry["fact"], "no such fact id in seeds/")
        variables = entry["variable"]
        variables = (variables,) if isinstance(variables, str) else tuple(variables)
        for v in (*variables, entry.get("share_of", "active")):
            if v not in VARIABLES:
                fail("variable", v, f"unknown variable (one of {', '.join(VARIABLES)})")
        months = {}
        if "since" in entry and "drawdown_to" in entry:
            fail("drawdown_to", entry["drawdown_to"], "give since or drawdown_to, not both")
        for key in ("month", "since", "share_month", "drawdown_to"):
            if key in entry:
                try:
                    months[key] = parse_month(entry[key])
                except (ValueError, TypeError):
                    fail(key, entry[key], "must be a month as YYYY-MM")
        day = None
        if "date" in entry:
            try:
                date_month, day = parse_date(entry["date"])
            except ValueError:
                fail("date", entry["date"], "must be a date as YYYY-MM-DD")
            if date_month != months["month"]:
                fail("date", entry["date"], f"must fall in month {entry['month']}")
        coverage = entry.get("coverage", ())
        coverage = (coverage,) if isinstance(coverage, str) else coverage
        if not isinstance(coverage, list | tuple) or not all(
            isinstance(c, str) and c for c in coverage
        ):
            fail("coverage", entry.get("coverage"), "must name an [observation.coverage] "
                 "parameter of the scenario (or a list of them)")  # fmt: skip
        low, observed, high = entry["low"], entry["observed"], entry["high"]
        if not all(isinstance(x, int | float) for x in (low, observed, high)):
            fail("observed", observed, "observed, low and high must be numbers")
        if not low < observed < high:
            fail("low", low, f"need low < observed < high (observed {observed}, high {high})")
        share_of = entry.get("share_of")
        targets.append(
            Target(
                id=entry["id"], fact=entry["fact"], variables=variables,
                family=entry.get("family", ALL), month=months["month"], observed=float(observed),
                low=float(low), high=float(high), uncertainty=entry["uncertainty"],
                since=months.get("since"), share_of=share_of,
                share_month=months.get("share_month", months["month"]) if share_of else None,
                drawdown_to=months.get("drawdown_to"), day=day,
                scale=tuple(f"{COVERAGE}.{c}" for c in coverage),
            )
        )  # fmt: skip
    return targets


def target_probes(
    targets: list[Target], start: int | None = None
) -> tuple[tuple[Probe, ...], list[slice]]:
    """All probes of ``targets`` concatenated, and each target's slice of them (``start``:
    the scenario's first month, see :meth:`Target.probes`)."""
    probes, slices = [], []
    for target in targets:
        own = target.probes(start)
        slices.append(slice(len(probes), len(probes) + len(own)))
        probes.extend(own)
    return tuple(probes), slices


def model_values(
    targets: list[Target], slices: list[slice], probes: np.ndarray,
    params: dict[str, np.ndarray] | None = None,
) -> np.ndarray:  # fmt: skip
    """(R, K) model counterparts of K targets from (R, P) ensemble probes and the
    replications' parameter values ``params`` (name -> (R,))."""
    return np.column_stack(
        [t.model_value(probes[:, s], params) for t, s in zip(targets, slices)]
    )


def check_parameters(targets: list[Target], params: dict, where: str) -> None:
    """Raise :class:`TargetsError` (one line) for a target whose observation process names
    a parameter the scenario (``params``: its parameters by name; ``where``: its file) does
    not declare."""
    for target in targets:
        for name in target.parameters:
            if name not in params:
                raise TargetsError(f"{where}: target {target.id} needs the parameter {name}, "
                                   "which the scenario does not declare")  # fmt: skip


def distances(targets: list[Target], model: np.ndarray) -> np.ndarray:
    """(R, K) distances of (R, K) model values; a set fits every target iff its max is <= 1."""
    return np.column_stack([t.distance(model[:, k]) for k, t in enumerate(targets)])
