"""Results folders: where one may be written, what ``--force`` may replace, and the atomic
write that puts it in place.

A folder is written beside its target under a hidden staging name and renamed into place
when complete, so a reader never sees half of one. ``--force`` replaces only an empty folder
or a **tanksim results folder**: one whose ``manifest.json`` carries ``"tool": "tanksim"``
and ``outputs``, the list of files tanksim wrote (stamped by :func:`write_folder` on every
folder it writes), and holds nothing else. Anything else (a user's file added, a manifest
without ``outputs``, as an older one or a run copied out of a report, a manifest that is
not a regular file or not tanksim's) is refused with one line naming what is there. A lock
file ``.<name>.lock`` beside the target, created exclusively and holding the writer's pid,
keeps two writers off one target while one writes, is checked again just before the rename,
removed at the end, and counts as stale once its pid is gone. And what was at the target
when :func:`check_target` looked (before a run) must still be there at the rename, so of two
runs started on one target, the one that finishes second is refused rather than replacing
the first's results.
"""

from __future__ import annotations

import atexit
import errno
import json
import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from sim import interrupts
from sim.io.staging import make_staging, remove_abandoned
from sim.model.errors import InputError

#: The marker that makes a manifest.json a tanksim one.
TOOL = "tanksim"
MANIFEST = "manifest.json"
#: Figures ``tanksim plot`` redraws into a results folder (or a report's run or comparison
#: folder) after it was written.
REDRAWN = re.compile(r"(runs/[^/]+/)?(fan_chart|storage|months|compare)\.(png|pdf|svg)")
#: Trees no results folder may be written into.
SYSTEM_TREES = (Path("/proc"), Path("/sys"))


class OutputExistsError(InputError):
    """The results folder cannot be written at the target (it exists, it is not tanksim's,
    another writer holds it, or the path cannot hold a folder). One line, for the CLI."""


class OutputBusyError(OutputExistsError):
    """Another live process is writing the same results folder."""


# ---------------------------------------------------------------------------------------------
# What is at the target


def _names(folder: Path, limit: int = 3) -> str:
    return _listing((p.name for p in folder.iterdir()), limit)


def _files(folder: Path) -> set[str]:
    """Every file below ``folder``, as paths relative to it with ``/`` separators."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def _entries(folder: Path) -> set[str]:
    """Every file and folder below ``folder`` (relative, ``/`` separators)."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def tanksim_manifest(folder: Path) -> dict | None:
    """The folder's manifest.json if tanksim wrote it (a regular JSON file of bounded size
    with ``"tool": "tanksim"``), else None."""
    from sim.io.manifests import ManifestError, read_manifest

    try:
        return read_manifest(folder / MANIFEST)
    except ManifestError:
        return None


def _listing(names, limit: int = 3) -> str:
    names = sorted(names)
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def replace_refusal(folder: Path) -> str | None:
    """Why ``--force`` may not replace the existing ``folder``, or None if it may: only the
    files its manifest's ``outputs`` lists (and figures ``tanksim plot`` redrew) may go."""
    from sim.io.manifests import ManifestError, contents_field

    if not folder.is_dir():
        return "a file, not a results folder; refusing to replace it"
    if not any(folder.iterdir()):
        return None
    manifest = tanksim_manifest(folder)
    if manifest is None:
        return f"not a tanksim results folder (holds {_names(folder)}); refusing to replace it"
    try:
        written = contents_field(manifest, folder / MANIFEST)
    except ManifestError as err:
        return f"its manifest's contents cannot be trusted ({err.message}); refusing to replace it"
    if written is None:
        return (f"its manifest lists no contents, so what tanksim wrote there is unknown (holds "
                f"{_names(folder)}); refusing to replace it; move the folder aside")  # fmt: skip
    listed = set(written) | {MANIFEST}
    parents = {p.as_posix() for n in listed for p in PurePosixPath(n).parents}
    extra = [n for n in _entries(folder) - listed - parents if not REDRAWN.fullmatch(n)]
    if extra:
        return (f"holds files tanksim did not write ({_listing(extra)}); refusing to replace "
                "it; move them out first")  # fmt: skip
    return None


def _place_refusal(target: Path) -> str | None:
    """Why no results folder can go at ``target`` at all, or None."""
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError) as err:  # a loop: RuntimeError on Python 3.11-3.12
        if isinstance(err, OSError) and err.errno != errno.ELOOP:
            raise  # e.g. a deleted working folder: the top handler's line
        return "a symlink loop (a link that leads back to itself); name another folder"
    for tree in SYSTEM_TREES:
        if resolved == tree or tree in resolved.parents:
            return f"under {tree}, not a place for results"
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        return "is the current folder or holds it; refusing to replace it (name a subfolder)"
    for ancestor in resolved.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                return f"{ancestor} is a file, not a folder"
            break
    return None


def check_target(target: Path, force: bool) -> None:
    """Refuse a target no results folder may be written to, an existing folder unless
    ``force``, with ``force`` anything but an empty or tanksim results folder, and a target
    a live process is writing. Remembers what is at the target now: :func:`write_folder`
    refuses to rename over it if it has changed by then (another run wrote it meanwhile).

    Raises :class:`OutputExistsError` (:class:`OutputBusyError` for another writer), whose
    message is one line naming ``target``.
    """
    target = Path(target)
    _refuse(target, force)
    lock = _lock_path(target)
    owner = _owner(lock) if lock.exists() and lock not in _held else None
    if owner is not None and owner != os.getpid() and _alive(owner):
        raise OutputBusyError(_busy(target, owner, lock))
    _claims[target.resolve()] = _fingerprint(target)


def _refuse(target: Path, force: bool) -> None:
    why = _place_refusal(target)
    if why is None and target.exists():
        why = replace_refusal(target) if force else None
        if not force:
            why = "results folder exists; use --force to replace it"
    if why is not None:
        raise OutputExistsError(f"{target}: {why}")


#: What was at each target when :func:`check_target` looked (None: nothing).
_claims: dict[Path, tuple[int, int] | None] = {}


def _fingerprint(target: Path) -> tuple[int, int] | None:
    try:
        st = target.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _busy(target: Path, owner: int, lock: Path) -> str:
    return (f"{target}: another tanksim process (pid {owner}) is writing it; wait for it to "
            f"finish (lock file {lock})")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The lock


_held: dict[Path, str] = {}


def _lock_path(target: Path) -> Path:
    resolved = target.resolve()
    return resolved.parent / f".{resolved.name}.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):
        return False
    return True


def _lock(target: Path) -> None:
    """Create the target's lock file exclusively (re-entrant within this process)."""
    path = _lock_path(target)
    if path in _held:
        return
    token = f"{os.getpid()} {os.urandom(6).hex()}\n"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _owner(path)
            if owner is not None and owner != os.getpid() and _alive(owner):
                raise OutputBusyError(_busy(target, owner, path)) from None
            path.unlink(missing_ok=True)  # stale: its writer is gone
            continue
        except OSError as err:
            raise OutputExistsError(f"{target}: cannot write here ({err.strerror})") from None
        with os.fdopen(fd, "w") as handle:
            handle.write(token)
        _held[path] = token
        return
    raise OutputBusyError(f"{target}: its lock file {path} keeps reappearing; another writer?")


#: The largest lock file read (it holds a pid and a token, about 20 bytes).
MAX_LOCK_BYTES = 4096


def _read_lock(path: Path) -> str:
    """A lock file's text, through the bounded reader (a pipe there does not block)."""
    from sim.model.files import read_text

    return read_text(path, MAX_LOCK_BYTES)


def _owner(path: Path) -> int | None:
    try:
        return int(_read_lock(path).split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _still_ours(target: Path) -> None:
    path = _lock_path(target)
    try:
        current = _read_lock(path)
    except (OSError, ValueError):
        current = None
    if current != _held.get(path):
        raise OutputBusyError(f"{target}: another process took its lock file {path} while this "
                              "one was writing; nothing replaced")  # fmt: skip


def _unlock(target: Path) -> None:
    path = _lock_path(target)
    token = _held.pop(path, None)
    if token is None:
        return
    try:
        if _read_lock(path) == token:
            path.unlink()
    except (OSError, ValueError):
        pass


@atexit.register
def release_locks() -> None:
    """Remove the folder locks this process holds (at exit, and on Ctrl-C)."""
    for path, token in list(_held.items()):
        try:
            if _read_lock(path) == token:
                path.unlink()
        except (OSError, ValueError):
            pass
    _held.clear()


# ---------------------------------------------------------------------------------------------
# Writing


def stamp(folder: Path) -> None:
    """Mark ``folder`` as a tanksim results folder: its manifest.json gets ``"tool":
    "tanksim"`` first and ``outputs``, the files written (a minimal manifest is written
    where the command wrote none)."""
    path = folder / MANIFEST
    data = json.loads(path.read_text()) if path.is_file() else {}
    data = {"tool": TOOL, **{k: v for k, v in data.items() if k != "tool"}}
    data["outputs"] = sorted(_files(folder) | {MANIFEST})
    with path.open("w") as handle:
        json.dump(data, handle, indent=2)


def write_folder(target: Path, write, *, force: bool = False) -> Path:
    """Call ``write(folder)`` on a fresh staging folder beside ``target``, stamp it
    (:func:`stamp`), then rename it into place.

    Nothing appears at ``target`` until ``write`` has finished; with ``force`` an existing
    empty or tanksim results folder is replaced only after the new one is ready, and is put
    back if the rename fails. Raises :class:`OutputExistsError` (see :func:`check_target`);
    on any error or interrupt the staging folder and lock are removed.
    """
    target = Path(target)
    resolved = target.resolve()
    if resolved not in _claims:
        check_target(target, force)
    claimed = _claims.pop(resolved)
    _refuse(target, force)
    try:
        resolved.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputExistsError(f"{target}: cannot create its folder ({err.strerror})") from None
    try:
        _lock(target)
        remove_abandoned(resolved.parent)  # left by runs killed while writing here
        staging = make_staging(resolved)
        try:
            write(staging)
            stamp(staging)
            os.chmod(staging, 0o755)
            _still_ours(target)
            _refuse(target, force)  # the target as it is now, just before the rename
            if _fingerprint(target) != claimed:
                raise OutputBusyError(f"{target}: written by another process while this one "
                                      "was running; nothing replaced")  # fmt: skip
            interrupts.check()  # a Ctrl-C Python lost while this ran: nothing is put in place
            _rename_into_place(staging, resolved)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        _unlock(target)
    return target


def _rename_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        os.rename(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    try:
        os.rename(target, old / target.name)
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(old / target.name, target)
            raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
