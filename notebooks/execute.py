"""Re-execute the notebooks in place, so the repository shows them with their outputs.

    python notebooks/execute.py              # every notebook in notebooks/
    python notebooks/execute.py 01-*.ipynb   # some of them

Each notebook runs top to bottom in a fresh kernel of this interpreter (a kernel spec
pointing at ``sys.executable`` is written to a temporary Jupyter folder), from the
notebook's own folder as Jupyter does, with figures embedded as PNG at :data:`DPI` dots per
inch. Cell timings are not recorded and execution counts start at 1, so re-running an
unchanged notebook changes its file only where an output changed. A failing cell stops the
script with the cell's error and leaves that notebook's file untouched.

``tests/test_notebooks.py`` checks that the notebooks still run (into a copy, not in place).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
DPI = 72  # dots per inch of the embedded figures: readable on GitHub, small in git
CELL_TIMEOUT = 900  # seconds


def kernel_folder(root: Path) -> Path:
    """A Jupyter data folder under ``root`` whose ``python3`` kernel runs this interpreter."""
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
            f"--InlineBackend.rc={{'figure.dpi': {DPI}}}",
            "--InlineBackend.figure_formats=png"]  # fmt: skip
    kernel = {"argv": argv, "display_name": "Python 3 (tanksim)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return root


def execute(path: Path) -> None:
    """Run ``path`` top to bottom and write it back with its outputs."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )  # fmt: skip
    client.execute()
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)


def main(argv: list[str]) -> None:
    paths = [FOLDER / name for name in argv] if argv else sorted(FOLDER.glob("*.ipynb"))
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JUPYTER_PATH"] = str(kernel_folder(Path(tmp)))
        for path in paths:
            print(f"executing {path.name} ...", file=sys.stderr, flush=True)
            execute(path)
            print(f"  wrote {path} ({path.stat().st_size / 1024:,.0f} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
