"""Report figures, one function per chart. Each takes result data (and optionally an ``ax``),
draws on a :class:`~matplotlib.figure.Figure` (never pyplot's global state), and returns the
figure; only the shell writes files. The house style lives in :mod:`sim.figures.style`."""
