"""Every notebook in notebooks/ runs top to bottom, as an analyst would run it from a clone.

Each executes in a fresh kernel of this very interpreter (a kernel spec written for the test
points at ``sys.executable``, so a fresh venv with the ``test`` extra is enough), with the
notebook's own folder as working directory, as Jupyter does. New notebooks are picked up
by the glob. The notebooks are committed with their outputs (``notebooks/execute.py``
re-executes them in place); this test runs them in memory and writes nothing.

Smaller, as papermill runs a notebook with parameters: each notebook's first code cell is
tagged ``parameters`` and sets the sizes of its runs (replications, samples, draws); the test
inserts a cell after it that sets the smaller sizes of :data:`SMALL`, so every cell runs, on
fewer replications (the analyst's sizes cost minutes). Every name set there must be one the
parameters cell sets, so a renamed size fails here rather than running at full size.

On the compiled engine when numba imports, as an analyst's notebook runs by default (the
suite's default is numpy, tests/conftest.py): the sensitivity notebook runs one ensemble per
input, and on numpy their per-month overhead, not the replications, costs over a minute.
tests/conftest.py runs this module with the other compiled-engine tests, after the kernels
are compiled and cached.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # no deprecation warning from jupyter_core

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 600  # seconds
#: The sizes each notebook runs with in this test, by notebook: the smallest that still give
#: every cell something to show (a Sobol' sample is a power of two; PRIM needs some sets of
#: interest; ABC-SMC needs a few particles per hypothesis).
SMALL = {
    "01-baseline-vs-north-korea.ipynb": {"REPS": 200},
    "02-sensitivity.ipynb": {"SWEEP_REPS": 50, "SOBOL_N": 32, "SOBOL_N_BASELINE": 32,
                             "MORRIS_TRAJECTORIES": 4, "DISCOVER_N": 400},
    "03-calibration.ipynb": {"FIT_REPS": 200, "FIGURE_REPS": 200, "DRAWS": 500,
                             "PARTICLES": 20, "GENERATIONS": 2},
}  # fmt: skip


@pytest.fixture(scope="session")
def kernel_path(tmp_path_factory) -> Path:
    """A Jupyter data folder whose ``python3`` kernel runs this interpreter."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3 (tanksim tests)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return folder


def with_smaller_sizes(notebook, sizes: dict[str, int]) -> None:
    """Insert, after the cell tagged ``parameters``, a cell setting ``sizes`` (in place)."""
    (index,) = [i for i, cell in enumerate(notebook.cells)
                if "parameters" in cell.metadata.get("tags", [])]  # fmt: skip
    defaults = notebook.cells[index].source
    missing = [name for name in sizes if not re.search(rf"^{name} = ", defaults, re.M)]
    assert not missing, f"the parameters cell sets no {missing}"
    source = "\n".join(f"{name} = {value}" for name, value in sizes.items())
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(source))


def test_every_notebook_has_its_smaller_sizes():
    assert sorted(SMALL) == [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, kernel_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_path))
    if importlib.util.find_spec("numba") is not None:
        monkeypatch.setenv("TANKSIM_ENGINE", "compiled")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    with_smaller_sizes(notebook, SMALL[path.name])
    for cell in notebook.cells:  # the committed outputs (notebooks/execute.py) are not evidence
        if cell.cell_type == "code":
            cell.outputs = []
    client = nbclient.NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )  # fmt: skip
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure shown inline"
