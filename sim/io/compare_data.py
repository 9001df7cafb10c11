"""The paired comparison's files: its CSV rows, reading a comparison folder back into a
:class:`~sim.analysis.results.CompareData` (:func:`read_compare`; runs in memory give one
through :func:`sim.analysis.paired.compare_data`) and its figure."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.results import CompareData
from sim.figures.compare import comparison_chart
from sim.io.report import NotResultsFolder, _not_results, is_compare_folder
from sim.model.calendar import parse_month
from sim.runs.reduce import STAT_NAMES as STATS

PAIRED_COLUMNS = ("date", "scenario", "reference", "quantity") + STATS


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
    from sim.io.manifests import ManifestError, need, seed_field
    from sim.model.files import MAX_MANIFEST_BYTES, FileProblem, read_json

    reading = folder / "compare.json"
    try:
        meta = read_json(reading, MAX_MANIFEST_BYTES)
        if not isinstance(meta, dict):
            raise ManifestError(reading, "(file)", type(meta).__name__, "not a JSON object")
        reference = need(meta, "reference", reading, lambda v: isinstance(v, str),
                         "must be the reference scenario's name")  # fmt: skip
        reps = need(meta, "reps", reading, lambda v: type(v) is int and v >= 1,
                    "must be a whole number of replications")  # fmt: skip
        seed = seed_field(meta, reading)
        threshold = need(meta, "threshold", reading,
                         lambda v: v is None or (type(v) in (int, float) and np.isfinite(v)),
                         "must be a number of tanks or null", default=None)  # fmt: skip
        reading = folder / "paired_difference.csv"
        series = _paired_series(reading, reference)
    except FileProblem as err:
        raise NotResultsFolder(f"{reading}: {err}") from None
    except (KeyError, ValueError, IndexError) as err:
        if type(err) not in (KeyError, ValueError, IndexError):
            raise  # a ManifestError: one line naming the file, key and value
        raise NotResultsFolder(f"{reading}: unreadable ({err})") from None
    start, active, gains = series
    return CompareData(reference=reference, start=start, reps=reps, seed=seed,
                       threshold=threshold, gains=gains, active=active)  # fmt: skip


def _paired_series(path: Path, reference: str):
    """(first month, active, gains) from paired_difference.csv, every row checked."""
    from sim.model.files import MAX_RESULTS_BYTES, read_text

    rows = list(csv.reader(read_text(path, MAX_RESULTS_BYTES).splitlines()))
    if not rows or tuple(rows[0]) != PAIRED_COLUMNS:
        raise ValueError(f"header must be {','.join(PAIRED_COLUMNS)}")
    series: dict[str, dict[str, list]] = {"active": {}, "active_gain": {}}
    dates: dict[str, list[int]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(PAIRED_COLUMNS) or row[3] not in series:
            raise ValueError(f"line {line}: needs {len(PAIRED_COLUMNS)} cells and a quantity "
                             "of active or active_gain")  # fmt: skip
        values = [float(x) for x in row[4:]]
        if not np.isfinite(values).all():
            raise ValueError(f"line {line}: a value is not a finite number")
        series[row[3]].setdefault(row[1], []).append(values)
        dates.setdefault(f"{row[3]}:{row[1]}", []).append(parse_month(row[0]))
    months = list(dates.values())
    if not months or reference not in series["active"]:
        raise ValueError(f"no active rows for the reference {reference!r}")
    first = months[0][0]
    if any(m != list(range(first, first + len(months[0]))) for m in months):
        raise ValueError("every series needs the same consecutive months")
    active = {k: np.array(v) for k, v in series["active"].items()}
    gains = {k: np.array(v) for k, v in series["active_gain"].items()}
    return first, active, gains


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
