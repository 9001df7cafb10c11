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
    import sys

    try:
        from sim.cli.app import run_main

        run_main(argv)
    except KeyboardInterrupt:
        print("tanksim: aborted", file=sys.stderr)
        sys.exit(ABORTED)


def __getattr__(name: str):
    if name == "cli":
        from sim.cli.app import cli

        return cli
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")
