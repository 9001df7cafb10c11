"""Writing a hindcast folder: hindcast.json, hindcast.csv, hindcast.png and manifest.json."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.api.hindcast import HindcastRun

COLUMNS = ("target", "fact", "date", "observed", "low", "high", "p05", "p25", "p50", "p75",
           "p95", "inside_50", "inside_90", "interval_score_90", "crps")  # fmt: skip


def _unit(row: dict) -> str:
    return "share" if row["high"] <= 1.0 else "tanks"


def write_hindcast(folder: Path, run: HindcastRun) -> None:
    """Write ``run`` into an existing ``folder``."""
    from sim.figures.hindcast import hindcast_figure
    from sim.io.output import write_csv, write_json
    from sim.model.calendar import format_month
    from sim.present.manifest import versions

    write_csv(folder / "hindcast.csv", COLUMNS, [[r[c] for c in COLUMNS] for r in run.rows])
    document = run.meta | {"summary": run.summary, "scored": run.rows}
    write_json(folder / "hindcast.json", document)
    write_json(folder / "manifest.json", run.provenance | run.meta | {
        "command": "hindcast", "versions": versions()})  # fmt: skip
    cut = format_month(run.until)
    dates = [date(int(r["date"][:4]), int(r["date"][5:7]), 1) for r in run.rows]
    bands = np.array([[r[k] for k in ("p05", "p25", "p50", "p75", "p95")] for r in run.rows])
    observed = np.array([[r["observed"], r["low"], r["high"]] for r in run.rows])
    inside = run.summary
    heading = (f"Hindcast of '{run.name}': calibrated on {len(run.fitted)} targets up to "
               f"{cut}, scored on {len(run.rows)} later ones ({inside['inside_90_share']:.0%} "
               f"inside the 90% band, {inside['inside_50_share']:.0%} inside the 50%)")  # fmt: skip
    fig = hindcast_figure([r["target"] for r in run.rows], dates, bands, observed,
                          [_unit(r) for r in run.rows],
                          date(run.until // 12, run.until % 12 + 1, 1), run.caption,
                          heading)  # fmt: skip
    fig.savefig(folder / "hindcast.png", dpi=150, bbox_inches="tight")
