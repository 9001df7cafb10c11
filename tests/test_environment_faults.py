"""Faults of the environment, not of the input: an optional part that is installed but
broken, a scheduler that is not one, a full disk, a name too long, a symlink loop, a deleted
working directory, a scenario nested too deep. Each is one line on stderr with the exit code
the README lists (never a traceback), or a correct result with one warning line."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, error_lines, tanksim

from sim.runs import engines

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.toml"
QUICK = ("--reps", "16", "--end", "2022-04")


# ---------------------------------------------------------------------------------------------
# An optional accelerator installed but broken


class _BrokenNumba(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``numba`` (as an installed package is found) and fails to load it, raising
    ``error``: what a numba built for another numpy does."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def find_spec(self, name, path=None, target=None):
        if name != "numba":
            return None
        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise self.error


@pytest.fixture
def broken_numba(monkeypatch):
    """numba installed but its import raising ImportError; ``TANKSIM_ENGINE`` unset."""

    def install(error: BaseException = ImportError("Numba needs NumPy 2.2 or less")):
        for name in [m for m in sys.modules if m == "numba" or m.startswith("numba.")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setattr(sys, "meta_path", [_BrokenNumba(error), *sys.meta_path])
        monkeypatch.delenv(engines.ENV, raising=False)
        engines.numba_problem.cache_clear()

    yield install
    engines.numba_problem.cache_clear()


def test_a_numba_that_fails_to_import_makes_the_default_numpy_with_one_warning(
    broken_numba, tmp_path
):  # fmt: skip
    broken_numba()
    outcome = tanksim("run", BASELINE, *QUICK, "--out", tmp_path / "a")
    assert outcome.returncode == 0, outcome.stderr
    assert [line for line in error_lines(outcome) if line.startswith("tanksim:")] == [
        "tanksim: warning: numba is installed but does not import (ImportError: Numba needs "
        "NumPy 2.2 or less); running on the numpy engine (the same numbers)"
    ]
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["execution"]["engine"] == "numpy"


@pytest.mark.parametrize(
    "error", [ImportError("numpy.core.multiarray failed to import"),
              AttributeError("module 'numpy' has no attribute 'long'"),
              OSError("libllvmlite.so: cannot open shared object file")],
    ids=["ImportError", "AttributeError", "OSError"],
)  # fmt: skip
def test_engine_compiled_with_a_numba_that_fails_to_import_is_one_line_exit_2(
    broken_numba, error, tmp_path
):  # fmt: skip
    broken_numba(error)
    outcome = tanksim("run", BASELINE, *QUICK, "--out", tmp_path / "b", "--engine", "compiled")
    assert_one_line_error(
        outcome, "engine = compiled: numba is installed but does not import",
        f"{type(error).__name__}: {error}", "use --engine numpy",
    )  # fmt: skip
    assert not (tmp_path / "b").exists()
