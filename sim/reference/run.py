"""Run the reference model over replications: per-replication arrays for cross-validation."""

from __future__ import annotations

import numpy as np
import simpy

from sim.model.params import (
    Scenario,
)  # fmt: skip
from sim.reference.model import TankModel
from sim.reference.stores import draw_values


def simulate_reference(
    scenario: Scenario,
    *,
    reps: int,
    seed: int,
    values: dict[str, np.ndarray] | None = None,
    pass_leftover: bool = False,
) -> dict[str, np.ndarray]:
    """Run ``reps`` replications of the reference model; per-replication arrays.

    Keys: ``active_end``, ``lost_end``, ``refurbished_end``, ``storage_end``,
    ``scrapped_end``, ``pipeline_end``, ``produced_end``, ``imported_end`` (all families,
    at the last month), ``storage_exhausted`` (first month index at which good + fair storage
    is at most ``exhausted_share`` of its start, -1 if never), ``active_path``,
    ``storage_path``, ``good_fair_path`` and ``lost_path`` (reps, T), ``conserved`` (bool:
    every family balanced in every month), ``donor_shortfall_end`` (donor hulls drawn but not
    found) and ``worst_month_loss_share`` (the largest share of the active fleet lost in a
    month).

    ``values`` (name -> (reps,) array, e.g. from :func:`sim.runs.sampling.draw_params`) replaces
    the model's own parameter draws, for paired comparisons. ``pass_leftover=True`` lets
    effort an entry cannot use (less than one hull's cost) pass down the priority list; the
    default mirrors the engine, where it is lost for that month.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x5E1])))
    values = draw_values(scenario, reps, rng) if values is None else values
    T, share = scenario.months, scenario.thresholds.exhausted_share
    paths = ("active", "storage", "good_fair", "lost")
    out = {f"{k}_path": np.zeros((reps, T), np.int64) for k in paths}
    counts = ("lost", "refurbished", "scrapped", "produced", "imported", "in_transit")
    ends = ("active_end", "storage_end", "storage_exhausted", "donor_shortfall_end")
    for k in (*ends, *(f"{c}_end" for c in counts)):
        out[k] = np.zeros(reps, np.int64)
    out["worst_month_loss_share"] = np.zeros(reps)
    out["conserved"] = np.zeros(reps, bool)
    for r in range(reps):
        env = simpy.Environment()
        v = {k: float(a[r]) for k, a in values.items()}
        model = TankModel(env, scenario, v, rng, pass_leftover)
        env.run(until=T)
        for k, path in model.paths.items():
            out[f"{k}_path"][r] = path
        out["active_end"][r] = model.paths["active"][-1]
        out["storage_end"][r] = model.paths["storage"][-1]
        for k in counts:
            out[f"{k}_end"][r] = getattr(model, k).sum()
        hit = np.flatnonzero(model.paths["good_fair"] <= share * model.good_fair0)
        out["storage_exhausted"][r] = hit[0] if hit.size else -1
        out["conserved"][r] = model.conserved
        out["donor_shortfall_end"][r] = model.donor_shortfall
        before = np.concatenate([[model.start_active], model.paths["active"][:-1]])
        lost = np.diff(model.paths["lost"], prepend=0)
        lost_share = np.divide(lost, before, out=np.zeros(T), where=before > 0)
        out["worst_month_loss_share"][r] = lost_share.max()
    out["pipeline_end"] = out.pop("in_transit_end")
    return out
