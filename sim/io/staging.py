"""Staging folders: where a results folder is written before it is renamed into place, and
the removal of those a killed run left behind.

A staging folder is hidden beside its target and named for the process writing it:
``.<name>.tanksim-<host>-<pid>.<random>``. A run killed while writing (SIGKILL, a power
cut) cannot remove its own; the next write into the same parent does
(:func:`remove_abandoned`), but only folders with exactly that form of name, and only when
the process that made them is gone (same host, pid not running) or they are older than
:data:`ABANDONED_AFTER`. A user's folder never has such a name, and nothing else is touched:
not the ``.<name>.old.*`` folder that holds a replaced result for a moment during a rename
(if a run is killed then, the previous results are in it, for the user to recover).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path

#: Seconds after which a staging folder counts as abandoned whoever made it (a folder is
#: staged only while a command writes its files, seconds to minutes, never for a day; the
#: age also covers a run on another host sharing the folder, whose pid cannot be checked).
ABANDONED_AFTER = 24 * 3600
#: Characters of the target's name kept in its staging folder's name (the rest of the name
#: must fit the system's 255-byte limit).
NAME_KEPT = 100
_STAGING = re.compile(r"\..*\.tanksim-(?P<host>[A-Za-z0-9-]{1,32})-(?P<pid>\d{1,10})\.[a-z0-9_]{8}")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


def make_staging(target: Path) -> Path:
    """A new, empty staging folder beside ``target`` (an absolute path), named for this
    process (see the module's docstring)."""
    prefix = f".{target.name[:NAME_KEPT]}.tanksim-{_host()}-{os.getpid()}."
    return Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False
    return False


def abandoned(parent: Path) -> list[Path]:
    """The staging folders in ``parent`` left by runs that are gone, or older than
    :data:`ABANDONED_AFTER`; never a symlink, a file, or a folder of another name."""
    found = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return found
    host, now = _host(), time.time()
    for entry in entries:
        match = _STAGING.fullmatch(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(match["pid"])
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        ours = match["host"] == host and pid == os.getpid()
        dead = match["host"] == host and _gone(pid)
        if not ours and (dead or age > ABANDONED_AFTER):
            found.append(Path(entry.path))
    return found


def remove_abandoned(parent: Path) -> list[Path]:
    """Remove the :func:`abandoned` staging folders in ``parent``; return them. A folder
    that cannot be removed is left (it is hidden and harms nothing)."""
    removed = []
    for folder in abandoned(parent):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed
