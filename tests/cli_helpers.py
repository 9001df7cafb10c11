"""Run the ``tanksim`` command in this process, as a user would see it, for any test.

``tanksim(*args)`` calls :func:`sim.cli.main` (the installed command's entry point, which
turns input errors into one stderr line and exit 2) with stdout and stderr captured, and
returns a :class:`Outcome` shaped like ``subprocess.CompletedProcess`` (``returncode``,
``stdout``, ``stderr``), so a test can switch between in-process and subprocess runs
without changing its assertions. An exception that escapes ``main`` is re-raised: in a
subprocess it would have been a traceback, which is what the tests exist to catch.

``tanksim_subprocess(*args)`` starts ``python -m sim`` for the few tests that must see a
real process (exit codes, a traceback-free stderr, Ctrl-C).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Outcome:
    """What a command run gave: exit code, stdout and stderr text."""

    returncode: int
    stdout: str
    stderr: str


def tanksim(*args, cwd: Path | str | None = REPO) -> Outcome:
    """Run ``tanksim ARGS`` in this process, from ``cwd``; arguments may be paths."""
    from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([str(a) for a in args])
            except SystemExit as exit_:
                code = 0 if exit_.code is None else exit_.code
                code = code if isinstance(code, int) else 1
    finally:
        os.chdir(previous)
    return Outcome(code, out.getvalue(), err.getvalue())


def tanksim_subprocess(*args, cwd: Path | str = REPO, timeout: float = 300) -> Outcome:
    """Run ``python -m sim ARGS`` in a new process (what the installed command does)."""
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def error_lines(outcome: Outcome) -> list[str]:
    """The non-empty lines of stderr."""
    return [line for line in outcome.stderr.splitlines() if line.strip()]


def assert_one_line_error(outcome: Outcome, *needles: str, code: int = 2) -> str:
    """Exit ``code``, exactly one non-empty stderr line starting ``tanksim: error:`` that
    holds every needle, no traceback; returns the line."""
    assert outcome.returncode == code, (outcome.returncode, outcome.stderr)
    assert "Traceback" not in outcome.stdout + outcome.stderr
    lines = error_lines(outcome)
    assert len(lines) == 1, outcome.stderr
    line = lines[0]
    assert line.startswith("tanksim: error: "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` (relative): a file with its size and modification time
    in ns, a folder or link as (-1, 0); to check that a command changed nothing outside
    its target."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            out[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
        else:
            out[str(path.relative_to(folder))] = (-1, 0)
    return out


#: What the ``tanksim`` script does (import the entry point, which imports nothing heavy,
#: and call it), saying ``up`` on stderr in between: a SIGINT sent after that line lands
#: while tanksim imports click, numpy and the engine, or later.
_LAUNCHER = (
    "import sys; from sim.cli import main; print('up', file=sys.stderr, flush=True); "
    "main(sys.argv[1:])"
)


def interruptible() -> None:
    """``preexec_fn`` for a child that a test interrupts: SIGINT back to its default, so the
    child's Python installs its KeyboardInterrupt handler even when the test run itself was
    started with SIGINT ignored (as a shell's background job is)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_tanksim(*args, cwd: Path | str = REPO) -> subprocess.Popen:
    """Start ``tanksim ARGS`` in a process and return once its entry point is about to run
    (before tanksim's own imports), so a test can interrupt it at a known stage. Its stderr
    is a text pipe whose first line (``up``) has been read."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, *map(str, args)], cwd=cwd,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible,
    )  # fmt: skip
    assert proc.stderr.readline().strip() == "up"
    return proc
