"""What ``report.html`` shows, as plain data for its template (``templates/report.html.j2``).

Every value here is text or numbers; the template adds the markup and escapes them. Labels
of the headline months come from each run's own thresholds, never from fixed numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

from sim.io.report import RunData
from sim.model.facts import Fact
from sim.present.labels import month_labels
from sim.present.tables import definitions_text, exhaustion_comparable

COUNT_LABELS = {
    "active_end": ("active fleet at the horizon", "tanks"),
    "active_weighted_end": ("quality-weighted active fleet at the horizon", "T-90M equivalents"),
    "lost_end": ("true cumulative losses at the horizon", "tanks"),
    "worst_month_loss_share": ("largest share of the active fleet lost in one month", "share"),
}
SINGLE_PANEL = ("active", "months")
CHART_TEXT = {
    "active": (
        "Active fleet",
        "Fan chart of the active fleet, all families: 5-95% and 25-75% of replications, "
        "median (solid) and mean (dashed); markers are published estimates of the fleet "
        "(their values in the -observed CSV).",
    ),
    "storage": (
        "Storage by family and condition",
        "Mean hulls in storage stacked by family (left) and by condition (right); means add up "
        "where medians do not. The dashed line is the good+fair level counted as exhausted.",
    ),
    "months": (
        "When the key events happen",
        "Share of replications in which each event has happened by each month (empirical "
        "CDF); a curve ending below 100% leaves the rest beyond the horizon.",
    ),
}
LIMITS_HEADING = "What the model is, and is not"


def _count(x) -> str:
    """A count with thousands separators; a share (below 1, not whole) with 3 digits."""
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) < 1 and x != round(x) else f"{x:,.0f}"


def _month(x) -> str:
    return "after horizon" if x is None else str(x)


def headline_rows(runs: list[RunData]) -> list[dict]:
    """One row per headline metric: label, key, unit and, per run, median and 5-95% text."""
    labels = month_labels(runs[0].details.get("thresholds", {}))
    keys = list(dict.fromkeys(k for d in runs for k in d.summary["metrics"]))
    rows = []
    for key in keys:
        sample = next(d.summary["metrics"][key] for d in runs if key in d.summary["metrics"])
        months = "never_share" in sample
        label, unit = COUNT_LABELS.get(key, (labels.get(key, key), "month"))
        if key.startswith("months_to_"):
            unit = "months"
        fmt = _month if months else _count
        cells = []
        for d in runs:
            m = d.summary["metrics"].get(key)
            if m is None:
                cells.append(None)
                continue
            rest = (f"never within horizon: {m['never_share']:.0%}" if months
                    else f"mean {_count(m['mean'])}")  # fmt: skip
            cells.append({"p50": fmt(m["p50"]), "p05": fmt(m["p05"]), "p95": fmt(m["p95"]),
                          "rest": rest})  # fmt: skip
        rows.append({"label": label, "key": key, "unit": unit, "cells": cells})
    return rows


def _paired(what: str, unit: str, s: dict, fmt: str, spread: bool = True) -> dict:
    return {
        "what": what, "unit": unit, "mean": fmt.format(s["mean"]),
        "low": fmt.format(s["ci95"][0]), "high": fmt.format(s["ci95"][1]),
        "spread": f"{fmt.format(s['p05'])} to {fmt.format(s['p95'])}" if spread else "-",
        "se": f"{s['se_paired']:.3g} / {s['se_unpaired']:.3g}",
    }  # fmt: skip


def comparison_view(table: dict) -> dict:
    """The paired comparison (``compare_runs``'s output) as rows grouped by scenario."""
    groups = []
    for name, paired in table["paired"].items():
        rows = [_paired(f"active fleet gained, {date}", "tanks", s, "{:+,.0f}")
                for date, s in paired["active_gain"].items()]  # fmt: skip
        what = "good+fair storage exhaustion delayed"
        if not exhaustion_comparable(paired):
            what += (" (not comparable: "
                     f"{definitions_text(paired, table['reference'], name)})")  # fmt: skip
        rows.append(_paired(what, "months", paired["exhaustion_delay_months"], "{:+.2f}"))
        for date, s in paired["p_stays_above"].items():
            what = (f"P(active fleet ≥ {table['threshold']:,.0f} every month to {date}): "
                    f"{s['reference']:.2f} → {s['scenario']:.2f}")  # fmt: skip
            rows.append(_paired(what, "probability", s, "{:+.3f}", spread=False))
        groups.append({"name": name, "rows": rows})
    return {"reference": table["reference"], "reps": f"{table['reps']:,}",
            "seed": table["seed"], "groups": groups}  # fmt: skip


def figure_runs(runs: list[RunData], figures: dict) -> list[dict]:
    """Each run's charts: title, caption text, image and links (relative paths)."""
    out = []
    for data in runs:
        charts = []
        for chart, files in figures.get(data.name, {}).items():
            title, text = CHART_TEXT.get(chart, (chart, ""))
            links = [(k.upper(), files[k]) for k in ("pdf", "csv")]
            if "observed" in files:
                links.append(("observed CSV", files["observed"]))
            charts.append({"title": title, "text": text, "png": files["png"], "links": links,
                           "single": chart in SINGLE_PANEL})  # fmt: skip
        out.append({"name": data.name, "description": data.description, "charts": charts,
                    "has_months": "months" in figures.get(data.name, {})})  # fmt: skip
    return out


def describe(entry: dict) -> str:
    """A manifest parameter entry as ``dist(arg=value, ...)``, or its value when fixed."""
    skip = {"dist", "domain", "facts", "sources", "note"}
    args = {k: v for k, v in entry.items() if k not in skip}
    if entry["dist"] == "fixed":
        return f"{args['value']:,g}"
    return f"{entry['dist']}(" + ", ".join(f"{k}={v:,g}" for k, v in args.items()) + ")"


def posterior_views(runs: list[RunData]) -> list[dict]:
    """Per run drawing from a posterior: its file, rows, distinct sets, effective sample
    size (None if not recorded), targets, and the parameters drawn from it or overridden."""
    out = []
    for data in runs:
        post = data.details.get("posterior")
        if not post:
            continue
        ess = post.get("effective_sample_size")
        distinct = post.get("distinct_sets")
        out.append({
            "scenario": data.name, "file": post["file"], "rows": f"{post['sets']:,}",
            "distinct": "?" if distinct is None else f"{distinct:,}",
            "ess": None if ess is None else f"{ess:,.0f}",
            "targets": len(post.get("targets", [])), "drawn": post.get("drawn_jointly", []),
            "overridden": post.get("overridden_by_scenario", []),
            "total": len(data.details.get("parameters", {})),
        })  # fmt: skip
    return out


def _fact_items(fact_ids: list[str], facts: dict[str, Fact], sources: list[str]) -> list[dict]:
    items = []
    for i, fact_id in enumerate(fact_ids):
        fact = facts.get(fact_id)
        if fact is None:
            cite = sources[i] if i < len(sources) else ""
            items.append({"id": fact_id, "known": False, "text": cite})
            continue
        items.append({"id": fact_id, "known": True, "assumption": fact.kind == "assumption",
                      "text": f"{fact.figure()} {fact.unit} ({fact.date}), {fact.citation()}"})
    return items


def parameter_rows(runs: list[RunData], facts: dict[str, Fact]) -> list[dict]:
    """One row per parameter and distinct value, leaving out those a run draws from its
    posterior; the scenarios a row applies to are named when not all."""
    names = [d.name for d in runs]
    grouped: dict[tuple[str, str], tuple[dict, list[str]]] = {}
    for data in runs:
        drawn = set((data.details.get("posterior") or {}).get("drawn_jointly", []))
        for pname, entry in data.details.get("parameters", {}).items():
            if pname in drawn:
                continue
            key = (pname, describe(entry) + "|" + ",".join(entry.get("facts", ())))
            grouped.setdefault(key, (entry, []))[1].append(data.name)
    rows = []
    for (pname, _), (entry, scen) in grouped.items():
        rows.append({
            "name": pname, "value": describe(entry), "note": entry.get("note") or "",
            "where": "all" if scen == names else ", ".join(scen),
            "facts": _fact_items(entry.get("facts", []), facts, entry.get("sources", [])),
        })  # fmt: skip
    return rows


def source_rows(runs: list[RunData], facts: dict[str, Fact]) -> list[dict]:
    """Every fact the runs' parameters cite, once, in order of first citation."""
    cited = dict.fromkeys(f for d in runs for e in d.details.get("parameters", {}).values()
                          for f in e.get("facts", ()))  # fmt: skip
    rows = []
    for fact_id in cited:
        fact = facts.get(fact_id)
        if fact is None:
            rows.append({"id": fact_id, "known": False})
            continue
        rows.append({"id": fact_id, "known": True, "kind": fact.kind,
                     "figure": f"{fact.figure()} {fact.unit}", "date": fact.date,
                     "counts": fact.counts, "citation": fact.citation(),
                     "url": fact.url})  # fmt: skip
    return rows


def readme_limits(readme: Path | None = None) -> str | None:
    """The section "What the model is, and is not", as Markdown (None if absent), from the
    Markdown file ``readme`` (docs/model.md holds it).

    By default the copy packaged as ``sim/data/limits.md`` (identical to docs/model.md's,
    checked by tests/test_packaging.py), so an installed copy has it too.
    """
    if readme is None:
        from sim.data import limits_text

        return limits_text()
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(rf"^## {LIMITS_HEADING}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1).strip() if match else None

