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

Two processes. pyproject.toml runs the suite on two pytest-xdist workers
(``-n 2 --dist loadgroup``); ``-p no:xdist`` (or ``-n 0``) runs it in one process. The
tests are grouped so that nothing expensive is paid twice:

- ``compiled``: every test that runs the compiled engine, on one worker, so numba compiles
  the kernels once (into ``sim/engine/__pycache__``) and every later process, Dask workers
  included, loads them from that cache instead of compiling them again concurrently;
- a test that uses a module-scoped fixture of its own module runs on the worker of the
  module's other such tests (one group per module, and per value of a parametrized
  fixture), so the fixture is built once.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TANKSIM_ENGINE", "numpy")

#: Modules whose every test is about the compiled engine or starts it (Dask workers
#: running compiled chunks, for tests/test_parallel.py; the notebooks' kernels).
COMPILED_MODULES = {"test_compiled", "test_engines", "test_notebooks", "test_parallel"}


def xdist_group(item: pytest.Item) -> str | None:
    """The group ``item`` must share a worker with, or None to run anywhere."""
    module = item.module.__name__.rpartition(".")[2] if item.module else ""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if module in COMPILED_MODULES or "compiled" in params.values():
        return "compiled"
    fixtures = getattr(item, "_fixtureinfo", None)
    shared = [
        (name, defs[-1])
        for name, defs in (fixtures.name2fixturedefs.items() if fixtures else [])
        if defs and defs[-1].scope == "module" and defs[-1].baseid.endswith(f"{module}.py")
    ]
    if not shared:
        return None
    values = sorted(str(params[name]) for name, _ in shared if name in params)
    return ":".join([module, *values])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
