"""Calibration targets: dated public figures (seeds/targets.toml) and the model's counterpart
of each, computed per replication from ensemble probes."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.engine.metrics import VARIABLES
from sim.model.calendar import format_month, parse_month
from sim.model.facts import seeds_dir
from sim.runs.ensemble import ALL, Probe


class TargetsError(ValueError):
    """A targets file that cannot be used; the message is one line naming file and key."""


@dataclass(frozen=True)
class Target:
    """One observed figure with its interval.

    The model value is the sum of ``variables`` for ``family`` at ``month``, minus the same
    at ``since`` (a change over a period) or at ``drawdown_to`` (a decline by that month),
    divided by ``share_of`` at ``share_month`` when given.
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

    @property
    def minus(self) -> int | None:
        """The month whose value is subtracted, if any."""
        return self.since if self.since is not None else self.drawdown_to

    def probes(self) -> tuple[Probe, ...]:
        """The trajectory values this target needs, in a fixed order."""
        out = [Probe(v, self.month, self.family) for v in self.variables]
        if self.minus is not None:
            out += [Probe(v, self.minus, self.family) for v in self.variables]
        if self.share_of is not None:
            out.append(Probe(self.share_of, self.share_month, self.family))
        return tuple(out)

    def model_value(self, values: np.ndarray) -> np.ndarray:
        """Model counterpart (R,) from ``values`` (R, len(self.probes()))."""
        n = len(self.variables)
        out = values[:, :n].sum(axis=1).astype(np.float64)
        if self.minus is not None:
            out -= values[:, n : 2 * n].sum(axis=1)
        if self.share_of is not None:
            denominator = values[:, -1].astype(np.float64)
            out = np.divide(out, denominator, out=np.full_like(out, np.nan), where=denominator > 0)
        return out

    def distance(self, model: np.ndarray) -> np.ndarray:
        """Distance of model values from the observed figure in units of the interval's
        half-width on that side: at most 1 exactly when inside ``[low, high]`` (NaN -> inf)."""
        above = (model - self.observed) / (self.high - self.observed)
        below = (self.observed - model) / (self.observed - self.low)
        return np.nan_to_num(np.maximum(above, below), nan=np.inf)

    def describe(self) -> str:
        what = "+".join(self.variables)
        if self.since is not None:
            what += f" change since {format_month(self.since)}"
        if self.drawdown_to is not None:
            what += f" decline to {format_month(self.drawdown_to)}"
        if self.share_of is not None:
            what += f" / {self.share_of} at {format_month(self.share_month)}"
        return f"{what} ({self.family}) at {format_month(self.month)}"


KEYS = {"id", "fact", "variable", "family", "month", "observed", "low", "high", "uncertainty",
        "since", "share_of", "share_month", "drawdown_to"}  # fmt: skip


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
                drawdown_to=months.get("drawdown_to"),
            )
        )  # fmt: skip
    return targets


def target_probes(targets: list[Target]) -> tuple[tuple[Probe, ...], list[slice]]:
    """All probes of ``targets`` concatenated, and each target's slice of them."""
    probes, slices = [], []
    for target in targets:
        own = target.probes()
        slices.append(slice(len(probes), len(probes) + len(own)))
        probes.extend(own)
    return tuple(probes), slices


def model_values(targets: list[Target], slices: list[slice], probes: np.ndarray) -> np.ndarray:
    """(R, K) model counterparts of K targets from (R, P) ensemble probes."""
    return np.column_stack([t.model_value(probes[:, s]) for t, s in zip(targets, slices)])


def distances(targets: list[Target], model: np.ndarray) -> np.ndarray:
    """(R, K) distances of (R, K) model values; a set fits every target iff its max is <= 1."""
    return np.column_stack([t.distance(model[:, k]) for k, t in enumerate(targets)])
