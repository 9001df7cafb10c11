"""Adding a snapshot to a loss record from a saved copy of Oryx's page or a scraper's CSV, and
writing record files (atomically: each file to a temporary name beside it, then renamed).

Sources (:func:`read_source`):

- **a saved page** (HTML, as a browser saves Oryx's "Attack On Europe: Documenting Russian
  Equipment Losses ..."): its Russian tank section, counted and checked against its heading by
  :func:`sim.io.oryx_page.parse_tanks`; its date is the page's ``dateModified`` if it states one;
- **a scraper's CSV** in the ``totals_by_system_wide.csv`` format (``country, system, destroyed,
  captured, abandoned, damaged, total``): Russian rows whose system is a tank model (in
  families.csv, or placed by a prefix rule; a leading running count "203 " is dropped). It has
  no heading to check against, and needs ``--date``.

The record grows forward: a snapshot dated before the record's last is refused, one on the same
date as an existing snapshot replaces it only with ``force``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim.io.oryx_page import PageError, parse_tanks
from sim.model.errors import InputError, one_line
from sim.model.files import FileProblem, read_bytes
from sim.model.record import (
    RECORD_COLUMNS,
    RECORD_ENV,
    RECORD_FILE,
    SNAPSHOT_COLUMNS,
    SNAPSHOTS_FILE,
    STATUSES,
    Record,
    Snapshot,
    families_path,
    family_by_prefix,
    family_table,
    load_record,
    packaged_record_path,
)

#: Largest source file read (a saved copy of Oryx's whole page is about 2-3 MB).
MAX_SOURCE_BYTES = 64 << 20
#: The scraper CSV's header (github.com/scarnecchia/oryx_data, totals_by_system_wide.csv).
SCRAPER_COLUMNS = ("country", "system", "destroyed", "captured", "abandoned", "damaged", "total")
#: Where ``tanksim record import`` writes when neither --record nor $TANKSIM_RECORD says.
DEFAULT_LOCAL_RECORD = Path("record") / RECORD_FILE
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RecordImportError(InputError):
    """A source that cannot become a snapshot, or a snapshot the record refuses (one line)."""

    def __init__(self, file: str | Path, message: str):
        super().__init__(one_line(f"{file}: {message}"))


@dataclass(frozen=True)
class Source:
    """One source file, read: its tank counts by Oryx model and where it came from.

    ``models`` maps Oryx model name -> (destroyed, damaged, abandoned, captured) tanks;
    ``heading`` is the page's heading (empty for a CSV); ``date`` the date the file states.
    """

    kind: str  # "page" or "scraper-csv"
    name: str
    sha256: str
    models: dict[str, tuple[int, int, int, int]]
    heading: dict[str, int] = field(default_factory=dict)
    date: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """What ``tanksim record import`` did."""

    record_path: str
    snapshot: Snapshot
    models: dict[str, tuple[int, int, int, int]]
    by_prefix: dict[str, str]  # model -> family placed by a prefix rule
    replaced: bool
    created: bool
    kind: str


def _check_date(name: str | Path, value: str, what: str) -> str:
    if not _DATE.match(value):
        raise RecordImportError(name, f"{what} = {value!r}: not a date YYYY-MM-DD")
    try:
        np.datetime64(value, "D")
    except ValueError:
        raise RecordImportError(name, f"{what} = {value!r}: not a date") from None
    return value


def _scraper_models(name: str, text: str) -> dict[str, tuple[int, int, int, int]]:
    reader = csv.DictReader(io.StringIO(text))
    models: dict[str, list[int]] = {}
    try:
        for number, row in enumerate(reader, start=2):
            if None in row or any(v is None for v in row.values()):
                raise RecordImportError(name, f"row {number}: not {len(SCRAPER_COLUMNS)} fields")
            if row["country"] != "Russia":
                continue
            model = re.sub(r"^\d+ ", "", row["system"].strip())
            if model not in family_table() and family_by_prefix(model) is None:
                continue  # not a tank: every other system of the page is in the same file
            values = []
            for key in (*STATUSES, "total"):
                value = row[key].strip()
                if not (value.isascii() and value.isdigit()):
                    raise RecordImportError(name, f"row {number}: {key} = {value!r}: "
                                                  "not a whole number")
                values.append(int(value))
            if values[-1] != sum(values[:-1]):
                raise RecordImportError(name, f"row {number}: total = {values[-1]}: not the "
                                              f"sum of its statuses ({sum(values[:-1])})")
            counts = models.setdefault(model, [0, 0, 0, 0])
            for i in range(4):
                counts[i] += values[i]
    except csv.Error as err:
        raise RecordImportError(name, f"not readable as CSV ({err})") from None
    if not models:
        raise RecordImportError(name, "no Russian tank rows")
    return {m: tuple(c) for m, c in models.items()}


def read_source(path: str | Path) -> Source:
    """The saved page or scraper CSV ``path``, read and checked (see the module docstring).

    Raises
    ------
    RecordImportError
        Not a regular readable file, binary, neither HTML nor the scraper's CSV, or (via
        :class:`sim.io.oryx_page.PageError`) a page without a consistent tank section.
    """
    name = Path(path).name
    try:
        data = read_bytes(path, MAX_SOURCE_BYTES)
    except FileProblem as err:
        raise RecordImportError(path, str(err)) from None
    if b"\x00" in data:
        raise RecordImportError(path, "a binary file, not a saved page (HTML) or CSV")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecordImportError(path, f"not UTF-8 text (byte {err.start}); a saved page "
                                      "(HTML) or CSV is expected") from None
    sha = hashlib.sha256(data).hexdigest()
    head = text.lstrip("\ufeff \t\r\n")[:2000].lower()
    if head.startswith("<") or "<html" in head:
        try:
            section = parse_tanks(text)
        except PageError as err:
            raise RecordImportError(path, str(err)) from None
        return Source("page", name, sha, section.models, section.heading, section.modified)
    first = head.splitlines()[0] if head else ""
    if tuple(c.strip() for c in first.split(",")) == SCRAPER_COLUMNS:
        return Source("scraper-csv", name, sha, _scraper_models(str(path), text))
    raise RecordImportError(path, "neither a saved Oryx page (HTML) nor a scraper CSV "
                                  f"({','.join(SCRAPER_COLUMNS)})")


def target_record_path(record: str | Path | None) -> Path:
    """Where an import writes: ``record``, else ``$TANKSIM_RECORD``, else
    ``record/oryx-russia-tanks.csv`` under the current folder."""
    if record is not None:
        return Path(record)
    named = os.environ.get(RECORD_ENV, "")
    return Path(named) if named else DEFAULT_LOCAL_RECORD


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_text(columns: tuple[str, ...], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def record_rows(snapshot_id: str, date: str, models: dict[str, tuple[int, ...]]) -> list[list]:
    """The record file's rows for one snapshot (models in the given order)."""
    return [[date, model, *counts, sum(counts), snapshot_id]
            for model, counts in models.items()]


def snapshot_row(snapshot: Snapshot) -> list[str]:
    """The snapshots file's row for ``snapshot``."""
    return [snapshot.id, snapshot.date, snapshot.source, snapshot.repository,
            snapshot.revision, snapshot.path, snapshot.retrieved]


def write_record(path: Path, snapshots: list[Snapshot],
                 rows_by_snapshot: dict[str, list[list]]) -> None:
    """Write the record file ``path`` and its snapshots file beside it, each atomically.

    The snapshots file is replaced last: a reader between the two renames finds a row whose
    snapshot is not yet listed and refuses the record with one line rather than misreading it.
    """
    rows = [row for s in snapshots for row in rows_by_snapshot[s.id]]
    _write_atomic(path, _csv_text(RECORD_COLUMNS, rows))
    _write_atomic(path.parent / SNAPSHOTS_FILE,
                  _csv_text(SNAPSHOT_COLUMNS, [snapshot_row(s) for s in snapshots]))


def write_snapshot_files(folder: Path, built: list[dict]) -> None:
    """Write a whole record from parsed pages (``tools/build_record.py``): each item has
    ``section`` (a :class:`sim.io.oryx_page.TankSection`), ``date``, ``revision``,
    ``retrieved``, ``source``, ``repository``, ``path``."""
    snapshots, rows = [], {}
    for item in built:
        if snapshots and item["date"] <= snapshots[-1].date:
            continue  # the page had not changed since the previous snapshot
        sid = f"oryx-{item['date']}"
        snapshots.append(Snapshot(sid, item["date"], item["source"], item["repository"],
                                  item["revision"], item["path"], item["retrieved"]))
        rows[sid] = record_rows(sid, item["date"], item["section"].models)
    write_record(folder / RECORD_FILE, snapshots, rows)


def _rows_of(record: Record) -> dict[str, list[list]]:
    out: dict[str, list[list]] = {}
    for n, snapshot in enumerate(record.snapshots):
        listed = {m: tuple(int(v) for v in record.counts[n, i])
                  for i, m in enumerate(record.models) if record.counts[n, i].any()}
        out[snapshot.id] = record_rows(snapshot.id, snapshot.date, listed)
    return out


def import_snapshot(source_path: str | Path, *, date: str | None = None,
                    record: str | Path | None = None, force: bool = False,
                    now: datetime | None = None) -> ImportResult:
    """Add the snapshot ``source_path`` holds to the record (see :func:`target_record_path`;
    a missing record starts as a copy of the packaged one). Nothing is written on any error.

    Raises
    ------
    RecordImportError
        The source cannot be read (:func:`read_source`), states no date and none is given,
        names a model no family places, or is dated before the record's last snapshot or on an
        existing snapshot's date without ``force``.
    sim.model.record.RecordError
        The record file to extend is itself malformed.
    """
    target = target_record_path(record)
    source = read_source(source_path)
    if date is not None:
        date = _check_date("{arg:date}", date, "{arg:date}")
    elif source.date is not None:
        date = _check_date(source_path, source.date, "dateModified")
    else:
        raise RecordImportError(source_path, "states no date; give --date YYYY-MM-DD")
    unplaced = [m for m in source.models
                if m not in family_table() and family_by_prefix(m) is None]
    if unplaced:
        raise RecordImportError(
            source_path, f"model names not in {families_path()} and placed by no prefix rule: "
            + ", ".join(f'"{m}"' for m in unplaced))
    by_prefix = {m: family_by_prefix(m) for m in source.models if m not in family_table()}
    created = not target.exists()
    base = load_record(packaged_record_path() if created else target)
    snapshots = list(base.snapshots)
    rows = _rows_of(base)
    same = [s for s in snapshots if s.date == date]
    if same and not force:
        raise RecordImportError(target, f"already has snapshot {same[0].id} dated {date}; "
                                        "{arg:force} replaces it")
    if not same and date < snapshots[-1].date:
        raise RecordImportError(target, f"the new snapshot's date {date} is before the "
                                        f"record's last, {snapshots[-1].date}")
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sid = same[0].id if same else f"import-{date}"
    if not same and any(s.id == sid for s in snapshots):
        raise RecordImportError(target, f"snapshot id {sid} is taken")
    snapshot = Snapshot(sid, date, f"import:{source.kind}", "", f"sha256:{source.sha256}",
                        source.name, stamp)
    if same:
        snapshots[snapshots.index(same[0])] = snapshot
    else:
        snapshots.append(snapshot)
    rows[sid] = record_rows(sid, date, source.models)
    if created:
        if (target.parent / SNAPSHOTS_FILE).exists():
            raise RecordImportError(target, f"is missing but a {SNAPSHOTS_FILE} is beside it; "
                                            "move one or the other")
        target.parent.mkdir(parents=True, exist_ok=True)
    write_record(target, snapshots, rows)
    return ImportResult(str(target), snapshot, source.models, by_prefix, bool(same), created,
                        source.kind)
