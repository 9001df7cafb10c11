"""The results folders of ``tanksim sweep``, ``sensitivity`` and ``discover``: one writer
per folder, from the plain objects :mod:`sim.api.explore` returns.

Each writer fills an existing (staging) folder; :func:`sim.io.output.write_folder` builds it
beside the target and renames it into place. Every folder holds a manifest.json (seed,
sampling, size, options, each resolved parameter with its sources, versions).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim.io.output import write_csv, write_json
from sim.model.calendar import format_month
from sim.model.params import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.results import ScenarioDiscovery, Sensitivity
    from sim.analysis.sweep import SweepResult

#: Most inputs per outcome the sensitivity chart shows.
CHART_TOP = 15
TAIL = "every input and its source: manifest.json."


def manifest(scenario: Scenario, facts: dict, *, command: str, seed: int, sampling: str,
             n: int, options: dict, seconds: float, engine: str | None) -> dict:  # fmt: skip
    """manifest.json (:func:`sim.present.manifest.manifest`): its arguments are what
    reproduces the command's output (the scenario's files, horizon, seed, sampling, ``n``
    replications or samples, ``options``), its inputs every file with its SHA-256, its
    details each parameter's distribution and sources."""
    from sim.present.manifest import input_files
    from sim.present.manifest import manifest as command_manifest

    params = {
        name: {
            "dist": p.dist.kind, **dict(p.dist.args), "domain": p.domain,
            "facts": list(p.facts),
            "sources": [facts[f].citation() for f in p.facts if f in facts], "note": p.note,
        }
        for name, p in scenario.params().items()
    }  # fmt: skip
    arguments = {
        "files": list(scenario.files), "start": format_month(scenario.start),
        "end": format_month(scenario.end), "seed": seed, "sampling": sampling, "n": n,
        "options": options,
    }  # fmt: skip
    details = {"scenario": scenario.name, "seed_sequence_entropy": seed, "parameters": params}
    return command_manifest(command, arguments=arguments, inputs=input_files([scenario]),
                            execution={"engine": engine, "wall_time_seconds": round(seconds, 3)},
                            details=details)  # fmt: skip


def caption_for(scenario: Scenario, facts: dict, tail: str = TAIL):
    """``caption_for(names, lead)`` for :mod:`sim.io.explore_figures`: the lead, the scenario,
    the publications behind the inputs shown, and ``tail``."""
    from sim.analysis.outcomes import CALIBRATED
    from sim.io.explore_figures import explore_caption

    def caption(names: Sequence[str], lead: str) -> str:
        note = ""
        if CALIBRATED in names and scenario.posterior is not None:
            post = scenario.posterior
            note = (f" The calibrated set is one of the {len(post.values):,} rows of "
                    f"{Path(post.path).name}, drawn jointly.")  # fmt: skip
        return explore_caption(scenario, names, lead, facts, tail, noun="parameter", note=note)

    return caption


def _save(figure: Figure, path: Path) -> None:
    from sim.figures.style import DPI

    figure.savefig(path, dpi=DPI, bbox_inches="tight")


def write_sweep(folder: Path, result: SweepResult, facts: dict, meta: dict) -> None:
    """sweep.csv, sweep.json, tornado.png (one at a time only) and manifest.json (``meta``)."""
    from sim.analysis.sweep import sweep_columns, sweep_data, sweep_rows
    from sim.io.explore_figures import sweep_figure

    write_csv(folder / "sweep.csv", sweep_columns(result), sweep_rows(result))
    write_json(folder / "sweep.json", sweep_data(result))
    if not result.grid:
        _save(sweep_figure(result, caption_for(result.scenario, facts), span="over"),
              folder / "tornado.png")  # fmt: skip
    write_json(folder / "manifest.json", meta)


def write_sensitivity(folder: Path, analysis: Sensitivity, data: dict, facts: dict,
                      meta: dict) -> None:  # fmt: skip
    """indices.csv, indices.json (``data``), sensitivity.png and manifest.json (``meta``)."""
    from sim.analysis.morris import MORRIS_STATS, morris_rows
    from sim.analysis.sensitivity import SOBOL_STATS, sobol_rows
    from sim.io.explore_figures import indices_figure

    sobol = analysis.method == "sobol"
    columns = ("outcome", "parameter") + (SOBOL_STATS if sobol else MORRIS_STATS)
    rows = sobol_rows(analysis.indices) if sobol else morris_rows(analysis.indices)
    write_csv(folder / "indices.csv", columns, rows)
    write_json(folder / "indices.json", data)
    figure = indices_figure(
        analysis.scenario, analysis.indices, seed=analysis.seed, top=CHART_TOP,
        all_hint="all in indices.csv", noun="parameter",
        caption_for=caption_for(analysis.scenario, facts), warnings=analysis.warnings,
    )  # fmt: skip
    _save(figure, folder / "sensitivity.png")
    write_json(folder / "manifest.json", meta)


def write_discovery(folder: Path, result: ScenarioDiscovery, data: dict, facts: dict,
                    meta: dict) -> None:  # fmt: skip
    """discover.json (``data``), box.csv, peeling.csv, samples.csv (every sampled set, its
    outcomes and whether it is a case), discovery.png and manifest.json (``meta``)."""
    from sim.analysis.discover import BOX_COLUMNS, PEELING_COLUMNS, box_rows, peeling_rows
    from sim.io.explore_figures import discovery_figure

    found, condition = result.found, result.condition
    write_json(folder / "discover.json", data)
    write_csv(folder / "box.csv", BOX_COLUMNS, box_rows(found))
    write_csv(folder / "peeling.csv", PEELING_COLUMNS, peeling_rows(found))
    header = (*found.parameters, *(o.name for o in condition.outcomes), "case")
    x, outputs, y = result.samples, result.outputs, result.of_interest
    rows = (
        (*(f"{v:.6g}" for v in x[i]), *(f"{v:.6g}" for v in outputs[i]), int(y[i]))
        for i in range(len(y))
    )
    write_csv(folder / "samples.csv", header, rows)
    figure = discovery_figure(
        result.scenario, found, where=condition.text, sampling=result.sampling,
        seed=result.seed, noun="parameter", caption_for=caption_for(result.scenario, facts),
    )  # fmt: skip
    _save(figure, folder / "discovery.png")
    write_json(folder / "manifest.json", meta)
