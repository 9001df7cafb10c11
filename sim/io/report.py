"""A run's results as plain data, from a run in memory or read back from a results folder.

:class:`RunData` holds what one run's files, figures and report sections need (trajectory
statistics, per-replication headline metrics, summary and manifest): :func:`run_data` builds
it from a :class:`~sim.runs.run.RunResult` (the summary and manifest computed once, here),
and :func:`read_run` reads it back, so ``tanksim plot`` redraws without re-running. The
comparison's data live in :mod:`sim.io.compare_data`, the figures in
:mod:`sim.io.report_figures`, the writer in :mod:`sim.io.output`. Imports no matplotlib.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from sim.analysis.summary import TRAJECTORY_COLUMNS, summary
from sim.engine.metrics import MONTH_METRICS, NEVER, VARIABLES
from sim.model.calendar import format_month, parse_month
from sim.model.facts import Fact
from sim.present.manifest import run_manifest
from sim.runs.reduce import STAT_NAMES as STATS
from sim.runs.run import RunResult

RUN_FILES = ("manifest.json", "summary.json", "trajectories.csv")
METRICS_FILE = "metrics.csv"
COMPARE_FILES = ("compare.json", "paired_difference.csv")
#: The month metrics drawn as ECDFs, in legend order (others present are added after).
KEY_MONTHS = ("storage_exhausted", "refurb_below_half", "active_down_25")


def month_dates(start: int, months: int) -> list[date]:
    """First days of ``months`` consecutive months from ``start`` (year * 12 + month - 1)."""
    return [date((start + t) // 12, (start + t) % 12 + 1, 1) for t in range(months)]


class NotResultsFolder(ValueError):
    """A folder that holds neither a run's results nor a comparison's."""


# ---------------------------------------------------------------------------------------------
# One run


@dataclass(frozen=True)
class RunData:
    """What one run's figures and report sections need; no file or model access.

    ``stats`` is (T, V, F + 1, 6): mean, p05, p25, p50, p75, p95 over replications for each
    month, variable (``variables``) and family (``families``, the last being ``all``), in
    tanks. ``metrics`` maps each headline metric to its (R,) per-replication values: counts
    in tanks; months as indices from ``start``, :data:`~sim.engine.metrics.NEVER` if the event does
    not happen within the horizon. It is empty for folders written without metrics.csv.
    """

    name: str
    description: str
    start: int
    reps: int
    seed: int
    deterministic: bool
    families: tuple[str, ...]
    variables: tuple[str, ...]
    stats: np.ndarray
    summary: dict
    manifest: dict
    metrics: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def months(self) -> int:
        """Number of months, T."""
        return self.stats.shape[0]

    @property
    def dates(self) -> list[date]:
        """First day of each month of the horizon (values are at the month's end)."""
        return month_dates(self.start, self.months)

    def series(self, variable: str, family: str = "all") -> np.ndarray:
        """Statistics of one trajectory, (T, 6), looked up by name."""
        try:
            v, f = self.variables.index(variable), self.families.index(family)
        except ValueError:
            raise KeyError(f"{self.name}: no trajectory {variable!r} for {family!r}") from None
        return self.stats[:, v, f]

    def month_metrics(self) -> dict[str, np.ndarray]:
        """The key month metrics present, in :data:`KEY_MONTHS` order, then any others."""
        names = [k for k in KEY_MONTHS if k in self.metrics]
        names += [k for k in MONTH_METRICS if k in self.metrics and k not in names]
        return {k: self.metrics[k] for k in names}


def run_data(result: RunResult, facts: dict[str, Fact]) -> RunData:
    """The figure data of a run in memory (its manifest cites ``facts``)."""
    scen = result.scenario
    return RunData(
        name=scen.name,
        description=scen.description,
        start=scen.start,
        reps=result.reps,
        seed=result.seed,
        deterministic=result.deterministic,
        families=scen.family_names + ("all",),
        variables=tuple(VARIABLES),
        stats=np.asarray(result.stats, dtype=float),
        summary=summary(result),
        manifest=run_manifest(result, facts),
        metrics=dict(result.metrics),
    )


def is_run_folder(folder: Path) -> bool:
    return all((folder / name).is_file() for name in RUN_FILES)


def is_compare_folder(folder: Path) -> bool:
    return all((folder / name).is_file() for name in COMPARE_FILES)


def _not_results(folder: Path, why: str) -> NotResultsFolder:
    return NotResultsFolder(
        f"{folder}: not a results folder ({why}; expected {', '.join(RUN_FILES)} from "
        f"tanksim run, or {', '.join(COMPARE_FILES)})"
    )


def read_run(folder: str | Path) -> RunData:
    """Read a results folder written by ``tanksim run`` (or a report's ``runs/<name>/``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise _not_results(folder, "no such folder")
    if not is_run_folder(folder):
        missing = [n for n in RUN_FILES if not (folder / n).is_file()]
        raise _not_results(folder, f"no {', '.join(missing)}")
    try:
        summ = json.loads((folder / "summary.json").read_text())
        man = json.loads((folder / "manifest.json").read_text())
        start = parse_month(summ["start"])
        families, variables, stats = _read_trajectories(folder / "trajectories.csv", start)
        metrics = {}
        if (folder / METRICS_FILE).is_file():
            metrics = _read_metrics(folder / METRICS_FILE, start)
        return RunData(
            name=summ["scenario"],
            description=summ.get("description", ""),
            start=start,
            reps=int(summ["reps"]),
            seed=int(summ["seed"]),
            deterministic=bool(summ.get("deterministic", False)),
            families=families,
            variables=variables,
            stats=stats,
            summary=summ,
            manifest=man,
            metrics=metrics,
        )
    except (KeyError, ValueError, json.JSONDecodeError) as err:
        raise _not_results(folder, f"unreadable: {err}") from None


def _read_trajectories(path: Path, start: int):
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if tuple(header) != TRAJECTORY_COLUMNS:
            raise ValueError(f"{path.name} header is {','.join(header)}")
        rows = list(reader)
    dates = list(dict.fromkeys(r[0] for r in rows))
    families = tuple(dict.fromkeys(r[1] for r in rows))
    variables = tuple(dict.fromkeys(r[2] for r in rows))
    if [parse_month(d) - start for d in dates] != list(range(len(dates))):
        raise ValueError(f"{path.name}: months are not consecutive from the start")
    t_of = {d: i for i, d in enumerate(dates)}
    f_of = {f: i for i, f in enumerate(families)}
    v_of = {v: i for i, v in enumerate(variables)}
    stats = np.full((len(dates), len(variables), len(families), len(STATS)), np.nan)
    for row in rows:
        stats[t_of[row[0]], v_of[row[2]], f_of[row[1]]] = [float(x) for x in row[3:]]
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


def _read_metrics(path: Path, start: int) -> dict[str, np.ndarray]:
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = list(zip(*reader)) or [()] * len(header)
    out = {}
    for name, cells in zip(header[1:], columns[1:]):
        if name in MONTH_METRICS:
            out[name] = np.array([parse_month(c) - start if c else NEVER for c in cells], int)
        else:
            values = np.array([float(c) for c in cells])
            integral = values.size and np.all(values == np.round(values))
            out[name] = values.astype(np.int64) if integral else values
    return out
