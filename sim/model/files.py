"""Reading the files a scenario names: regular files only, with a size cap, as UTF-8 text.

A scenario's ``extends`` and ``posterior`` may name any path; reading ``/dev/zero``, a FIFO,
a folder or a binary file must give one clear line, not a hang or a traceback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: The largest scenario file (a bundled one is about 10 KB).
MAX_SCENARIO_BYTES = 1 << 20
#: The largest posterior CSV or JSON sidecar (a 1,000-row, 43-column posterior is about 400 KB).
MAX_POSTERIOR_BYTES = 64 << 20


class FileProblem(ValueError):
    """Why a file cannot be read (its ``str`` is the reason; ``missing`` if it does not exist)."""

    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing


def read_bytes(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, refused beyond ``limit`` bytes.

    Opened without blocking (a FIFO does not wait for a writer) and checked with ``fstat``
    on the open file before anything is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileProblem("no such file", missing=True) from None
    except IsADirectoryError:
        raise FileProblem("is a folder, not a file") from None
    except OSError as err:
        raise FileProblem(err.strerror or str(err)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileProblem("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem("not a regular file (a device, pipe or socket)")
        if info.st_size > limit:
            raise FileProblem(f"larger than the {limit:,}-byte limit for this file")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileProblem(f"larger than the {limit:,}-byte limit for this file")
    return data


def read_text(path: str | Path, limit: int) -> str:
    """The UTF-8 text of the regular file ``path`` (see :func:`read_bytes`)."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FileProblem(f"not UTF-8 text (byte {err.start}; a binary file?)") from None
