"""Scenario files: reading them (capped, as text) and merging a file with those it ``extends``."""

from __future__ import annotations

import errno
import tomllib
from pathlib import Path
from typing import Any

from sim.model.errors import ScenarioError
from sim.model.files import MAX_SCENARIO_BYTES, FileProblem, read_text

#: Deepest nesting of tables and arrays a scenario file may hold (the bundled ones reach 4:
#: a table, its parameter table, and an array of arrays in it); anything deeper is no
#: scenario, and code that walks values would hit Python's recursion limit on it.
MAX_NESTING = 16


def _read_toml(path: Path, referrer: Path | None) -> dict:
    """A scenario file's tables: a regular UTF-8 file of at most :data:`MAX_SCENARIO_BYTES`."""
    try:
        text = read_text(path, MAX_SCENARIO_BYTES)
    except FileProblem as err:
        if err.missing:
            if referrer is None:
                raise ScenarioError(path, "(file)", str(path), "no such scenario file") from None
            raise ScenarioError(referrer, "extends", str(path), "no such file") from None
        if referrer is None:
            raise ScenarioError(path, "(file)", str(path), str(err)) from None
        raise ScenarioError(referrer, "extends", str(path), str(err)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, "(syntax)", str(path), f"not valid TOML: {err}") from None
    except RecursionError:  # arrays or inline tables nested hundreds deep
        raise ScenarioError(
            path,
            "(syntax)",
            str(path),
            "arrays or tables nested too deep to read (Python's recursion limit)",
        ) from None
    depth, key = _deepest(data)
    if depth > MAX_NESTING:
        raise ScenarioError(
            path,
            key,
            "...",
            f"nested more than {MAX_NESTING} levels deep (tables "
            "and arrays within each other); no scenario needs that",
        )
    return data


def _deepest(data: dict) -> tuple[int, str]:
    """The nesting depth of ``data`` (tables and arrays within each other; the top table
    is 1) and the dotted key of its deepest value, found without recursion."""
    deepest, where = 1, ""
    stack: list[tuple[object, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, key = stack.pop()
        if depth > deepest:
            deepest, where = depth, key
        if depth > MAX_NESTING:
            break  # deep enough to refuse: no need to walk the rest
        if isinstance(value, dict):
            stack.extend((v, depth + 1, f"{key}.{k}" if key else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{key}[{i}]") for i, v in enumerate(value))
    return deepest, where.split("[")[0] or "(file)"


def read_chain(path: Path) -> list[tuple[Path, dict]]:
    """The file and every file it extends, most basic first; cycles are an error.

    ``extends`` is a path or a list of paths (relative to the file's folder, or absolute),
    merged in order so later ones win; a file reached twice is read once.
    """
    order: list[tuple[Path, dict]] = []
    done: set[Path] = set()

    def visit(current: Path, referrer: Path | None, stack: tuple[Path, ...]) -> None:
        try:
            resolved = current.resolve()
        except (OSError, RuntimeError) as err:  # 3.11-3.12 raise RuntimeError on a loop
            if isinstance(err, OSError) and err.errno != errno.ELOOP:
                raise  # e.g. a deleted working folder: the top handler's line
            why = "a symlink loop"
            if referrer is None:
                raise ScenarioError(current, "(file)", str(current), why) from None
            raise ScenarioError(referrer, "extends", str(current), why) from None
        if resolved in stack:
            raise ScenarioError(referrer, "extends", str(current), "cyclic extends")
        if resolved in done:
            return
        data = _read_toml(current, referrer)
        parents = data.pop("extends", [])
        parents = [parents] if isinstance(parents, str) else parents
        if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
            message = "must be a file path or a list of them"
            raise ScenarioError(current, "extends", parents, message)
        for parent in parents:
            visit(current.parent / parent, current, (*stack, resolved))
        done.add(resolved)
        order.append((current, data))

    visit(Path(path), None, ())
    return order


def is_param_table(value: Any) -> bool:
    """A distribution or cited-value table: replaced whole by a child, never merged."""
    return isinstance(value, dict) and ("dist" in value or "value" in value)


def merge_chain(chain: list[tuple[Path, dict]]) -> tuple[dict, dict[str, Path]]:
    """Merge a chain of files, most basic first, noting which file set each key.

    Tables merge key by key (later files win); arrays and parameter tables (those with
    ``dist`` or ``value``) replace what they override as a whole.
    """
    merged: dict = {}
    origins: dict[str, Path] = {}

    def forget(dotted: str) -> None:  # what a replaced value held no longer has an origin
        for stale in [k for k in origins if k.startswith(f"{dotted}.")]:
            del origins[stale]

    def merge(into: dict, data: dict, prefix: str, file: Path) -> None:
        for key, value in data.items():
            dotted = f"{prefix}{key}"
            origins[dotted] = file
            if isinstance(value, dict) and not is_param_table(value):
                if not isinstance(into.get(key), dict) or is_param_table(into[key]):
                    forget(dotted)
                    into[key] = {}
                merge(into[key], value, dotted + ".", file)
            else:
                forget(dotted)
                into[key] = value
                if isinstance(value, dict):
                    for inner in value:
                        origins[f"{dotted}.{inner}"] = file

    for file, data in chain:
        merge(merged, data, "", file)
    return merged, origins
