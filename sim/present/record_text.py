"""The loss record as text: what ``tanksim record`` and ``tanksim record import`` print."""

from __future__ import annotations

from sim.model.record import STATUSES


def _row(label: str, counts: dict[str, int], width: int) -> str:
    return f"  {label:<{width}}" + "".join(f"{counts[k]:>11,}" for k in (*STATUSES, "total"))


def _header(label: str, width: int) -> str:
    return f"  {label:<{width}}" + "".join(f"{k:>11}" for k in (*STATUSES, "total"))


def _source(p: dict[str, str]) -> str:
    where = p["repository"] or p["path"]
    revision = p["revision"][:16] if p["revision"] else "-"
    return (f"snapshot {p['snapshot']} ({p['date']}): {p['source']}, {where}, "
            f"revision {revision}, file {p['path']}, retrieved {p['retrieved'] or '-'}")


def summary_text(summary: dict) -> str:
    """The record's summary (:func:`sim.api.record.record_summary`) as lines of text."""
    snaps, latest = summary["snapshots"], summary["latest"]
    lines = [
        f"Loss record: {summary['record']['path']}",
        f"  {snaps['count']} snapshots of Oryx's confirmed Russian tank losses, "
        f"{snaps['first']} to {snaps['last']} (sha256 {summary['record']['sha256'][:12]})",
        "",
        f"Latest snapshot, {snaps['last']}: confirmed losses by family and status (tanks)",
        _header("family", 9),
    ]
    lines += [_row(g, c, 9) for g, c in latest["by_family"].items()]
    lines += [_row("all", latest["total"], 9), "",
              "  'unknown' is Oryx's \"Unknown tank\" bucket; T-90 and T-90M compare together "
              "with the model's T-90 stock.",
              "Source: " + _source(latest["provenance"])]
    if "family" in summary:
        lines += ["", f"{summary['family']['name']}: confirmed losses by snapshot (tanks)",
                  _header("date", 10)]
        lines += [_row(r["date"], r, 10) for r in summary["family"]["series"]]
    return "\n".join(lines)


def import_text(result) -> str:
    """What an import did (:class:`sim.io.record_import.ImportResult`) as lines of text."""
    s = result.snapshot
    total = sum(map(sum, result.models.values()))
    verb = "replaced" if result.replaced else "added"
    lines = [f"{verb} snapshot {s.id} ({s.date}) to {result.record_path}"
             + (" (a new copy of the packaged record)" if result.created else ""),
             f"  {len(result.models)} models, {total:,} confirmed tank losses "
             f"(read from a {result.kind}: {s.path}, {s.revision})"]
    if result.kind == "scraper-csv":
        lines.append("  note: a scraper CSV has no heading to check against; a cumulative one "
                     "(every link ever seen) overcounts the page (docs/record.md)")
    for model, family in result.by_prefix.items():
        lines.append(f'  "{model}" is not in families.csv: placed in {family} by its prefix')
    return "\n".join(lines)
