"""tanksim: Russia's tank inventory under attrition, with and without North Korean supply.

The public API lives in :mod:`sim.api` (``from sim import api``): ``api.load_scenario``,
``api.run``, ``api.summarise``, ``api.compare``, ``api.plot_*`` and ``api.report``. Every
name of it is also importable from here (``sim.load_scenario``, ``sim.plot_fan``, ...),
loaded on first use so that ``import sim`` stays cheap.
"""

from sim._version import __version__

__all__ = ["__version__"]


def __getattr__(name: str):
    import importlib
    from pathlib import Path

    here = Path(__file__).parent
    if name != "api" and ((here / f"{name}.py").is_file() or (here / name).is_dir()):
        # ``from sim import defaults`` asks here before importing the submodule: let it.
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    api = importlib.import_module("sim.api")
    if name == "api":
        return api
    if name in api.EXPORTS:
        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    from sim.api import EXPORTS

    return sorted([*globals(), "api", *EXPORTS])
