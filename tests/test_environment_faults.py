"""Faults of the environment, not of the input: an optional part that is installed but
broken, a scheduler that is not one, a full disk, a name too long, a symlink loop, a deleted
working directory, a scenario nested too deep. Each is one line on stderr with the exit code
docs/refusals.md lists (never a traceback), or a correct result with one warning line."""

from __future__ import annotations

import contextlib
import errno
import http.server
import importlib.abc
import importlib.machinery
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, error_lines, tanksim

from sim.cli.faults import ENVIRONMENT
from sim.runs import engines

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.toml"
QUICK = ("--reps", "16", "--end", "2022-04")


# ---------------------------------------------------------------------------------------------
# An optional accelerator installed but broken


class _Broken(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the package ``name`` (as an installed package is found) and fails to load it,
    raising ``error``: what a numba built for another numpy does."""

    def __init__(self, name: str, error: BaseException) -> None:
        self.name = name
        self.error = error

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise self.error


@pytest.fixture
def broken_numba(monkeypatch):
    """numba installed but its import raising ImportError; ``TANKSIM_ENGINE`` unset."""

    def install(error: BaseException | None = None):
        error = error or ImportError("Numba needs NumPy 2.2 or less")
        for name in [m for m in sys.modules if m == "numba" or m.startswith("numba.")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setattr(sys, "meta_path", [_Broken("numba", error), *sys.meta_path])
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


# ---------------------------------------------------------------------------------------------
# --scheduler at something that is not a Dask scheduler; Dask installed but broken

#: Seconds a listener started by a test lives at most (it stops itself, whatever happens).
LISTENER_LIFETIME = 30.0


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    """An HTTP handler that logs nothing (its log would land in the captured stderr)."""

    def log_message(self, format, *args) -> None:
        pass


@contextlib.contextmanager
def listener(kind: str) -> Iterator[int]:
    """A server on 127.0.0.1 in a thread, yielding its port: ``silent`` accepts connections
    and never replies; ``http`` answers every request as an HTTP server does. It stops when
    the block ends, or after :data:`LISTENER_LIFETIME` seconds."""
    stop = threading.Event()
    if kind == "http":
        server = http.server.HTTPServer(("127.0.0.1", 0), _QuietHandler)
        server.timeout = 0.2
        port = server.server_address[1]

        def serve() -> None:
            deadline = time.monotonic() + LISTENER_LIFETIME
            while not stop.is_set() and time.monotonic() < deadline:
                server.handle_request()
            server.server_close()
    else:
        sock = socket.create_server(("127.0.0.1", 0))
        sock.settimeout(0.2)
        port = sock.getsockname()[1]

        def serve() -> None:
            held = []
            deadline = time.monotonic() + LISTENER_LIFETIME
            while not stop.is_set() and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    held.append(sock.accept()[0])
            for conn in held:
                conn.close()
            sock.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(LISTENER_LIFETIME)


@pytest.mark.parametrize("kind", ["silent", "http"])
def test_a_scheduler_address_where_no_dask_scheduler_answers_is_one_line_in_seconds(
    kind, monkeypatch, tmp_path
):  # fmt: skip
    pytest.importorskip("distributed")
    import sim.parallel

    monkeypatch.setattr(sim.parallel, "CONNECT_TIMEOUT", 1.0)  # the documented 5 s, shortened
    with listener(kind) as port:
        address = f"tcp://127.0.0.1:{port}"
        started = time.monotonic()
        outcome = tanksim("run", BASELINE, *QUICK, "--out", tmp_path / "c", "--scheduler", address)
        seconds = time.monotonic() - started
    assert_one_line_error(outcome, f"cannot reach Dask scheduler at {address}: ",
                          "within 1 s", "not a Dask scheduler")  # fmt: skip
    assert seconds < 1.0 + 10.0  # the timeout, and the command's start on a loaded machine
    assert not (tmp_path / "c").exists()


def test_dask_installed_but_not_importing_is_one_line(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")]:
        monkeypatch.delitem(sys.modules, name)
    broken = _Broken("distributed", ImportError("cannot import name 'Mapping'"))
    monkeypatch.setattr(sys, "meta_path", [broken, *sys.meta_path])
    outcome = tanksim("run", BASELINE, *QUICK, "--out", tmp_path / "d", "--workers", "2")
    assert_one_line_error(outcome, "Dask is installed but does not import "
                          "(ImportError: cannot import name 'Mapping')")  # fmt: skip
    assert not (tmp_path / "d").exists()


# ---------------------------------------------------------------------------------------------
# One fault handler at the top: the system refusing is one line, exit 3


def test_standard_output_on_a_full_device_is_one_line_exit_3(tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "sim", "facts"], cwd=tmp_path, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == ENVIRONMENT, proc.stderr
    assert proc.stderr.splitlines() == [
        "tanksim: error: cannot write to standard output: No space left on device; free some "
        "space, or write elsewhere"
    ]


def test_a_deleted_working_folder_is_one_line_exit_3(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    script = ("import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
              "from sim.cli import main; main(sys.argv[2:])")  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", script, str(gone), "run", str(BASELINE), *QUICK, "--out", "x"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == ENVIRONMENT, proc.stderr
    assert proc.stderr.splitlines() == [
        "tanksim: error: the current folder no longer exists (deleted while in use); change "
        "to a folder that exists and run again"
    ]


@pytest.fixture
def loop(tmp_path) -> Path:
    """A symlink that points at itself."""
    link = tmp_path / "loop"
    link.symlink_to(link)
    return link


def test_a_symlink_loop_as_scenario_or_parent_is_one_line_naming_the_file(loop, tmp_path):
    outcome = tanksim("validate", loop)
    assert_one_line_error(outcome, f'{loop}: (file) = "{loop}": a symlink loop')
    child = tmp_path / "child.toml"
    child.write_text('extends = "loop"\n')
    outcome = tanksim("validate", child)
    assert_one_line_error(outcome, f'{child}: extends = "{loop}": a symlink loop')


@pytest.mark.parametrize("under", ["", "sub"], ids=["out", "out-parent"])
def test_a_symlink_loop_as_out_is_one_line(loop, under):
    out = loop / under if under else loop
    outcome = tanksim("run", BASELINE, *QUICK, "--out", out)
    assert_one_line_error(outcome, f"{out}: a symlink loop")


def test_a_name_over_255_bytes_is_one_line(tmp_path):
    long = tmp_path / ("n" * 300)
    outcome = tanksim("run", BASELINE, *QUICK, "--out", long)
    line = assert_one_line_error(outcome, "File name too long", "(", " bytes)", code=ENVIRONMENT)
    assert len(line) < 300  # the name is shortened in the line
    assert list(tmp_path.iterdir()) == []
    assert_one_line_error(tanksim("validate", f"{long}.toml"), "File name too long")


def test_a_thousand_nested_arrays_in_a_scenario_are_one_line_naming_the_file(tmp_path):
    for depth in (17, 450, 1000):
        deep = tmp_path / f"deep{depth}.toml"
        deep.write_text("x = " + "[" * depth + "]" * depth + "\n")
        outcome = tanksim("validate", deep)
        assert_one_line_error(outcome, f"{deep}: ", "nested", "too deep" if depth == 1000
                              else "more than 16 levels")  # fmt: skip


def test_a_full_disk_while_writing_the_results_is_one_line_and_leaves_nothing(
    monkeypatch, tmp_path
):  # fmt: skip
    import sim.io.folders

    def full(folder):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "manifest.json"))

    monkeypatch.setattr(sim.io.folders, "stamp", full)
    outcome = tanksim("run", BASELINE, *QUICK, "--out", tmp_path / "out")
    assert_one_line_error(outcome, "manifest.json: No space left on device; free some space",
                          code=ENVIRONMENT)  # fmt: skip
    assert list(tmp_path.iterdir()) == []  # no staging folder, no lock, no results


@pytest.mark.parametrize(
    "error, needle",
    [(MemoryError("Unable to allocate 5.00 GiB for an array with shape (107, 13, 9, 65536)"),
      "out of memory (Unable to allocate 5.00 GiB"),
     (RecursionError("maximum recursion depth exceeded"), "nested deeper than Python can follow")],
    ids=["MemoryError", "RecursionError"],
)  # fmt: skip
def test_memory_and_recursion_errors_are_one_line_exit_3(error, needle, monkeypatch, tmp_path):
    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr("sim.api.run", fails)
    outcome = tanksim("run", BASELINE, *QUICK, "--out", tmp_path / "out")
    assert_one_line_error(outcome, needle, code=ENVIRONMENT)
    assert not (tmp_path / "out").exists()


def test_a_read_only_folder_for_plot_is_one_line_naming_the_figure(monkeypatch, tmp_path):
    assert tanksim("run", BASELINE, *QUICK, "--out", tmp_path / "r").returncode == 0
    real = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == tmp_path / "r":
            raise PermissionError(errno.EACCES, "Permission denied", str(Path(dir) / ".tmp"))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    outcome = tanksim("plot", tmp_path / "r")
    assert_one_line_error(outcome, f"{tmp_path / 'r' / 'fan_chart.png'}: Permission denied; "
                          "check the folder's permissions", code=ENVIRONMENT)  # fmt: skip


def test_chunk_counts_in_the_memory_estimate(tmp_path):
    outcome = tanksim("run", BASELINE, "--reps", "60000", "--chunk", "61440",
                      "--out", tmp_path / "x")  # fmt: skip
    assert_one_line_error(outcome, "--reps 60,000 --chunk 61,440: needs 60,000 replications, "
                          "about 5.0 GiB of memory")  # fmt: skip
    (tmp_path / "y").mkdir()  # refused after the estimate: it passed
    small = tanksim("run", BASELINE, "--reps", "60000", "--chunk", "8192", "--out", tmp_path / "y")
    assert_one_line_error(small, "results folder exists")


# ---------------------------------------------------------------------------------------------
# A killed run's staging folder


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_write_removes_only_staging_folders_of_runs_that_are_gone(tmp_path):
    from sim.io.folders import write_folder
    from sim.io.staging import ABANDONED_AFTER, _host

    host = _host()
    dead = tmp_path / f".out.tanksim-{host}-{_dead_pid()}.abcd1234"
    live = tmp_path / f".out.tanksim-{host}-{os.getppid()}.abcd1234"  # a live process
    elsewhere = tmp_path / ".out.tanksim-otherhost-1.abcd1234"  # another host, recent
    stale = tmp_path / ".other.tanksim-otherhost-2.zzzz9999"  # another host, two days old
    mine = [tmp_path / ".out.notes", tmp_path / ".out.tanksim-x.abcd1234", tmp_path / "keep"]
    for folder in (dead, live, elsewhere, stale, *mine):
        folder.mkdir()
        (folder / "file.txt").write_text("x")
    two_days_ago = time.time() - 2 * ABANDONED_AFTER
    os.utime(stale, (two_days_ago, two_days_ago))
    write_folder(tmp_path / "out", lambda folder: (folder / "a.txt").write_text("a"))
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(p.name for p in (live, elsewhere, *mine, tmp_path / "out"))
