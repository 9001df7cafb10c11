"""Benchmark: replications per second of three implementations of the same model.

1. the vectorised engine (``sim.runs.run.run_scenario``), all replications at once;
2. the SimPy tank-by-tank reference (``sim.reference.simulate_reference``);
3. a plain-Python loop over replications and months with counts and scalar numpy draws
   (below, in this file: the model as one would first write it, no arrays; the closed loop
   without the peacetime ramp, which the baseline does not use).

Run: ``python benchmarks/bench_reference.py [--engine-reps 10000] [--simpy-reps 20]
[--plain-reps 50]``. Full baseline horizon. Prints figures; asserts nothing. Timings vary
with machine load: compare the ratios from one run.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from pathlib import Path

import numpy as np

from sim.model.loader import load_scenario
from sim.model.params import (
    CAPACITY,
    COMMITTED,
    CONDITIONS,
    HAZARD,
    LOSSES,
    PRODUCTION,
    REQUIRED,
    step_name,
)  # fmt: skip
from sim.reference import draw_values, simulate_reference, step_value
from sim.runs.run import run_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def plain_replication(scenario, v: dict[str, float], rng: np.random.Generator) -> int:
    """One replication with integer counts and scalar draws; returns the final active fleet."""
    names = scenario.family_names
    F, T, start = len(names), scenario.months, scenario.start
    index = {n: i for i, n in enumerate(names)}

    def sched(name, steps, t):
        return step_value(steps, [v[step_name(name, s)] for s in steps], start + t)

    gs = v["storage.good_share"]
    fs = min(v["storage.fair_share"], 1.0 - gs)
    active, storage = [], []  # storage[f] = [good, fair, poor]
    for n in names:
        active.append(int(round(v[f"families.{n}.active"])))
        total = int(round(v[f"families.{n}.storage"]))
        good = int(round(total * gs))
        fair = min(int(round(total * fs)), total - good)
        storage.append([good, fair, total - good - fair])
    vul = [v[f"families.{n}.vulnerability"] for n in names]
    entries = [(index[f], CONDITIONS.index(c)) for f, c in scenario.priority]
    cost = [v[f"families.{names[f]}.refurb_effort"] * v[f"refurbishment.effort.{CONDITIONS[c]}"]
            for f, c in entries]  # fmt: skip
    donor = [v[f"refurbishment.donors.{CONDITIONS[c]}"] for _, c in entries]
    fail = [v[f"refurbishment.failure.{CONDITIONS[c]}"] for _, c in entries]
    lead = int(round(v["refurbishment.lead_time_months"]))
    pipeline = [[0] * F for _ in range(T + lead + 1)]
    prod_family = index[scenario.production_family]
    sups = []
    for s in scenario.supplies:
        b = f"supply.{s.name}"
        first = s.start - start + int(round(v[f"{b}.delivery_lag_months"]))
        cap, batch = int(round(v[f"{b}.total_cap"])), int(round(v[f"{b}.first_batch"]))
        sups.append([index[s.family], first, v[f"{b}.tanks_per_month"], cap, batch, 0])
    cv = v["losses.monthly_cv"]
    shape = 1.0 / max(cv, 1e-6) ** 2
    has_req = bool(scenario.required_schedule)
    for t in range(T):
        for part in scenario.parts:
            if max(part.start - start, 0) == t:
                for k, (f, _) in enumerate(entries):
                    if names[f] in part.families:
                        cost[k] *= v[f"parts.{part.name}.effort_factor"]
                        fail[k] = min(fail[k] * v[f"parts.{part.name}.failure_factor"], 1.0)
        for f in range(F):
            good, fair, poor = storage[f]
            to_fair = rng.binomial(good, v["storage.good_to_fair"])
            to_poor = rng.binomial(fair, v["storage.fair_to_poor"])
            storage[f] = [good - to_fair, fair + to_fair - to_poor, poor + to_poor]
        noise = rng.gamma(shape, 1.0 / shape) if cv > 0 else 1.0
        if scenario.loss_hazard:  # a hazard on the committed force
            hazard = sched(HAZARD, scenario.hazard_schedule, t)
            share = sched(COMMITTED, scenario.committed_schedule, t)
            committed = [math.floor(a * share + 1e-9) for a in active]
            expected_loss = sum(committed[f] * min(1.0, vul[f] * hazard) for f in range(F))
            for f in range(F):
                active[f] -= rng.binomial(committed[f], min(1.0, vul[f] * hazard * noise))
        else:  # an imposed count schedule
            expected = sched(LOSSES, scenario.loss_schedule, t) / v["losses.detection_share"]
            expected_loss = min(expected, sum(active))
            exposure = sum(vul[f] * active[f] for f in range(F))
            for f in range(F):
                if exposure > 0:
                    p = min(1.0, expected * noise * vul[f] / exposure)
                    active[f] -= rng.binomial(active[f], p)
        required = sched(REQUIRED, scenario.required_schedule, t) if has_req else math.inf
        rate = sched(PRODUCTION, scenario.production_schedule, t) / 12
        in_pipe = sum(sum(pipeline[s]) for s in range(t, t + lead + 1))
        wanted = max(required - sum(active) - in_pipe + lead * (expected_loss - rate), 0.0)
        remaining = sched(CAPACITY, scenario.capacity_schedule, t)
        for k, (f, c) in enumerate(entries):  # one donor pool: claims leave it in order
            stock, poor = storage[f][c], storage[f][2]
            pool = stock if c == 2 else stock + poor
            available = min(math.floor(pool / (1.0 + donor[k]) + 1e-9), stock)
            demand = available * cost[k]
            n = min(math.floor(min(remaining, demand) / cost[k] + 1e-9), available)
            n = min(n, math.floor(wanted / max(1.0 - fail[k], 1e-12) + 1e-9))
            remaining = max(remaining - demand, 0.0)
            if n:
                wanted -= n * (1.0 - fail[k])
                storage[f][c] -= n
                donors = rng.binomial(n, donor[k])
                from_poor = min(donors, storage[f][2])
                storage[f][2] -= from_poor
                storage[f][c] -= min(donors - from_poor, storage[f][c])
                pipeline[t + lead][f] += n - rng.binomial(n, fail[k])
        for f in range(F):
            active[f] += pipeline[t][f]
        room = required - sum(active) - sum(sum(pipeline[s]) for s in range(t + 1, t + lead + 1))
        active[prod_family] += min(rng.poisson(rate), max(math.floor(room + 1e-9), 0))
        for s in sups:
            arriving = rng.poisson(s[2]) + (s[4] if t == s[1] else 0)
            if t >= s[1]:
                arriving = min(arriving, s[3] - s[5])
                s[5] += arriving
                active[s[0]] += arriving
    return sum(active)


def timed(fn) -> tuple[float, object]:
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine-reps", type=int, default=10_000)
    parser.add_argument("--simpy-reps", type=int, default=20)
    parser.add_argument("--plain-reps", type=int, default=50)
    args = parser.parse_args()
    scenario = load_scenario(BASELINE)
    print(f"baseline: {scenario.months} months, {len(scenario.families)} families; "
          f"Python {platform.python_version()}, numpy {np.__version__}")  # fmt: skip

    eng_s, eng = timed(lambda: run_scenario(scenario, reps=args.engine_reps, seed=1,
                                                engine="numpy"))
    ref_s, ref = timed(lambda: simulate_reference(scenario, reps=args.simpy_reps, seed=2))

    def plain():
        rng = np.random.default_rng(3)
        values = draw_values(scenario, args.plain_reps, rng)
        return np.array([
            plain_replication(scenario, {k: float(a[r]) for k, a in values.items()}, rng)
            for r in range(args.plain_reps)
        ])  # fmt: skip

    plain_s, plain_active = timed(plain)
    rates = {
        "vectorised engine": (args.engine_reps, eng_s, eng.metrics["active_end"].mean()),
        "SimPy reference": (args.simpy_reps, ref_s, ref["active_end"].mean()),
        "plain Python loop": (args.plain_reps, plain_s, plain_active.mean()),
    }
    print(f"{'implementation':<20}{'reps':>8}{'seconds':>10}{'reps/s':>12}{'mean active_end':>18}")
    for name, (reps, secs, active) in rates.items():
        print(f"{name:<20}{reps:>8,}{secs:>10.2f}{reps / secs:>12,.1f}{active:>18,.0f}")
    per = {name: reps / secs for name, (reps, secs, _) in rates.items()}
    print(f"vectorised / SimPy: {per['vectorised engine'] / per['SimPy reference']:,.0f}x")
    print(f"vectorised / plain: {per['vectorised engine'] / per['plain Python loop']:,.0f}x")


if __name__ == "__main__":
    main()
