"""Reading a manifest.json back: bounded, and every field tanksim uses checked for its type.

A manifest is input like a scenario: ``tanksim rerun`` replays it, ``--force`` trusts its
``contents``, ``plot`` and ``report`` read a run's settings from it. :func:`read_manifest`
reads it through the one bounded reader (:func:`sim.model.files.read_json`: a regular file,
at most :data:`~sim.model.files.MAX_MANIFEST_BYTES`), and the ``*_fields`` functions check
the keys each use needs: a string ``"false"`` is not a flag, ``reps`` is a whole number in
range, a missing key is named. Every refusal is a :class:`ManifestError`: one line,
``file: key = value: why``.
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
REPLAYED = ("run", "compare", "report", "sweep", "sensitivity", "discover")
#: The ``sampling`` of a deterministic run's one path at the parameters' means.
MEAN_PATH = "deterministic"
#: Largest root seed: numpy's SeedSequence takes any non-negative integer, but a seed over
#: 128 bits carries nothing a 128-bit one does not (its entropy pool is 128 bits).
MAX_SEED = 2**128 - 1
#: Most entries a manifest's ``contents`` may list (a report lists a few hundred files).
MAX_CONTENTS = 100_000


class ManifestError(ScenarioError):
    """A manifest that cannot be used: ``file: key = value: why`` on one line."""


class _Missing:
    def __str__(self) -> str:
        return "(missing)"


#: The value shown for a key the manifest lacks.
MISSING = _Missing()


def read_manifest(path: str | Path) -> dict:
    """The JSON object in ``path``, checked to be a tanksim manifest (``"tool": "tanksim"``).

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
    return data


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
         default: Any = MISSING) -> Any:  # fmt: skip
    """``data[key]`` if ``ok`` says it is valid; ``default`` when absent and a default is given.

    Raises :class:`ManifestError` naming ``path``, ``key`` and the value, with ``why``.
    """
    if key not in data:
        if default is not MISSING:
            return default
        raise ManifestError(path, key, MISSING, f"missing; {why}")
    value = data[key]
    try:
        good = ok(value)
    except (TypeError, ValueError, OverflowError):
        good = False
    if not good:
        raise ManifestError(path, key, value, why)
    return value


def _file_entry(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("path"), str)
            and isinstance(entry.get("resolved"), str)
            and (entry.get("sha256") is None or _is_sha256(entry.get("sha256"))))  # fmt: skip


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef"
                                                                for c in value)  # fmt: skip


def input_files(data: dict, path) -> list[dict]:
    """``scenario_files``: each input as ``{path, resolved, sha256}`` (sha256 may be None)."""
    return need(data, "scenario_files", path,
                lambda v: isinstance(v, list) and v and all(_file_entry(e) for e in v),
                "a list of {path, resolved, sha256} for each input file")  # fmt: skip


def run_fields(data: dict, path) -> dict:
    """What replays a run: ``reps``, ``seed``, ``chunk``, ``deterministic``, ``sampling``,
    ``start``, ``end``, ``files`` (the scenario's chain, itself last) and ``engine``.

    A ``sampling`` of ``"deterministic"`` (one path at the means) needs ``deterministic``
    true and ``reps`` 1. Raises :class:`ManifestError` for a missing or invalid field.
    """
    out = {
        "reps": need(data, "reps", path, lambda v: _is_int(v) and v >= 1,
                     "must be a whole number of replications, at least 1"),
        "seed": seed_field(data, path),
        "chunk": need(data, "chunk", path, lambda v: _is_int(v) and v >= BLOCK and not v % BLOCK,
                      f"must be a whole multiple of {BLOCK} replications"),
        "deterministic": need(data, "deterministic", path, lambda v: isinstance(v, bool),
                              "must be true or false (a JSON boolean, not a string)"),
        "sampling": sampling_field(data, path),
        "start": need(data, "start", path, is_month, "must be a month as YYYY-MM"),
        "end": need(data, "end", path, is_month, "must be a month as YYYY-MM"),
        "engine": engine_field(data, path),
    }  # fmt: skip
    scenario_files = input_files(data, path)
    out["files"] = need(data, "files", path,
                        lambda v: isinstance(v, list) and 1 <= len(v) <= len(scenario_files)
                        and all(isinstance(f, str) for f in v),
                        "must list the scenario's files (each a path, one per scenario_files "
                        "entry)")  # fmt: skip
    out["scenario_files"] = scenario_files
    if out["sampling"] == MEAN_PATH and (not out["deterministic"] or out["reps"] != 1):
        raise ManifestError(path, "sampling", MEAN_PATH,
                            "one path at the means needs deterministic = true and reps = 1")
    if parse_month(out["end"]) < parse_month(out["start"]):
        raise ManifestError(path, "end", out["end"], f"before start ({out['start']})")
    return out


def explore_fields(data: dict, path) -> dict:
    """What replays a sweep, sensitivity analysis or scenario discovery (the manifest of
    :func:`sim.io.explore_outputs.manifest`): ``seed``, ``sampling``, ``n``, ``options`` (an
    object: the command's own settings, each checked by the replay), ``files`` (the
    scenario's chain, itself last), ``scenario_files`` and ``engine``. Raises
    :class:`ManifestError` for a missing or invalid field."""
    scenario_files = input_files(data, path)
    return {
        "seed": seed_field(data, path),
        "sampling": need(data, "sampling", path, lambda v: isinstance(v, str),
                         "must name how the inputs were sampled"),
        "n": need(data, "n", path, lambda v: _is_int(v) and v >= 1,
                  "must be a whole number of replications or samples, at least 1"),
        "options": need(data, "options", path, lambda v: isinstance(v, dict),
                        "must be an object (the command's settings)"),
        "files": need(data, "files", path,
                      lambda v: isinstance(v, list) and 1 <= len(v) <= len(scenario_files)
                      and all(isinstance(f, str) for f in v),
                      "must list the scenario's files (each a path, one per scenario_files "
                      "entry)"),
        "scenario_files": scenario_files,
        "engine": engine_field(data, path),
    }  # fmt: skip


def option_field(fields: dict, key: str, path, ok: Callable[[Any], bool], why: str) -> Any:
    """``options.KEY`` of an explore manifest (``fields`` from :func:`explore_fields`)."""
    value = fields["options"].get(key, MISSING)
    if value is MISSING:
        raise ManifestError(path, f"options.{key}", MISSING, f"missing; {why}")
    try:
        good = ok(value)
    except (TypeError, ValueError, OverflowError):
        good = False
    if not good:
        raise ManifestError(path, f"options.{key}", value, why)
    return value


def seed_field(data: dict, path) -> int:
    """``seed``: a whole number from 0 to :data:`MAX_SEED`."""
    return need(data, "seed", path, lambda v: _is_int(v) and 0 <= v <= MAX_SEED,
                "must be a whole number from 0 (the root seed)")  # fmt: skip


def sampling_field(data: dict, path, allowed: tuple[str, ...] = (*SAMPLINGS, MEAN_PATH)) -> str:
    """``sampling``: one of ``allowed`` (``random``, ``lhs``, ``sobol`` or ``deterministic``)."""
    return need(data, "sampling", path, lambda v: v in allowed,
                f"must be one of {', '.join(allowed)}", default="random")  # fmt: skip


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
    """``contents``: the files tanksim wrote in the folder, as relative paths inside it; None
    for a manifest without the list (written before tanksim recorded it)."""
    contents = data.get("contents")
    if contents is None:
        return None
    if not isinstance(contents, list) or len(contents) > MAX_CONTENTS:
        shown = (f"{len(contents):,} entries" if isinstance(contents, list)
                 else type(contents).__name__)  # fmt: skip
        raise ManifestError(path, "contents", shown,
                            f"must be a list of at most {MAX_CONTENTS:,} file names")  # fmt: skip
    for name in contents:
        if not _safe_name(name):
            raise ManifestError(path, "contents", name, "must name a file inside the folder "
                                "(a relative path, no '..')")  # fmt: skip
    return list(contents)


def command_field(data: dict, path) -> str:
    """``command``: the command that wrote the folder (``run`` for a manifest without one,
    written before every command recorded it)."""
    return need(data, "command", path, lambda v: isinstance(v, str),
                "must be the name of the command that wrote the folder", default="run")  # fmt: skip


#: Keys a run's figures and report read from its manifest, and the type each must have
#: when present (each may be absent in an older manifest).
SHAPES = {
    "thresholds": dict,
    "settings": dict,
    "parameters": dict,
    "posterior": (dict, type(None)),
    "sources": list,
    "git_revision": (str, type(None)),
}


def figure_fields(data: dict, path) -> dict:
    """Check the keys a run's figures and report read (:data:`SHAPES`, each parameter an
    object, each source ``{author, source, parameters}``, each supply ``{name, start}``)."""
    for key, kind in SHAPES.items():
        if key in data and not isinstance(data[key], kind):
            raise ManifestError(path, key, data[key], f"must be {_kind(kind)}")
    for name, entry in (data.get("parameters") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("facts", []), list):
            raise ManifestError(path, f"parameters.{name}", entry,
                                "must be an object whose facts are a list")  # fmt: skip
    for entry in data.get("sources") or ():
        if not (isinstance(entry, dict) and isinstance(entry.get("author"), str)
                and isinstance(entry.get("source"), str) and _is_int(entry.get("parameters"))):
            raise ManifestError(path, "sources", entry,
                                "each must be {author, source, parameters}")  # fmt: skip
    supplies = (data.get("settings") or {}).get("supplies", [])
    if not isinstance(supplies, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and is_month(s.get("start"))
        for s in supplies
    ):
        raise ManifestError(path, "settings.supplies", supplies,
                            "each must be {name, start = YYYY-MM}")  # fmt: skip
    rebuild = (data.get("thresholds") or {}).get("rebuild_after")
    if rebuild is not None and not is_month(rebuild):
        raise ManifestError(path, "thresholds.rebuild_after", rebuild, "must be YYYY-MM or null")
    return data


def _kind(kind) -> str:
    names = {dict: "an object", list: "a list", str: "a string", type(None): "null"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names[k] for k in kinds)
