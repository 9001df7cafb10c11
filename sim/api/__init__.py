"""The public Python API: load a scenario, simulate, summarise, compare, plot, report.

Everything a notebook needs, with no files touched unless a function says so::

    from sim import api

    base = api.load_scenario("scenarios/baseline.toml")
    nk = api.load_scenario("scenarios/nk-t62.toml")
    results = [api.run(s, reps=2000) for s in (base, nk)]
    api.summarise(results[0])["metrics"]["storage_exhausted"]
    api.compare(results, at=["2028-12"])["paired"]["nk-t62"]["active_gain"]
    api.plot_fan(results[0])            # a matplotlib Figure; displays inline in Jupyter

Counts are tanks; months are ``"YYYY-MM"`` strings in summaries and comparisons. Figures are
:class:`matplotlib.figure.Figure` objects drawn without pyplot; save them with
``fig.savefig(path)``.
"""

from sim.api.calibration import calibrate, fit_table, plot_calibration_fit, prior_posterior, targets
from sim.api.explore import (
    CHART_TOP,
    SENSITIVITY_OUTCOMES,
    ScenarioDiscovery,
    Sensitivity,
    box_rows,
    discover,
    discovery_table,
    morris,
    plot_discovery,
    plot_sensitivity,
    plot_tornado,
    sensitivity_rows,
    sensitivity_table,
    sobol,
    sweep,
    sweep_table,
)
from sim.api.runs import (
    DEFAULT_REPORT,
    compare,
    compare_table,
    facts,
    headline_table,
    load_scenario,
    paired_comparison,
    plot_comparison,
    plot_fan,
    plot_months,
    plot_storage,
    report,
    results,
    run,
    save_results,
    summarise,
)
from sim.io.report import CompareData, RunData
from sim.model.params import Scenario
from sim.runs.run import RunResult

__all__ = [
    "CHART_TOP",
    "DEFAULT_REPORT",
    "SENSITIVITY_OUTCOMES",
    "paired_comparison",
    "CompareData",
    "RunData",
    "RunResult",
    "Scenario",
    "compare",
    "compare_table",
    "facts",
    "headline_table",
    "load_scenario",
    "plot_comparison",
    "plot_fan",
    "plot_months",
    "plot_storage",
    "report",
    "results",
    "run",
    "save_results",
    "summarise",
    "targets",
    "calibrate",
    "prior_posterior",
    "fit_table",
    "plot_calibration_fit",
    "ScenarioDiscovery",
    "Sensitivity",
    "box_rows",
    "discover",
    "discovery_table",
    "morris",
    "plot_discovery",
    "plot_sensitivity",
    "plot_tornado",
    "sensitivity_rows",
    "sensitivity_table",
    "sobol",
    "sweep",
    "sweep_table",
]
