"""Faults of the machine rather than of the input, each as one line for the top handler.

:func:`sim.cli.app.run_main` turns the library's input errors into one line and exit 2; what
is left and not a bug is the environment refusing: a full disk (also standard output on a
full device), a permission or a read-only file system, a file name over the system's limit,
a symlink loop, a working folder deleted under the command, memory exhausted, or input
nested deeper than Python's recursion limit. :func:`fault_line` says which, on one line
naming the path where the error carries it; the command exits :data:`ENVIRONMENT`. What the
command was writing is removed by the writers themselves (a results folder appears whole or
not at all), so the line is all that is left.
"""

from __future__ import annotations

import errno
import os
import sys

#: Exit code of an environment fault (the README's table lists every exit code).
ENVIRONMENT = 3
#: Longest path shown whole in a message; a longer one keeps its start and end.
SHOWN_PATH = 120

#: What to do about an OSError, by errno (appended to the system's own reason).
_ADVICE = {
    errno.ENOSPC: "free some space, or write elsewhere",
    errno.EDQUOT: "free some space, or write elsewhere",
    errno.EFBIG: "the file system refuses a file this large; write elsewhere",
    errno.EACCES: "check the folder's permissions, or write elsewhere",
    errno.EPERM: "check the folder's permissions, or write elsewhere",
    errno.EROFS: "a read-only file system; write elsewhere",
    errno.ENAMETOOLONG: "a name in the path is over the system's limit (255 bytes, usually)",
    errno.ELOOP: "a symlink loop: a link that leads back to itself",
}


def shorten(path: str) -> str:
    """``path`` whole, or its start and end around ``...`` when over :data:`SHOWN_PATH`."""
    if len(path) <= SHOWN_PATH:
        return path
    keep = (SHOWN_PATH - 3) // 2
    return f"{path[:keep]}...{path[-keep:]} ({len(path.encode(errors='replace'))} bytes)"


def _cwd_deleted() -> bool:
    try:
        os.getcwd()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


#: The name an error writing standard output carries as its file name.
STDOUT = "<standard output>"


class TaggedStdout:
    """Standard output whose write errors name it: an OSError raised by a write or a flush
    (a full device, a closed pipe) gets :data:`STDOUT` as its file name, so the top handler
    can say where it happened. Everything else is the wrapped stream's."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as err:
            raise _tagged(err) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as err:
            raise _tagged(err) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _tagged(err: OSError) -> OSError:
    if err.filename is None:
        err.filename = STDOUT
    return err


def silence_stdout() -> None:
    """Send what standard output still holds to /dev/null, so the interpreter's exit does
    not fail on it a second time (and print its own message)."""
    try:
        fd = sys.__stdout__.fileno()
    except (AttributeError, OSError, ValueError):  # no real standard output
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def _os_line(err: OSError) -> str:
    reason = err.strerror or type(err).__name__
    advice = _ADVICE.get(err.errno)
    tail = f"{reason}; {advice}" if advice else reason
    if err.filename == STDOUT:
        silence_stdout()
        return f"cannot write to standard output: {tail}"
    if err.filename is not None:
        where = shorten(os.fsdecode(err.filename))
        if err.filename2 is not None:
            where += f" -> {shorten(os.fsdecode(err.filename2))}"
        return f"{where}: {tail}"
    if isinstance(err, FileNotFoundError) and _cwd_deleted():
        return ("the current folder no longer exists (deleted while in use); change to a "
                "folder that exists and run again")  # fmt: skip
    return tail


def fault_line(err: BaseException) -> str | None:
    """One line for an environment fault, or None when ``err`` is not one (a bug)."""
    if isinstance(err, MemoryError):
        detail = " ".join(str(err).split())
        detail = f" ({detail})" if detail else ""
        return f"out of memory{detail}; use fewer --reps or a smaller --chunk"
    if isinstance(err, RecursionError):
        return ("input nested deeper than Python can follow (its recursion limit); "
                "flatten the nesting")  # fmt: skip
    if isinstance(err, RuntimeError) and str(err).startswith("Symlink loop from "):
        # pathlib's resolve() on Python 3.11-3.12; 3.13 raises OSError(ELOOP)
        path = str(err).removeprefix("Symlink loop from ").strip("'\"")
        return f"{shorten(path)}: {_ADVICE[errno.ELOOP]}"
    if isinstance(err, OSError):
        return _os_line(err)
    return None
