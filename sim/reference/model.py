"""The reference model's month, tank by tank: one SimPy process per flow (see the package doc)."""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.model.constants import MIN_LOSS_CV, MIN_USABLE
from sim.model.params import (
    CAPACITY,
    COMMITTED,
    CONDITIONS,
    DEPLOYED,
    FAMILY_WEIGHT,
    HAZARD,
    HAZARD_DRIFT,
    HAZARD_FACTOR,
    HAZARD_VOLATILITY,
    LOSSES,
    PRODUCTION,
    PRODUCTION_SHARE,
    REQUIRED,
    START_DELAY,
    FamilyWeight,
    Param,
    Scenario,
    Step,
    step_name,
)  # fmt: skip
from sim.reference.stores import (
    DELIVER,
    FAIR,
    FRONT,
    GOOD,
    INFLOW,
    PLANT,
    POOR,
    RECORD,
    SUPPLY,
    TOLERANCE,
    Hull,
    HullStore,
    _pick,
    step_value,
)


class TankModel:
    """One replication. ``v`` maps every name of ``Scenario.params()`` to a float."""

    def __init__(self, env, scenario: Scenario, v: dict[str, float], rng, pass_leftover=False):
        self.env, self.sc, self.v, self.rng = env, scenario, v, rng
        self.pass_leftover = pass_leftover  # see simulate_reference
        names = scenario.family_names
        self.F, self.T = len(names), scenario.months
        self.index = {n: i for i, n in enumerate(names)}
        fam = [f"families.{n}" for n in names]
        active0 = [int(np.rint(v[f"{f}.active"])) for f in fam]
        self.active = [simpy.Container(env, init=a) for a in active0]
        self.stores = [[HullStore(env) for _ in CONDITIONS] for _ in names]
        good_share = v["storage.good_share"]
        fair_share = min(v["storage.fair_share"], 1.0 - good_share)
        serial = 0
        self.start_total = np.array(active0, dtype=np.int64)
        for i, f in enumerate(fam):
            total = int(np.rint(v[f"{f}.storage"]))
            good = int(np.rint(total * good_share))
            fair = min(int(np.rint(total * fair_share)), total - good)
            for cond, n in ((GOOD, good), (FAIR, fair), (POOR, total - good - fair)):
                self.stores[i][cond].items.extend(Hull(serial + k, i, cond) for k in range(n))
                serial += n
            self.start_total[i] += total
        self.good_fair0 = self._good_fair()
        self.start_active = int(sum(active0))
        c = CONDITIONS
        self.entries = [(self.index[f], c.index(cond)) for f, cond in scenario.priority]
        self.cost = [v[f"{fam[f]}.refurb_effort"] * v[f"refurbishment.effort.{c[k]}"]
                     for f, k in self.entries]  # fmt: skip
        self.donor_share = [v[f"refurbishment.donors.{c[k]}"] for _, k in self.entries]
        self.failure = [v[f"refurbishment.failure.{c[k]}"] for _, k in self.entries]
        self.lead = int(np.rint(v["refurbishment.lead_time_months"]))
        for key in ("lost", "scrapped", "refurbished", "produced", "imported", "in_transit"):
            setattr(self, key, np.zeros(self.F, dtype=np.int64))
        self.paths = {k: np.zeros(self.T, np.int64)
                      for k in ("active", "storage", "good_fair", "lost")}  # fmt: skip
        self.expected_loss = 0.0  # this month's expected losses (set by ``losses``)
        self.walked = 0.0  # last month's hazard before factors (the walk continues it)
        self.donor_shortfall = 0  # donor hulls drawn but not found, cumulative
        self.conserved = True
        for proc in (self.front, self.plant, self.production, self.recorder):
            env.process(proc())
        for sup in scenario.supplies:
            env.process(self.supply(sup))

    # -- helpers ----------------------------------------------------------------------------
    def schedule(self, name: str, steps: tuple[Step, ...], t: int) -> float:
        values = [self.v[step_name(name, s)] for s in steps]
        return step_value(steps, values, self.sc.start + t)

    def family_weight(self, family: str, weight: FamilyWeight, t: int) -> float:
        """A family's refurbishment weight in month ``t``: its one parameter, or its dated
        step in effect (0 before the first)."""
        if isinstance(weight, Param):
            return self.v[f"{FAMILY_WEIGHT}.{family}"]
        return self.schedule(f"{FAMILY_WEIGHT}.{family}", weight, t)

    def hazard(self, t: int) -> float:
        """Month ``t``'s hazard: the step schedule, or after the last fitted month (until a
        later step replaces it) last month's value times exp(drift + volatility * z), one
        standard normal z a month; then times the factor of the latest hazard_factor step."""
        sc, v = self.sc, self.v
        value = self.schedule(HAZARD, sc.hazard_schedule, t)
        if t in sc.walk_months:
            z = self.rng.standard_normal()
            value = min(self.walked * math.exp(v[HAZARD_DRIFT] + v[HAZARD_VOLATILITY] * z), 1.0)
        self.walked = value
        factor = 1.0
        for step in sc.hazard_factor_schedule:
            if step.month <= sc.start + t:
                factor = v[step_name(HAZARD_FACTOR, step)]
        return min(value * factor, 1.0)

    def peace(self, t: int, share_name: str) -> float:
        """Wartime-to-peacetime multiplier of month ``t``: 1 before the peace, then down
        linearly to the peacetime share over the ramp (the first month is its first step)."""
        peace = self.sc.peace
        if peace is None:
            return 1.0
        share = self.v[f"peace.{share_name}"]
        progress = (t - (peace.start - self.sc.start) + 1.0) / max(self.v["peace.ramp_months"], 1.0)
        return 1.0 - (1.0 - share) * min(max(progress, 0.0), 1.0)

    def required(self, t: int) -> float:
        """The required active fleet in month ``t`` (inf before its first step, or none)."""
        steps = self.sc.required_schedule
        if not steps or self.sc.start + t < min(s.month for s in steps):
            return math.inf
        return self.schedule(REQUIRED, steps, t)

    def production_rate(self, t: int) -> float:
        rate = self.schedule(PRODUCTION, self.sc.production_schedule, t) / 12.0
        return rate * self.peace(t, "production_share")

    def _good_fair(self) -> int:
        return sum(len(s[GOOD].items) + len(s[FAIR].items) for s in self.stores)

    def at(self, t: int, offset: float) -> simpy.Timeout:
        """The event of month ``t`` at ``offset`` (a fraction of the month)."""
        return self.env.timeout(t + offset - self.env.now)

    # -- processes --------------------------------------------------------------------------
    def front(self):
        """Parts effects, then degradation of each stored hull, then losses of active tanks."""
        rng, v = self.rng, self.v
        for t in range(self.T):
            yield self.at(t, FRONT)
            for part in self.sc.parts:
                if max(part.start - self.sc.start, 0) == t:
                    fams = {self.index[f] for f in part.families}
                    ef = v[f"parts.{part.name}.effort_factor"]
                    ff = v[f"parts.{part.name}.failure_factor"]
                    for k, (f, _) in enumerate(self.entries):
                        if f in fams:
                            self.cost[k] *= ef
                            self.failure[k] = min(self.failure[k] * ff, 1.0)
            g2f, f2p = v["storage.good_to_fair"], v["storage.fair_to_poor"]
            for good, fair, poor in self.stores:
                to_fair = _pick(good, rng.random(len(good.items)) < g2f)
                to_poor = _pick(fair, rng.random(len(fair.items)) < f2p)
                for hulls, cond, store in ((to_fair, FAIR, fair), (to_poor, POOR, poor)):
                    for hull in hulls:
                        hull.condition = cond
                    if hulls:
                        yield store.put(hulls)
            self.losses(t)

    def losses(self, t: int) -> None:
        v = self.v
        cv = v["losses.monthly_cv"]
        shape = 1.0 / max(cv, MIN_LOSS_CV) ** 2
        noise = self.rng.gamma(shape, 1.0 / shape) if cv > 0 else 1.0
        vul = [v[f"families.{n}.vulnerability"] for n in self.sc.family_names]
        levels = [int(self.active[f].level) for f in range(self.F)]
        if self.sc.loss_hazard:
            hazard = self.hazard(t)
            share = self.schedule(COMMITTED, self.sc.committed_schedule, t)
            deployed = self.deployed()
            committed = [math.floor(n * (share * deployed[f]) + TOLERANCE)
                         for f, n in enumerate(levels)]  # fmt: skip
            prob = [min(1.0, vul[f] * (hazard * noise)) for f in range(self.F)]
            self.expected_loss = sum(
                committed[f] * min(1.0, vul[f] * hazard) for f in range(self.F)
            )
        else:
            true = self.schedule(LOSSES, self.sc.loss_schedule, t) / v["losses.detection_share"]
            self.expected_loss = min(true, float(sum(levels)))
            exposure = sum(vul[f] * levels[f] for f in range(self.F))
            committed = levels
            prob = [min(1.0, true * noise * vul[f] / exposure) if exposure > 0 else 0.0
                    for f in range(self.F)]  # fmt: skip
        for f in range(self.F):
            # one Bernoulli trial per tank at risk
            lost = int((self.rng.random(committed[f]) < prob[f]).sum())
            if lost:
                self.active[f].get(lost)
                self.lost[f] += lost

    def deployed(self) -> list[float]:
        """Each family's share of tanks with committed units: a foreign family's
        ``deployed_share``, one for every other."""
        shares = [1.0] * self.F
        for sup in self.sc.supplies:
            shares[self.index[sup.family]] = self.v[f"supply.{sup.name}.{DEPLOYED}"]
        return shares

    def plant(self):
        """Spend the month's effort down the priority list, whole hulls only, as far as the
        gap to the required fleet goes; then strip the donor hulls, each from one pool."""
        rng = self.rng
        for t in range(self.T):
            yield self.at(t, PLANT)
            capacity = self.schedule(CAPACITY, self.sc.capacity_schedule, t)
            capacity *= self.peace(t, "capacity_share")
            active = sum(c.level for c in self.active)
            wanted = self.required(t) - active - int(self.in_transit.sum())
            wanted += self.lead * (self.expected_loss - self.production_rate(t))
            wanted = max(wanted, 0.0)
            planned = self.plan(t, capacity, wanted)
            batch: list[Hull] = []
            wants: list[int] = []
            for k, (f, cond) in enumerate(self.entries):
                n = planned[k]
                wants.append(int((rng.random(n) < self.donor_share[k]).sum()) if n else 0)
                if n == 0:
                    continue
                started = yield self.stores[f][cond].take(n)
                fails = rng.random(n) < self.failure[k]
                self.scrapped[f] += int(fails.sum())
                batch.extend(h for h, bad in zip(started, fails) if not bad)
            # Donor hulls, once every entry has started its hulls, in priority order: a poor
            # entry's from its own stock; a good or fair entry's from its family's poor
            # hulls, then its own. A hull stripped once is gone; what is missing is counted.
            for k, (f, cond) in enumerate(self.entries):
                want = wants[k]
                for source in [cond] if cond == POOR else [POOR, cond]:
                    store = self.stores[f][source]
                    take = min(want, len(store.items))
                    if take:
                        yield store.take(take)
                        self.scrapped[f] += take
                        want -= take
                self.donor_shortfall += want
            if batch:
                for hull in batch:
                    self.in_transit[hull.family] += 1
                self.env.process(self.pipeline(batch))

    def plan(self, t: int, capacity: float, wanted: float) -> list[int]:
        """Hulls to start at each priority entry in month ``t``, whole hulls only.

        With family weights, pass 1 gives each family ``weight / sum of weights`` of the
        capacity for its own entries, in list order; pass 2 sends what pass 1 did not spend
        down the whole list. Without weights, pass 2 alone, on the whole capacity. Entries
        of families not rebuilt after the peace's start are skipped. Each entry's donor
        claim (expected: starts x donor share) leaves the pool before later entries plan.
        """
        left = {(f, c): float(len(self.stores[f][c].items))
                for f in range(self.F) for c in (GOOD, FAIR, POOR)}  # fmt: skip
        planned = [0] * len(self.entries)
        state = {"wanted": wanted}
        names, peace = self.sc.family_names, self.sc.peace
        closed = {
            k for k, (f, _) in enumerate(self.entries)
            if peace is not None and peace.rebuild_families is not None
            and names[f] not in peace.rebuild_families
            and t >= max(peace.start - self.sc.start, 0)
        }  # fmt: skip
        weighted = dict(self.sc.family_weights)
        if weighted:
            weights = [self.family_weight(n, weighted[n], t) if n in weighted else 0.0
                       for n in names]  # fmt: skip
            total = sum(weights)
            budget = [capacity * (w / total) if total > 0 else 0.0 for w in weights]
            spent = 0.0
            for k, (f, _) in enumerate(self.entries):
                if k not in closed:
                    n, budget[f] = self.serve(k, budget[f], left, state)
                    planned[k] = n
                    spent += n * self.cost[k]
            capacity = max(capacity - spent, 0.0)
        for k in range(len(self.entries)):
            if k not in closed:
                n, capacity = self.serve(k, capacity, left, state)
                planned[k] += n
        return planned

    def serve(self, k: int, budget: float, left: dict, state: dict) -> tuple[int, float]:
        """Entry ``k`` out of ``budget`` effort units: (hulls started, budget after). Its
        full demand is claimed from the budget (as the engine), or only what it spent with
        ``pass_leftover``; ``left`` (hulls by store) and ``state["wanted"]`` are spent."""
        f, cond = self.entries[k]
        cost, d = self.cost[k], self.donor_share[k]
        usable = max(1.0 - self.failure[k], MIN_USABLE)
        own = left[(f, cond)]
        if cond == POOR:
            available = math.floor(own / (1.0 + d) + TOLERANCE)
        else:
            pool = own + left[(f, POOR)]
            available = min(math.floor(pool / (1.0 + d) + TOLERANCE),
                            math.floor(own + TOLERANCE))  # own less donor claims: whole hulls
        demand = available * cost
        effort = min(budget, demand)
        n = min(math.floor(effort / cost + TOLERANCE), available)
        if state["wanted"] < math.inf:
            n = min(n, math.floor(state["wanted"] / usable + TOLERANCE))
            state["wanted"] -= n * usable
        budget = max(budget - (n * cost if self.pass_leftover else demand), 0.0)
        claim = n * d
        left[(f, cond)] -= n
        if cond == POOR:
            left[(f, cond)] -= claim
        else:
            from_poor = min(claim, left[(f, POOR)])
            left[(f, POOR)] -= from_poor
            left[(f, cond)] -= claim - from_poor
        return int(n), budget

    def pipeline(self, batch: list[Hull]):
        """A month's repaired hulls reach the active fleet ``lead`` months later."""
        yield self.env.timeout(self.lead + DELIVER - PLANT)
        arrived = np.bincount([hull.family for hull in batch], minlength=self.F)
        self.in_transit -= arrived
        self.refurbished += arrived
        for f in np.flatnonzero(arrived):
            self.active[f].put(int(arrived[f]))

    def production(self):
        family = self.index[self.sc.production_family]
        for t in range(self.T):
            yield self.at(t, INFLOW)
            new = int(self.rng.poisson(self.production_rate(t)))
            required = self.required(t)
            if required < math.inf:
                room = required - sum(c.level for c in self.active) - int(self.in_transit.sum())
                new = min(new, max(math.floor(room + TOLERANCE), 0))
            for f, n in self.split_production(family, new):
                if n:
                    self.active[f].put(n)
                    self.produced[f] += n

    def split_production(self, main: int, new: int) -> list[tuple[int, int]]:
        """(family, hulls) of a month's ``new`` hulls: each family with a production share in
        turn is brought up to floor(share x all hulls made, this month's included), as far
        as ``new`` goes; the main family takes the rest."""
        split = [(self.index[f], self.v[f"{PRODUCTION_SHARE}.{f}"])
                 for f, _ in self.sc.production_shares]  # fmt: skip
        after = float(self.produced[main]) + sum(float(self.produced[f]) for f, _ in split) + new
        out, left = [], new
        for f, share in split:
            n = min(max(math.floor(float(share) * after + TOLERANCE) - int(self.produced[f]), 0),
                    left)  # fmt: skip
            out.append((f, n))
            left -= n
        return [*out, (main, left)]

    def supply(self, sup):
        base, family = f"supply.{sup.name}", self.index[sup.family]
        first = sup.start - self.sc.start + int(np.rint(self.v[f"{base}.{START_DELAY}"]))
        first += int(np.rint(self.v[f"{base}.delivery_lag_months"]))
        cap = int(np.rint(self.v[f"{base}.total_cap"]))
        batch = int(np.rint(self.v[f"{base}.first_batch"]))
        rate, shipped = self.v[f"{base}.tanks_per_month"], 0
        for t in range(self.T):
            yield self.at(t, SUPPLY)
            arriving = int(self.rng.poisson(rate)) + (batch if t == first else 0)
            if t < first:
                continue
            arriving = min(arriving, cap - shipped)
            if arriving > 0:
                shipped += arriving
                self.active[family].put(arriving)
                self.imported[family] += arriving

    def recorder(self):
        for t in range(self.T):
            yield self.at(t, RECORD)
            active = np.array([c.level for c in self.active], dtype=np.int64)
            stored = np.array([sum(len(s.items) for s in fam) for fam in self.stores])
            self.paths["active"][t] = active.sum()
            self.paths["storage"][t] = stored.sum()
            self.paths["good_fair"][t] = self._good_fair()
            self.paths["lost"][t] = self.lost.sum()
            held = active + stored + self.in_transit + self.lost + self.scrapped
            came = self.start_total + self.produced + self.imported
            fine = (held == came).all() and (active >= 0).all() and (self.in_transit >= 0).all()
            self.conserved = self.conserved and bool(fine)
