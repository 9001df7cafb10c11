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

Two processes. pyproject.toml runs the suite on two pytest-xdist workers (``-n 2``; ``-n 0``
runs it in one process). Which tests share a worker is decided here, from the test ids
(:func:`xdist_group`, used by the scheduler of :func:`pytest_xdist_make_scheduler`), so that
nothing expensive is paid twice:

- ``compiled``: every test that runs the compiled engine, on one worker, so numba compiles
  the kernels once (into ``sim/engine/__pycache__``) and every later process, Dask workers
  and notebook kernels included, loads them from that cache instead of compiling them again
  at the same time;
- a module whose tests share an expensive module-scoped fixture runs whole on one worker
  (for tests/test_reference.py, one worker per scenario of its ``pair`` fixture), so the
  fixture is built once.

Every other test runs wherever a worker is free. (xdist's own ``--dist loadgroup`` reads
``xdist_group`` marks by appending them to the test ids, which pytest 9.2 no longer allows:
the marks were silently ignored.)
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TANKSIM_ENGINE", "numpy")

#: Modules whose every test is about the compiled engine or starts it (Dask workers
#: running compiled chunks, for tests/test_parallel.py; the notebooks' kernels).
COMPILED_MODULES = {"test_compiled", "test_engines", "test_notebooks", "test_parallel"}
#: Modules whose tests share an expensive module-scoped fixture: the fixture's name, and the
#: ids of its parameters when it has some (one group per parameter; a test of the module
#: whose id starts with none of them does not use the fixture and runs anywhere).
SHARED_FIXTURE_MODULES: dict[str, tuple[str, ...]] = {
    "test_api_explore": (),  # oat, found: a sweep and a discovery
    "test_cli": (),  # baseline_run: one run of the baseline through the command
    "test_figures": (),  # results, folder: runs of the bundled scenarios
    "test_read_back": (),  # run_folder, report_folder
    "test_report": (),  # report: a report folder
    "test_supply_needed": (),  # level, answer: a run and a supply_needed search
    "test_wheel": (),  # installed: a wheel built and installed
    "test_reference": ("baseline",),  # pair: the SimPy reference over the baseline
}


def xdist_group(nodeid: str) -> str | None:
    """The group of the test ``nodeid`` (``tests/test_x.py::test_y[ids]``) that must run on
    one worker, or None for a test that may run on any."""
    path, _, name = nodeid.partition("::")
    module = path.rpartition("/")[2].removesuffix(".py")
    ids = name[name.index("[") + 1 : -1] if name.endswith("]") else ""
    if module in COMPILED_MODULES or "compiled" in ids.split("-"):
        return "compiled"
    if module not in SHARED_FIXTURE_MODULES:
        return None
    params = SHARED_FIXTURE_MODULES[module]
    if not params:
        return module
    used = [p for p in params if ids == p or ids.startswith(f"{p}-")]
    return f"{module}:{used[0]}" if used else None


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Load scheduling by :func:`xdist_group`: each group is one unit of work, the largest
    first; every other test is a unit of its own."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid) or nodeid

    return GroupScheduling(config, log)
