"""Results as plain data for figures and reports, from a run in memory or a results folder.

:class:`RunData` holds what one run's figures need (trajectory statistics, per-replication
headline metrics, summary and manifest); :func:`run_data` builds it from a
:class:`~sim.run.RunResult` and :func:`read_run` reads it back from a results folder, so
``tanksim plot`` redraws without re-running. :class:`CompareData` does the same for the
paired comparison of several runs. The ``*_figure`` functions turn these into the house
figures of :mod:`sim.figures`; :func:`save_figure` writes one figure file atomically.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.calendar import format_month, parse_month
from sim.facts import Fact
from sim.figures.compare import comparison_chart
from sim.figures.fan import Observed, active_fan, run_fan
from sim.figures.months import ecdf, months_ecdf
from sim.figures.storage import storage_chart
from sim.figures.style import STATS, month_dates, sources_caption
from sim.metrics import MONTH_METRICS, NEVER, VARIABLES
from sim.reduce import QUANTILES
from sim.run import RunResult
from sim.summary import TRAJECTORY_COLUMNS, manifest, summary

RUN_FILES = ("manifest.json", "summary.json", "trajectories.csv")
METRICS_FILE = "metrics.csv"
COMPARE_FILES = ("compare.json", "paired_difference.csv")
PAIRED_COLUMNS = ("date", "scenario", "reference", "quantity") + STATS
#: Facts plotted as observed points on the active-fleet fan (dated estimates of the fleet).
OBSERVED_ACTIVE_FACTS = (
    "prewar-active-tanks-total",
    "active-tanks-after-2022-iiss",
    "active-tanks-iiss-2024",
)
#: The month metrics drawn as ECDFs, in legend order (others present are added after).
KEY_MONTHS = ("storage_exhausted", "refurb_below_half", "active_down_25")
CONDITIONS = ("good", "fair", "poor")


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
    in tanks; months as indices from ``start``, :data:`~sim.metrics.NEVER` if the event does
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
        manifest=manifest(result, facts),
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


# ---------------------------------------------------------------------------------------------
# Sources, captions, observed points


def cited_sources(man: dict, facts: dict[str, Fact]) -> list[str]:
    """Distinct publications behind a manifest's parameters; assumptions left out."""
    seen: dict[str, None] = {}
    for param in man.get("parameters", {}).values():
        for fact_id in param.get("facts", ()):
            fact = facts.get(fact_id)
            if fact is not None and fact.kind != "assumption":
                seen.setdefault(fact.citation(), None)
    return sorted(seen)


def run_caption(data: RunData, facts: dict[str, Fact]) -> str:
    """'Scenario: <name> (<description>). Sources (via seeds/): ...' for a run's figures."""
    described = f"{data.name}" + (f" ({data.description})" if data.description else "")
    return sources_caption(cited_sources(data.manifest, facts), described)


def run_label(data: RunData) -> str:
    """'<name>: 10,000 replications, seed 7' (or 'expected values' when deterministic)."""
    mode = (
        "deterministic (expected values)" if data.deterministic else f"{data.reps:,} replications"
    )
    return f"{data.name}: {mode}, seed {data.seed}"


def observed_points(facts: dict[str, Fact], ids=OBSERVED_ACTIVE_FACTS) -> list[Observed]:
    """Observed points from dated facts (``YYYY-MM`` dates only), labelled with the source."""
    points = []
    for fact_id in ids:
        fact = facts.get(fact_id)
        if fact is None:
            continue
        try:
            month = parse_month(fact.date)
        except ValueError:
            continue
        when = date(month // 12, month % 12 + 1, 1)
        value = fact.value if fact.value is not None else (fact.low + fact.high) / 2
        source = fact.source.split(",")[0]
        points.append(Observed(when, value, fact.low, fact.high,
                               f"{source}: {fact.figure()} ({fact.date})"))  # fmt: skip
    return points


# ---------------------------------------------------------------------------------------------
# One run's figures


def fan_chart_figure(data: RunData, facts: dict[str, Fact]) -> Figure:
    """fan_chart.png of a results folder: active fleet (with observed points) and storage."""
    return run_fan(
        data.dates, data.series("active"), data.series("storage"),
        observed=observed_points(facts), heading=f"Russian tank inventory, {run_label(data)}",
        caption=run_caption(data, facts),
    )  # fmt: skip


def active_figure(data: RunData, facts: dict[str, Fact], *, ax=None) -> Figure:
    """The active fleet's fan with observed estimates, for a report."""
    return active_fan(
        data.dates, data.series("active"), observed=observed_points(facts),
        heading=f"Active fleet, all families ({run_label(data)})",
        caption=run_caption(data, facts), ax=ax,
    )  # fmt: skip


def storage_layers(data: RunData) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Mean storage by family (all conditions) and by condition (all families), (T,) each."""
    by_family = {f: data.series("storage", f)[:, 0] for f in data.families if f != "all"}
    by_condition = {c: data.series(f"storage_{c}")[:, 0] for c in CONDITIONS}
    return by_family, by_condition


def exhausted_level(data: RunData) -> float | None:
    """Mean initial good+fair storage times the exhaustion share, tanks (None if unknown)."""
    share = data.manifest.get("thresholds", {}).get("exhausted_share")
    if share is None:
        return None
    first = data.series("storage_good")[0, 0] + data.series("storage_fair")[0, 0]
    return float(share * first)


def storage_figure(data: RunData, facts: dict[str, Fact], *, axes=None) -> Figure:
    """Stacked mean storage by family and by condition."""
    by_family, by_condition = storage_layers(data)
    return storage_chart(
        data.dates, by_family, by_condition, statistic="mean",
        exhausted_level=exhausted_level(data), axes=axes,
        heading=f"Hulls in storage, {run_label(data)}", caption=run_caption(data, facts),
    )  # fmt: skip


def months_figure(data: RunData, facts: dict[str, Fact], *, ax=None) -> Figure | None:
    """ECDFs of the key months; None when the run's per-replication metrics are absent."""
    months = data.month_metrics()
    if not months:
        return None
    return months_ecdf(
        data.dates, months, heading=f"When the key events happen ({run_label(data)})",
        caption=run_caption(data, facts), ax=ax,
    )  # fmt: skip


def run_figures(data: RunData, facts: dict[str, Fact]) -> dict[str, Figure]:
    """Every figure of one run, by file stem: fan_chart, storage and (if possible) months."""
    figures = {
        "fan_chart": fan_chart_figure(data, facts),
        "storage": storage_figure(data, facts),
    }
    months = months_figure(data, facts)
    if months is not None:
        figures["months"] = months
    return figures


# The data behind each figure, as CSV rows


def fan_rows(data: RunData, variable: str = "active"):
    """date, mean, p05..p95 of one trajectory (all families), tanks."""
    for d, row in zip(data.dates, data.series(variable)):
        yield (f"{d:%Y-%m}", *(f"{x:.10g}" for x in row))


def observed_rows(points: list[Observed]):
    """date, value, low, high, label of the observed points."""
    for p in points:
        yield (f"{p.date:%Y-%m}", f"{p.value:g}", "" if p.low is None else f"{p.low:g}",
               "" if p.high is None else f"{p.high:g}", p.label)  # fmt: skip


def storage_rows(data: RunData):
    """date, panel (family or condition), layer, mean tanks in storage."""
    by_family, by_condition = storage_layers(data)
    for t, d in enumerate(data.dates):
        for panel, layers in (("family", by_family), ("condition", by_condition)):
            for name, values in layers.items():
                yield (f"{d:%Y-%m}", panel, name, f"{values[t]:.10g}")


def months_rows(data: RunData):
    """event, date, share of replications in which it has happened by that month."""
    for name, values in data.month_metrics().items():
        for d, share in zip(data.dates, ecdf(values, data.months)):
            yield (name, f"{d:%Y-%m}", f"{share:.6g}")


# ---------------------------------------------------------------------------------------------
# Comparison


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


# ---------------------------------------------------------------------------------------------
# Files


def save_figure(figure: Figure, path: Path, *, dpi: int = 150) -> Path:
    """Write ``figure`` to ``path`` (format from the suffix) through a temporary file in the
    same folder, renamed into place, so a reader never sees half a file."""
    fmt = path.suffix.lstrip(".")
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        figure.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def redraw(folder: str | Path, facts: dict[str, Fact], fmt: str = "png") -> list[Path]:
    """Redraw a results folder's figures from its files, as ``<stem>.<fmt>`` inside it.

    A run folder gets fan_chart, storage and (with metrics.csv) months; a comparison folder
    with paired_difference.csv gets compare. Raises :class:`NotResultsFolder` otherwise.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise _not_results(folder, "no such folder")
    if is_run_folder(folder):
        figures = run_figures(read_run(folder), facts)
    elif (folder / "compare.json").is_file():
        figures = {"compare": compare_figure(read_compare(folder))}
    else:
        missing = [n for n in RUN_FILES if not (folder / n).is_file()]
        raise _not_results(folder, f"no {', '.join(missing)}")
    return [save_figure(fig, folder / f"{stem}.{fmt}") for stem, fig in figures.items()]
