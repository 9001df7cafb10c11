"""Which month step runs a chunk: the numpy engine or the compiled one (same numbers).

Every chunk task (:func:`sim.runs.run.run_chunk`, :func:`sim.runs.ensemble.ensemble_chunk`
and the expected-value chunks) asks :func:`simulator` for its engine by name, so every
command that runs the engine (run, compare, supply-needed, sweep, sensitivity, discover,
calibrate, hindcast, report, rerun, and chunks on Dask workers) can use either. ``None``
means :func:`default`: the environment variable :data:`ENV` if set, else ``compiled`` when
numba can be imported and ``numpy`` otherwise.

Importing this module imports neither numba nor numpy. Whether numba can be imported is
found by importing it (once a process, when the compiled engine is the candidate): a numba
that is installed but fails to import (a numba built for another numpy, a broken llvmlite)
makes the default ``numpy``, with :func:`fallback_note` saying why, and ``compiled``, asked
for by name, one line (:class:`EngineUnavailable`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.model.errors import InputError

if TYPE_CHECKING:
    from sim.engine.inputs import Inputs
    from sim.engine.simulate import Trace

#: The engines, by name (as :data:`sim.engine.compiled.ENGINES`; a test checks they agree).
ENGINES = ("numpy", "compiled")
#: The environment variable that sets the default engine (``numpy`` or ``compiled``).
ENV = "TANKSIM_ENGINE"
#: What a user installs to get the compiled engine.
FAST_INSTALL = "pip install 'tanksim[fast]'"
#: Characters of a failed import's message kept in the one-line reason (a long message,
#: e.g. a list of search paths, would no longer be one readable line).
REASON_CHARS = 160
NOT_INSTALLED = "numba is not installed"


class EngineError(InputError):
    """An engine name that is not one of :data:`ENGINES` (one line)."""


class EngineUnavailable(EngineError):
    """The compiled engine was asked for and numba is not installed or does not import."""


@functools.cache
def numba_problem() -> str | None:
    """Why numba cannot be used in this process, on one line, or None when it imports.

    Imports numba (once; the answer is cached): finding the package is not enough, as a
    numba built against another numpy is found and then fails to import. Any exception its
    import raises (ImportError, AttributeError, OSError, ...) is caught and described.
    """
    try:
        installed = importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # sys.modules["numba"] = None, or a broken entry
        installed = False
    if not installed:
        return f"{NOT_INSTALLED} ({FAST_INSTALL})"
    try:
        importlib.import_module("numba")
    except Exception as err:  # an optional part: whatever breaks its import, fall back
        reason = " ".join(str(err).split())[:REASON_CHARS] or "no message"
        return f"numba is installed but does not import ({type(err).__name__}: {reason})"
    return None


def available() -> bool:
    """Whether numba can be imported (by importing it: see :func:`numba_problem`)."""
    return numba_problem() is None


def fallback_note() -> str | None:
    """One line saying the default engine is numpy because numba is installed but does not
    import (the user meant to have the compiled engine), else None."""
    if os.environ.get(ENV, "").strip():  # the engine was chosen: nothing to explain
        return None
    problem = numba_problem()
    if problem is None or problem.startswith(NOT_INSTALLED):
        return None
    return f"{problem}; running on the numpy engine (the same numbers)"


#: The modules holding the compiled engine's numba functions (``cache=True`` each).
COMPILED_MODULES = ("sim.engine.compiled_kernel", "sim.engine.compiled_steps",
                    "sim.engine.compiled_draws", "sim.engine.compiled_reduce")  # fmt: skip


def compiled_in_this_process() -> bool:
    """Whether numba compiled one of the compiled engine's functions in this process rather
    than loading it from its cache (the first run after installing, or after a change: about
    20 s, which that run's time then includes). Imports nothing: False until a compiled
    chunk has run."""
    for name in COMPILED_MODULES:
        module = sys.modules.get(name)
        for value in vars(module).values() if module is not None else ():
            stats = getattr(value, "stats", None)
            if getattr(stats, "cache_misses", None):
                return True
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

    Raises :class:`EngineUnavailable` for ``compiled`` when numba does not import and
    :class:`EngineError` for an unknown name (both ValueErrors, one line).
    """
    if engine is None:
        name, where = default(), (ENV if os.environ.get(ENV, "").strip() else "engine")
    else:
        name, where = engine, "engine"
    if name not in ENGINES:
        raise EngineError(f"{where} = {name!r}: must be one of {', '.join(ENGINES)}")
    if name == "compiled" and not available():
        problem = numba_problem() or f"{NOT_INSTALLED} ({FAST_INSTALL})"
        raise EngineUnavailable(
            f"{where} = compiled: {problem}; use --engine numpy (the same numbers)"
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
