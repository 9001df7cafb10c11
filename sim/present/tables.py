"""Plain-text tables for the terminal: headline metrics, comparisons, supply answers."""

from __future__ import annotations


def headline_table(summaries: list[dict]) -> str:
    """A short plain-text table of the headline metrics, one block per scenario."""
    lines = []
    for s in summaries:
        lines.append(
            f"{s['scenario']}  ({s['start']}..{s['end']}, {s['reps']:,} reps, seed {s['seed']})"
        )
        lines.append(f"  {'metric':<30}{'mean':>10}{'p05':>10}{'p50':>10}{'p95':>10}{'never':>8}")
        for name, m in s["metrics"].items():
            cells = [m[k] if isinstance(m[k], str) else "-" if m[k] is None else _number(m[k])
                     for k in ("mean", "p05", "p50", "p95")]  # fmt: skip
            never = f"{m['never_share']:.0%}" if "never_share" in m else ""
            lines.append(f"  {name:<30}" + "".join(f"{c:>10}" for c in cells) + f"{never:>8}")
        lines.extend(convergence_lines(s.get("convergence")))
    return "\n".join(lines)


def _number(x: float) -> str:
    """A count with thousands separators; a share (below 1, not whole) with 3 digits."""
    return f"{x:.3g}" if abs(x) < 1 and x != round(x) else f"{x:,.0f}"


def _cell(value) -> str:
    """A count with thousands separators, a month string as is, None as 'never'."""
    if value is None:
        return "never"
    return value if isinstance(value, str) else _number(value)


def convergence_lines(conv: dict | None) -> list[str]:
    """The median of each headline metric as replications grow, its 95% interval at N,
    the widest interval of p05, p50, p95 as a share of their spread, and whether that is
    small enough to call the metric settled (see :mod:`sim.analysis.convergence`)."""
    if not conv or not conv["metrics"]:
        return []
    reps = next(iter(conv["metrics"].values()))["reps"]
    lines = [
        "  convergence: median over the first n replications and its 95% interval at N; "
        "width: widest",
        "  95% interval of p05, p50, p95 as a share of p95 - p05 (settled: at most 5%)",
        f"  {'metric':<30}" + "".join(f"{f'n={n:,}':>10}" for n in reps)
        + f"{'interval':>22}{'width':>7}{'settled':>9}",
    ]  # fmt: skip
    for name, m in conv["metrics"].items():
        low, high = m["p50"]["ci95"][-1]
        cells = "".join(f"{_cell(v):>10}" for v in m["p50"]["value"])
        interval = f"[{_cell(low)}, {_cell(high)}]"
        width = "-" if m["width"] is None else f"{m['width']:.0%}"
        settled = "yes" if m["settled"] else "no"
        lines.append(f"  {name:<30}{cells}{interval:>22}{width:>7}{settled:>9}")
    return lines


def definitions_text(pair: dict, reference: str, name: str) -> str:
    """The metric definitions a compared pair differs in, as ``definitions differ:
    metrics.exhausted_share = 0.1 (baseline) vs 0.3 (nk)``; empty when they agree."""
    differ = pair.get("definitions_differ") or {}
    parts = [f"{key} = {v['reference']} ({reference}) vs {v['scenario']} ({name})"
             for key, v in differ.items()]  # fmt: skip
    return f"definitions differ: {'; '.join(parts)}" if parts else ""


def exhaustion_comparable(pair: dict) -> bool:
    """Whether the pair's exhaustion delay compares one event (the same
    ``metrics.exhausted_share`` in both scenarios)."""
    return "metrics.exhausted_share" not in (pair.get("definitions_differ") or {})


def compare_table(data: dict) -> str:
    """Headline metrics side by side, then the paired differences with 95% intervals."""
    lines = [headline_table(list(data["summaries"].values())), ""]
    lines.append(f"paired differences against {data['reference']} "
                 f"(mean [95% interval]; se paired vs unpaired):")  # fmt: skip
    for name, p in data["paired"].items():
        lines.append(f"  {name}")
        differ = definitions_text(p, data["reference"], name)
        if differ:
            lines.append(f"    {differ} (each headline row above uses its own)")
        for date, s in p["active_gain"].items():
            lines.append(f"    active fleet gain {date}: {s['mean']:+,.0f} "
                         f"[{s['ci95'][0]:+,.0f}, {s['ci95'][1]:+,.0f}]; "
                         f"se {s['se_paired']:.1f} vs {s['se_unpaired']:.1f}")  # fmt: skip
        lines += conditioned_lines(p)
        d = p["exhaustion_delay_months"]
        if exhaustion_comparable(p):
            lines.append(f"    exhaustion delayed by {d['mean']:+.2f} months "
                         f"[{d['ci95'][0]:+.2f}, {d['ci95'][1]:+.2f}]")  # fmt: skip
        else:
            lines.append("    exhaustion delay: not comparable, the two scenarios define "
                         "storage exhaustion differently (metrics.exhausted_share)")  # fmt: skip
        for date, s in p["p_stays_above"].items():
            change = f"{s['mean']:+.3f} [{s['ci95'][0]:+.3f}, {s['ci95'][1]:+.3f}]"
            lines.append(
                f"    P(active >= {data['threshold']:,.0f} to {date}): "
                f"{s['reference']:.2f} -> {s['scenario']:.2f} ({change})"
            )
    return "\n".join(lines)


def conditioned_lines(p: dict) -> list[str]:
    """A pair's active-fleet gains conditioned on the loss record's foreign entries
    (compare.json's ``conditioned``) beside the unconditioned ones; none without them."""
    c = p.get("conditioned")
    if not c:
        return []
    seen = ", ".join(f"{n} {f}" for f, n in zip(c["families"], c["record_confirmed"]))
    lines = [f"    conditioned on the loss record to {c['record_date']} ({seen} confirmed): "
             f"P(zero confirmed) {c['p_zero_unconditioned']:.2f} before, "
             f"{c['p_zero_conditioned']:.2f} after; effective replications {c['ess']:,.0f}"]
    for date, s in c["active_gain"].items():
        u = p["active_gain"][date]
        lines.append(f"    active fleet gain {date}: unconditioned {u['mean']:+,.0f} "
                     f"(p05..p95 {u['p05']:+,.0f}..{u['p95']:+,.0f}), conditioned "
                     f"{s['mean']:+,.0f} [{s['ci95'][0]:+,.0f}, {s['ci95'][1]:+,.0f}] "
                     f"(p05..p95 {s['p05']:+,.0f}..{s['p95']:+,.0f})")  # fmt: skip
    return lines


def supply_text(answer: dict) -> str:
    """The answer of ``tanksim supply-needed``: the question, the answer, and (for a scenario
    with families the record types) the answer conditioned on the record, reachable or not."""
    first = (
        f"{answer['family']} supply needed to keep the active fleet >= "
        f"{answer['keep_active']:,.0f} from {answer['from']} to {answer['until']} "
        f"with probability >= {answer['prob']:g}"
    )
    top = answer["grid"][-1]["rate"]
    if not answer["reachable"]:
        text = f"{first}\n  {answer['message']}"
    else:
        text = (
            f"{first}\n  {answer['rate']:.1f} tanks/month (95% interval "
            f"{_interval(answer['rate_interval'], top)}), "
            f"about {answer['tanks_implied']:,.0f} tanks delivered by {answer['until']}"
        )
    c = answer.get("conditioned")
    if c:  # shown whether or not the unconditioned question is reachable
        if c["rate"] is None:
            rate = f"not reachable, probability {max(c['probability']):.2f} at most"
        else:
            rate = f"{c['rate']:.1f} tanks/month"
        narrowed = "" if c["narrowed"] is None else f"; interval {c['narrowed']:.0%} as wide"
        text += (f"\n  conditioned on the loss record's North Korean entries: {rate} "
                 f"(95% interval {_interval(c['rate_interval'], top)}{narrowed})")  # fmt: skip
    return text


def _interval(bounds: list, top: float) -> str:
    lo, hi = bounds
    lo_text = f"{lo:.1f}" if lo is not None else "?"
    hi_text = f"{hi:.1f}" if hi is not None else f"above {top:g}"
    return f"{lo_text} to {hi_text}"
