"""The ``tanksim`` command: a thin shell that parses, calls :mod:`sim.api`, and prints.

Exit codes: 0 done; 1 an unexpected error (a bug: please report it with the traceback);
2 bad input (one line on stderr, ``tanksim: error: ...``, nothing written); 130 interrupted
(Ctrl-C: ``tanksim: aborted``, nothing half-written).

This module imports nothing at the top, so that a Ctrl-C while the rest loads is still
caught; :mod:`sim.cli.app` holds the click group, and each command imports what it needs
when it runs.
"""

from __future__ import annotations

#: Exit code after Ctrl-C (the shell's convention: 128 + SIGINT).
ABORTED = 130


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command; input errors are one line and exit 2, Ctrl-C exit 130."""
    from sim import interrupts

    previous = interrupts.install()
    try:
        from sim.cli.app import run_main

        run_main(argv)
        interrupts.check()  # a Ctrl-C that Python reported as "ignored" is still an abort
    except KeyboardInterrupt:
        _abort()
    finally:
        interrupts.restore(previous)


def _abort() -> None:
    """Say ``tanksim: aborted`` and exit 130 without the interpreter's finalisation.

    The ``finally`` blocks have run by now (staging folders removed), and the folder locks
    are released here; what is skipped is Python's own shutdown, which a native library
    interrupted mid-call (numba compiling, for one) can crash with SIGABRT instead of 130.
    """
    import contextlib
    import os
    import sys

    print("tanksim: aborted", file=sys.stderr)
    folders = sys.modules.get("sim.io.folders")
    if folders is not None:
        folders.release_locks()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or full stream: exit anyway
            stream.flush()
    os._exit(ABORTED)


def __getattr__(name: str):
    if name == "cli":
        from sim.cli.app import cli

        return cli
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")
