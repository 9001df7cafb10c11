"""Writing a hindcast folder (hindcast.json, hindcast.csv, hindcast.png, scores.csv,
horizon.csv, horizon.png, with the loss record scores-since-cut.csv and horizon-since-cut.csv,
and manifest.json) and a folder of several cut-offs (one such
subfolder per cut, cuts.csv, cuts.png and manifest.json)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.results import HindcastRun

COLUMNS = ("target", "fact", "date", "observed", "low", "high", "p05", "p25", "p50", "p75",
           "p95", "inside_50", "inside_90", "interval_score_90", "crps")  # fmt: skip


def _unit(row: dict) -> str:
    return "share" if row["high"] <= 1.0 else "tanks"


#: Target ids of the loss record's summaries (sim.analysis.record_targets).
RECORD_PREFIX = "record:"


def write_hindcast(folder: Path, run: HindcastRun) -> None:
    """Write ``run`` into an existing ``folder``."""
    from sim.figures.hindcast import hindcast_figure
    from sim.figures.style import DPI
    from sim.io.output import write_csv, write_json
    from sim.model.calendar import format_month

    write_csv(folder / "hindcast.csv", COLUMNS, [[r[c] for c in COLUMNS] for r in run.rows])
    document = run.meta | {"summary": run.summary, "scored": run.rows}
    write_json(folder / "hindcast.json", document)
    write_json(folder / "manifest.json", run.provenance | {"details": run.meta})
    cut = format_month(run.until)
    # One panel per later published figure; the record's later snapshots (one row per family
    # group and period) are horizon.png's, scored against the naive forecast.
    shown = [r for r in run.rows if not r["target"].startswith(RECORD_PREFIX)] or run.rows
    dates = [date(int(r["date"][:4]), int(r["date"][5:7]), 1) for r in shown]
    bands = np.array([[r[k] for k in ("p05", "p25", "p50", "p75", "p95")] for r in shown])
    observed = np.array([[r["observed"], r["low"], r["high"]] for r in shown])
    inside = sum(r["inside_90"] for r in shown), sum(r["inside_50"] for r in shown)
    heading = (f"Hindcast of '{run.name}': calibrated up to {cut}, scored on {len(shown)} "
               f"later published figures ({inside[0]} inside the 90% band, {inside[1]} "
               f"inside the 50%; the record's later snapshots: horizon.png)")  # fmt: skip
    fig = hindcast_figure([r["target"] for r in shown], dates, bands, observed,
                          [_unit(r) for r in shown],
                          date(run.until // 12, run.until % 12 + 1, 1), run.caption,
                          heading)  # fmt: skip
    fig.savefig(folder / "hindcast.png", dpi=DPI, bbox_inches="tight")
    _write_forecast_scores(folder, run)


#: Columns of horizon.csv: the bucket, then the aggregates.
HORIZON_COLUMNS = ("horizon", "from_months", "to_months")
#: Columns of cuts.csv before the aggregates of the record scores at each cut.
CUT_COLUMNS = ("cut", "fitted_targets", "scored_targets", "targets_inside_90",
               "targets_inside_50")  # fmt: skip
#: What the naive forecast is, for the figures' captions.
NAIVE_CAPTION = ("Naive forecast: the last observed count plus the pace of the six months "
                 "before it carried forward, spread by resampling those months' increments "
                 "(docs/forecast-scoring.md).")  # fmt: skip


def _write_forecast_scores(folder: Path, run: HindcastRun) -> None:
    """scores.csv, horizon.csv and horizon.png: the record observations after the cut,
    model against the naive forecast."""
    from sim.analysis.forecast_scores import AGGREGATE_COLUMNS, SCORE_COLUMNS
    from sim.figures.style import DPI
    from sim.io.output import write_csv
    from sim.model.calendar import format_month

    write_csv(folder / "scores.csv", SCORE_COLUMNS,
              [[r[c] for c in SCORE_COLUMNS] for r in run.forecast_rows])  # fmt: skip
    columns = HORIZON_COLUMNS + AGGREGATE_COLUMNS
    write_csv(folder / "horizon.csv", columns, [[r[c] for c in columns] for r in run.horizon])
    if run.since_rows:  # the same, on the losses since the last snapshot up to the cut
        write_csv(folder / "scores-since-cut.csv", SCORE_COLUMNS,
                  [[r[c] for c in SCORE_COLUMNS] for r in run.since_rows])  # fmt: skip
        write_csv(folder / "horizon-since-cut.csv", columns,
                  [[r[c] for c in columns] for r in run.since_horizon])  # fmt: skip
    buckets = run.horizon[:-1]
    at_cut = run.horizon[-1] if run.horizon else None
    heading = (f"Hindcast of '{run.name}' cut at {format_month(run.until)}: "
               + (f"{at_cut['observations']} later record observations, model against the "
                  f"naive forecast (CRPS skill {at_cut['crps_skill']:+.2f})" if at_cut else
                  f"no record observation scored ({run.forecast_note})"))  # fmt: skip
    fig = _score_figure(buckets, [r["horizon"] for r in buckets],
                        "horizon: months after the cut-off", heading, run.record_caption)
    fig.savefig(folder / "horizon.png", dpi=DPI, bbox_inches="tight")


def _score_figure(rows: list[dict], labels: list[str], xlabel: str, heading: str,
                  caption: str) -> Figure:  # fmt: skip
    from sim.figures.forecast_scores import forecast_score_figure

    def column(key: str) -> np.ndarray:
        return np.array([r[key] for r in rows], dtype=float)

    inside = {(f, b): column(f"{f}_inside_{b}") for f in ("model", "naive") for b in (90, 50)}
    crps = {f: column(f"{f}_mean_crps") for f in ("model", "naive")}
    return forecast_score_figure(labels, [r["observations"] for r in rows], inside, crps,
                                 xlabel=xlabel, crps_unit="tanks", heading=heading,
                                 caption=f"{NAIVE_CAPTION} {caption}")  # fmt: skip


def cut_folder(until: str) -> str:
    """The subfolder of one cut-off in a folder of several: ``until-YYYY-MM``."""
    return f"until-{until}"


def write_hindcast_cuts(folder: Path, runs: list[HindcastRun], cuts: list[dict]) -> None:
    """Write several cut-offs into an existing ``folder``: each run into its own
    :func:`cut_folder` (as :func:`write_hindcast`), ``cuts`` (one row per cut,
    :func:`sim.api.hindcasting.cut_rows`) into cuts.csv and cuts.png, and manifest.json."""
    from sim.analysis.forecast_scores import AGGREGATE_COLUMNS
    from sim.figures.style import DPI
    from sim.io.folders import stamp
    from sim.io.output import write_csv, write_json
    from sim.model.calendar import format_month

    for run in runs:
        sub = folder / cut_folder(format_month(run.until))
        sub.mkdir()
        write_hindcast(sub, run)
        stamp(sub)  # its own outputs: it replays (and a copy of it is --forced) on its own
    columns = CUT_COLUMNS + AGGREGATE_COLUMNS
    write_csv(folder / "cuts.csv", columns, [[r[c] for c in columns] for r in cuts])
    first = runs[0]
    settings = {k: first.meta[k] for k in ("scenario", "seed", "reps", "draws_per_generation",
                                           "particles", "generations", "git_revision",
                                           "execution")}  # fmt: skip
    untils = [r["cut"] for r in cuts]
    write_json(folder / "manifest.json", first.provenance | {
        "arguments": first.provenance["arguments"] | {"untils": untils},
        "details": settings | {"until": untils,
                              "folders": [cut_folder(cut) for cut in untils]}})  # fmt: skip
    scored = [r for r in cuts if r["observations"]]
    heading = (f"Hindcasts of '{first.name}' at {len(cuts)} cut-offs: the record after each "
               "cut, model against the naive forecast")  # fmt: skip
    fig = _score_figure(scored, [r["cut"] for r in scored],
                        "cut-off (calibrated on the record up to this month)", heading,
                        first.record_caption)  # fmt: skip
    fig.savefig(folder / "cuts.png", dpi=DPI, bbox_inches="tight")
