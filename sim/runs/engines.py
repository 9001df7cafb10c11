"""Which month step runs a chunk: the numpy engine or the compiled one (same numbers).

Every chunk task (:func:`sim.runs.run.run_chunk`, :func:`sim.runs.ensemble.ensemble_chunk`
and the expected-value chunks) asks :func:`simulator` for its engine by name, so every
command that runs the engine (run, compare, supply-needed, sweep, sensitivity, discover,
calibrate, hindcast, report, rerun, and chunks on Dask workers) can use either. ``None``
means :func:`default`: the environment variable :data:`ENV` if set, else ``compiled`` when
numba can be imported and ``numpy`` otherwise.

Importing this module imports neither numba nor numpy (the command line resolves the engine
before it reads a scenario); the engines are imported when a chunk first runs.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.engine.inputs import Inputs
    from sim.engine.simulate import Trace

#: The engines, by name (as :data:`sim.engine.compiled.ENGINES`; a test checks they agree).
ENGINES = ("numpy", "compiled")
#: The environment variable that sets the default engine (``numpy`` or ``compiled``).
ENV = "TANKSIM_ENGINE"
#: What a user installs to get the compiled engine.
FAST_INSTALL = "pip install 'tanksim[fast]'"


class EngineError(ValueError):
    """An engine name that is not one of :data:`ENGINES` (one line)."""


class EngineUnavailable(EngineError):
    """The compiled engine was asked for and numba is not installed."""


def available() -> bool:
    """Whether numba can be imported (without importing it), as
    :func:`sim.engine.compiled.available`."""
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # sys.modules["numba"] = None, or a broken entry
        return False


def default() -> str:
    """The engine used when none is named: ``$TANKSIM_ENGINE`` if set (checked by
    :func:`resolve`), else ``compiled`` when numba can be imported, else ``numpy``."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen:
        return chosen
    return "compiled" if available() else "numpy"


def resolve(engine: str | None) -> str:
    """The engine's name: ``engine``, or :func:`default` for None.

    Raises :class:`EngineUnavailable` for ``compiled`` without numba and
    :class:`EngineError` for an unknown name (both ValueErrors, one line).
    """
    if engine is None:
        name, where = default(), (ENV if os.environ.get(ENV, "").strip() else "engine")
    else:
        name, where = engine, "engine"
    if name not in ENGINES:
        raise EngineError(f"{where} = {name!r}: must be one of {', '.join(ENGINES)}")
    if name == "compiled" and not available():
        raise EngineUnavailable(
            f"{where} = compiled: numba is not installed ({FAST_INSTALL}); "
            "use --engine numpy (the same numbers)"
        )
    return name


def simulator(engine: str | None) -> Callable[..., Trace]:
    """The ``simulate(inputs, flows) -> Trace`` function of ``engine``."""
    if resolve(engine) == "compiled":
        from sim.engine.compiled import simulate
    else:
        from sim.engine.simulate import simulate
    return simulate


def simulate(inputs: Inputs, flows, engine: str | None = None) -> Trace:
    """Run ``inputs`` with ``flows`` on ``engine`` (see :func:`simulator`)."""
    return simulator(engine)(inputs, flows)
