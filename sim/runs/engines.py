"""Which month step runs a chunk: the numpy engine or the compiled one (same numbers).

Every chunk task (:func:`sim.runs.run.run_chunk`, :func:`sim.runs.ensemble.ensemble_chunk`
and the expected-value chunks) asks :func:`simulator` for its engine by name, so every
command that runs the engine (run, compare, supply-needed, sweep, sensitivity, discover,
calibrate, and chunks on Dask workers) can use either. ``None`` means :data:`DEFAULT`.
Nothing here imports numba; the compiled engine imports it on first use.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.engine.compiled import ENGINES, available
from sim.engine.inputs import Inputs
from sim.engine.simulate import Trace

#: The engine used when none is named: numpy, until the compiled step is faster on the
#: baseline (README, Performance); ``--engine compiled`` opts in.
DEFAULT = "numpy"


class EngineUnavailable(ValueError):
    """The compiled engine was asked for and numba is not installed."""


def resolve(engine: str | None) -> str:
    """The engine's name: ``engine``, or :data:`DEFAULT` for None.

    Raises :class:`EngineUnavailable` for ``compiled`` without numba, ``ValueError`` for an
    unknown name.
    """
    name = DEFAULT if engine is None else engine
    if name not in ENGINES:
        raise ValueError(f"engine = {name!r}: one of {', '.join(ENGINES)}")
    if name == "compiled" and not available():
        raise EngineUnavailable(
            "engine = compiled: numba is not installed (pip install 'tanksim[fast]'), "
            "use --engine numpy"
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
