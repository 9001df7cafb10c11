"""The compiled engine: :func:`simulate` with the month step in numba, the same numbers.

:func:`simulate` takes what :func:`sim.engine.simulate.simulate` takes and returns the same
:class:`~sim.engine.simulate.Trace`, byte for byte: a batch of months at a time, it draws
every uniform (and the gamma loss noise) of the batch from the same keyed streams in the
same amounts, then hands them with the inputs and the chunk's state (the named structures
of :mod:`sim.engine.compiled_inputs`) to :func:`sim.engine.compiled_kernel.months`, which
steps those months in compiled code, tiles of replications in parallel. The numpy engine
stays the readable statement of the model and the fallback when numba is not installed.

Importing this module does not import numba; :func:`available` tells whether it can.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sim.engine import compiled_inputs as arguments
from sim.engine.inputs import Inputs
from sim.engine.simulate import VARIABLES, Trace
from sim.engine.streams import ExpectedFlows, RandomFlows

ENGINES = ("numpy", "compiled")
#: Months per kernel call, their uniforms drawn just before it (a speed and memory
#: setting: changes no number).
BATCH = 12


def available() -> bool:
    """Whether numba imports (found and imported: a numba built for another numpy is found
    but fails to import); as :func:`sim.runs.engines.available`."""
    try:
        if importlib.util.find_spec("numba") is None:
            return False
        importlib.import_module("numba")
    except Exception:  # noqa: BLE001 - an optional part: whatever breaks its import
        return False
    return True


def _draws(
    inputs: Inputs, flows: RandomFlows, first: int, stop: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every uniform the numpy engine would draw in months ``first .. stop - 1``,
    (stop - first, 3F + 2K + 1 + S, R) float32 in the kernel's row order, and the loss
    noise (stop - first, R); drawn through ``flows`` month by month, so the streams are
    consumed exactly as :func:`sim.engine.simulate.simulate` consumes them."""
    fams, entries, supplies = inputs.family_names, inputs.entry_names, inputs.supply_names
    requests = [
        ("degrade:good", fams), ("degrade:fair", fams), ("losses", fams),
        ("refurb:donors", entries), ("refurb:failures", entries), ("production", None),
    ]  # fmt: skip
    if len(inputs.supply_family):
        requests.append(("supply", supplies))
    rows = sum(1 if names is None else len(names) for _, names in requests)
    uniforms = np.empty((stop - first, rows, flows.reps), np.float32)
    noise = np.empty((stop - first, flows.reps), np.float64)
    for t in range(stop - first):
        noise[t] = flows.noise("losses:intensity", inputs.loss_cv)
        row = 0
        for purpose, names in requests:
            u = flows.uniforms(purpose, names)
            size = 1 if names is None else len(names)
            uniforms[t, row : row + size] = u
            row += size
    return uniforms, noise


#: Series arrays whose trace may be gone, to fill again: two, so that a chunk being
#: reduced in another thread while the next is simulated (sim.runs.run) keeps its own.
_spare: list[np.ndarray] = []
SPARES = 2
_spare_lock = threading.Lock()


def _series(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An array for the trace's series: one handed out before, when nothing refers to it
    any more (its trace, every view and the reducer's input are gone) and it has this shape
    and type, else a new one. The kernel writes every recorded value and
    :func:`sim.engine.metrics.trajectory_series` every derived one, so the old values never
    show; the memory's pages are already mapped, which spares the chunk the operating
    system's first-touch cost of a fresh array (hundreds of MB a chunk). Holds up to
    :data:`SPARES` chunks' series between runs."""
    with _spare_lock:
        for i in range(len(_spare)):
            # three references when free: the list, `held` and getrefcount's argument
            held = _spare[i]
            if sys.getrefcount(_spare[i]) == 3 and held.shape == shape and held.dtype == dtype:
                return held
            del held
        fresh = np.zeros(shape, dtype)
        _spare[:] = [fresh, *[a for a in _spare if sys.getrefcount(a) > 3]][:SPARES]
        return fresh


def _batch(inputs: Inputs, flows, first: int, stop: int, stochastic: bool):
    """The uniforms and loss noise of months ``first .. stop - 1`` (:func:`_draws`), or
    none and ones for expected values."""
    if stochastic:
        return _draws(inputs, flows, first, stop)
    reps = inputs.shape[2]
    return np.zeros((stop - first, 0, reps), np.float32), np.ones((stop - first, reps))


def simulate(inputs: Inputs, flows: RandomFlows | ExpectedFlows) -> Trace:
    """Run every month for a chunk of replications in compiled code; the same
    :class:`~sim.engine.simulate.Trace` as :func:`sim.engine.simulate.simulate`.

    The months run in batches of :data:`BATCH` (a speed and memory setting: changes no
    number), each batch's uniforms drawn just before it. Raises ``ImportError`` when numba
    is not installed.
    """
    # The kernel's threads sleep between calls rather than spin (the OpenMP default spins,
    # and on a shared machine a spinning thread burns a core another job needs); an
    # explicit setting wins. Read when numba first starts its threads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import numba

    from sim.engine.compiled_kernel import months as kernel

    n_months, families, reps = inputs.shape
    stochastic = bool(flows.integer)
    flows.plan(n_months)
    dtype = np.int32 if stochastic else np.float64
    series = _series((n_months, len(VARIABLES), families + 1, reps), np.dtype(dtype))
    given, carried = arguments.given(inputs, stochastic), arguments.carried(inputs)
    out = arguments.written(series)
    previous = numba.set_parallel_chunksize(1)  # tiles handed out one at a time
    batches = [(first, min(first + BATCH, n_months)) for first in range(0, n_months, BATCH)]
    # the next batch's uniforms are drawn in another thread while the kernel (which
    # releases the GIL) steps this one: the streams are still read in order, one batch
    # after another, by one thread at a time
    with ThreadPoolExecutor(1) as drawing:
        try:
            ahead = drawing.submit(_batch, inputs, flows, *batches[0], stochastic)
            for i, (first, stop) in enumerate(batches):
                uniforms, noise = ahead.result()
                if i + 1 < len(batches):
                    ahead = drawing.submit(_batch, inputs, flows, *batches[i + 1], stochastic)
                kernel(first, stop, uniforms, noise, given, carried, out)
        finally:
            numba.set_parallel_chunksize(previous)
    return Trace.from_series(
        series, out.effort_refurbishable, capacity=inputs.capacity.astype(np.float64),
        donor_shortfall=out.donor_shortfall, effort_spent=out.effort_spent,
    )  # fmt: skip
