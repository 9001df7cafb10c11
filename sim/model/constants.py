"""The model's structural constants: state slots, conditions and numerical tolerances.

One module for the numpy engine (:mod:`sim.engine.simulate`), the compiled engine
(:mod:`sim.engine.compiled_kernel` and its helpers) and the SimPy reference model
(:mod:`sim.reference`), so the three cannot drift apart. It sits in the model layer, the
one layer the reference model shares with the engines (it imports nothing of theirs).
Every value here is structural or numerical (none is a model parameter: those have sources
in ``seeds/``); changing a tolerance changes numbers, and the golden files (tests/golden/)
say so.

Imports nothing, so numba reads the values as compile-time constants.
"""

from __future__ import annotations

# --- the recorded state -----------------------------------------------------------------

#: Trajectory variables, in output order. lost..imported and lost_confirmed are cumulative
#: since the start; lost_confirmed is the model's counterpart of Oryx's visually confirmed
#: count (true losses times the replication's detection share). The engines record the
#: first :data:`RECORDED`; :func:`sim.engine.metrics.trajectory_series` derives the last two.
VARIABLES = (
    "active", "storage", "storage_good", "storage_fair", "storage_poor", "pipeline",
    "lost", "scrapped", "refurbished", "produced", "imported", "active_weighted",
    "lost_confirmed",
)  # fmt: skip
#: Slot of each variable on the state's and the series' variable axis (:data:`VARIABLES`).
(ACTIVE, STORAGE, STORAGE_GOOD, STORAGE_FAIR, STORAGE_POOR, PIPELINE, LOST, SCRAPPED,
 REFURBISHED, PRODUCED, IMPORTED, ACTIVE_WEIGHTED,
 LOST_CONFIRMED) = range(len(VARIABLES))  # fmt: skip
#: Variables the engines record each month (the first RECORDED of VARIABLES); the state
#: carried from month to month has these slots.
RECORDED = ACTIVE_WEIGHTED

#: Storage conditions, the order of ``Inputs.storage0``'s first axis and of
#: ``Inputs.entry_condition``'s values (a condition's slot is ``STORAGE_GOOD + condition``).
GOOD, FAIR, POOR = 0, 1, 2
CONDITIONS = 3

# --- numerical tolerances ---------------------------------------------------------------

#: Whole hulls: an expected count is rounded down after adding this, so that a product
#: such as 0.3 * 10 = 2.9999999999999996 still gives 3 hulls.
WHOLE_TOLERANCE = 1e-9
#: Smallest usable share of a started hull (1 - failure): keeps "hulls wanted / usable
#: share" finite when every started hull fails.
MIN_USABLE = 1e-12
#: Largest room for new production when a requirement is set: a bound that keeps the
#: room finite (an infinite requirement means none) before it is rounded to whole tanks.
MAX_PRODUCTION_ROOM = 1e9
#: Smallest coefficient of variation of the loss noise its gamma shape is computed with
#: (a cv of 0 means no noise; the draw is then replaced by 1).
MIN_LOSS_CV = 1e-6
#: Uniforms are float32 multiples of 2**-24; half a step centres them in (0, 1).
HALF_STEP = 2.0**-25
#: The normal quantile's argument is kept this far inside (0, 1) (Poisson's normal
#: approximation for large means).
QUANTILE_CLIP = 1e-12
