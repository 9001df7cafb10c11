"""Rerun a run from its manifest.json and say whether the outputs are the same.

:func:`read_manifest` checks that a manifest is tanksim's and that the scenario files it
names still have the recorded SHA-256 (:class:`ManifestError` names the first that does
not); :func:`rerun` runs the scenario again with the recorded seed, replications, chunk,
sampling, deterministic flag, horizon and engine (:func:`recorded_engine`) and writes a
results folder; :func:`compare_folders` lists which output files differ byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sim.io.output import write_results
from sim.model import loader
from sim.model.calendar import format_month
from sim.model.facts import load_facts
from sim.model.loader import ScenarioError
from sim.present.manifest import TOOL, sha256_file
from sim.runs.engines import ENGINES, resolve
from sim.runs.run import run_scenario

#: Files that record when and how a run was made, not what it computed.
RECORDS = ("manifest.json",)


class ManifestError(ScenarioError):
    """A manifest that cannot be rerun: ``file: key = value: why`` on one line."""


@dataclass(frozen=True)
class Rerun:
    """A rerun's new folder, the original folder beside the manifest (None if gone), the
    output files compared and those that differ (relative names)."""

    folder: Path
    original: Path | None
    compared: tuple[str, ...]
    differ: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return self.original is not None and not self.differ and not self.missing


def read_manifest(path: str | Path) -> dict:
    """A run's manifest.json, checked to be tanksim's and to name its scenario files."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise ManifestError(path, "(file)", str(path), err.strerror or str(err)) from None
    except ValueError as err:
        raise ManifestError(path, "(syntax)", str(path), f"not JSON: {err}") from None
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        raise ManifestError(path, "tool", data.get("tool") if isinstance(data, dict) else None,
                            'not a tanksim manifest (needs "tool": "tanksim")')  # fmt: skip
    if data.get("command", "run") != "run" or not data.get("scenario_files"):
        why = "only a tanksim run's manifest (with scenario_files) can be rerun"
        raise ManifestError(path, "command", data.get("command"), why)
    return data


def _locate(entry: dict, manifest_path: Path, cwd: str | None) -> Path:
    """A recorded file: its absolute path, else the given path from the run's folder."""
    for candidate in (entry["resolved"], Path(cwd or ".") / entry["path"], entry["path"]):
        if Path(candidate).is_file():
            return Path(candidate)
    raise ManifestError(manifest_path, "scenario_files", entry["path"], "no such file now")


def recorded_engine(data: dict, manifest_path: str | Path) -> str:
    """The engine a manifest's run used (``execution.engine``); ``numpy`` for a manifest
    written before the engine was recorded, when numpy was the only one."""
    execution = data.get("execution")
    engine = execution.get("engine") if isinstance(execution, dict) else None
    if engine is None:
        return "numpy"
    if engine not in ENGINES:
        raise ManifestError(manifest_path, "execution.engine", engine,
                            f"must be one of {', '.join(ENGINES)}")  # fmt: skip
    return engine


def changed_files(data: dict, manifest_path: Path) -> list[tuple[Path, str, str]]:
    """(file, SHA-256 recorded, SHA-256 now) for each recorded scenario file that changed."""
    changed = []
    for entry in data["scenario_files"]:
        found = _locate(entry, manifest_path, data.get("cwd"))
        now = sha256_file(found)
        if now != entry["sha256"]:
            changed.append((found, entry["sha256"], now))
    return changed


def rerun(manifest_path: str | Path, out: str | Path | None = None, *, force: bool = False,
          allow_changed: bool = False, engine: str | None = None) -> Rerun:  # fmt: skip
    """Run a manifest's scenario again as recorded and compare outputs with the original.

    ``out`` defaults to ``<original folder>-rerun`` beside it. ``engine`` (``numpy`` or
    ``compiled``) overrides the recorded one (:func:`recorded_engine`); the engines give the
    same numbers. Raises :class:`ManifestError` when a scenario file changed (unless
    ``allow_changed``) or the manifest is not a run's,
    :class:`~sim.runs.engines.EngineUnavailable` when the engine needs numba and it is not
    installed, and :class:`~sim.io.folders.OutputExistsError` for a target ``--force`` may
    not replace.
    """
    manifest_path = Path(manifest_path)
    data = read_manifest(manifest_path)
    engine = resolve(engine if engine is not None else recorded_engine(data, manifest_path))
    changed = changed_files(data, manifest_path)
    if changed and not allow_changed:
        file, then, now = changed[0]
        raise ManifestError(file, "sha256", now, f"changed since the run (the manifest has "
                            f"{then}); use --allow-changed to rerun with it as it is")  # fmt: skip
    scenario_file = _locate(data["scenario_files"][len(data["files"]) - 1], manifest_path,
                            data.get("cwd"))  # fmt: skip
    scenario = loader.load_scenario(scenario_file, fact_ids=set(load_facts()))
    if (data["start"], data["end"]) != (format_month(scenario.start), format_month(scenario.end)):
        scenario = loader.load_scenario(scenario_file, fact_ids=set(load_facts()),
                                        start=data["start"], end=data["end"])  # fmt: skip
    original = manifest_path.resolve().parent
    target = Path(out) if out is not None else original.with_name(original.name + "-rerun")
    result = run_scenario(
        scenario, reps=int(data["reps"]), seed=int(data["seed"]),
        deterministic=bool(data["deterministic"]), chunk=int(data["chunk"]),
        sampling=data.get("sampling", "random"), engine=engine,
    )  # fmt: skip
    write_results(result, target, load_facts(), force=force)
    return compare_folders(target, original)


def _contents(folder: Path) -> set[str] | None:
    try:
        written = json.loads((folder / "manifest.json").read_text()).get("contents")
    except (OSError, ValueError, AttributeError):
        return None
    return set(written) if isinstance(written, list) else None


def compare_folders(new: Path, original: Path) -> Rerun:
    """Compare every file the run wrote into ``original`` (its manifest's ``contents``;
    manifest.json aside) with the same file in ``new``, byte for byte."""
    names = sorted(p.relative_to(original).as_posix() for p in original.rglob("*")
                   if p.is_file() and p.name not in RECORDS)  # fmt: skip
    written = _contents(original)
    if written is not None:  # only what the run wrote, not figures redrawn later
        names = [n for n in names if n in written]
    if not names:
        return Rerun(new, None, (), (), ())
    missing = tuple(n for n in names if not (new / n).is_file())
    differ = tuple(n for n in names if n not in missing
                   and (new / n).read_bytes() != (original / n).read_bytes())  # fmt: skip
    return Rerun(new, original, tuple(names), differ, missing)
