"""Ctrl-C that is honoured even when Python loses it.

Python turns SIGINT into :class:`KeyboardInterrupt` at the next bytecode, wherever that is.
When it lands inside a callback whose exceptions Python only reports ("Exception ignored
in ...", for example the import system's module-lock callback while a module loads), the
interrupt is gone and the command would run to the end. :func:`install` sets a handler
that also records the request; :func:`check` raises it again at the points where it
matters (before a results folder is put in place, and when a command ends), so a Ctrl-C
is never lost; the "Exception ignored" report of such a lost interrupt is not printed (the
command says ``tanksim: aborted`` instead). This module imports only the standard library.
"""

from __future__ import annotations

import signal
import sys

_requested = False


def _handler(signum: int, frame: object) -> None:
    global _requested
    _requested = True
    raise KeyboardInterrupt


def install() -> object:
    """Record every Ctrl-C from now on, if Ctrl-C is Python's default (an ignored or
    otherwise handled SIGINT is left as it is); returns the handler to :func:`restore`.
    Outside the main thread (where signals cannot be set) nothing changes."""
    global _requested
    _requested = False
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        return None
    try:
        signal.signal(signal.SIGINT, _handler)
    except ValueError:  # not the main thread
        return None
    hook = sys.unraisablehook

    def quiet_about_lost_interrupts(unraisable) -> None:
        # a Ctrl-C Python could not raise is honoured by check(); the rest as before
        if not (_requested and isinstance(unraisable.exc_value, KeyboardInterrupt)):
            hook(unraisable)

    sys.unraisablehook = quiet_about_lost_interrupts
    return previous, hook


def restore(previous: object) -> None:
    """Put back the handler :func:`install` replaced (nothing if it replaced none)."""
    if previous is not None and signal.getsignal(signal.SIGINT) is _handler:
        handler, hook = previous
        signal.signal(signal.SIGINT, handler)
        sys.unraisablehook = hook


def requested() -> bool:
    """Whether a Ctrl-C arrived since :func:`install` (raised or lost)."""
    return _requested


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if a Ctrl-C arrived, even one Python lost."""
    if _requested:
        raise KeyboardInterrupt
