"""The folder of a calibration: posterior.csv, calibrated.toml, the fit and prior/posterior
tables, figures and manifest (:func:`write_calibration`), from a
:class:`~sim.analysis.results.CalibrationRun` whose statistics
:mod:`sim.analysis.calibration_fit` computed. Writes files; computes nothing."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from sim.model.loader import merge_chain, read_chain

if TYPE_CHECKING:
    from sim.analysis.results import CalibrationRun

FIT_COLUMNS = ("target", "fact", "quantity", "observed", "low", "high", "p05", "p50", "p95",
               "inside_90", "share_in_interval")  # fmt: skip
COVERAGE_COLUMNS = ("series", "observations", "inside_50", "inside_90", "coverage_50",
                    "coverage_90")  # fmt: skip
PRIOR_POSTERIOR_COLUMNS = ("parameter", "prior_p05", "prior_p50", "prior_p95", "posterior_p05",
                           "posterior_p50", "posterior_p95", "width_ratio")  # fmt: skip


def calibrated_toml(source: Path, description: str) -> str:
    """A self-contained scenario file: ``source`` with every file it extends merged in (so
    it survives its folder being moved), drawing the calibrated parameters from the
    ``posterior.csv`` beside it.

    Raises ValueError if the merged scenario cannot be written as TOML that reads back the
    same (it always can for a scenario the loader accepted).
    """
    raw, _ = merge_chain(read_chain(source))
    raw = {k: v for k, v in raw.items() if k not in ("description", "posterior")}
    files = " <- ".join(str(p.resolve()) for p, _ in reversed(read_chain(source)))
    body = toml_text(raw)
    if tomllib.loads(body) != raw:
        raise ValueError(f"{source}: the merged scenario does not survive a TOML round trip")
    return (
        "# Written by `tanksim calibrate`: the input scenario, merged from\n"
        f"# {files}\n"
        "# with its calibrated parameters drawn jointly from posterior.csv (see posterior.json\n"
        "# for the targets, the seed, distinct sets and effective sample size).\n"
        f"description = {_toml_value(description)}\n"
        'posterior = "posterior.csv"\n' + body
    )


def toml_text(data: dict, prefix: str = "") -> str:
    """TOML text of a scenario's plain tables (strings, numbers, booleans, lists and
    tables; a parameter table, with ``dist`` or ``value``, inline)."""
    scalars, tables = [], []
    for key, value in data.items():
        name = _toml_key(key)
        if isinstance(value, dict) and value and not ({"dist", "value"} & value.keys()):
            tables.append(toml_text(value, f"{prefix}{name}."))
        else:
            scalars.append(f"{name} = {_toml_value(value)}")
    head = f"\n[{prefix[:-1]}]\n" if prefix and scalars else ""
    return head + "".join(f"{line}\n" for line in scalars) + "".join(tables)


def _toml_key(key: str) -> str:
    bare = key and all(c.isalnum() or c in "-_" for c in key) and key.isascii()
    return key if bare else _toml_value(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be written to a scenario file")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    raise ValueError(f"{value!r} cannot be written to a scenario file")


def write_calibration(folder: Path, run: CalibrationRun) -> None:
    """Write a calibration's files into an existing ``folder``: posterior.csv (+ .json),
    calibrated.toml, fit.csv, fit.png, prior_posterior.csv, prior_posterior.png,
    generations.csv, manifest.json and, for a scenario naming hypotheses, evidence.json."""
    from sim.figures.calibration import fit_figure, prior_posterior_figure
    from sim.figures.style import DPI
    from sim.io.output import write_csv, write_json
    from sim.model.posterior import write_posterior

    cal = run.calibration
    write_posterior(folder / "posterior.csv", cal.names, run.rows, run.meta)
    (folder / "calibrated.toml").write_text(calibrated_toml(run.source, run.description))
    write_csv(folder / "fit.csv", FIT_COLUMNS, [list(r.values()) for r in run.fit])
    write_csv(folder / "prior_posterior.csv", PRIOR_POSTERIOR_COLUMNS, run.prior_posterior)
    write_csv(folder / "generations.csv", ("epsilon", "proposed", "accepted", "fit_all", "ess"),
              [list(g.__dict__.values()) for g in cal.generations])  # fmt: skip
    write_json(folder / "manifest.json",
               run.provenance | {"details": run.meta | {"fit": run.fit}})  # fmt: skip
    if run.evidence is not None:
        write_json(folder / "evidence.json", run.evidence)
    if run.coverage:
        write_csv(folder / "coverage.csv", COVERAGE_COLUMNS,
                  [[r[c] for c in COVERAGE_COLUMNS] for r in run.coverage])  # fmt: skip
    write_csv(folder / "sources.csv", ("source", "observations", "outside_90", "targets_outside"),
              [[r["source"], r["observations"], len(r["outside_90"]), " ".join(r["outside_90"])]
               for r in run.sources])  # fmt: skip
    if run.record_panels:
        from sim.figures.record_fit import record_fit_figure

        title = f"The model calibrated from '{run.name}', against Oryx's confirmed losses by type"
        record_fit_figure(run.record_panels, run.record_caption, title).savefig(
            folder / "record-fit.png", dpi=DPI, bbox_inches="tight")
    fit_figure(run.panels, run.caption, run.fit_heading).savefig(
        folder / "fit.png", dpi=DPI, bbox_inches="tight")  # fmt: skip
    prior_posterior_figure(
        list(cal.names), run.prior_q, run.posterior_q, run.caption,
        "What the record pins down: posterior vs prior, per parameter",
    ).savefig(folder / "prior_posterior.png", dpi=DPI, bbox_inches="tight")  # fmt: skip
