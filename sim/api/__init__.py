"""The public Python API: load a scenario, simulate, summarise, compare, plot, report.

Everything a notebook needs, with no files touched unless a function says so::

    from sim import api

    base = api.load_scenario("scenarios/baseline.toml")
    nk = api.load_scenario("scenarios/nk-t62.toml")
    results = [api.run(s, reps=2000) for s in (base, nk)]
    api.summarise(results[0])["metrics"]["storage_exhausted"]
    api.compare(results, at=["2028-12"])["paired"]["nk-t62"]["active_gain"]
    api.plot_fan(results[0])            # a matplotlib Figure; displays inline in Jupyter

Every folder a ``tanksim`` command writes, one ``save_*`` call writes the same
(``api.save_runs``, ``save_compare``, ``save_sweep``, ``save_sensitivity``,
``save_discovery``, ``save_calibration``, ``save_hindcast``; ``api.report``).

Counts are tanks; months are ``"YYYY-MM"`` strings in summaries and comparisons. Figures are
:class:`matplotlib.figure.Figure` objects drawn without pyplot; save them with
``fig.savefig(path)``.

Every name is loaded from its module on first use (:data:`EXPORTS`), so that reading a
scenario (``api.load_scenario``, what ``tanksim validate`` does) imports no matplotlib. This
package imports no click and prints nothing: the command line is a shell over it.
"""

from __future__ import annotations

import importlib

#: Public name -> the module defining it.
EXPORTS = {
    **dict.fromkeys(
        ("THRESHOLD_SHARE", "Validation", "default_dates", "facts", "load_scenario",
         "posterior_info", "validate"),
        "sim.api.scenarios",
    ),
    **dict.fromkeys(
        ("DEFAULT_REPORT", "check_target", "compare", "compare_table", "comparison_dates",
         "default_threshold", "headline_table", "paired_comparison", "plot_comparison",
         "plot_fan", "plot_months", "plot_storage", "report", "results", "run",
         "save_comparison", "save_run", "summarise", "supply_needed"),
        "sim.api.runs",
    ),  # fmt: skip
    **dict.fromkeys(
        ("calibrate", "fit_table", "plot_calibration_fit", "prior_posterior",
         "record_observations", "targets"),
        "sim.api.calibration",
    ),
    **dict.fromkeys(
        ("CHART_TOP", "SENSITIVITY_OUTCOMES", "morris", "plot_sensitivity", "plot_tornado",
         "sensitivity_rows", "sensitivity_table", "sobol", "sweep", "sweep_table"),
        "sim.api.explore",
    ),  # fmt: skip
    "hindcast": "sim.api.hindcasting",
    **dict.fromkeys(("check_against_record", "conditioned_weights", "record_warning"),
                    "sim.api.foreign"),
    **dict.fromkeys(
        ("box_rows", "discover", "discovery_table", "plot_discovery"), "sim.api.discovery"
    ),
    **dict.fromkeys(
        ("CompareData", "RunData", "ScenarioDiscovery", "Sensitivity"), "sim.analysis.results"
    ),
    **dict.fromkeys(("save_runs", "save_compare"), "sim.api.run_folders"),
    **dict.fromkeys(("save_sweep", "save_sensitivity", "save_discovery"),
                    "sim.api.explore_folders"),  # fmt: skip
    **dict.fromkeys(("save_calibration", "save_hindcast"), "sim.api.calibration_folders"),
    "Saved": "sim.api.saved",
    "Scenario": "sim.model.params",
    "RunResult": "sim.runs.run",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str):
    module = EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *EXPORTS])
