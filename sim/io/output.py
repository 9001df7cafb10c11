"""Write a run's results folder atomically: build it beside the target, then rename."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sim.analysis.summary import TRAJECTORY_COLUMNS, trajectory_rows
from sim.io.folders import OutputExistsError, check_target, write_folder  # noqa: F401
from sim.io.report import METRICS_FILE, fan_chart_figure, metrics_header, metrics_rows, run_data
from sim.runs.run import RunResult


def cited_sources(result: RunResult, facts: dict) -> list[str]:
    """Distinct publications behind the scenario's parameters, assumptions left out."""
    seen: dict[str, None] = {}
    for param in result.scenario.params().values():
        for fact_id in param.facts:
            fact = facts.get(fact_id)
            if fact is not None and fact.kind != "assumption":
                seen.setdefault(fact.citation(), None)
    return sorted(seen)


def write_json(path: Path, data) -> None:
    with path.open("w") as handle:
        json.dump(data, handle, indent=2)


def write_csv(path: Path, header, rows) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_run_files(folder: Path, result: RunResult, facts: dict) -> None:
    """Write a run's files into an existing ``folder``: manifest.json, summary.json,
    trajectories.csv, metrics.csv (one row per replication) and fan_chart.png."""
    data = run_data(result, facts)
    write_json(folder / "manifest.json", data.manifest)
    write_json(folder / "summary.json", data.summary)
    write_csv(folder / "trajectories.csv", TRAJECTORY_COLUMNS, trajectory_rows(result))
    write_csv(folder / METRICS_FILE, metrics_header(result.metrics),
              metrics_rows(result.metrics, result.scenario.start))  # fmt: skip
    figure = fan_chart_figure(data, facts)
    figure.savefig(folder / "fan_chart.png", dpi=150, bbox_inches="tight")


def write_results(result: RunResult, target: Path, facts: dict, *, force: bool = False) -> Path:
    """Write a run's results folder (see :func:`write_run_files`) into ``target``, atomically."""
    return write_folder(target, lambda folder: write_run_files(folder, result, facts), force=force)
