"""Plain-text tables of sweeps, sensitivity analyses, scenario discoveries and calibrations.

Pure functions from the api's plain objects (or the JSON-ready dicts the folders hold) to
text; ``tanksim`` prints them and :mod:`sim.api` returns them. No click, no printing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.analysis.calibrate import Generation
    from sim.analysis.results import CalibrationRun
    from sim.analysis.sweep import SweepResult


def num(value: float) -> str:
    """Whole numbers with separators from 100 up, three significant digits below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def sweep_text(result: SweepResult) -> str:
    """A table of a sweep: at each point the fixed values, the mean active fleet at the
    horizon end with its 5-95% range (tanks), the mean and median month good+fair storage is
    exhausted (means over the replications in which it is) and the share in which it never is.
    """
    from sim.analysis.condition import describe_month

    scen = result.scenario
    mode = "grid" if result.grid else "one at a time"
    lines = [f"sweep of {scen.name} ({mode}): {result.reps:,} replications per point, "
             f"seed {result.seed}, {result.sampling} sampling",
             f"  {'point':<5} {'fixed values':<48}{'active_end':>12}{'p05..p95':>16}"
             f"{'exhausted':>11}{'p50':>9}{'never':>7}"]  # fmt: skip
    for i, (point, stats) in enumerate(zip(result.points, result.stats)):
        fixed = ", ".join(f"{k}={v:.4g}" for k, v in point.values.items()) or "(all drawn)"
        a, e = stats["active_end"], stats["storage_exhausted"]
        spread = f"{a['p05']:,.0f}..{a['p95']:,.0f}"
        mean = scen.months if e["mean"] is None else e["mean"]
        p50 = scen.months if e["p50"] is None else e["p50"]
        lines.append(
            f"  {i:<5} {fixed[:47]:<48}{a['mean']:>12,.0f}{spread:>16}"
            f"{describe_month(scen, mean):>11}{describe_month(scen, p50):>9}"
            f"{e['never_share']:>7.0%}"
        )
    lines.append("  (exhausted: mean month good+fair storage is exhausted, over the replications "
                 "in which it is)")  # fmt: skip
    return "\n".join(lines)


def sensitivity_text(data: dict, top: int = 10, *, warnings: bool = True) -> str:
    """The ``top`` inputs per outcome of indices.json's ``data``, with their indices and
    intervals, and (``warnings``) any warning that n is too small."""
    lines = [f"{data['method']} sensitivity of {data['scenario']}: {data['parameters']} "
             f"parameters, n = {data['n']:,}, {data['replications']:,} replications, "
             f"seed {data['seed']}"]  # fmt: skip
    for name, entry in data["outcomes"].items():
        rows = list(entry["parameters"].items())[:top]
        if data["method"] == "sobol":
            lines.append(f"  {name}: first-order indices sum to {entry['sum_first_order']:.2f};"
                         f" random flows {entry['random_flows']:.0%} of the variance")  # fmt: skip
            lines.append(f"    {'parameter':<44}{'total [95%]':>22}{'first-order [95%]':>24}")
            for param, s in rows:
                total = f"{s['total']:.3f} [{s['total_low']:.3f}, {s['total_high']:.3f}]"
                first = f"{s['first']:.3f} [{s['first_low']:.3f}, {s['first_high']:.3f}]"
                lines.append(f"    {param:<44}{total:>22}{first:>24}")
        else:
            lines.append(f"  {name} ({entry['unit']})")
            lines.append(f"    {'parameter':<44}{'mu* [95%]':>26}{'mu':>10}{'sigma':>10}")
            for param, s in rows:
                mu_star = f"{num(s['mu_star'])} [{num(s['mu_star_low'])}, {num(s['mu_star_high'])}]"
                lines.append(f"    {param:<44}{mu_star:>26}{num(s['mu']):>10}{num(s['sigma']):>10}")
    if warnings:
        lines += [f"warning: {w}" for w in data.get("warnings", [])]
    return "\n".join(lines)


def discover_text(data: dict) -> str:
    """The chosen box of discover.json's ``data`` in a few lines."""
    box = data["box"]
    lines = [
        f"{data['scenario']}: {data['cases']:,} of {data['n']:,} replications "
        f"({data['base_rate']:.0%}) meet '{data['where']}'",
        f"  box (step {data['chosen_step']} of {len(data['trajectory']) - 1}): coverage "
        f"{box['coverage']:.2f}, density {box['density']:.2f}, mass {box['mass']:.2f}",
    ]
    for name, lim in box["limits"].items():
        low = "" if lim["low"] is None else f"{lim['low']:.4g} <= "
        high = "" if lim["high"] is None else f" <= {lim['high']:.4g}"
        sampled = f"sampled {lim['sampled'][0]:.4g}..{lim['sampled'][1]:.4g}"
        lines.append(f"    {low}{name}{high}   ({sampled}; quasi-p {lim['quasi_p']:.2g})")
    if not box["limits"]:
        lines.append("    no parameter restricted")
    return "\n".join(lines)


def generation_line(step: Generation) -> str:
    """One ABC-SMC generation: tolerance, acceptance, sets that fit every target, ESS."""
    return (f"  tolerance {step.epsilon:5.3f}: kept {step.accepted:,} of {step.proposed:,} "
            f"proposed ({step.accepted / step.proposed:.1%}); {step.fit_all:,} fit every "
            f"target; ESS {step.ess:,.0f}")  # fmt: skip


def _fit_num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2f}"


def fit_text(run: CalibrationRun) -> str:
    """The fit table of a calibration, what the posterior holds, and one verdict line that
    agrees with the table."""
    lines = [f"{'target':34s} {'observed':>9s} {'interval':>17s} {'p05':>9s} {'p50':>9s} "
             f"{'p95':>9s}  in 90%  reps in interval"]  # fmt: skip
    record = {r["target"] for r in run.fit if r["target"].startswith("record:")}
    for r in run.fit:
        if r["target"] in record:
            continue
        lines.append(f"{r['target']:34s} {_fit_num(r['observed']):>9s} "
                     f"{_fit_num(r['low']) + '-' + _fit_num(r['high']):>17s} "
                     f"{_fit_num(r['p05']):>9s} {_fit_num(r['p50']):>9s} "
                     f"{_fit_num(r['p95']):>9s}  {'yes' if r['inside_90'] else 'NO ':6s}"
                     f"  {r.get('share_in_interval', float('nan')):.0%}")  # fmt: skip
    lines.extend(record_text(getattr(run, "coverage", []), getattr(run, "sources", [])))
    if "joint_share_in_intervals" in run.meta:
        lines.append(f"fresh calibrated replications inside every interval at once: "
                     f"{run.meta['joint_share_in_intervals']:.0%}")  # fmt: skip
    cal = run.calibration
    last = cal.generations[-1]
    lines.append(f"posterior: {run.sets_phrase}")
    lines.append(f"final acceptance {last.accepted / last.proposed:.2%} ({last.accepted:,} of "
                 f"{last.proposed:,})")  # fmt: skip
    reasons = []
    tolerance = getattr(cal, "tolerance", 1.0)
    if tolerance > 1.0:
        reasons.append(f"no set fits every target: kept the sets within {tolerance:.2f} "
                       "half-widths of every interval, the smallest tolerance reached")  # fmt: skip
    short = [h for h in (run.evidence or {}).get("hypotheses", [])
             if not h.get("particles_collected", True)]  # fmt: skip
    if short:  # competing hypotheses: say which fell short of its particles
        reasons.append("; ".join(f"only {h['particles']:,} of {run.meta.get('particles', 0):,} "
                                 f"particles fit every target under {h['hypothesis']}"
                                 for h in short))  # fmt: skip
    elif not cal.converged:
        reasons.append(f"only {len(cal.values):,} of {run.meta.get('particles', 0):,} "
                       "particles fit every target")  # fmt: skip
    if run.outside:
        named = [t for t in run.outside if t not in record]
        shown = named + ([f"{len(run.outside) - len(named)} record observations"]
                         if len(named) < len(run.outside) else [])  # fmt: skip
        reasons.append(f"OUTSIDE the 90% band: {', '.join(shown)}")
    if reasons:
        lines.append("converged: no (" + "; ".join(reasons) + ")")
    else:
        lines.append(f"converged: yes; every observed value inside the calibrated 90% band "
                     f"({len(run.fit)} targets)")  # fmt: skip
    return "\n".join(lines)


def record_text(coverage: list[dict], sources: list[dict]) -> list[str]:
    """Lines: each record series' posterior predictive coverage (its observations inside the
    calibrated 50% and 90% bands), then each source the fit rejects (observations outside
    the 90% band)."""
    lines = []
    if coverage:
        lines.append(f"{'record series':34s} {'observations':>12s}  inside 50%  inside 90%")
        for r in coverage:
            lines.append(f"{r['series']:34s} {r['observations']:12d}  "
                         f"{r['coverage_50']:10.0%}  {r['coverage_90']:10.0%}")  # fmt: skip
    rejected = [r for r in sources if r["outside_90"]]
    for r in rejected:
        shown = ", ".join(r["outside_90"][:4]) + (" ..." if len(r["outside_90"]) > 4 else "")
        source = r["source"].split(" (")[0].split(";")[0]
        lines.append(f"rejected: {source}: {len(r['outside_90'])} of {r['observations']} "
                     f"outside the 90% band ({shown})")  # fmt: skip
    if sources and not rejected:
        lines.append("no source rejected: every observation inside the calibrated 90% band")
    return lines


def hindcast_text(run) -> str:
    """A hindcast's scores as a table: each later target's observed value against its
    projected p05/p50/p95, inside the 50% and 90% bands, interval score and CRPS."""
    from sim.model.calendar import format_month

    head = (f"hindcast of {run.name}: calibrated on {len(run.fitted)} targets up to "
            f"{format_month(run.until)}, scored on {len(run.rows)} later ones")  # fmt: skip
    lines = [head, f"{'target':32} {'date':>7} {'observed':>9} {'p05':>9} {'p50':>9} "
             f"{'p95':>9} {'50%':>4} {'90%':>4} {'int.score':>10} {'CRPS':>9}"]  # fmt: skip
    for r in run.rows:
        fmt = (lambda x: f"{x:9.2f}") if r["high"] <= 1.0 else (lambda x: f"{x:9,.0f}")
        lines.append(
            f"{r['target']:32} {r['date']:>7} {fmt(r['observed'])} {fmt(r['p05'])} "
            f"{fmt(r['p50'])} {fmt(r['p95'])} {'yes' if r['inside_50'] else 'no':>4} "
            f"{'yes' if r['inside_90'] else 'NO':>4} {r['interval_score_90']:10,.2f} "
            f"{r['crps']:9,.2f}"
        )  # fmt: skip
    s = run.summary
    lines.append(f"inside the 50% band: {s['inside_50_share']:.0%}; inside the 90% band: "
                 f"{s['inside_90_share']:.0%}; mean CRPS / observed: "
                 f"{s['mean_crps_relative']:.3f}")  # fmt: skip
    lines.append(record_scores_line(run.horizon[-1] if run.horizon else None,
                                    run.forecast_note))  # fmt: skip
    if run.since_horizon:
        since = run.since_horizon[-1]
        model, naive = since["model_mean_crps"], since["naive_mean_crps"]
        lines.append(f"the same on the losses since the cut (the pace, not the level): mean "
                     f"CRPS {model:,.1f} vs {naive:,.1f} tanks (skill "
                     f"{since['crps_skill']:+.2f}); inside the 90% band "
                     f"{since['model_inside_90']:.0%} vs "
                     f"{since['naive_inside_90']:.0%}")  # fmt: skip
    return "\n".join(lines)


def record_scores_line(at_cut: dict | None, note: str = "") -> str:
    """The record observations after the cut, model against the naive forecast, in a line:
    share inside the 90% and 50% bands, mean CRPS of each and the CRPS skill."""
    if at_cut is None:
        return f"record against the naive forecast: {note}"
    skill = at_cut["crps_skill"]
    return (f"record after the cut ({at_cut['observations']} observations), model vs naive: "
            f"inside the 90% band {at_cut['model_inside_90']:.0%} vs "
            f"{at_cut['naive_inside_90']:.0%}; inside the 50% band "
            f"{at_cut['model_inside_50']:.0%} vs {at_cut['naive_inside_50']:.0%}; mean CRPS "
            f"{at_cut['model_mean_crps']:,.1f} vs {at_cut['naive_mean_crps']:,.1f} tanks "
            f"(skill {skill:+.2f})")  # fmt: skip


def hindcast_cuts_text(cuts: list[dict]) -> str:
    """Several cut-offs as a table (one row per cut, :func:`sim.api.hindcasting.cut_rows`):
    targets fitted and scored, the later targets inside the 90% band, and the record after
    the cut, model against the naive forecast."""
    lines = ["cut-offs, record after each cut: model vs naive forecast",
             f"{'cut':7} {'fitted':>6} {'scored':>6} {'obs':>4} {'in 90% m/n':>11} "
             f"{'in 50% m/n':>11} {'CRPS model':>11} {'CRPS naive':>11} {'skill':>6}"]  # fmt: skip
    for c in cuts:
        lines.append(
            f"{c['cut']:7} {c['fitted_targets']:6d} {c['scored_targets']:6d} "
            f"{c['observations']:4d} {_pair(c, 90):>11} {_pair(c, 50):>11} "
            f"{c['model_mean_crps']:11,.1f} {c['naive_mean_crps']:11,.1f} {c['crps_skill']:+6.2f}"
        )  # fmt: skip
    return "\n".join(lines)


def _pair(row: dict, band: int) -> str:
    model, naive = row[f"model_inside_{band}"], row[f"naive_inside_{band}"]
    return "-" if model != model else f"{model:.0%}/{naive:.0%}"
