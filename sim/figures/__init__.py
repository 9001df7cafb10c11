"""Report figures, one function per chart. Each takes result data (and optionally an ``ax``),
draws on a :class:`~matplotlib.figure.Figure` (never pyplot's global state), and returns the
figure; only the shell writes files. The house style lives in :mod:`sim.figures.style`."""

from sim.figures.compare import comparison_chart
from sim.figures.fan import Observed, active_fan, draw_fan, run_fan
from sim.figures.months import months_ecdf
from sim.figures.storage import storage_chart

__all__ = [
    "Observed",
    "active_fan",
    "comparison_chart",
    "draw_fan",
    "months_ecdf",
    "run_fan",
    "storage_chart",
]
