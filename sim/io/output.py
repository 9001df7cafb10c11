"""The writer of a run's and a comparison's folders, each from one object, atomically (the
other commands' folders: :mod:`sim.io.explore_outputs`, :mod:`sim.io.calibration_outputs`,
:mod:`sim.io.hindcast_outputs`, :mod:`sim.io.report_html`).

Each folder is built beside its target and renamed into place
(:func:`write_folder`), so nothing appears at the target until every file is written.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from sim.analysis.compare import COMPARE_COLUMNS, compare_rows
from sim.analysis.summary import TRAJECTORY_COLUMNS
from sim.io.folders import OutputExistsError, check_target, write_folder
from sim.io.report import METRICS_FILE, RunData, metrics_header, metrics_rows

__all__ = [
    "OutputExistsError", "check_target", "write_folder", "write_json", "write_csv",
    "write_run_files", "write_run", "write_results", "write_comparison", "trajectory_rows",
]  # fmt: skip


def write_json(path: Path, data) -> None:
    """``data`` as indented JSON (two spaces) at ``path``."""
    with path.open("w") as handle:
        json.dump(data, handle, indent=2)


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable]) -> None:
    """A CSV file: ``header`` then ``rows``."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def trajectory_rows(data: RunData):
    """Rows of trajectories.csv: date, family, variable, then mean, p05..p95 (tanks, 10
    significant digits), for each month, family and variable of ``data.stats`` (T, V, F, 6)."""
    for t, d in enumerate(data.dates):
        for f, family in enumerate(data.families):
            for v, variable in enumerate(data.variables):
                yield (f"{d:%Y-%m}", family, variable, *(f"{x:.10g}" for x in data.stats[t, v, f]))


def write_run_files(folder: Path, data: RunData, facts: dict, *, figure: bool = True) -> None:
    """Write a run's files into the existing ``folder``: manifest.json, summary.json,
    trajectories.csv, metrics.csv (one row per replication, when ``data`` has them) and,
    with ``figure``, fan_chart.png (its caption cites ``facts``)."""
    write_json(folder / "manifest.json", data.manifest)
    write_json(folder / "summary.json", data.summary)
    write_csv(folder / "trajectories.csv", TRAJECTORY_COLUMNS, trajectory_rows(data))
    if data.metrics:
        write_csv(folder / METRICS_FILE, metrics_header(data.metrics),
                  metrics_rows(data.metrics, data.start))  # fmt: skip
    if figure:
        from sim.figures.style import DPI
        from sim.io.report_figures import fan_chart_figure

        fan_chart_figure(data, facts).savefig(folder / "fan_chart.png", dpi=DPI,
                                              bbox_inches="tight")  # fmt: skip


def write_run(data: RunData, target: Path, facts: dict, *, force: bool = False) -> Path:
    """Write a run's results folder (see :func:`write_run_files`) at ``target``, atomically;
    an existing folder is replaced only with ``force``."""
    return write_folder(target, lambda folder: write_run_files(folder, data, facts), force=force)


def write_results(result, target: Path, facts: dict, *, force: bool = False) -> Path:
    """Write a :class:`~sim.runs.run.RunResult`'s results folder (see :func:`write_run`)."""
    from sim.present.run_data import run_data

    return write_run(run_data(result, facts), target, facts, force=force)


def write_comparison(target: Path, comparison: dict, figure, *, force: bool = False,
                     manifest: dict | None = None) -> Path:  # fmt: skip
    """Write a comparison folder at ``target``, atomically: compare.json (``comparison``, as
    :func:`sim.analysis.compare.compare_runs` gives it), compare.csv, compare.png
    (``figure``, a matplotlib Figure) and manifest.json (``manifest``, see
    :func:`sim.present.manifest.compare_manifest`)."""

    def write(folder: Path) -> None:
        if manifest is not None:
            write_json(folder / "manifest.json", manifest)
        write_json(folder / "compare.json", comparison)
        write_csv(folder / "compare.csv", COMPARE_COLUMNS, compare_rows(comparison))
        from sim.figures.style import DPI

        figure.savefig(folder / "compare.png", dpi=DPI, bbox_inches="tight")

    return write_folder(target, write, force=force)
