"""The loss record: Oryx's visually confirmed Russian tank losses by model and status, as dated
snapshots of the page, read from the packaged CSV files (or another record file).

Files (``sim/data/record/``, see docs/record.md):

- ``oryx-russia-tanks.csv``: one row per (snapshot, Oryx model name): ``date, model,
  destroyed, damaged, abandoned, captured, total, snapshot``;
- ``snapshots.csv`` beside it: one row per snapshot, its provenance: ``snapshot, date, source,
  repository, revision, path, retrieved``;
- ``families.csv`` (packaged; ``#`` lines are comments): Oryx model name -> model family.

A record file is input: it is read as a bounded regular file and every field is checked;
anything wrong raises :class:`RecordError`, one line naming the file, the row and the value.
Pure reading, numpy only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from sim.model.errors import InputError, one_line
from sim.model.files import FileProblem, read_bytes

#: Oryx's statuses, the last axis of :attr:`Record.counts`.
STATUSES = ("destroyed", "damaged", "abandoned", "captured")
#: The model's families, then Oryx's "Unknown tank" bucket: the columns of
#: :func:`confirmed_by_family`. T-90M is new-build production; T-90 and T-90M together are
#: what a comparison with the model's T-90 stock uses (see docs/record.md).
FAMILIES = ("T-54/55", "T-62", "T-64", "T-72", "T-80", "T-90", "T-90M", "NK-T62", "Chonma-2")
UNKNOWN = "unknown"
GROUPS = (*FAMILIES, UNKNOWN)
#: The columns of the record file and of its snapshots file.
RECORD_COLUMNS = ("date", "model", *STATUSES, "total", "snapshot")
SNAPSHOT_COLUMNS = ("snapshot", "date", "source", "repository", "revision", "path", "retrieved")
#: The record file's name, and its snapshots file's (always beside it).
RECORD_FILE = "oryx-russia-tanks.csv"
SNAPSHOTS_FILE = "snapshots.csv"
FAMILIES_FILE = "families.csv"
#: The environment variable naming a record file to use instead of the packaged one.
RECORD_ENV = "TANKSIM_RECORD"
#: The largest record file read (the packaged one, 38 snapshots of ~45 models, is ~90 KB).
MAX_RECORD_BYTES = 32 << 20
#: Largest count one model may have in one status (Oryx's largest, all tanks, is ~4,000).
MAX_COUNT = 1_000_000
#: Longest model name or snapshot field accepted.
MAX_FIELD = 200

#: Prefix rules for model names not in families.csv: (prefix, family). A name matches a rule
#: when it starts with the prefix, the next character (if any) is not a digit ("T-72B3"
#: matches "T-72", "T-720" does not) and the rest names a variant, not another vehicle (no
#: all-lowercase word of three letters or more: "T-72 hull with RBU-6000 MRLS" is refused);
#: "Unknown " before the prefix is ignored. The longest matching prefix decides; two families
#: matching at that length is ambiguous (refused).
PREFIX_RULES = (
    ("T-54", "T-54/55"), ("T-55", "T-54/55"), ("T-62", "T-62"), ("T-64", "T-64"),
    ("T-72", "T-72"), ("T-80", "T-80"), ("T-90", "T-90"), ("T-90M", "T-90M"),
    ("Chonma-ho", "NK-T62"), ("Chonma-2", "Chonma-2"),
)  # fmt: skip

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RecordError(InputError):
    """A bad record file: ``file: row N: key = value: message`` on one line."""

    def __init__(self, file: str | Path, where: str, message: str):
        super().__init__(one_line(f"{file}: {where}: {message}" if where else
                                  f"{file}: {message}"))


@dataclass(frozen=True)
class Snapshot:
    """One dated state of Oryx's page and where the copy came from."""

    id: str
    date: str  # YYYY-MM-DD, the date of the page state
    source: str
    repository: str
    revision: str
    path: str
    retrieved: str = ""


@dataclass(frozen=True)
class Record:
    """Confirmed losses by snapshot, Oryx model and status.

    Attributes
    ----------
    snapshots : tuple of Snapshot, shape (N,)
        In increasing date order.
    models : tuple of str, shape (M,)
        Every Oryx model name in any snapshot, in first-seen order.
    counts : np.ndarray of int64, shape (N, M, 4)
        Confirmed losses (tanks) by snapshot, model and :data:`STATUSES`; 0 where a snapshot
        does not list the model.
    path : str
        The record file read.
    sha256 : str
        The record file's SHA-256 (hex).
    """

    snapshots: tuple[Snapshot, ...]
    models: tuple[str, ...]
    counts: np.ndarray
    path: str
    sha256: str


def packaged_record_path() -> Path:
    """The packaged record file (in ``sim/data/record/``)."""
    return Path(str(resources.files("sim.data").joinpath("record", RECORD_FILE)))


def default_record_path() -> Path:
    """``$TANKSIM_RECORD`` if set (and not empty), else the packaged record file."""
    named = os.environ.get(RECORD_ENV, "")
    return Path(named) if named else packaged_record_path()


def _rows(path: Path, columns: tuple[str, ...]) -> tuple[list[dict[str, str]], bytes]:
    try:
        data = read_bytes(path, MAX_RECORD_BYTES)
    except FileProblem as err:
        raise RecordError(path, "", str(err)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecordError(path, "", f"not UTF-8 text (byte {err.start}; a binary file?)") \
            from None
    if "\x00" in text:
        raise RecordError(path, "", "holds NUL bytes (a binary file?)")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    try:
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != columns:
            raise RecordError(path, "header", f"{header!r}; expected {','.join(columns)}")
        rows = []
        for number, fields in enumerate(reader, start=2):
            if not fields:
                continue
            if len(fields) != len(columns):
                raise RecordError(path, f"row {number}",
                                  f"{len(fields)} fields, expected {len(columns)}")
            for key, value in zip(columns, fields):
                if len(value) > MAX_FIELD:
                    raise RecordError(path, f"row {number}: {key}",
                                      f"longer than {MAX_FIELD} characters")
            rows.append({"#": str(number), **dict(zip(columns, fields))})
    except csv.Error as err:
        raise RecordError(path, "", f"not readable as CSV ({err})") from None
    return rows, data


def _date(path: Path, row: dict[str, str], key: str = "date") -> str:
    value = row[key]
    if not _DATE.match(value):
        raise RecordError(path, f"row {row['#']}: {key} = {value!r}", "not a date YYYY-MM-DD")
    try:
        np.datetime64(value, "D")
    except ValueError:
        raise RecordError(path, f"row {row['#']}: {key} = {value!r}", "not a date") from None
    return value


def _count(path: Path, row: dict[str, str], key: str) -> int:
    value = row[key]
    if not value.isdigit() or not value.isascii() or int(value) > MAX_COUNT:
        raise RecordError(path, f"row {row['#']}: {key} = {value!r}",
                          f"not a whole number of tanks from 0 to {MAX_COUNT:,}")
    return int(value)


def _text(path: Path, row: dict[str, str], key: str, required: bool = True) -> str:
    value = row[key]
    if value != value.strip() or (required and not value) or _CONTROL.search(value):
        raise RecordError(path, f"row {row['#']}: {key} = {value!r}",
                          "empty, padded or holding control characters")
    return value


def read_snapshots(path: Path) -> tuple[Snapshot, ...]:
    """The snapshots file ``path``, checked (ids unique, dates strictly increasing)."""
    rows, _ = _rows(path, SNAPSHOT_COLUMNS)
    snapshots: list[Snapshot] = []
    for row in rows:
        snapshot = Snapshot(
            id=_text(path, row, "snapshot"), date=_date(path, row),
            source=_text(path, row, "source"), repository=_text(path, row, "repository", False),
            revision=_text(path, row, "revision", False), path=_text(path, row, "path", False),
            retrieved=_text(path, row, "retrieved", False))
        if snapshots and snapshot.date <= snapshots[-1].date:
            raise RecordError(path, f"row {row['#']}: date = {snapshot.date!r}",
                              f"not after the previous snapshot's {snapshots[-1].date}")
        if any(s.id == snapshot.id for s in snapshots):
            raise RecordError(path, f"row {row['#']}: snapshot = {snapshot.id!r}",
                              "named twice")
        snapshots.append(snapshot)
    if not snapshots:
        raise RecordError(path, "", "no snapshots")
    return tuple(snapshots)


def load_record(path: str | Path | None = None) -> Record:
    """The record file ``path`` (None: :func:`default_record_path`) and its snapshots file.

    Raises
    ------
    RecordError
        A file that cannot be read, a field of the wrong type, a row whose total is not the
        sum of its statuses, a model named twice in a snapshot, a row whose snapshot or date
        disagrees with the snapshots file, or a snapshot with no rows.
    """
    path = Path(path) if path is not None else default_record_path()
    snapshots = read_snapshots(path.parent / SNAPSHOTS_FILE)
    index = {s.id: i for i, s in enumerate(snapshots)}
    rows, data = _rows(path, RECORD_COLUMNS)
    models: dict[str, int] = {}
    cells: dict[tuple[int, int], tuple[int, ...]] = {}
    for row in rows:
        sid = _text(path, row, "snapshot")
        if sid not in index:
            raise RecordError(path, f"row {row['#']}: snapshot = {sid!r}",
                              f"not in {SNAPSHOTS_FILE}")
        n = index[sid]
        date = _date(path, row)
        if date != snapshots[n].date:
            raise RecordError(path, f"row {row['#']}: date = {date!r}",
                              f"snapshot {sid} is dated {snapshots[n].date}")
        model = _text(path, row, "model")
        counts = tuple(_count(path, row, s) for s in STATUSES)
        total = _count(path, row, "total")
        if total != sum(counts):
            raise RecordError(path, f"row {row['#']}: total = {total}",
                              f"not the sum of its statuses ({sum(counts)})")
        m = models.setdefault(model, len(models))
        if (n, m) in cells:
            raise RecordError(path, f"row {row['#']}: model = {model!r}",
                              f"listed twice in snapshot {sid}")
        cells[(n, m)] = counts
    listed = {n for n, _ in cells}
    empty = [s.id for i, s in enumerate(snapshots) if i not in listed]
    if empty:
        raise RecordError(path, f"snapshot = {empty[0]!r}", "has no rows")
    counts = np.zeros((len(snapshots), len(models), len(STATUSES)), dtype=np.int64)
    for (n, m), value in cells.items():
        counts[n, m] = value
    counts.setflags(write=False)
    return Record(snapshots=snapshots, models=tuple(models), counts=counts, path=str(path),
                  sha256=hashlib.sha256(data).hexdigest())


def families_path() -> Path:
    """The packaged model -> family table."""
    return Path(str(resources.files("sim.data").joinpath("record", FAMILIES_FILE)))


@cache
def family_table() -> dict[str, str]:
    """Oryx model name -> family, from the packaged ``families.csv``."""
    path = families_path()
    rows, _ = _rows(path, ("model", "family"))
    table: dict[str, str] = {}
    for row in rows:
        model, family = _text(path, row, "model"), _text(path, row, "family")
        if family not in GROUPS:
            raise RecordError(path, f"row {row['#']}: family = {family!r}",
                              f"not one of {', '.join(GROUPS)}")
        if model in table:
            raise RecordError(path, f"row {row['#']}: model = {model!r}", "listed twice")
        table[model] = family
    return table


def family_by_prefix(model: str) -> str | None:
    """The family :data:`PREFIX_RULES` give ``model``, or None (no rule, or ambiguous)."""
    name = model[len("Unknown "):] if model.startswith("Unknown ") else model
    if any(re.fullmatch(r"[a-z]{3,}", word) for word in name.split()):
        return None
    matches = [(len(prefix), family) for prefix, family in PREFIX_RULES
               if name.startswith(prefix)
               and (len(name) == len(prefix) or not name[len(prefix)].isdigit())]
    if not matches:
        return None
    longest = max(length for length, _ in matches)
    families = {family for length, family in matches if length == longest}
    return families.pop() if len(families) == 1 else None


def family_of(model: str) -> str:
    """The family of Oryx's model name: families.csv, else an unambiguous prefix rule.

    Raises
    ------
    RecordError
        Neither families.csv nor a prefix rule places the name.
    """
    table = family_table()
    if model in table:
        return table[model]
    family = family_by_prefix(model)
    if family is None:
        raise RecordError(families_path(), f"model = {model!r}",
                          "not listed, and no unambiguous prefix rule places it")
    return family


def counts_by_family(record: Record) -> np.ndarray:
    """Confirmed losses by snapshot, family (:data:`GROUPS`) and status.

    Returns
    -------
    np.ndarray of int64, shape (N, G, 4)
        Tanks, by snapshot, :data:`GROUPS` and :data:`STATUSES`.
    """
    out = np.zeros((len(record.snapshots), len(GROUPS), len(STATUSES)), dtype=np.int64)
    for m, model in enumerate(record.models):
        out[:, GROUPS.index(family_of(model))] += record.counts[:, m]
    return out


def confirmed_by_family(record: Record) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Confirmed losses by snapshot date and family, all statuses summed.

    Returns
    -------
    dates : np.ndarray of datetime64[D], shape (N,)
        The snapshots' dates, increasing.
    families : tuple of str, shape (G,)
        :data:`GROUPS`: the model's families, then ``"unknown"`` (Oryx's "Unknown tank").
    counts : np.ndarray of int64, shape (N, G)
        Confirmed losses (tanks, destroyed + damaged + abandoned + captured) to each date.
    """
    dates = np.array([s.date for s in record.snapshots], dtype="datetime64[D]")
    return dates, GROUPS, counts_by_family(record).sum(axis=2)
