"""The scenario as frozen, typed objects, built and validated once by :mod:`sim.loader`.

Months are integer indices (see :mod:`sim.calendar`); counts are tanks; rates are per month
unless the name says otherwise. Condition classes are always ordered good, fair, poor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.distributions import Param

CONDITIONS: tuple[str, ...] = ("good", "fair", "poor")


@dataclass(frozen=True)
class Family:
    """A tank family (T-72, NK-T62, ...) with its initial stocks and weights.

    ``storage`` is the initial count of hulls in storage, all conditions together.
    ``refurb_effort`` is the effort to return one hull, relative to a good reference hull,
    before the condition multiplier.
    """

    name: str
    active: Param
    storage: Param
    vulnerability: Param
    quality_weight: Param
    refurb_effort: Param


@dataclass(frozen=True)
class Step:
    """One entry of a dated schedule: ``value`` applies from ``month`` until the next step."""

    month: int
    value: Param


@dataclass(frozen=True)
class Supply:
    """Deliveries of a foreign family: a Poisson monthly rate, a total cap, and a lag.

    Deliveries begin ``delivery_lag_months`` after ``start`` and stop once ``total_cap``
    tanks have arrived.
    """

    name: str
    family: str
    start: int
    tanks_per_month: Param
    total_cap: Param
    delivery_lag_months: Param


@dataclass(frozen=True)
class Thresholds:
    """Definitions of the headline month metrics (shares, not uncertain)."""

    exhausted_share: float
    refurb_low_share: float
    active_drop_share: float


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: everything the engine needs, nothing it does not."""

    name: str
    files: tuple[str, ...]
    start: int
    end: int
    families: tuple[Family, ...]
    good_share: Param
    fair_share: Param
    good_to_fair: Param
    fair_to_poor: Param
    loss_schedule: tuple[Step, ...]
    detection_share: Param
    loss_cv: Param
    capacity_schedule: tuple[Step, ...]
    lead_time_months: Param
    condition_effort: tuple[Param, Param, Param]
    condition_donors: tuple[Param, Param, Param]
    condition_failure: tuple[Param, Param, Param]
    priority: tuple[tuple[str, str], ...]
    production_family: str
    production_schedule: tuple[Step, ...]
    supplies: tuple[Supply, ...] = field(default_factory=tuple)
    thresholds: Thresholds = Thresholds(0.1, 0.5, 0.25)

    @property
    def months(self) -> int:
        """Number of simulated months, start and end included."""
        return self.end - self.start + 1

    @property
    def family_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.families)

    def params(self) -> dict[str, Param]:
        """Every uncertain parameter under a stable dotted name (used to key its draws)."""
        out: dict[str, Param] = {}
        for fam in self.families:
            base = f"families.{fam.name}"
            out[f"{base}.active"] = fam.active
            out[f"{base}.storage"] = fam.storage
            out[f"{base}.vulnerability"] = fam.vulnerability
            out[f"{base}.quality_weight"] = fam.quality_weight
            out[f"{base}.refurb_effort"] = fam.refurb_effort
        out["storage.good_share"] = self.good_share
        out["storage.fair_share"] = self.fair_share
        out["storage.good_to_fair"] = self.good_to_fair
        out["storage.fair_to_poor"] = self.fair_to_poor
        out["losses.detection_share"] = self.detection_share
        out["losses.monthly_cv"] = self.loss_cv
        for i, step in enumerate(self.loss_schedule):
            out[f"losses.schedule[{i}].confirmed_per_month"] = step.value
        out["refurbishment.lead_time_months"] = self.lead_time_months
        for i, step in enumerate(self.capacity_schedule):
            out[f"refurbishment.schedule[{i}].capacity_per_month"] = step.value
        for table, triple in (
            ("effort", self.condition_effort),
            ("donors", self.condition_donors),
            ("failure", self.condition_failure),
        ):
            for cond, param in zip(CONDITIONS, triple):
                out[f"refurbishment.{table}.{cond}"] = param
        for i, step in enumerate(self.production_schedule):
            out[f"production.schedule[{i}].tanks_per_year"] = step.value
        for sup in self.supplies:
            base = f"supply.{sup.name}"
            out[f"{base}.tanks_per_month"] = sup.tanks_per_month
            out[f"{base}.total_cap"] = sup.total_cap
            out[f"{base}.delivery_lag_months"] = sup.delivery_lag_months
        return out
