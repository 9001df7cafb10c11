"""The loss record's commands as functions: what ``tanksim record`` shows and what
``tanksim record import`` does (the CLI only parses and prints)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sim.io.record_import import ImportResult, import_snapshot
from sim.model.record import (
    GROUPS,
    STATUSES,
    RecordError,
    Snapshot,
    counts_by_family,
    load_record,
)


def _provenance(snapshot: Snapshot) -> dict[str, str]:
    return {"snapshot": snapshot.id, "date": snapshot.date, "source": snapshot.source,
            "repository": snapshot.repository, "revision": snapshot.revision,
            "path": snapshot.path, "retrieved": snapshot.retrieved}


def _by_status(values) -> dict[str, int]:
    out = {s: int(v) for s, v in zip(STATUSES, values)}
    out["total"] = sum(out.values())
    return out


def record_summary(path: str | Path | None = None, family: str | None = None) -> dict:
    """What the record at ``path`` (None: ``$TANKSIM_RECORD`` or the packaged one) holds.

    Returns a JSON-ready dict: ``record`` (path, sha256), ``snapshots`` (count, first, last
    date), ``latest`` (its provenance, confirmed losses by family and status with the
    ``unknown`` bucket, and the total), and with ``family`` that family's ``series``: one row
    per snapshot (date, snapshot id, statuses, total).

    Raises
    ------
    RecordError
        A malformed record file, or ``family`` not one of :data:`sim.model.record.GROUPS`.
    """
    record = load_record(path)
    if family is not None and family not in GROUPS:
        raise RecordError(record.path, f"{{arg:family}} = {family!r}",
                          f"not one of {', '.join(GROUPS)}")
    counts = counts_by_family(record)
    latest = record.snapshots[-1]
    summary = {
        "record": {"path": record.path, "sha256": record.sha256},
        "snapshots": {"count": len(record.snapshots), "first": record.snapshots[0].date,
                      "last": latest.date},
        "latest": {
            "provenance": _provenance(latest),
            "by_family": {g: _by_status(counts[-1, i]) for i, g in enumerate(GROUPS)},
            "total": _by_status(counts[-1].sum(axis=0)),
        },
    }
    if family is not None:
        g = GROUPS.index(family)
        summary["family"] = {"name": family, "series": [
            {"date": s.date, "snapshot": s.id, **_by_status(counts[n, g])}
            for n, s in enumerate(record.snapshots)]}
    return summary


def import_record(file: str | Path, *, date: str | None = None,
                  record: str | Path | None = None, force: bool = False,
                  now: datetime | None = None) -> ImportResult:
    """Add the snapshot in ``file`` (a saved Oryx page or a scraper CSV) to a record; see
    :func:`sim.io.record_import.import_snapshot`."""
    return import_snapshot(file, date=date, record=record, force=force, now=now)
