"""Reading a manifest.json back: bounded, and every field tanksim uses checked for its type.

A manifest is input like a scenario: ``tanksim rerun`` replays it, ``--force`` trusts its
``outputs``, ``plot`` and ``report`` read a run's settings from it. Every command writes one
schema (:func:`sim.present.manifest.manifest`: the keys
:data:`~sim.present.manifest.MANIFEST_KEYS`, docs/reading-back.md). :func:`read_manifest`
reads it through the one bounded reader (:func:`sim.model.files.read_json`: a regular file,
at most :data:`~sim.model.files.MAX_MANIFEST_BYTES`), gives a manifest written before that
schema (flat keys) the schema's shape, and :func:`check_manifest` checks every top-level
key; the ``*_fields`` functions check the keys each use needs: a string ``"false"`` is not
a flag, ``arguments.reps`` is a whole number in range, a missing key is named. Every
refusal is a :class:`ManifestError`: one line, ``file: key = value: why``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from sim.engine.streams import BLOCK
from sim.model.calendar import parse_month
from sim.model.errors import ScenarioError
from sim.model.files import MAX_MANIFEST_BYTES, FileProblem, read_json
from sim.runs.designs import SAMPLINGS
from sim.runs.engines import ENGINES

#: The marker that says tanksim wrote a manifest.
TOOL = "tanksim"
#: The commands whose folders ``tanksim rerun`` replays.
REPLAYED = ("run", "compare", "report", "sweep", "sensitivity", "discover", "calibrate",
            "hindcast")  # fmt: skip
#: The ``sampling`` of a deterministic run's one path at the parameters' means.
MEAN_PATH = "deterministic"
#: Largest root seed: numpy's SeedSequence takes any non-negative integer, but a seed over
#: 128 bits carries nothing a 128-bit one does not (its entropy pool is 128 bits).
MAX_SEED = 2**128 - 1
#: Most entries a manifest's ``outputs`` may list (a report lists a few hundred files).
MAX_CONTENTS = 100_000


class ManifestError(ScenarioError):
    """A manifest that cannot be used: ``file: key = value: why`` on one line."""


class _Missing:
    def __str__(self) -> str:
        return "(missing)"


#: The value shown for a key the manifest lacks.
MISSING = _Missing()


#: Top-level keys of the one schema but ``outputs`` (:func:`contents_field`), and the type
#: each must have (None where a manifest written before the schema has no such field).
SCHEMA = {
    "tool": str, "tanksim_version": (str, type(None)), "command": str, "command_line": list,
    "cwd": (str, type(None)), "created": (str, type(None)), "arguments": dict,
    "inputs": list, "execution": dict, "versions": dict, "details": dict,
}  # fmt: skip
#: Keys of a manifest written before the one schema, and where the schema keeps them.
FLAT = {"scenario_files": "inputs", "contents": "outputs", "outputs": "outputs",
        "execution": "execution",
        "versions": "versions", "command_line": "command_line", "cwd": "cwd",
        "tanksim_version": "tanksim_version", "command": "command"}  # fmt: skip


def _schema_shape(data: dict) -> dict:
    """A manifest written before the one schema (its keys flat at the top), or the minimal
    one :func:`sim.io.folders.stamp` writes where a command wrote none, in the schema's
    shape: every key in ``arguments`` and ``details`` as well, its input files, contents
    and execution under their keys. Keys it lacks stay missing (and are named as such)."""
    out = {"tool": data["tool"], "tanksim_version": None, "command_line": [], "cwd": None,
           "created": None, "execution": {}, "versions": {}}
    out |= {new: data[old] for old, new in FLAT.items() if old in data}
    flat = {k: v for k, v in data.items() if k not in ("tool", "contents", "outputs")}
    return out | {"arguments": flat, "details": flat}


def read_manifest(path: str | Path) -> dict:
    """The JSON object in ``path``, checked to be a tanksim manifest (``"tool": "tanksim"``);
    one written before the one schema is given its shape (:func:`_schema_shape`).

    Raises :class:`ManifestError` for a file that is not a regular file of at most
    :data:`~sim.model.files.MAX_MANIFEST_BYTES` bytes, is not JSON, or is not tanksim's.
    """
    try:
        data = read_json(path, MAX_MANIFEST_BYTES)
    except FileProblem as err:
        raise ManifestError(path, "(file)", str(path), str(err)) from None
    if not isinstance(data, dict):
        raise ManifestError(path, "(file)", type(data).__name__, "not a JSON object")
    if data.get("tool") != TOOL:
        raise ManifestError(path, "tool", data.get("tool", MISSING),
                            'not a tanksim manifest (needs "tool": "tanksim")')  # fmt: skip
    return data if "arguments" in data else _schema_shape(data)


def check_manifest(data: dict, path) -> dict:
    """Every top-level key of the one schema present with its type (:data:`SCHEMA`), the
    inputs each ``{path, resolved, sha256}`` and the outputs files inside the folder (absent
    from a manifest written before tanksim listed them).
    Raises :class:`ManifestError` naming the first key at fault."""
    for key, kind in SCHEMA.items():
        need(data, key, path, lambda v, kind=kind: isinstance(v, kind), f"must be {_kind(kind)}")
    input_files(data, path)
    contents_field(data, path)
    return data


def section(data: dict, key: str, path) -> dict:
    """``data[key]``, an object (``arguments``, ``execution``, ``details``)."""
    return need(data, key, path, lambda v: isinstance(v, dict), "must be an object")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_month(value: Any) -> bool:
    """Whether ``value`` is a month as ``YYYY-MM``."""
    try:
        parse_month(value)
    except ValueError:
        return False
    return True


def need(data: dict, key: str, path, ok: Callable[[Any], bool], why: str,
         default: Any = MISSING, *, where: str = "") -> Any:  # fmt: skip
    """``data[key]`` if ``ok`` says it is valid; ``default`` when absent and a default is given.

    Raises :class:`ManifestError` naming ``path``, ``key`` (after ``where``, the keys that
    hold ``data``: ``"arguments."``) and the value, with ``why``.
    """
    if key not in data:
        if default is not MISSING:
            return default
        raise ManifestError(path, where + key, MISSING, f"missing; {why}")
    value = data[key]
    try:
        good = ok(value)
    except (TypeError, ValueError, OverflowError):
        good = False
    if not good:
        raise ManifestError(path, where + key, value, why)
    return value


def _file_entry(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("path"), str)
            and isinstance(entry.get("resolved"), str)
            and (entry.get("sha256") is None or _is_sha256(entry.get("sha256"))))  # fmt: skip


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef"
                                                                for c in value)  # fmt: skip


def input_files(data: dict, path) -> list[dict]:
    """``inputs``: each input file as ``{path, resolved, sha256}`` (sha256 may be None)."""
    return need(data, "inputs", path,
                lambda v: isinstance(v, list) and all(_file_entry(e) for e in v),
                "a list of {path, resolved, sha256} for each input file")  # fmt: skip


def arguments(data: dict, path) -> dict:
    """``arguments``: what replays the command (an object)."""
    return section(data, "arguments", path)


ARGS = "arguments."


def _scenario_chain(args: dict, inputs: list[dict], path) -> list[str]:
    """``arguments.files``: the scenario's chain of files as given, itself last, each one of
    the inputs."""
    return need(args, "files", path,
                lambda v: isinstance(v, list) and 1 <= len(v) <= len(inputs)
                and all(isinstance(f, str) for f in v),
                "must list the scenario's files (each a path, one per inputs entry)",
                where=ARGS)  # fmt: skip


def run_fields(data: dict, path) -> dict:
    """What replays a run, from ``arguments``: ``reps``, ``seed``, ``chunk``,
    ``deterministic``, ``sampling``, ``start``, ``end``, ``files`` (the scenario's chain,
    itself last); ``inputs``; and ``execution.engine``.

    A ``sampling`` of ``"deterministic"`` (one path at the means) needs ``deterministic``
    true and ``reps`` 1. Raises :class:`ManifestError` for a missing or invalid field.
    """
    args = arguments(data, path)
    out = {
        "reps": need(args, "reps", path, lambda v: _is_int(v) and v >= 1,
                     "must be a whole number of replications, at least 1", where=ARGS),
        "seed": seed_field(args, path, where=ARGS),
        "chunk": need(args, "chunk", path, lambda v: _is_int(v) and v >= BLOCK and not v % BLOCK,
                      f"must be a whole multiple of {BLOCK} replications", where=ARGS),
        "deterministic": need(args, "deterministic", path, lambda v: isinstance(v, bool),
                              "must be true or false (a JSON boolean, not a string)",
                              where=ARGS),
        "sampling": sampling_field(args, path, where=ARGS),
        "start": need(args, "start", path, is_month, "must be a month as YYYY-MM", where=ARGS),
        "end": need(args, "end", path, is_month, "must be a month as YYYY-MM", where=ARGS),
        "engine": engine_field(data, path),
    }  # fmt: skip
    out["inputs"] = input_files(data, path)
    out["files"] = _scenario_chain(args, out["inputs"], path)
    if out["sampling"] == MEAN_PATH and (not out["deterministic"] or out["reps"] != 1):
        raise ManifestError(path, ARGS + "sampling", MEAN_PATH,
                            "one path at the means needs deterministic = true and reps = 1")
    if parse_month(out["end"]) < parse_month(out["start"]):
        raise ManifestError(path, ARGS + "end", out["end"], f"before start ({out['start']})")
    return out


def explore_fields(data: dict, path) -> dict:
    """What replays a sweep, sensitivity analysis or scenario discovery (the manifest of
    :func:`sim.io.explore_outputs.manifest`), from ``arguments``: ``seed``, ``sampling``,
    ``n``, ``options`` (an object: the command's own settings, each checked by the replay),
    ``files`` (the scenario's chain, itself last); ``inputs``; and ``execution.engine``.
    Raises :class:`ManifestError` for a missing or invalid field."""
    args = arguments(data, path)
    inputs = input_files(data, path)
    return {
        "seed": seed_field(args, path, where=ARGS),
        "sampling": need(args, "sampling", path, lambda v: isinstance(v, str),
                         "must name how the inputs were sampled", where=ARGS),
        "n": need(args, "n", path, lambda v: _is_int(v) and v >= 1,
                  "must be a whole number of replications or samples, at least 1", where=ARGS),
        "options": need(args, "options", path, lambda v: isinstance(v, dict),
                        "must be an object (the command's settings)", where=ARGS),
        "files": _scenario_chain(args, inputs, path),
        "inputs": inputs,
        "engine": engine_field(data, path),
    }  # fmt: skip


def option_field(fields: dict, key: str, path, ok: Callable[[Any], bool], why: str) -> Any:
    """``arguments.options.KEY`` of an explore manifest (``fields`` from
    :func:`explore_fields`)."""
    return need(fields["options"], key, path, ok, why, where=ARGS + "options.")


def seed_field(data: dict, path, *, where: str = "") -> int:
    """``seed``: a whole number from 0 to :data:`MAX_SEED`."""
    return need(data, "seed", path, lambda v: _is_int(v) and 0 <= v <= MAX_SEED,
                "must be a whole number from 0 (the root seed)", where=where)  # fmt: skip


def sampling_field(data: dict, path, allowed: tuple[str, ...] = (*SAMPLINGS, MEAN_PATH), *,
                   where: str = "") -> str:  # fmt: skip
    """``sampling``: one of ``allowed`` (``random``, ``lhs``, ``sobol`` or ``deterministic``)."""
    return need(data, "sampling", path, lambda v: v in allowed,
                f"must be one of {', '.join(allowed)}", default="random",
                where=where)  # fmt: skip


def engine_field(data: dict, path) -> str:
    """``execution.engine``: ``numpy`` or ``compiled``; ``numpy`` for a manifest written
    before the engine was recorded, when numpy was the only one."""
    execution = need(data, "execution", path, lambda v: v is None or isinstance(v, dict),
                     "must be an object (how the run was executed)", default=None)  # fmt: skip
    if not execution or "engine" not in execution or execution["engine"] is None:
        return "numpy"
    engine = execution["engine"]
    if engine not in ENGINES:
        raise ManifestError(path, "execution.engine", engine,
                            f"must be one of {', '.join(ENGINES)}")  # fmt: skip
    return engine


def _safe_name(name: Any) -> bool:
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return False
    parts = PurePosixPath(name).parts
    return not name.startswith("/") and ".." not in parts and "." not in name.split("/")


def contents_field(data: dict, path) -> list[str] | None:
    """``outputs``: the files tanksim wrote in the folder, as relative paths inside it; None
    for a manifest without the list (written before tanksim recorded it)."""
    contents = data.get("outputs")
    if contents is None:
        return None
    if not isinstance(contents, list) or len(contents) > MAX_CONTENTS:
        shown = (f"{len(contents):,} entries" if isinstance(contents, list)
                 else type(contents).__name__)  # fmt: skip
        raise ManifestError(path, "outputs", shown,
                            f"must be a list of at most {MAX_CONTENTS:,} file names")  # fmt: skip
    for name in contents:
        if not _safe_name(name):
            raise ManifestError(path, "outputs", name, "must name a file inside the folder "
                                "(a relative path, no '..')")  # fmt: skip
    return list(contents)


def command_field(data: dict, path) -> str:
    """``command``: the command that wrote the folder (``run`` for a manifest without one,
    written before every command recorded it)."""
    return need(data, "command", path, lambda v: isinstance(v, str),
                "must be the name of the command that wrote the folder", default="run")  # fmt: skip


#: Keys a run's figures and report read from its manifest's ``details``, and the type each
#: must have when present (each may be absent in an older manifest).
SHAPES = {
    "thresholds": dict,
    "settings": dict,
    "parameters": dict,
    "posterior": (dict, type(None)),
    "sources": list,
}


def figure_fields(data: dict, path) -> dict:
    """Check the keys of ``details`` a run's figures and report read (:data:`SHAPES`, each
    parameter an object, each source ``{author, source, parameters}``, each supply
    ``{name, start}``); returns ``data``."""
    details = section(data, "details", path)
    for key, kind in SHAPES.items():
        if key in details and not isinstance(details[key], kind):
            raise ManifestError(path, f"details.{key}", details[key], f"must be {_kind(kind)}")
    for name, entry in (details.get("parameters") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("facts", []), list):
            raise ManifestError(path, f"details.parameters.{name}", entry,
                                "must be an object whose facts are a list")  # fmt: skip
    for entry in details.get("sources") or ():
        if not (isinstance(entry, dict) and isinstance(entry.get("author"), str)
                and isinstance(entry.get("source"), str) and _is_int(entry.get("parameters"))):
            raise ManifestError(path, "details.sources", entry,
                                "each must be {author, source, parameters}")  # fmt: skip
    supplies = (details.get("settings") or {}).get("supplies", [])
    if not isinstance(supplies, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and is_month(s.get("start"))
        for s in supplies
    ):
        raise ManifestError(path, "details.settings.supplies", supplies,
                            "each must be {name, start = YYYY-MM}")  # fmt: skip
    rebuild = (details.get("thresholds") or {}).get("rebuild_after")
    if rebuild is not None and not is_month(rebuild):
        raise ManifestError(path, "details.thresholds.rebuild_after", rebuild,
                            "must be YYYY-MM or null")  # fmt: skip
    return data


def _kind(kind) -> str:
    names = {dict: "an object", list: "a list", str: "a string", type(None): "null"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names[k] for k in kinds)
