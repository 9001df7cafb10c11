"""Regenerate every result table and figure that the docs show, in one command.

    python docs/regenerate.py [--reps N] [--quick] [--only NAME ...]

Runs each analysis of :data:`ANALYSES` through :mod:`sim.api` with the replications and seeds
the docs state, writes its tables as Markdown into ``docs/results.md`` (generated: do not
edit) and between the ``<!-- results:NAME -->`` ... ``<!-- /results:NAME -->`` markers of every
other page of ``docs/`` (and of README.md, if it has any), and re-renders the figures of
``docs/figures/`` that the pages embed.

``--quick`` runs everything small (to check the script, not to publish: the header of
``docs/results.md`` says so); ``--reps N`` sets the replications of every plain run;
``--only NAME`` runs the named analyses and keeps the other sections as they were. The same
settings give the same tables: every run is seeded; only the provenance lines (date, wall
time) differ. Nothing else in the repository is written.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from sim import api  # noqa: E402
from sim.engine.metrics import VARIABLES  # noqa: E402
from sim.model.calendar import format_month, parse_month  # noqa: E402
from sim.present import markdown as md  # noqa: E402
from sim.present.tables import convergence_lines, supply_text  # noqa: E402
from sim.runs.reduce import STAT_NAMES  # noqa: E402
from sim.runs.run import DEFAULT_SEED  # noqa: E402

RESULTS_MD = REPO / "docs" / "results.md"
README = REPO / "README.md"
DOCS = REPO / "docs"
FIGURES = REPO / "docs" / "figures"
SCENARIOS = REPO / "scenarios"
#: The seed the docs' "headline figures" and ceasefire runs state (10,000 replications).
HEADLINE_SEED = 1
#: The seed of the docs' calibration fit table ("10,000 fresh replications ..., seed 21").
FIT_SEED = 21
#: Replications of every plain run with --quick (one chunk's worth of blocks).
QUICK_REPS = 1024
#: Active fleet below which a replication counts as having almost no fleet (docs' headline).
NEARLY_NO_FLEET = 100


@dataclass(frozen=True)
class Size:
    """How big each analysis runs: as the docs state, or small (``quick``), with every
    plain run's replications forced to ``reps`` when given."""

    quick: bool = False
    reps: int | None = None

    def runs(self, stated: int) -> int:
        """Replications of a run the docs state at ``stated``."""
        if self.reps:
            return self.reps
        return min(stated, QUICK_REPS) if self.quick else stated

    def pick(self, full, quick):
        return quick if self.quick else full


@dataclass
class Context:
    """What every analysis shares: the size, runs already made (reused by key), where
    figures go."""

    size: Size
    figures: Path = FIGURES
    cache: dict = field(default_factory=dict)

    def run(self, name: str, stated_reps: int, seed: int):
        """The run of ``scenarios/NAME.toml`` (every replication's active path kept)."""
        key = (name, self.size.runs(stated_reps), seed)
        if key not in self.cache:
            self.cache[key] = api.run(scenario_file(name), reps=key[1], seed=seed)
        return self.cache[key]

    def save(self, figure, name: str) -> str:
        """Write ``figure`` as ``docs/figures/NAME`` (atomic, 150 dpi); its path from docs/."""
        from sim.io.report_figures import save_figure

        save_figure(figure, self.figures / name)
        return f"figures/{name}"


def scenario_file(name: str) -> Path:
    return SCENARIOS / f"{name}.toml"


def traj(result, variable: str, month: str, stat: str = "mean", family: str = "all") -> float:
    """One statistic of a trajectory at a month's end (tanks)."""
    families = result.scenario.family_names
    f = -1 if family == "all" else families.index(family)
    t = parse_month(month) - result.scenario.start
    return float(result.stats[t, VARIABLES.index(variable), f, STAT_NAMES.index(stat)])


def month_cell(stats: dict, key: str = "p50") -> str:
    value = stats[key]
    return "never" if value is None else str(value)


def three(stats: dict, fmt: Callable = md.count, sep: str = " / ") -> str:
    """p05 / p50 / p95 of a summary entry."""
    return sep.join(fmt(stats[k]) for k in ("p05", "p50", "p95"))


def median_range(stats: dict, fmt: Callable = md.count) -> str:
    """``median [p05, p95]``."""
    return f"{fmt(stats['p50'])} [{fmt(stats['p05'])}, {fmt(stats['p95'])}]"


# ---------------------------------------------------------------------------------------------
# The analyses: each returns Markdown (tables, code blocks, one settings line).


def headline(ctx: Context) -> str:
    """The calibrated baseline's headline figures and escalation's (docs: "Headline
    figures"), 10,000 replications, seed 1."""
    base = ctx.run("baseline", 10_000, HEADLINE_SEED)
    esc = ctx.run("escalation", 10_000, HEADLINE_SEED)
    s, e = api.summarise(base)["metrics"], api.summarise(esc)["metrics"]
    worst = base.metrics["worst_month_loss_share"]
    end = base.scenario.end
    rows = [
        ["`worst_month_loss_share` p50 / p95 (largest)",
         f"{md.share(s['worst_month_loss_share']['p50'])} / "
         f"{md.share(s['worst_month_loss_share']['p95'])} ({md.share(worst.max())})"],
        ["replications losing the whole active fleet in some month",
         md.percent((worst >= 1).mean())],
        [f"active fleet below {NEARLY_NO_FLEET} at {format_month(end)}",
         md.percent((base.active_paths[-1] < NEARLY_NO_FLEET).mean())],
        [f"active fleet {format_month(end)}, p05 / p50 / p95", three(s["active_end"])],
        ["active fleet, median 2026-01 / 2028-01 / 2030-12",
         " / ".join(md.count(traj(base, "active", m, "p50"))
                    for m in ("2026-01", "2028-01", "2030-12"))],
        ["good+fair storage exhausted, median [p05, p95]",
         median_range(s["storage_exhausted"], str)],
        ["refurbished in 2025 / 2026 (means)",
         " / ".join(md.count(traj(base, "refurbished", f"{y}-12") -
                             traj(base, "refurbished", f"{y - 1}-12")) for y in (2025, 2026))],
        [f"escalation: some whole-fleet month / below {NEARLY_NO_FLEET} at {format_month(end)} "
         f"({format_month(end)} median)",
         f"{md.percent((esc.metrics['worst_month_loss_share'] >= 1).mean())} / "
         f"{md.percent((esc.active_paths[-1] < NEARLY_NO_FLEET).mean())} "
         f"({md.count(e['active_end']['p50'])})"],
    ]  # fmt: skip
    return settings(base) + "\n\n" + md.table(["baseline", "value"], rows)


def settings(result) -> str:
    return f"({result.reps:,} replications, seed {result.seed}.)"


COMPARED = ("baseline", "nk-t62", "nk-chonma2", "nk-all", "nk-parts", "escalation")
GAIN_DATES = ("2028-12", "2030-12")


def compare(ctx: Context) -> str:
    """``tanksim compare`` of the North Korean scenarios and escalation against the baseline
    (docs: the five-way compare, with nk-parts), 10,000 replications, the default seed;
    then what supply delivers and what is lost of it."""
    runs = [ctx.run(name, 10_000, DEFAULT_SEED) for name in COMPARED]
    data = api.compare(runs, at=list(GAIN_DATES))
    threshold, last = data["threshold"], GAIN_DATES[-1]
    header = ["scenario", f"active fleet {last}, median [p05, p95]",
              "good+fair storage exhausted, median",
              *(f"paired gain {d}, mean [95% CI]" for d in GAIN_DATES),
              "exhaustion delay, months [95% CI]",
              f"P(active >= {md.count(threshold)} every month to {last})"]  # fmt: skip
    rows = []
    for name, s in data["summaries"].items():
        m = s["metrics"]
        cells = [name, median_range(m["active_end"]), month_cell(m["storage_exhausted"])]
        paired = data["paired"].get(name)
        if paired is None:
            p = stays_above(runs[0], threshold)
            rows.append(cells + ["-"] * (len(GAIN_DATES) + 1) + [md.share(p)])
            continue
        gains = [with_ci(paired["active_gain"][d], 0) for d in GAIN_DATES]
        p = paired["p_stays_above"][last]
        rows.append(cells + gains + [with_ci(paired["exhaustion_delay_months"], 3),
                                     f"{md.share(p['scenario'])} ({with_ci(p, 3)})"])  # fmt: skip
    note = (f"({runs[0].reps:,} replications, seed {runs[0].seed}; threshold "
            f"{md.count(threshold)}, {api.THRESHOLD_SHARE:.0%} of the baseline's first-month "
            "fleet; paired differences against the baseline.)")
    return note + "\n\n" + md.table(header, rows) + "\n\n" + supply_accounting(runs)


def stays_above(result, threshold: float) -> float:
    return float((result.active_paths >= threshold).all(axis=0).mean())


def with_ci(stats: dict, digits: int) -> str:
    low, high = stats["ci95"]
    mean, low, high = (md.signed(x, digits) for x in (stats["mean"], low, high))
    return f"{mean} [{low}, {high}]"


def supply_accounting(runs) -> str:
    """Per supplying scenario: tanks delivered by each gain date, how many of them are lost
    by then, and the change in Russian production against the baseline (means)."""
    base = runs[0]
    own = set(base.scenario.family_names)
    rows = []
    for run in runs[1:]:
        foreign = [f for f in run.scenario.family_names if f not in own]
        if not foreign:
            continue
        for d in GAIN_DATES:
            delivered = traj(run, "imported", d)
            lost = sum(traj(run, "lost", d, family=f) for f in foreign)
            produced = traj(run, "produced", d) - traj(base, "produced", d)
            rows.append([run.scenario.name, d, md.count(delivered), md.count(lost),
                         md.signed(produced)])  # fmt: skip
    return md.table(["scenario", "by", "tanks delivered (mean)", "of them lost",
                     "Russian production against the baseline"], rows)  # fmt: skip


REBUILD = (("months_to_rebuild", "`rebuild_active`: active fleet back to its pre-war count"),
           ("months_to_reach_requirement",
            "`reach_requirement`: active fleet at its share of the requirement"),
           ("months_to_rebuild_restorable",
            "`rebuild_restorable`: active + pipeline + good/fair storage back to their pre-war "
            "total"))  # fmt: skip


def ceasefire(ctx: Context) -> str:
    """The ceasefire scenarios' rebuild months and the fleet they settle at (docs:
    "Ceasefire"), 10,000 replications, seed 1."""
    runs = [ctx.run(name, 10_000, HEADLINE_SEED) for name in ("ceasefire", "ceasefire-nk")]
    after = format_month(runs[0].scenario.thresholds.rebuild_after)
    rows, fleet = [], []
    for run in runs:
        m = api.summarise(run)["metrics"]
        for key, label in REBUILD:
            s = m[key]
            rows.append([run.scenario.name, label, median_range(s),
                         f"{month_cell(s, 'p25')} / {month_cell(s, 'p75')}",
                         md.percent(s["never_share"])])  # fmt: skip
        fleet.append([run.scenario.name, median_range(m["active_end"]),
                      md.count(traj(run, "active", "2025-12", "p50")),
                      " / ".join(md.count(traj(run, "refurbished", f"{y}-12")
                                          - traj(run, "refurbished", f"{y - 1}-12"))
                                 for y in (2026, 2027)),
                      md.percent(m["storage_exhausted"]["never_share"]),
                      md.count(m["lost_end"]["p50"])])  # fmt: skip
    end = format_month(runs[0].scenario.end)
    return "\n\n".join([
        settings(runs[0]),
        md.table(["scenario", "measured against", f"months after {after}, median [p05, p95]",
                  "p25 / p75", "never within the horizon"], rows),
        md.table(["scenario", f"active fleet {end}, median [p05, p95]", "median 2025-12",
                  "refurbished in 2026 / 2027 (means)", "never exhaust good+fair storage",
                  "lost by the end, median"], fleet),
    ])  # fmt: skip


#: (keep-active tanks, shown as a command in the docs' code block).
SUPPLY_LEVELS = ((1200, True), (1300, False), (1400, True), (1450, False), (1900, False),
                 (2200, False))  # fmt: skip
SUPPLY_UNTIL, SUPPLY_PROB = "2028-12", 0.5


def supply_needed(ctx: Context) -> str:
    """``tanksim supply-needed scenarios/nk-t62.toml --keep-active N --until 2028-12
    --prob 0.5`` at the docs' levels (1,000 replications, the default seed and grid)."""
    scenario = api.load_scenario(scenario_file("nk-t62"))
    reps, grid = ctx.size.runs(1000), ctx.size.pick(21, 11)
    shown, rows = [], []
    for level, in_readme in SUPPLY_LEVELS:
        answer = api.supply_needed(scenario, keep_active=level, until=SUPPLY_UNTIL,
                                   prob=SUPPLY_PROB, reps=reps, grid=grid)  # fmt: skip
        if in_readme:
            shown.append(f"$ tanksim supply-needed scenarios/nk-t62.toml --keep-active {level} "
                         f"--until {SUPPLY_UNTIL} --prob {SUPPLY_PROB:g}\n{supply_text(answer)}")
        top = answer["grid"][-1]
        if answer["reachable"]:
            lo, hi = answer["rate_interval"]
            rate = (f"{answer['rate']:.1f} [{'?' if lo is None else f'{lo:.1f}'}, "
                    f"{'above ' + format(top['rate'], 'g') if hi is None else f'{hi:.1f}'}]")
            tanks = md.count(answer["tanks_implied"])
        else:
            rate, tanks = "not reachable", "-"
        rows.append([md.count(level), rate, tanks, md.share(top["monotone_estimate"], 2)])
    base = ctx.run("baseline", 10_000, DEFAULT_SEED)
    peak = max(traj(base, "active", f"2026-{m:02d}", "p50") for m in range(1, 13))
    note = (f"({reps:,} replications per rate, {grid} rates from 0 to 100 tanks a month, seed "
            f"{DEFAULT_SEED}. Without supply (baseline, {base.reps:,} replications) the median "
            f"active fleet is {md.count(traj(base, 'active', '2025-09', 'p50'))} in 2025-09, "
            f"{md.count(peak)} in 2026 at its highest and "
            f"{md.count(traj(base, 'active', SUPPLY_UNTIL, 'p50'))} in {SUPPLY_UNTIL}.)")
    header = [f"keep active >= (to {SUPPLY_UNTIL}, p >= {SUPPLY_PROB:g})",
              "NK-T62 tanks/month [95% interval]", f"tanks delivered by {SUPPLY_UNTIL}",
              "highest probability, rates up to 100 a month"]  # fmt: skip
    return "\n\n".join([md.code_block("\n".join(shown)), note, md.table(header, rows)])


def convergence(ctx: Context) -> str:
    """The convergence block ``tanksim run scenarios/baseline.toml`` prints (10,000
    replications, the default seed), and the widths under each sampling design."""
    base = ctx.run("baseline", 10_000, DEFAULT_SEED)
    block = md.code_block("\n".join(convergence_lines(api.summarise(base)["convergence"])))
    designs = [("random", base)]
    for sampling, stated in (("lhs", 10_000), ("sobol", 8192)):
        reps = ctx.size.runs(stated)
        designs.append((sampling, api.run(scenario_file("baseline"), reps=reps,
                                          sampling=sampling, keep_paths=False)))  # fmt: skip
    widths = {s: api.summarise(r)["convergence"]["metrics"] for s, r in designs}
    header = ["metric", *(f"width, {s} ({r.reps:,})" for s, r in designs)]
    rows = [[name, *(width_cell(widths[s][name]) for s, _ in designs)]
            for name in widths["random"]]  # fmt: skip
    return "\n\n".join([settings(base), block, md.table(header, rows)])


def width_cell(entry: dict) -> str:
    return "-" if entry["width"] is None else md.percent(entry["width"], 0)


SWEEP = ("families.T-72.storage=2000:6100:5", "refurbishment.capacity_per_month.2023-01=150:450:5",
         "losses.hazard_drift=-0.05:0.01:5", "storage.good_share=0.1:0.4:5",
         "storage.fair_share=0.15:0.45:5", "losses.detection_share=0.6:0.95:5")  # fmt: skip


def sweep(ctx: Context) -> str:
    """The docs' one-at-a-time sweep of the baseline (1,000 replications per point, the
    default seed) and its tornado chart."""
    from sim.analysis.condition import describe_month

    result = api.sweep(scenario_file("baseline"), SWEEP, reps=ctx.size.runs(1000))
    figure = ctx.save(api.plot_tornado(result), "tornado-baseline.png")
    scen, rows = result.scenario, []
    for point, stats in zip(result.points, result.stats):
        fixed = ", ".join(f"{k} = {v:.4g}" for k, v in point.values.items()) or "(all drawn)"
        a, e = stats["active_end"], stats["storage_exhausted"]
        p50 = scen.months if e["p50"] is None else e["p50"]
        rows.append([fixed, md.count(a["mean"]), f"{md.count(a['p05'])} - {md.count(a['p95'])}",
                     describe_month(scen, p50), md.percent(e["never_share"], 0)])  # fmt: skip
    end = format_month(scen.end)
    header = ["fixed value", f"mean active fleet {end}", "p05 - p95",
              "good+fair storage exhausted, median", "never exhausted"]
    return "\n\n".join([f"({result.reps:,} replications per point, seed {result.seed}; "
                        f"[tornado chart]({figure}).)", md.table(header, rows)])


def sobol(ctx: Context) -> str:
    """Sobol' indices of the calibrated baseline (n 4,096) and of the uncalibrated priors
    (``scenarios/prior.toml``, n 1,024), the default seed, with their figures."""
    parts = []
    for name, n, figure in (("baseline", 4096, "sobol-baseline.png"),
                            ("prior", 1024, "sobol-prior.png")):  # fmt: skip
        analysis = api.sobol(scenario_file(name), n=ctx.size.pick(n, 64))
        path = ctx.save(api.plot_sensitivity(analysis), figure)
        parts.append(sensitivity_markdown(analysis, path))
    return "\n\n".join(parts)


def morris(ctx: Context) -> str:
    """Morris screening of the uncalibrated priors, 64 trajectories, the default seed."""
    analysis = api.morris(scenario_file("prior"), trajectories=ctx.size.pick(64, 8))
    return sensitivity_markdown(analysis, None)


def sensitivity_markdown(analysis, figure: str | None, top: int = 10) -> str:
    """The ``top`` inputs per outcome, most influential first, as tables."""
    from sim.api.explore import sensitivity_data

    data = sensitivity_data(analysis)
    what = "n" if data["method"] == "sobol" else "trajectories"
    head = (f"**{data['method']}, `{data['scenario']}`**: {data['parameters']} inputs, "
            f"{what} {data['n']:,}, {data['replications']:,} replications, seed {data['seed']}"
            + (f"; [figure]({figure})" if figure else "") + ".")
    parts = [head] + [f"Warning: {w}" for w in data["warnings"]]
    for outcome, entry in data["outcomes"].items():
        items = list(entry["parameters"].items())[:top]
        if data["method"] == "sobol":
            parts.append(f"`{outcome}`: random flows {md.percent(entry['random_flows'], 0)} of "
                         f"the variance; first-order indices sum to "
                         f"{entry['sum_first_order']:.2f}.")  # fmt: skip
            rows = [[p, bracket(s, "total"), bracket(s, "first")] for p, s in items]
            parts.append(md.table(["input", "total [95%]", "first-order [95%]"], rows))
        else:
            rows = [[p, f"{num(s['mu_star'])} [{num(s['mu_star_low'])}, "
                        f"{num(s['mu_star_high'])}]", num(s["mu"]), num(s["sigma"])]
                    for p, s in items]  # fmt: skip
            parts.append(f"`{outcome}`, in {entry['unit']}:")
            parts.append(md.table(["input", "mu* [95%]", "mu", "sigma"], rows))
    return "\n\n".join(parts)


def bracket(stats: dict, key: str) -> str:
    return f"{stats[key]:.3f} [{stats[key + '_low']:.3f}, {stats[key + '_high']:.3f}]"


def num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.3g}"


#: (scenario, condition); the first is the docs' command, figure and code block.
DISCOVERIES = (("baseline", "active_end < 1000"), ("baseline", "active_end < 1500"),
               ("prior", "active_end < 1500"), ("baseline", "storage_exhausted <= 2025-03"),
               ("prior", "storage_exhausted <= 2025-03"))  # fmt: skip


def discovery(ctx: Context) -> str:
    """``tanksim discover`` (PRIM) on the docs' conditions, 2,000 Latin-hypercube sets,
    the default seed; the first one's figure."""
    from sim.analysis.discover import DiscoveryError
    from sim.api.discovery import discovery_data

    n, block, rows = ctx.size.pick(2000, 500), "", []
    for i, (name, where) in enumerate(DISCOVERIES):
        try:
            found = api.discover(scenario_file(name), where, n=n)
        except DiscoveryError as err:
            rows.append([name, f"`{where}`", str(err), "-", "-"])
            continue
        data = discovery_data(found)
        if i == 0:
            block = md.code_block(f'$ tanksim discover scenarios/{name}.toml --where "{where}"'
                                  f"\n{api.discovery_table(found)}")  # fmt: skip
            ctx.save(api.plot_discovery(found), "discovery-baseline.png")
        box = data["box"]
        limits = "; ".join(f"{lim_text(k, v)} (quasi-p {v['quasi_p']:.2g})"
                           for k, v in box["limits"].items()) or "none"  # fmt: skip
        rows.append([name, f"`{where}`", f"{data['cases']:,} of {data['n']:,} "
                     f"({md.percent(data['base_rate'], 0)})",
                     f"{box['coverage']:.2f} / {box['density']:.2f} / {box['mass']:.2f}",
                     limits])  # fmt: skip
    header = ["scenario", "condition", "sets meeting it", "box coverage / density / mass",
              "box restrictions"]
    return "\n\n".join([f"({n:,} sets, Latin hypercube, seed {DEFAULT_SEED}.)", block,
                        md.table(header, rows)])  # fmt: skip


def lim_text(name: str, limit: dict) -> str:
    low = "" if limit["low"] is None else f"{limit['low']:.4g} <= "
    high = "" if limit["high"] is None else f" <= {limit['high']:.4g}"
    return f"{low}`{name}`{high}"


def fit(ctx: Context) -> str:
    """Each calibration target against fresh replications of the shipped baseline (docs:
    "10,000 fresh replications of the shipped baseline, seed 21"), and the fit figure
    (the prior's band against the calibrated one, 4,000 replications, seed + 2 as
    ``tanksim calibrate`` draws it)."""
    from dataclasses import replace

    from sim.analysis.calibration_fit import (
        fit_rows,
        joint_share_in_intervals,
        posterior_predictive,
    )

    baseline = api.load_scenario(scenario_file("baseline"))
    chosen = api.targets()
    reps = ctx.size.runs(10_000)
    cut = replace(baseline, end=max(t.month for t in chosen))
    predictive = posterior_predictive(cut, chosen, reps=reps, seed=FIT_SEED)
    rows = [[r["target"], f"{fit_num(r['observed'])} [{fit_num(r['low'])}, "
             f"{fit_num(r['high'])}]", three(r, fit_num) + ("" if r["inside_90"] else " (outside)"),
             md.percent(r["share_in_interval"], 0)]
            for r in fit_rows(chosen, predictive)]  # fmt: skip
    figure = api.plot_calibration_fit(api.load_scenario(scenario_file("prior")), baseline,
                                      reps=ctx.size.runs(4000), seed=DEFAULT_SEED + 2)
    path = ctx.save(figure, "calibration-fit.png")
    joint = joint_share_in_intervals(chosen, predictive)
    return "\n\n".join([
        md.table(["target", "observed [interval]", "calibrated p05 / p50 / p95",
                  "replications inside the interval"], rows),
        f"({reps:,} fresh replications of the shipped baseline, seed {FIT_SEED}; "
        f"{md.percent(joint, 0)} of them inside all {len(chosen)} intervals at once; "
        f"[figure]({path}).)",
    ])  # fmt: skip


NOT_TARGETS = REPO / "docs" / "not-targets.toml"
#: The seed and replications the docs' not-targets table states.
NOT_TARGETS_SEED, NOT_TARGETS_REPS = 11, 3000


def not_targets(ctx: Context) -> str:
    """Published figures that are not targets against the calibrated baseline's p05 / p50 /
    p95 of the quantity each would measure (``docs/not-targets.toml``; docs: "3,000
    replications, seed 11")."""
    import tomllib
    from dataclasses import replace

    import numpy as np

    from sim.analysis.calibration_fit import posterior_predictive
    from sim.analysis.targets import Target

    figures = tomllib.loads(NOT_TARGETS.read_text(encoding="utf-8"))["figure"]
    month = lambda m: None if m is None else parse_month(m)  # noqa: E731
    specs = [(i, q) for i, f in enumerate(figures) for q in f.get("model", [])]
    names = lambda v: (v,) if isinstance(v, str) else tuple(v)  # noqa: E731
    probes = [Target(id=f"{i}", fact="", variables=names(q["variable"]),
                     family=q.get("family", "all"), month=parse_month(q["month"]),
                     observed=np.nan, low=np.nan, high=np.nan, uncertainty="",
                     since=month(q.get("since")), drawdown_to=month(q.get("drawdown_to")))
              for i, q in specs]  # fmt: skip
    baseline = api.load_scenario(scenario_file("baseline"))
    last = max(max(t.month, t.minus or 0) for t in probes)
    reps = ctx.size.runs(NOT_TARGETS_REPS)
    values = posterior_predictive(replace(baseline, end=last), probes, reps=reps,
                                  seed=NOT_TARGETS_SEED)  # fmt: skip
    cells = {i: [] for i in range(len(figures))}
    for k, (i, q) in enumerate(specs):
        model = values[:, k] / q.get("per_months", 1)
        quantiles = np.quantile(model[np.isfinite(model)], [0.05, 0.5, 0.95],
                                method="inverted_cdf")  # fmt: skip
        text = " / ".join(md.count(x) for x in quantiles)
        cells[i].append(f"{q['label']}: {text}" if "label" in q else text)
    rows = [[f["figure"], f["source"], "; ".join(cells[i]) or "—", f["why"]]
            for i, f in enumerate(figures)]  # fmt: skip
    return "\n\n".join([
        f"(The calibrated baseline, {reps:,} replications, seed {NOT_TARGETS_SEED}; each figure "
        "and its model quantity in `docs/not-targets.toml`.)",
        md.table(["figure", "source", "calibrated model, p05 / p50 / p95", "why not a target"],
                 rows),
    ])  # fmt: skip


def fit_num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2f}"


def headline_calibrated(ctx: Context) -> str:
    """The calibrated baseline's fleet and exhaustion bands (docs: "headline, baseline
    (4,000 replications, seed 20220224)") and the posterior's detection share."""
    import numpy as np

    base = ctx.run("baseline", 4000, DEFAULT_SEED)
    m = api.summarise(base)["metrics"]
    posterior = base.scenario.posterior
    share = posterior.values[:, posterior.names.index("losses.detection_share")]
    low, high = np.quantile(share, [0.05, 0.95], method="inverted_cdf")
    rows = [[f"active fleet {d}, p05 / p50 / p95",
             " / ".join(md.count(traj(base, "active", d, k)) for k in ("p05", "p50", "p95"))]
            for d in ("2027-12", "2030-12")]  # fmt: skip
    rows += [["good-and-fair storage exhausted, p05 / p50 / p95", three(m["storage_exhausted"],
                                                                        str)],
             ["detection share, posterior 90%", f"{low:.2f}-{high:.2f}"]]  # fmt: skip
    return md.table([f"headline, baseline ({base.reps:,} replications, seed {base.seed})",
                     "value"], rows)  # fmt: skip


def evidence(ctx: Context) -> str:
    """The competing hypotheses' evidence, from the shipped ``evidence.json`` (what
    ``tanksim calibrate`` wrote; nothing is run)."""
    data = json.loads((SCENARIOS / "posterior" / "evidence.json").read_text())
    rows = []
    for h in data["hypotheses"]:
        name, proj = h["hypothesis"], data["projections"][h["hypothesis"]]
        first, last = data["rows"][name]
        label = " + ".join(f"`{part.split('=', 1)[1]}`" for part in name.split("+"))
        rows.append([label, scientific(h["acceptance_rate"], h["acceptance_rate_se"]),
                     f"{h['bayes_factor_vs_best']:#.2g}",
                     f"{h['weight']:.3f} ± {h['weight_se']:.3f}", last - first,
                     md.count(proj["active_p50_2027-12"]), md.count(proj["active_p50_2030-12"]),
                     proj["storage_exhausted_p50"]])  # fmt: skip
    header = ["hypothesis (production + storage)", "acceptance rate (± MC s.e.)",
              "Bayes factor vs best", "weight", "rows of the posterior",
              "median active fleet 2027-12", "2030-12",
              "good-and-fair storage exhausted (median)"]  # fmt: skip
    note = (f"(From `scenarios/posterior/evidence.json`: seed {data['seed']}, "
            f"{data['draws_per_generation']:,} draws a generation, {len(data['targets'])} "
            "targets; projections from each hypothesis' own particles.)")
    return note + "\n\n" + md.table(header, rows)


def scientific(value: float, error: float) -> str:
    """``3.0e-6 ± 0.5e-6``: a rate and its standard error in the rate's power of ten."""
    power = math.floor(math.log10(value))
    return f"{value / 10**power:.1f}e{power} ± {error / 10**power:.1f}e{power}"


HINDCAST_CUTS = ("2023-06", "2024-06", "2025-04")
#: The production hypothesis whose weight the hindcast table reports.
LOW_NEW_BUILDS = "production=new-builds-60-300"


def hindcast(ctx: Context) -> str:
    """``tanksim hindcast scenarios/baseline.toml --until CUT --draws 20000 --generations 8``
    at each cut-off (the API has no hindcast figure: the command writes it): the later
    targets, and every later record snapshot by family group scored against the model and
    against the naive forecast (the last six months' pace carried forward)."""
    draws, generations = ctx.size.pick(20_000, 600), ctx.size.pick(8, 2)
    rows, record_rows = [], []
    for cut in HINDCAST_CUTS:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "hindcast"
            tanksim("hindcast", scenario_file("baseline"), "--until", cut, "--draws", draws,
                    "--particles", ctx.size.pick(1000, 60), "--generations", generations,
                    "--reps", ctx.size.runs(4000), "--out", out, "--json")  # fmt: skip
            data = json.loads((out / "hindcast.json").read_text())
            shutil.copyfile(out / "horizon.png", ctx.figures / f"horizon-{cut}.png")
        scored, s = data["scored"], data["summary"]
        record = [r for r in scored if not r["target"].startswith("record:")]
        inside90 = sum(r["inside_90"] for r in record)
        rows.append([cut, f"{len(data['fitted_targets'])}", len(record),
                     f"{inside90} of {len(record)}",
                     f"{sum(r['inside_50'] for r in record)} of {len(record)}"])  # fmt: skip
        at, since = s.get("record_at_cut") or {}, s.get("record_since_cut") or {}
        if at.get("observations"):
            record_rows.append([
                cut, at["observations"],
                f"{md.percent(at['model_inside_90'], 0)} / {md.percent(at['naive_inside_90'], 0)}",
                f"{md.percent(at['model_inside_50'], 0)} / {md.percent(at['naive_inside_50'], 0)}",
                f"{at['model_mean_crps']:.1f} / {at['naive_mean_crps']:.1f}",
                f"{at['crps_skill']:+.2f}",
                f"{since['model_mean_crps']:.1f} / {since['naive_mean_crps']:.1f} "
                f"({since['crps_skill']:+.2f}); "
                f"{md.percent(since['model_inside_90'], 0)} in the 90% band" if since else "-",
                f"[figure](figures/horizon-{cut}.png)"])
    header = ["cut-off", "calibrated on (targets and record summaries)",
              "later published figures", "inside 90% band", "inside 50% band"]
    record_header = ["cut-off", "later record observations (family group x snapshot)",
                     "inside 90% band, model / naive", "inside 50% band, model / naive",
                     "mean CRPS, model / naive (tanks)", "CRPS skill",
                     "losses since the cut: mean CRPS, model / naive (skill)", "by horizon"]
    return (f"({draws:,} draws a generation, {generations} generations, seed {DEFAULT_SEED}; "
            "each cut calibrates on what was known by its end and projects from there.)\n\n"
            "The loss record after each cut, by family group and snapshot (cumulative "
            "confirmed losses), against the model and against the naive forecast; then the "
            "same scored on the losses since the last snapshot up to the cut (the model's pace "
            "after the cut, apart from the level its calibrated past reached by then; the "
            "naive forecast starts from the record's count, so its scores do not change):\n\n"
            + md.table(record_header, record_rows) + "\n\nThe other published figures "
            "dated after each cut:\n\n" + md.table(header, rows))


def tanksim(*args) -> str:
    """Run ``tanksim ARGS`` in this process (click's CliRunner), for what the API lacks;
    its stdout, or SystemExit with its output when it fails."""
    from click.testing import CliRunner

    from sim.cli import cli

    outcome = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if outcome.exit_code != 0:
        raise SystemExit(f"tanksim {' '.join(map(str, args))}: exit {outcome.exit_code}\n"
                         f"{outcome.output}")
    return outcome.output


# ---------------------------------------------------------------------------------------------
# The loss record by family, the loss process after it, production: the shipped baseline
# against what the record and the sources say.

#: Replications and seed of the record checks (the baseline against the record by family).
RECORD_REPS, RECORD_SEED = 2000, 20220224
#: The families compared quarter by quarter (T-90 includes the new-build T-90M).
RECORD_GROUPS = ("T-62", "T-64", "T-72", "T-80", "T-90")
#: Highmarsed's removals from open-air bases by mid-2024 (targets in seeds/targets.toml).
REMOVAL_TARGETS = ("highmarsed-removed-t72-2024-06", "highmarsed-removed-t80-2024-06",
                   "highmarsed-removed-t62-2024-06")


def _record_series():
    """The bundled record by comparison group: dates (N,), {group: (N,) cumulative}."""
    import numpy as np

    from sim.analysis.record_targets import group_series
    from sim.model.record import confirmed_by_family, load_record

    dates, families, counts = confirmed_by_family(load_record())
    baseline = api.load_scenario(scenario_file("baseline"))
    groups = {name: values for name, _, values in
              group_series(families, counts, baseline.family_names)}  # fmt: skip
    return np.asarray(dates, dtype="datetime64[D]"), groups


def _quarter_ends(dates):
    """Indices of the snapshots nearest each quarter's end (the record's own choice)."""
    from sim.analysis.record_targets import chosen_snapshots

    return chosen_snapshots(dates)


def record_coverage(ctx: Context) -> str:
    """The shipped baseline's confirmed losses by family at every quarter-end snapshot of the
    record, against the record: the share inside the 90% and 50% bands, and the worst miss;
    then Highmarsed's removals by family to mid-2024 with the estimated coverage of that
    source."""
    import numpy as np

    from sim.analysis.observe import predict_observations
    from sim.analysis.record_targets import level_observations
    from sim.api.calibration import RECORD_FACT

    dates, groups = _record_series()
    index = _quarter_ends(dates)
    baseline = api.load_scenario(scenario_file("baseline"))
    names = [g for g in RECORD_GROUPS if g in groups]
    obs_groups = [g for i in index for g in names]
    obs_dates = [dates[i] for i in index for _ in names]
    observed = np.array([groups[g][i] for i in index for g in names], dtype=float)
    levels = level_observations(obs_groups, np.array(obs_dates), observed,
                                baseline.family_names, fact=RECORD_FACT)  # fmt: skip
    reps = ctx.size.runs(RECORD_REPS)
    model = predict_observations(baseline, levels, reps=reps, seed=RECORD_SEED)
    q = np.quantile(model, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    rows = []
    for g in names:
        k = np.array([x == g for x in obs_groups])
        inside90 = (q[0, k] <= observed[k]) & (observed[k] <= q[4, k])
        inside50 = (q[1, k] <= observed[k]) & (observed[k] <= q[3, k])
        # the median's ratio to the record, both floored at one tank (0 against 0 is a match)
        ratio = np.maximum(q[2, k], 1.0) / np.maximum(observed[k], 1.0)
        worst = int(np.argmax(np.abs(np.log(ratio))))
        last = int(np.flatnonzero(k)[-1])
        rows.append([g, f"{int(inside90.sum())} of {int(k.sum())}",
                     f"{int(inside50.sum())} of {int(k.sum())}",
                     f"{np.array(obs_dates)[k][worst]}: {md.count(q[2, k][worst])} against "
                     f"{md.count(observed[k][worst])}",
                     f"{md.count(observed[last])}: {md.count(q[0, last])} / "
                     f"{md.count(q[2, last])} / {md.count(q[4, last])}"])  # fmt: skip
    table = md.table(["family", "quarter ends inside the 90% band", "inside the 50% band",
                      "worst median against the record", "latest snapshot: record, model "
                      "p05 / p50 / p95"], rows)  # fmt: skip
    removals = _removal_rows(baseline, reps)
    return "\n\n".join([
        f"({reps:,} replications of the shipped baseline, seed {RECORD_SEED}; "
        f"{len(index)} quarter-end snapshots of the record, {dates[index[0]]} to "
        f"{dates[index[-1]]}; confirmed = detection share x (1 - unknown share) x true "
        "losses, each read at its snapshot's date.)", table,
        "Removals from open-air bases by mid-2024 (Highmarsed), read through that source's "
        "estimated coverage:", removals])  # fmt: skip


def _removal_rows(baseline, reps: int) -> str:
    import numpy as np

    from sim.analysis.observe import predict_observations

    chosen = {t.id: t for t in api.targets()}
    targets = [chosen[i] for i in REMOVAL_TARGETS if i in chosen]
    if not targets:
        return "(no removal target in seeds/targets.toml)"
    model = predict_observations(baseline, targets, reps=reps, seed=RECORD_SEED)
    rows = []
    for k, t in enumerate(targets):
        p = np.quantile(model[:, k], [0.05, 0.5, 0.95])
        inside = p[0] <= t.observed <= p[2]
        rows.append([t.family, f"{md.count(t.observed)} [{md.count(t.low)}, "
                     f"{md.count(t.high)}]", " / ".join(md.count(x) for x in p)
                     + ("" if inside else " (outside)")])  # fmt: skip
    coverage = [n for n in baseline.params() if n.startswith("observation.") and
                "highmarsed" in n]  # fmt: skip
    note = ""
    if coverage:
        from sim.runs.sampling import draw_params

        values = draw_params(baseline, seed=RECORD_SEED, first_rep=0, reps=reps)[coverage[0]]
        p = np.quantile(values, [0.05, 0.5, 0.95])
        note = (f"\n\nEstimated coverage of the count (`{coverage[0]}`, posterior p05 / p50 / "
                f"p95): {p[0]:.2f} / {p[1]:.2f} / {p[2]:.2f}.")
    return md.table(["family", "observed [interval]", "model p05 / p50 / p95"], rows) + note


def continuation(ctx: Context) -> str:
    """Where the projection starts: the first six projected months' confirmed-loss pace over
    the last six fitted months', and which parameters explain the 2030-12 active fleet
    (Spearman rank correlation squared, drawn parameters; the walk's own innovations are
    the rest)."""
    import numpy as np
    from scipy.stats import spearmanr

    from sim.runs.ensemble import Probe, run_ensemble
    from sim.runs.sampling import draw_params

    baseline = api.load_scenario(scenario_file("baseline"))
    fitted = baseline.fitted_until
    months = [fitted - 6, fitted, fitted + 6, baseline.end]
    probes = tuple(Probe("lost_confirmed", m) for m in months[:3]) + (
        Probe("active", months[3]),)
    reps = ctx.size.runs(RECORD_REPS)
    values = draw_params(baseline, seed=RECORD_SEED, first_rep=0, reps=reps)
    ensemble = run_ensemble(baseline, values, seed=RECORD_SEED, probes=probes)
    lost = ensemble.probes[:, :3].astype(float)
    before, after = lost[:, 1] - lost[:, 0], lost[:, 2] - lost[:, 1]
    ratio = after / np.maximum(before, 1.0)
    r = np.quantile(ratio, [0.05, 0.5, 0.95])
    active = ensemble.probes[:, 3].astype(float)
    ranking = []
    for name, column in values.items():
        column = np.asarray(column, dtype=float)
        if np.ptp(column) == 0:
            continue
        rho = spearmanr(column, active).statistic
        ranking.append((rho * rho, name, rho))
    ranking.sort(reverse=True)
    rows = [[f"`{n}`", f"{rho:+.2f}", md.percent(r2, 0)] for r2, n, rho in ranking[:8]]
    a = np.quantile(active, [0.05, 0.5, 0.95])
    return "\n\n".join([
        f"({reps:,} replications of the shipped baseline, seed {RECORD_SEED}; the record is "
        f"fitted to {format_month(fitted)}, the hazard walks after it.)",
        md.table(["measure", "median [p05, p95]"], [
            [f"confirmed-loss pace {format_month(fitted + 1)}..{format_month(fitted + 6)} over "
             f"{format_month(fitted - 5)}..{format_month(fitted)}",
             f"{r[1]:.2f} [{r[0]:.2f}, {r[2]:.2f}]"],
            [f"active fleet {format_month(months[3])}",
             f"{md.count(a[1])} [{md.count(a[0])}, {md.count(a[2])}]"]]),
        "What explains the active fleet at the horizon (the eight drawn parameters with the "
        "largest squared rank correlation; the walk's monthly innovations, not parameters, "
        "carry the rest):",
        md.table(["parameter", "rank correlation", "share of rank variance"], rows),
    ])  # fmt: skip


#: The periods of the family-share table: (label, first month, last month, record snapshot
#: nearest its end); the first period starts with the war.
SHARE_PERIODS = (("2022", "2022-02", "2022-12", "2022-12-31"), ("2023", "2023-01", "2023-12",
                 "2023-12-31"), ("2024", "2024-01", "2024-12", "2024-12-31"),
                 ("2025", "2025-01", "2025-12", "2025-12-31"),
                 ("2026-01..04", "2026-01", "2026-04", "2026-04-30"))  # fmt: skip


def family_shares(ctx: Context) -> str:
    """Each family's share of the active fleet, of the exposed fleet (active x loss weight)
    and of the true losses, year by year, against Oryx's share of typed losses: whether the
    family mix the model loses is the mix the record lists."""
    import numpy as np

    from sim.analysis.family_shares import group_matrix, period_shares, record_shares
    from sim.analysis.record_targets import GROUPS
    from sim.runs.ensemble import Probe, complete_values, run_ensemble
    from sim.runs.sampling import draw_params

    baseline = api.load_scenario(scenario_file("baseline"))
    families = list(baseline.family_names)
    members = {name: model for name, model, _ in GROUPS}
    groups = group_matrix(families, [members[g] for g in RECORD_GROUPS])
    start = baseline.start
    last = max(parse_month(p[2]) for p in SHARE_PERIODS) - start
    probes = tuple(Probe(v, start + t, f) for v in ("active", "lost") for t in range(last + 1)
                   for f in families)  # fmt: skip
    reps = ctx.size.runs(RECORD_REPS)
    values = draw_params(baseline, seed=RECORD_SEED, first_rep=0, reps=reps)
    full = run_ensemble(baseline, values, seed=RECORD_SEED, probes=probes).probes
    shaped = full.reshape(reps, 2, last + 1, len(families)).astype(float)
    every = complete_values(baseline, values)
    weight = np.column_stack([np.broadcast_to(np.asarray(
        every[f"families.{f}.vulnerability"], dtype=float), (reps,)) for f in families])
    periods = [(parse_month(a) - start, parse_month(b) - start) for _, a, b, _ in SHARE_PERIODS]
    shares = period_shares(shaped[:, 0], weight, shaped[:, 1], periods, groups)
    dates, series = _record_series()
    counts = np.column_stack([series[g] for g in RECORD_GROUPS])
    ends = [int(np.argmin(np.abs(dates - np.datetime64(d)))) for *_, d in SHARE_PERIODS]
    recorded = record_shares(counts, list(zip([-1, *ends[:-1]], ends)))
    median = {k: np.median(v, axis=0) for k, v in shares.items()}
    rows = [[label if g == 0 else "", name, md.percent(median["fleet"][p, g], 0),
             md.percent(median["exposed"][p, g], 0), md.percent(median["losses"][p, g], 0),
             md.percent(recorded[p, g], 0)]
            for p, (label, *_) in enumerate(SHARE_PERIODS)
            for g, name in enumerate(RECORD_GROUPS)]  # fmt: skip
    loss_weight = [f"{f} {np.median(weight[:, i]):.2f}" for i, f in enumerate(families)
                   if np.ptp(weight[:, i]) > 0]  # fmt: skip
    return "\n\n".join([
        f"({reps:,} replications of the shipped baseline, seed {RECORD_SEED}; shares among "
        f"the five groups, medians over replications; the record's periods end at the "
        f"snapshot nearest each date: {', '.join(str(dates[i]) for i in ends)}.)",
        md.table(["period", "family", "active fleet", "exposed fleet (active x loss weight)",
                  "true losses (model)", "typed losses (Oryx)"], rows),
        "Loss weights (`vulnerability`, posterior medians; T-72 = 1): "
        + ", ".join(loss_weight) + "."])  # fmt: skip


def production(ctx: Context) -> str:
    """New builds in 2022-2024 against the sources: the T-90M family (Resurgam's 164 new
    T-90Ms; CIT's 400-550 T-90Ms completed, upgraded T-90As included) and the share built as
    T-80BVMs (Janes: up to 150 a year)."""
    import numpy as np

    from sim.runs.ensemble import Probe, run_ensemble
    from sim.runs.sampling import draw_params

    baseline = api.load_scenario(scenario_file("baseline"))
    end = parse_month("2024-12")
    probes = tuple(Probe("produced", end, family) for family in ("T-90M", "T-80", "all"))
    reps = ctx.size.runs(RECORD_REPS)
    values = draw_params(baseline, seed=RECORD_SEED, first_rep=0, reps=reps)
    built = run_ensemble(baseline, values, seed=RECORD_SEED, probes=probes).probes
    rows = [
        ("T-90M family", "164 new T-90Ms (Resurgam, t90m-produced-2022-2024); 400-550 T-90Ms "
         "completed, upgraded T-90As included (CIT, t90m-produced-cit-2022/2023/2024)"),
        ("T-80 (new-build T-80BVMs, production.share.T-80)",
         "up to 150 a year (Janes, new-tank-production-janes-2025): up to about 420 in "
         "2022-02..2024-12"),
        ("every new hull", "the produced-2022/2023/2024 targets: 10-200, 40-330, 60-450"),
    ]  # fmt: skip
    table = [[name, " / ".join(md.count(x) for x in np.quantile(built[:, k], [0.05, 0.5, 0.95])),
              source] for k, (name, source) in enumerate(rows)]  # fmt: skip
    note = f"\n\n({reps:,} replications of the shipped baseline, seed {RECORD_SEED}.)"
    return md.table(["new builds 2022-02..2024-12", "model p05 / p50 / p95", "sources"],
                    table) + note


# ---------------------------------------------------------------------------------------------
# The table of analyses, and writing them out.


@dataclass(frozen=True)
class Analysis:
    title: str
    make: Callable[[Context], str]


ANALYSES = {
    "fit": Analysis("Calibration: each target against the shipped posterior", fit),
    "not-targets": Analysis("Published figures that are not targets", not_targets),
    "evidence": Analysis("Competing hypotheses: evidence and projections", evidence),
    "headline-calibrated": Analysis("Calibrated baseline: fleet and exhaustion bands",
                                    headline_calibrated),
    "hindcast": Analysis("Hindcasts", hindcast),
    "record-coverage": Analysis("The record by family: the calibrated baseline's bands",
                                record_coverage),
    "family-shares": Analysis("Which families are lost: fleet, exposure and the record",
                              family_shares),
    "continuation": Analysis("Losses after the record: where the projection starts",
                             continuation),
    "production": Analysis("New production against its sources", production),
    "headline": Analysis("Headline figures of the calibrated baseline", headline),
    "ceasefire": Analysis("Ceasefire: rebuild months", ceasefire),
    "compare": Analysis("North Korean supply and escalation: paired comparison", compare),
    "supply-needed": Analysis("North Korean supply needed", supply_needed),
    "convergence": Analysis("Convergence of the baseline's headline metrics", convergence),
    "sweep": Analysis("One-at-a-time sweep of the baseline", sweep),
    "sobol": Analysis("Global sensitivity: Sobol' indices", sobol),
    "morris": Analysis("Global sensitivity: Morris screening", morris),
    "discovery": Analysis("Scenario discovery (PRIM)", discovery),
}


def marker(name: str) -> tuple[str, str]:
    return f"<!-- results:{name} -->", f"<!-- /results:{name} -->"


def replace_sections(text: str, sections: dict[str, str], where: str) -> str:
    """``text`` with the content between each ``NAME``'s markers replaced by
    ``sections[NAME]`` (a blank line either side); names without markers are left out.
    Raises ValueError naming ``where`` when a start marker has no end, or appears twice."""
    for name, content in sections.items():
        start, end = marker(name)
        if text.count(start) > 1:
            raise ValueError(f"{where}: {start} appears {text.count(start)} times")
        if start not in text:
            continue
        found = re.search(re.escape(start) + r"\n.*?" + re.escape(end), text, re.DOTALL)
        if not found:
            raise ValueError(f"{where}: {start} has no {end} after it")
        new = f"{start}\n\n{content.strip()}\n\n{end}"
        text = text[: found.start()] + new + text[found.end() :]
    return text


def section(text: str, name: str) -> str | None:
    """The content between ``name``'s markers in ``text``, or None."""
    start, end = marker(name)
    found = re.search(re.escape(start) + r"\n(.*?)" + re.escape(end), text, re.DOTALL)
    return found.group(1).strip() if found else None


def marked_pages() -> list[Path]:
    """The pages whose ``<!-- results:NAME -->`` markers the script fills: every page of docs/
    but the generated results page, and README.md."""
    return [README] + sorted(p for p in DOCS.glob("*.md") if p != RESULTS_MD)


def page_tables(page: Path, tables: dict[str, str]) -> dict[str, str]:
    """``tables`` with their figure links made relative to ``page`` (they are written relative
    to docs/; README.md sits one folder up)."""
    if page.parent == DOCS:
        return tables
    return {k: v.replace("](figures/", "](docs/figures/") for k, v in tables.items()}


def marked_texts(tables: dict[str, str]) -> dict[Path, str]:
    """Each marked page's text with ``tables`` between its markers (checked before any write)."""
    return {page: replace_sections(page.read_text(encoding="utf-8"), page_tables(page, tables),
                                   str(page.relative_to(REPO)))
            for page in marked_pages()}  # fmt: skip


def write_marked_pages(texts: dict[Path, str]) -> list[str]:
    """Write the pages whose text changed; their names."""
    changed = []
    for page, text in texts.items():
        if text != page.read_text(encoding="utf-8"):
            write_atomic(page, text)
            changed.append(page.name)
    return changed


def results_tables(text: str) -> dict[str, str]:
    """The tables of docs/results.md (``text``) by analysis, without their provenance line;
    analyses not generated yet are left out."""
    tables = {}
    for name in ANALYSES:
        body = section(text, name)
        if body and body.startswith("*`python docs/regenerate.py") and "\n\n" in body:
            tables[name] = body.split("\n\n", 1)[1]
    return tables


def results_page(sections: dict[str, str], header: str) -> str:
    """docs/results.md: the header, then every analysis's section in :data:`ANALYSES` order."""
    parts = [header]
    for name, analysis in ANALYSES.items():
        start, end = marker(name)
        body = sections.get(name, "*Not generated yet: `python docs/regenerate.py --only "
                                  f"{name}`.*")  # fmt: skip
        parts.append(f"## {analysis.title}\n\n{start}\n\n{body.strip()}\n\n{end}")
    return "\n\n".join(parts) + "\n"


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def provenance(command: str, revision: str, posterior_sha: str, wall: float, cpu: float) -> str:
    return (f"*`{command}`, {datetime.date.today().isoformat()}, git {revision}, posterior "
            f"sha256 {posterior_sha[:16]}..., {wall:.0f} s ({cpu:.0f} s of processor time).*")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=None,
                        help="replications of every plain run (default: as the docs state)")
    parser.add_argument("--quick", action="store_true",
                        help="small settings everywhere: to check the script, not to publish")
    parser.add_argument("--only", nargs="+", choices=list(ANALYSES), metavar="NAME",
                        help=f"run only these ({', '.join(ANALYSES)})")
    parser.add_argument("--sync", action="store_true",
                        help="run nothing: copy the tables of docs/results.md into the marked "
                             "pages (after a merge, or after moving a table to another page)")
    args = parser.parse_args(argv)
    if args.reps is not None and args.reps < 2:
        parser.error(f"--reps = {args.reps}: must be at least 2")
    if args.sync:
        tables = results_tables(RESULTS_MD.read_text(encoding="utf-8"))
        changed = write_marked_pages(marked_texts(tables))
        print(f"copied {len(tables)} tables of {RESULTS_MD.relative_to(REPO)} into the marked "
              f"pages; changed {changed}", file=sys.stderr)
        return 0
    from sim.present.manifest import git_revision

    command = "python docs/regenerate.py" + (" " + " ".join(argv if argv is not None
                                                             else sys.argv[1:])).rstrip()
    revision = git_revision() or "unknown"
    posterior_sha = hashlib.sha256(
        (SCENARIOS / "posterior" / "baseline.csv").read_bytes()).hexdigest()
    ctx = Context(Size(quick=args.quick, reps=args.reps))
    previous = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else ""
    sections = {name: body for name in ANALYSES if (body := section(previous, name))}
    tables, started = {}, time.perf_counter()
    for name in args.only or ANALYSES:
        began, began_cpu = time.perf_counter(), time.process_time()
        tables[name] = ANALYSES[name].make(ctx)
        wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
        sections[name] = (provenance(command, revision, posterior_sha, wall, cpu) + "\n\n"
                          + tables[name])  # fmt: skip
        print(f"{name}: {wall:.1f} s wall, {cpu:.1f} s cpu", file=sys.stderr)
    pages = marked_texts(tables)
    quick = ""
    if any(re.search(r"--quick|--reps", body.split("\n", 1)[0]) for body in sections.values()):
        quick = ("\n\n**Some sections were made with `--quick` or `--reps` (their first line "
                 "says so): small or changed replication counts, to check the script, not to "
                 "quote.**")
    header = ("# Results\n\n<!-- Generated by docs/regenerate.py: do not edit by hand. -->\n\n"
              "Every table on this page is generated: `python docs/regenerate.py` reruns each "
              "analysis with the replications and seeds stated beside it and rewrites this "
              "page, the same tables in the other pages and the figures in `docs/figures/`.\n\n"
              f"Last command: `{command}`, {datetime.date.today().isoformat()}, git revision "
              f"{revision}, posterior `scenarios/posterior/baseline.csv` sha256 "
              f"{posterior_sha}.{quick}")  # fmt: skip
    write_atomic(RESULTS_MD, results_page(sections, header))
    write_marked_pages(pages)
    print(f"wrote {RESULTS_MD.relative_to(REPO)} and the marked tables of {len(pages)} pages in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
