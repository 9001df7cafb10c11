"""tanksim: Russia's tank inventory under attrition, with and without North Korean supply.

The public API lives in :mod:`sim.api` (``from sim import api``): ``api.load_scenario``,
``api.run``, ``api.summarise``, ``api.compare``, ``api.plot_*`` and ``api.report``. Most of it
is also importable from here (``sim.load_scenario``, ``sim.plot_fan``, ...), loaded on first
use so that ``import sim`` stays cheap.
"""

__version__ = "0.1.0"

_API = (
    "compare_table", "facts", "headline_table", "load_scenario", "plot_comparison",
    "plot_fan", "plot_months", "plot_storage", "report", "results", "save_results", "summarise",
    "run", "compare", "sweep", "discover",
    # sweeps, sensitivity and discovery
    "box_rows", "discovery_table", "morris", "plot_discovery", "plot_sensitivity",
    "plot_tornado", "sensitivity_rows", "sensitivity_table", "sobol", "sweep_table",
)  # fmt: skip


def __getattr__(name: str):
    if name == "api":
        import importlib

        return importlib.import_module("sim.api")
    if name in _API:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "api", *_API])
