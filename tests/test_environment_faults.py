"""Faults of the environment, not of the input: an optional part that is installed but
broken, a scheduler that is not one, a full disk, a name too long, a symlink loop, a deleted
working directory, a scenario nested too deep. Each is one line on stderr with the exit code
the README lists (never a traceback), or a correct result with one warning line."""

from __future__ import annotations

import contextlib
import http.server
import importlib.abc
import importlib.machinery
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, error_lines, tanksim

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

    def install(error: BaseException = ImportError("Numba needs NumPy 2.2 or less")):
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

    monkeypatch.setattr(sim.parallel, "CONNECT_TIMEOUT", 1.0)  # the README's 5 s, shortened
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
