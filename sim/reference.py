"""An independent, tank-by-tank discrete-event reference model, built on SimPy.

It shares nothing with :mod:`sim.engine.simulate` but the scenario: each replication is a SimPy
``Environment``, one time unit a month; stored hulls are :class:`Hull` objects in one
:class:`HullStore` (a ``simpy.Store``) per (family, condition); the refurbishment plant is a
process that takes hulls off those stores down the priority list and ships each month's
repaired hulls through a timeout of the lead time; the active fleet is a ``simpy.Container``
per family. Every random event is a Bernoulli trial per hull or per active tank, from one
numpy ``Generator``: results agree with the engine in distribution, not draw for draw.

Within month ``t`` the processes run at fixed offsets (exact binary fractions):

- ``t + 0``: parts effects, degradation, losses (the ``front`` process);
- ``t + 1/4``: refurbishment starts (the ``plant`` process);
- ``t + 1/2``: deliveries due this month (a batch started at ``s`` arrives at ``s + lead``);
- ``t + 3/4``: production and foreign supply;
- ``t + 7/8``: record, and check conservation family by family.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.model.distributions import clip_to_domain
from sim.model.params import CAPACITY, CONDITIONS, LOSSES, PRODUCTION, Scenario, Step, step_name

GOOD, FAIR, POOR = 0, 1, 2
FRONT, PLANT, DELIVER, INFLOW, RECORD = 0.0, 0.25, 0.5, 0.75, 0.875
TOLERANCE = 1e-9  # whole hulls: floor with a tolerance for float error, as the engine does


#: Order in which entries strip their donor hulls (as the vectorised engine).
DONOR_ORDER = {POOR: 0, GOOD: 1, FAIR: 2}


class Hull:
    """One stored tank hull: its family index and condition (GOOD, FAIR or POOR)."""

    __slots__ = ("serial", "family", "condition")

    def __init__(self, serial: int, family: int, condition: int):
        self.serial, self.family, self.condition = serial, family, condition


class Take(simpy.resources.store.StoreGet):
    """Request for ``amount`` hulls at once from a :class:`HullStore` (a list of hulls)."""

    def __init__(self, store: HullStore, amount: int):
        self.amount = amount
        super().__init__(store)


class HullStore(simpy.Store):
    """A store of :class:`Hull` objects that hands them out and takes them in by the batch:
    ``take(n)`` succeeds with the first ``n`` hulls once ``n`` are there; ``put`` takes a list.
    """

    def take(self, amount: int) -> Take:
        return Take(self, amount)

    def _do_get(self, event):
        if len(self.items) >= event.amount:
            hulls = self.items[: event.amount]
            del self.items[: event.amount]
            event.succeed(hulls)

    def _do_put(self, event):
        self.items.extend(event.item)
        event.succeed()


def draw_values(scenario: Scenario, reps: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every parameter once per replication by inverse CDF, clipped into its domain; with a
    calibrated posterior, each replication takes one whole row of it for its columns."""
    values = {
        name: clip_to_domain(param.dist.quantile(rng.random(reps)), param.domain)
        for name, param in scenario.params().items()
    }
    post = scenario.posterior
    if post is not None:
        rows = rng.integers(len(post.values), size=reps)
        values |= {name: post.values[rows, d] for d, name in enumerate(post.names)}
    return values


def step_value(steps: tuple[Step, ...], values: list[float], month: int) -> float:
    """Value of the latest step dated at or before ``month`` (absolute); 0 before the first."""
    out = 0.0
    for step, value in sorted(zip(steps, values), key=lambda sv: sv[0].month):
        if step.month <= month:
            out = value
    return out


def _pick(store: HullStore, mask: np.ndarray) -> list[Hull]:
    """Remove the hulls flagged in ``mask`` (aligned with ``store.items``) and return them."""
    picked = np.flatnonzero(mask)
    hulls = [store.items[i] for i in picked]
    for i in picked[::-1]:
        del store.items[i]
    return hulls


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
        c = CONDITIONS
        self.entries = [(self.index[f], c.index(cond)) for f, cond in scenario.priority]
        self.cost = [v[f"{fam[f]}.refurb_effort"] * v[f"refurbishment.effort.{c[k]}"]
                     for f, k in self.entries]  # fmt: skip
        self.donor_share = [v[f"refurbishment.donors.{c[k]}"] for _, k in self.entries]
        self.failure = [v[f"refurbishment.failure.{c[k]}"] for _, k in self.entries]
        self.lead = int(np.rint(v["refurbishment.lead_time_months"]))
        for key in ("lost", "scrapped", "refurbished", "produced", "imported", "in_transit"):
            setattr(self, key, np.zeros(self.F, dtype=np.int64))
        self.paths = {k: np.zeros(self.T, np.int64) for k in ("active", "storage", "good_fair")}
        self.conserved = True
        for proc in (self.front, self.plant, self.production, self.recorder):
            env.process(proc())
        for sup in scenario.supplies:
            env.process(self.supply(sup))

    # -- helpers ----------------------------------------------------------------------------
    def schedule(self, name: str, steps: tuple[Step, ...], t: int) -> float:
        values = [self.v[step_name(name, s)] for s in steps]
        return step_value(steps, values, self.sc.start + t)

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
        confirmed = self.schedule(LOSSES, self.sc.loss_schedule, t)
        cv = v["losses.monthly_cv"]
        shape = 1.0 / max(cv, 1e-6) ** 2
        noise = self.rng.gamma(shape, 1.0 / shape) if cv > 0 else 1.0
        expected = confirmed / v["losses.detection_share"] * noise
        vul = [v[f"families.{n}.vulnerability"] for n in self.sc.family_names]
        exposure = sum(vul[f] * self.active[f].level for f in range(self.F))
        if exposure <= 0:
            return
        for f in range(self.F):
            n = int(self.active[f].level)
            p = min(1.0, expected * vul[f] / exposure)
            lost = int((self.rng.random(n) < p).sum())  # one Bernoulli trial per tank
            if lost:
                self.active[f].get(lost)
                self.lost[f] += lost

    def plant(self):
        """Spend the month's effort down the priority list, whole hulls only."""
        rng = self.rng
        for t in range(self.T):
            yield self.at(t, PLANT)
            capacity = self.schedule(CAPACITY, self.sc.capacity_schedule, t)
            before = 0.0  # claimed above: full demands (as the engine), or spent (pass_leftover)
            batch: list[Hull] = []
            poor_now = [len(self.stores[f][POOR].items) for f in range(self.F)]
            wanted: list[tuple[int, int, int]] = []  # (family, condition, donors wanted)
            for k, (f, cond) in enumerate(self.entries):
                store, cost, d = self.stores[f][cond], self.cost[k], self.donor_share[k]
                pool = len(store.items) + (poor_now[f] if cond != POOR else 0)
                available = min(math.floor(pool / (1.0 + d) + TOLERANCE), len(store.items))
                demand = available * cost
                effort = min(max(capacity - before, 0.0), demand)
                n = min(math.floor(effort / cost + TOLERANCE), available)
                before += n * cost if self.pass_leftover else demand
                if n == 0:
                    continue
                started = yield store.take(n)
                wanted.append((f, cond, int((rng.random(n) < d).sum())))
                fails = rng.random(n) < self.failure[k]
                self.scrapped[f] += int(fails.sum())
                batch.extend(h for h, bad in zip(started, fails) if not bad)
            # Donor hulls are stripped for parts once every entry has started its hulls,
            # worst first: a poor entry's from its own stock; a good or fair entry's from
            # its family's poor hulls, then its own. Poor entries first, then good, then fair.
            for f, cond, want in sorted(wanted, key=lambda w: DONOR_ORDER[w[1]]):
                sources = [cond] if cond == POOR else [POOR, cond]
                for source in sources:
                    store = self.stores[f][source]
                    take = min(want, len(store.items))
                    if take:
                        yield store.take(take)
                        self.scrapped[f] += take
                        want -= take
            if batch:
                for hull in batch:
                    self.in_transit[hull.family] += 1
                self.env.process(self.pipeline(batch))

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
            rate = self.schedule(PRODUCTION, self.sc.production_schedule, t) / 12.0
            new = int(self.rng.poisson(rate))
            if new:
                self.active[family].put(new)
                self.produced[family] += new

    def supply(self, sup):
        base, family = f"supply.{sup.name}", self.index[sup.family]
        first = sup.start - self.sc.start + int(np.rint(self.v[f"{base}.delivery_lag_months"]))
        cap = int(np.rint(self.v[f"{base}.total_cap"]))
        batch = int(np.rint(self.v[f"{base}.first_batch"]))
        rate, shipped = self.v[f"{base}.tanks_per_month"], 0
        for t in range(self.T):
            yield self.at(t, INFLOW)
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
            held = active + stored + self.in_transit + self.lost + self.scrapped
            came = self.start_total + self.produced + self.imported
            fine = (held == came).all() and (active >= 0).all() and (self.in_transit >= 0).all()
            self.conserved = self.conserved and bool(fine)


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
    ``storage_path`` and ``good_fair_path`` (reps, T), and ``conserved`` (bool: every family
    balanced in every month).

    ``values`` (name -> (reps,) array, e.g. from :func:`sim.runs.sampling.draw_params`) replaces
    the model's own parameter draws, for paired comparisons. ``pass_leftover=True`` lets
    effort an entry cannot use (less than one hull's cost) pass down the priority list; the
    default mirrors the engine, where it is lost for that month.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x5E1])))
    values = draw_values(scenario, reps, rng) if values is None else values
    T, share = scenario.months, scenario.thresholds.exhausted_share
    out = {f"{k}_path": np.zeros((reps, T), np.int64) for k in ("active", "storage", "good_fair")}
    counts = ("lost", "refurbished", "scrapped", "produced", "imported", "in_transit")
    for k in ("active_end", "storage_end", "storage_exhausted", *(f"{c}_end" for c in counts)):
        out[k] = np.zeros(reps, np.int64)
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
    out["pipeline_end"] = out.pop("in_transit_end")
    return out
