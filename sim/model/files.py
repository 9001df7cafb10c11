"""Reading every file tanksim reads back: regular files only, with a size cap.

A scenario's ``extends`` and ``posterior``, a manifest given to ``tanksim rerun`` and the
files of a results folder given to ``plot`` or ``report`` may be any path; reading
``/dev/zero``, a FIFO, a folder, a symlink loop or a binary file must give one clear line,
not a hang or a traceback. :func:`open_regular` is the one place a file is opened for
reading; :func:`read_bytes`, :func:`read_text` and :func:`read_json` read it whole.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from sim.model.errors import InputError

#: The largest scenario file (a bundled one is about 10 KB).
MAX_SCENARIO_BYTES = 1 << 20
#: The largest posterior CSV or JSON sidecar (a 1,000-row, 43-column posterior is about 400 KB).
MAX_POSTERIOR_BYTES = 64 << 20
#: The largest manifest.json, summary.json or compare.json (a run's manifest, every
#: parameter with its sources, is about 60 KB; a report's lists a few hundred files).
MAX_MANIFEST_BYTES = 16 << 20
#: The largest data file of a results folder read back whole (trajectories.csv,
#: metrics.csv, paired_difference.csv): what the memory budget lets a command hold at
#: once (4 GiB, sim.analysis.budget.MAX_BYTES), since such a file is read into memory.
MAX_RESULTS_BYTES = 4 << 30


class FileProblem(InputError):
    """Why a file cannot be read (its ``str`` is the reason; ``missing`` if it does not exist)."""

    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing


def open_regular(path: str | Path, limit: int):
    """The regular file ``path`` opened for binary reading, refused beyond ``limit`` bytes.

    Opened without blocking (a FIFO does not wait for a writer) and checked with ``fstat``
    on the open file before anything is read; a symlink loop, a folder, a device, a pipe or
    a socket is a :class:`FileProblem`. The caller closes the file (``with``).
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
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_bytes(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, refused beyond ``limit`` bytes (see
    :func:`open_regular`)."""
    with open_regular(path, limit) as handle:
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


def read_json(path: str | Path, limit: int = MAX_MANIFEST_BYTES):
    """The JSON value in the regular file ``path`` (see :func:`read_text`); a file that is not
    JSON, or nests deeper than Python can parse, is a :class:`FileProblem`."""
    text = read_text(path, limit)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise FileProblem(f"not JSON ({err.msg}, line {err.lineno})") from None
    except RecursionError:
        raise FileProblem("not JSON tanksim wrote (nested too deeply)") from None
