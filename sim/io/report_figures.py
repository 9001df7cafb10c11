"""A run's house figures from its :class:`~sim.io.report.RunData`: captions citing the
sources, observed points, the figures themselves, the CSV rows behind each, and redrawing a
results folder's figures (``tanksim plot``). Only the shell saves files."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.figures.fan import Observed, active_fan, run_fan
from sim.figures.months import ecdf, months_ecdf
from sim.figures.storage import storage_chart
from sim.figures.style import DPI, month_dates, sources_caption
from sim.io.compare_data import compare_figure, read_compare
from sim.io.report import RUN_FILES, RunData, _not_results, is_run_folder, read_run
from sim.model.calendar import parse_month
from sim.model.facts import Fact
from sim.present.labels import month_labels
from sim.present.manifest import caption_sources, event_months

#: Facts plotted as observed points on the active-fleet fan (dated estimates of the fleet).
OBSERVED_ACTIVE_FACTS = (
    "prewar-active-tanks-total",
    "active-tanks-after-2022-iiss",
    "active-tanks-iiss-2024",
)
CONDITIONS = ("good", "fair", "poor")


def run_caption(data: RunData, facts: dict[str, Fact]) -> str:
    """'Scenario: <name> (<description>). Sources (via seeds/): ...' for a run's figures."""
    described = f"{data.name}" + (f" ({data.description})" if data.description else "")
    return sources_caption(caption_sources(data.details, facts), described, limit=5)


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
    """fan_chart.png of a results folder: active fleet (with observed points) and the good +
    fair storage that "storage exhausted" counts, with supply and ceasefire dates marked."""
    months = data.summary.get("metrics", {}).get("storage_exhausted", {})
    when = [month_dates(parse_month(months[k]), 1)[0] if months.get(k) else None
            for k in ("p05", "p50", "p95")]  # fmt: skip
    return run_fan(
        data.dates, data.series("active"), storage_layers(data)[1],
        exhausted_level=exhausted_level(data), exhausted_months=tuple(when),
        events=[(month_dates(m, 1)[0], label) for m, label in event_months(data.details)],
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
    share = data.details.get("thresholds", {}).get("exhausted_share")
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
        labels=month_labels(data.details.get("thresholds", {}), short=True),
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


#: Metadata that leaves out the clock, by format (PNG records none; matplotlib's names).
NO_DATE = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}


def save_figure(figure: Figure, path: Path, *, dpi: int = DPI) -> Path:
    """Write ``figure`` to ``path`` (format from the suffix) through a temporary file in the
    same folder, renamed into place, so a reader never sees half a file. PDF and SVG carry
    no creation date (:data:`NO_DATE`), so the same inputs give the same bytes."""
    fmt = path.suffix.lstrip(".")
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as err:  # a read-only folder, a full disk: name the figure, not the temp
        raise type(err)(err.errno, err.strerror, str(path)) from None
    os.close(handle)
    try:
        figure.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight",
                       metadata=NO_DATE.get(fmt))  # fmt: skip
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _report_runs(folder: Path) -> list[Path]:
    """The run and comparison folders under a report folder's ``runs/``, in name order
    (none when ``folder`` is not a report folder)."""
    runs = folder / "runs"
    if not (folder / "report.html").is_file() or not runs.is_dir() or is_run_folder(folder):
        return []
    subs = sorted(p for p in runs.iterdir() if p.is_dir() and not p.is_symlink())
    return [p for p in subs if is_run_folder(p) or (p / "compare.json").is_file()]


def redraw(folder: str | Path, facts: dict[str, Fact], fmt: str = "png") -> list[Path]:
    """Redraw a results folder's figures from its files, as ``<stem>.<fmt>`` inside it.

    A run folder gets fan_chart, storage and (with metrics.csv) months; a comparison folder
    with paired_difference.csv gets compare; a report folder (``tanksim report``'s top
    folder) gets each of its ``runs/*`` folders redrawn so. Raises
    :class:`NotResultsFolder` otherwise.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise _not_results(folder, "no such folder")
    inner = _report_runs(folder)
    if inner:
        return [path for sub in inner for path in redraw(sub, facts, fmt)]
    if is_run_folder(folder):
        figures = run_figures(read_run(folder), facts)
    elif (folder / "compare.json").is_file():
        figures = {"compare": compare_figure(read_compare(folder))}
    else:
        missing = [n for n in RUN_FILES if not (folder / n).is_file()]
        raise _not_results(folder, f"no {', '.join(missing)}")
    return [save_figure(fig, folder / f"{stem}.{fmt}") for stem, fig in figures.items()]
