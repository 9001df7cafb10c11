"""The paired comparison of several runs as figure data: :class:`CompareData` from runs in
memory (:func:`compare_data`) or read back from a comparison folder (:func:`read_compare`),
its CSV rows and its figure."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.figures.compare import comparison_chart
from sim.io.report import _not_results, is_compare_folder, month_dates
from sim.model.calendar import parse_month
from sim.runs.reduce import QUANTILES
from sim.runs.reduce import STAT_NAMES as STATS
from sim.runs.run import RunResult

PAIRED_COLUMNS = ("date", "scenario", "reference", "quantity") + STATS


@dataclass(frozen=True)
class CompareData:
    """The paired comparison's figure data.

    ``gains`` maps each scenario (reference excluded) to (T, 6) statistics of its active
    fleet minus the reference's in the same replication, tanks; ``active`` maps every
    scenario (reference first) to the (T, 6) statistics of its own active fleet.
    """

    reference: str
    start: int
    reps: int
    seed: int
    threshold: float | None
    gains: dict[str, np.ndarray]
    active: dict[str, np.ndarray]

    @property
    def dates(self) -> list[date]:
        return month_dates(self.start, next(iter(self.active.values())).shape[0])


def path_stats(paths: np.ndarray) -> np.ndarray:
    """(T, R) values -> (T, 6): mean and inverted-CDF p05, p25, p50, p75, p95 by month."""
    paths = np.asarray(paths, dtype=float)
    qs = np.quantile(paths, QUANTILES, axis=1, method="inverted_cdf")
    return np.column_stack([paths.mean(axis=1), qs.T])


def compare_data(results: list[RunResult], threshold: float | None = None) -> CompareData:
    """Paired differences of each run's active fleet against the first, month by month.

    Needs runs made with ``keep_paths`` and the same seed, replications and horizon.
    """
    ref = results[0]
    for res in results:
        if res.active_paths is None:
            raise ValueError(f"{res.scenario.name}: run without keep_paths; cannot pair")
        same = (res.reps, res.seed, res.scenario.start, res.scenario.months)
        if same != (ref.reps, ref.seed, ref.scenario.start, ref.scenario.months):
            raise ValueError("compared runs need the same reps, seed and horizon")
    base = ref.active_paths.astype(np.int64)
    return CompareData(
        reference=ref.scenario.name,
        start=ref.scenario.start,
        reps=ref.reps,
        seed=ref.seed,
        threshold=threshold,
        gains={r.scenario.name: path_stats(r.active_paths - base) for r in results[1:]},
        active={r.scenario.name: path_stats(r.active_paths) for r in results},
    )


def paired_rows(data: CompareData):
    """Rows of paired_difference.csv: each scenario's active fleet and paired gain by month."""
    dates = [f"{d:%Y-%m}" for d in data.dates]
    for quantity, series in (("active", data.active), ("active_gain", data.gains)):
        for name, stats in series.items():
            ref = data.reference if quantity == "active_gain" else ""
            for d, row in zip(dates, stats):
                yield (d, name, ref, quantity, *(f"{x:.10g}" for x in row))


def read_compare(folder: str | Path) -> CompareData:
    """Read a comparison folder holding compare.json and paired_difference.csv."""
    folder = Path(folder)
    if not is_compare_folder(folder):
        if (folder / "compare.json").is_file():
            why = ("a compare folder without paired_difference.csv, so its chart cannot be "
                   "redrawn; tanksim report writes one")  # fmt: skip
            raise _not_results(folder, why)
        raise _not_results(folder, "no compare.json")
    try:
        meta = json.loads((folder / "compare.json").read_text())
        with (folder / "paired_difference.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        dates = list(dict.fromkeys(r["date"] for r in rows))
        series: dict[str, dict[str, list]] = {"active": {}, "active_gain": {}}
        for r in rows:
            values = [float(r[s]) for s in STATS]
            series[r["quantity"]].setdefault(r["scenario"], []).append(values)
        return CompareData(
            reference=meta["reference"],
            start=parse_month(dates[0]),
            reps=int(meta["reps"]),
            seed=int(meta["seed"]),
            threshold=meta.get("threshold"),
            gains={k: np.array(v) for k, v in series["active_gain"].items()},
            active={k: np.array(v) for k, v in series["active"].items()},
        )
    except (KeyError, ValueError, IndexError, json.JSONDecodeError) as err:
        raise _not_results(folder, f"unreadable: {err}") from None


def compare_figure(data: CompareData, caption: str = "", *, axes=None) -> Figure:
    """Median active fleets side by side, then each scenario's paired-gain fan."""
    return comparison_chart(
        data.dates, data.gains, reference=data.reference,
        medians={k: v[:, 3] for k, v in data.active.items()}, threshold=data.threshold,
        heading=f"Scenario comparison with common random numbers: {data.reps:,} "
        f"replications, seed {data.seed}",
        caption=caption or "Paired: replication r of every scenario shares its random draws "
        "with replication r of the reference. Inputs and their sources: see each scenario's "
        "manifest (tanksim validate SCENARIO); North Korean supply rates are stated assumptions.",
        axes=axes,
    )  # fmt: skip
