"""Scenario files: reading them (capped, as text) and merging a file with those it ``extends``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.model.errors import ScenarioError
from sim.model.files import MAX_SCENARIO_BYTES, FileProblem, read_text


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
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, "(syntax)", str(path), f"not valid TOML: {err}") from None


def read_chain(path: Path) -> list[tuple[Path, dict]]:
    """The file and every file it extends, most basic first; cycles are an error.

    ``extends`` is a path or a list of paths (relative to the file's folder, or absolute),
    merged in order so later ones win; a file reached twice is read once.
    """
    order: list[tuple[Path, dict]] = []
    done: set[Path] = set()

    def visit(current: Path, referrer: Path | None, stack: tuple[Path, ...]) -> None:
        resolved = current.resolve()
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

    def merge(into: dict, data: dict, prefix: str, file: Path) -> None:
        for key, value in data.items():
            dotted = f"{prefix}{key}"
            origins[dotted] = file
            if isinstance(value, dict) and not is_param_table(value):
                if not isinstance(into.get(key), dict) or is_param_table(into[key]):
                    into[key] = {}
                merge(into[key], value, dotted + ".", file)
            else:
                into[key] = value
                if isinstance(value, dict):
                    for inner in value:
                        origins[f"{dotted}.{inner}"] = file

    for file, data in chain:
        merge(merged, data, "", file)
    return merged, origins
