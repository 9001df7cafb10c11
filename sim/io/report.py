"""A run's results read back from a results folder.

:func:`read_run` reads a folder written by ``tanksim run`` into a
:class:`~sim.analysis.results.RunData` (what :func:`sim.present.run_data.run_data` builds
from a run in memory), so ``tanksim plot`` redraws without re-running; :func:`metrics_rows`
formats metrics.csv. The comparison's folder is read by :mod:`sim.io.compare_data`, the
figures drawn by :mod:`sim.io.report_figures`, the folder written by :mod:`sim.io.output`.
Imports no matplotlib.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from sim.analysis.results import KEY_MONTHS, RunData  # noqa: F401  (re-exported)
from sim.analysis.summary import TRAJECTORY_COLUMNS
from sim.engine.metrics import MONTH_METRICS, NEVER
from sim.model.calendar import format_month, parse_month
from sim.model.errors import InputError
from sim.runs.reduce import STAT_NAMES as STATS

RUN_FILES = ("manifest.json", "summary.json", "trajectories.csv")
METRICS_FILE = "metrics.csv"
COMPARE_FILES = ("compare.json", "paired_difference.csv")


class NotResultsFolder(InputError):
    """A folder that holds neither a run's results nor a comparison's."""


# ---------------------------------------------------------------------------------------------
# One run


def is_run_folder(folder: Path) -> bool:
    return all(_present(folder / name) for name in RUN_FILES)


def is_compare_folder(folder: Path) -> bool:
    return all(_present(folder / name) for name in COMPARE_FILES)


def _present(path: Path) -> bool:
    """Whether something is at ``path`` (a pipe or a folder too: reading it says why not)."""
    return path.exists() or path.is_symlink()


def _not_results(folder: Path, why: str) -> NotResultsFolder:
    return NotResultsFolder(
        f"{folder}: not a results folder ({why}; expected {', '.join(RUN_FILES)} from "
        f"tanksim run, or {', '.join(COMPARE_FILES)})"
    )


def _summary_fields(summ, path: Path) -> dict:
    """The keys of summary.json a results folder is read by, each checked for its type."""
    from sim.io.manifests import ManifestError, need, seed_field

    if not isinstance(summ, dict):
        raise ManifestError(path, "(file)", type(summ).__name__, "not a JSON object")
    need(summ, "scenario", path, lambda v: isinstance(v, str) and v != "",
         "must be the scenario's name")  # fmt: skip
    need(summ, "start", path, lambda v: parse_month(v) is not None, "must be a month as YYYY-MM")
    need(summ, "reps", path, lambda v: type(v) is int and v >= 1,
         "must be a whole number of replications, at least 1")  # fmt: skip
    seed_field(summ, path)
    need(summ, "deterministic", path, lambda v: isinstance(v, bool),
         "must be true or false (a JSON boolean, not a string)", default=False)  # fmt: skip
    need(summ, "description", path, lambda v: isinstance(v, str), "must be text", default="")
    return summ


def read_run(folder: str | Path) -> RunData:
    """Read a results folder written by ``tanksim run`` (or a report's ``runs/<name>/``).

    Every file goes through the bounded reader (:mod:`sim.model.files`) and every field
    read is checked: :class:`NotResultsFolder` for a folder without a run's files or with
    one that cannot be read (a pipe, a device, too large, malformed rows),
    :class:`~sim.io.manifests.ManifestError` for a field of the wrong type or value.
    """
    from sim.io.manifests import figure_fields, read_manifest
    from sim.model.files import MAX_MANIFEST_BYTES, FileProblem, read_json

    folder = Path(folder)
    if not folder.is_dir():
        raise _not_results(folder, "no such folder")
    if not is_run_folder(folder):
        missing = [n for n in RUN_FILES if not _present(folder / n)]
        raise _not_results(folder, f"no {', '.join(missing)}")
    reading = folder / "summary.json"
    try:
        summ = _summary_fields(read_json(reading, MAX_MANIFEST_BYTES), reading)
        man = figure_fields(read_manifest(folder / "manifest.json"), folder / "manifest.json")
        start = parse_month(summ["start"])
        reading = folder / "trajectories.csv"
        families, variables, stats = _read_trajectories(reading, start)
        metrics = {}
        if _present(folder / METRICS_FILE):
            reading = folder / METRICS_FILE
            metrics = _read_metrics(reading, start, summ["reps"])
    except FileProblem as err:
        raise NotResultsFolder(f"{reading}: {err}") from None
    except (KeyError, IndexError, ValueError) as err:
        if type(err) not in (KeyError, IndexError, ValueError):
            raise  # a ManifestError: already one line naming the file, key and value
        raise NotResultsFolder(f"{reading}: unreadable ({err})") from None
    return RunData(
        name=summ["scenario"],
        description=summ.get("description", ""),
        start=start,
        reps=summ["reps"],
        seed=summ["seed"],
        deterministic=summ.get("deterministic", False),
        families=families,
        variables=variables,
        stats=stats,
        summary=summ,
        manifest=man,
        metrics=metrics,
    )


def _csv_rows(path: Path) -> list[list[str]]:
    """The rows of a results CSV, read through the bounded reader."""
    from sim.model.files import MAX_RESULTS_BYTES, read_text

    return list(csv.reader(read_text(path, MAX_RESULTS_BYTES).splitlines()))


def _number(cell: str, line: int) -> float:
    value = float(cell)
    if not np.isfinite(value):
        raise ValueError(f"line {line}: {cell!r} is not a finite number")
    return value


def _read_trajectories(path: Path, start: int):
    rows = _csv_rows(path)
    header = rows[0] if rows else []
    if tuple(header) != TRAJECTORY_COLUMNS:
        raise ValueError(f"header is {','.join(header)[:80]!r}, not {','.join(TRAJECTORY_COLUMNS)}")
    rows = rows[1:]
    for line, row in enumerate(rows, start=2):
        if len(row) != len(TRAJECTORY_COLUMNS):
            raise ValueError(f"line {line}: {len(row)} cells, not {len(TRAJECTORY_COLUMNS)}")
    dates = list(dict.fromkeys(r[0] for r in rows))
    families = tuple(dict.fromkeys(r[1] for r in rows))
    variables = tuple(dict.fromkeys(r[2] for r in rows))
    if [parse_month(d) - start for d in dates] != list(range(len(dates))):
        raise ValueError("months are not consecutive from the start")
    if not rows or "all" not in families:
        raise ValueError("no rows for the family 'all'")
    if len(rows) != len(dates) * len(families) * len(variables):
        raise ValueError(f"{len(rows)} rows, not one per month, family and variable "
                         f"({len(dates)} x {len(families)} x {len(variables)})")  # fmt: skip
    t_of = {d: i for i, d in enumerate(dates)}
    f_of = {f: i for i, f in enumerate(families)}
    v_of = {v: i for i, v in enumerate(variables)}
    stats = np.full((len(dates), len(variables), len(families), len(STATS)), np.nan)
    for line, row in enumerate(rows, start=2):
        stats[t_of[row[0]], v_of[row[2]], f_of[row[1]]] = [_number(x, line) for x in row[3:]]
    if np.isnan(stats).any():
        raise ValueError("a month, family and variable appears twice")
    return families, variables, stats


def metrics_header(metrics: dict[str, np.ndarray]) -> tuple[str, ...]:
    """Columns of metrics.csv: ``replication`` then each headline metric."""
    return ("replication", *metrics)


def metrics_rows(metrics: dict[str, np.ndarray], start: int):
    """Rows of metrics.csv, one per replication: counts in tanks (whole, or as read back
    exactly), shares exactly; months as ``YYYY-MM``, empty when the event does not happen
    within the horizon."""
    names = list(metrics)
    columns = []
    for name in names:
        values = np.asarray(metrics[name])
        if name in MONTH_METRICS:
            columns.append(["" if m == NEVER else format_month(start + m) for m in values])
        else:  # counts as before; shares (worst_month_loss_share) exactly, to read back equal
            columns.append([f"{x:.10g}" if x == round(x) else repr(float(x)) for x in values])
    for r, cells in enumerate(zip(*columns)):
        yield (r, *cells)


def _read_metrics(path: Path, start: int, reps: int) -> dict[str, np.ndarray]:
    rows = _csv_rows(path)
    header = rows[0] if rows else []
    if not header or header[0] != "replication" or len(set(header)) != len(header):
        raise ValueError("header must be 'replication' then each metric, once")
    if len(rows) - 1 != reps or any(len(r) != len(header) for r in rows[1:]):
        raise ValueError(f"needs {reps:,} rows (summary.json's reps) of {len(header)} cells")
    columns = list(zip(*rows[1:])) or [()] * len(header)
    out = {}
    for name, cells in zip(header[1:], columns[1:]):
        if name in MONTH_METRICS:
            out[name] = np.array([parse_month(c) - start if c else NEVER for c in cells], int)
        else:
            values = np.array([_number(c, 0) for c in cells])
            integral = values.size and np.all(values == np.round(values))
            out[name] = values.astype(np.int64) if integral else values
    return out
