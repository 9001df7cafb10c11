"""Settings shared by every test.

The engine. ``tanksim`` runs the compiled engine by default when numba imports; a process
that runs it pays numba's start (its import and the cached kernel's load, about 2 s; the
first compile in a fresh clone, about 20 s). Most tests are not about the engine, and many
start ``tanksim`` in a subprocess, so they run on the numpy engine: ``TANKSIM_ENGINE=numpy``
unless the environment sets it already (``TANKSIM_ENGINE=compiled python -m pytest`` runs
them all on the compiled one). The tests that are about the engine name both engines
explicitly: tests/test_golden.py (every bundled scenario, both engines against the golden
files), tests/test_compiled.py and tests/test_engines.py (the default with and without
numba, ``--engine`` on every command, the manifests, Dask workers). The numbers are the same
on both engines, so no other test depends on the choice.
"""

from __future__ import annotations

import os

os.environ.setdefault("TANKSIM_ENGINE", "numpy")
