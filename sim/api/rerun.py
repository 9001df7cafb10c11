"""Rerun a results folder from its manifest.json and say whether the outputs are the same.

A manifest is input: :func:`sim.io.manifests.read_manifest` reads it through the bounded
reader and checks every field a replay uses (a string is not a flag, ``reps`` is a whole
number, a missing key is named), and the scenario files it names must still have the
recorded SHA-256 (:class:`ManifestError` names the first that does not). :func:`rerun`
replays the command that wrote the folder (``run``, deterministic or not, ``compare``,
``report``, ``sweep``, ``sensitivity``, ``discover``, ``calibrate`` or ``hindcast``) with the
recorded seed, replications, chunk, sampling, horizon, options, ABC-SMC sizes, targets,
record and engine,
under the same replication and memory budget as that command, into a new folder (never the
original, nor one holding it or inside it); :func:`compare_folders` then compares every file
the original's manifest lists, byte for byte: one missing on either side is a difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sim.analysis.budget import check_compare_budget, check_run_budget
from sim.defaults import SENSITIVITY_METHODS
from sim.io.folders import OutputExistsError, check_target
from sim.io.manifests import (
    ARGS,
    MEAN_PATH,
    REPLAYED,
    ManifestError,
    arguments,
    check_manifest,
    command_field,
    contents_field,
    engine_field,
    explore_fields,
    input_files,
    is_month,
    need,
    option_field,
    read_manifest,
    run_fields,
    sampling_field,
    seed_field,
)
from sim.model import loader
from sim.model.calendar import format_month
from sim.model.facts import load_facts
from sim.model.files import MAX_RESULTS_BYTES, FileProblem, open_regular
from sim.present.manifest import sha256_file
from sim.runs.designs import SAMPLINGS
from sim.runs.engines import resolve

__all__ = ["ManifestError", "Rerun", "compare_folders", "read_manifest", "rerun"]

#: Files that record when and how a folder was made, not what it computed.
RECORDS = ("manifest.json",)
#: Bytes compared at a time.
BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class Rerun:
    """A rerun's new folder, the original folder beside the manifest (None if it holds no
    outputs), the files compared (relative names), those that differ, those missing from
    the rerun and those the original's manifest lists but the original no longer holds."""

    folder: Path
    original: Path | None
    compared: tuple[str, ...]
    differ: tuple[str, ...]
    missing: tuple[str, ...]
    lost: tuple[str, ...] = ()

    @property
    def identical(self) -> bool:
        return (self.original is not None and not self.differ and not self.missing
                and not self.lost)  # fmt: skip


def _locate(entry: dict, manifest_path: Path, cwd: str | None) -> Path:
    """A recorded file: its absolute path, else the given path from the run's folder."""
    for candidate in (entry["resolved"], Path(cwd or ".") / entry["path"], entry["path"]):
        if Path(candidate).is_file():
            return Path(candidate)
    raise ManifestError(manifest_path, "inputs", entry["path"], "no such file now")


def _cwd(data: dict, path: Path) -> str | None:
    return need(data, "cwd", path, lambda v: v is None or isinstance(v, str),
                "must be the folder the command ran in", default=None)  # fmt: skip


def changed_files(data: dict, manifest_path: Path) -> list[tuple[Path, str, str]]:
    """(file, SHA-256 recorded, SHA-256 now) for each recorded input file that changed."""
    changed, cwd = [], _cwd(data, manifest_path)
    for entry in input_files(data, manifest_path):
        if entry["sha256"] is None:  # a scenario built in code: no file to check
            continue
        found = _locate(entry, manifest_path, cwd)
        now = sha256_file(found)
        if now != entry["sha256"]:
            changed.append((found, entry["sha256"], now))
    return changed


def _file_of(data: dict, path: Path, given: str) -> Path:
    """The input file recorded with the path ``given``, where it is now."""
    for entry in input_files(data, path):
        if entry["path"] == given:
            return _locate(entry, path, _cwd(data, path))
    raise ManifestError(path, "inputs", given, "not among the recorded input files")


def _refuse_original(target: Path, original: Path) -> None:
    """The rerun compares against ``original``: writing there (or into a folder holding it,
    or inside it) would replace or change what it is compared with."""
    resolved = target.resolve()
    if resolved == original or original in resolved.parents or resolved in original.parents:
        raise OutputExistsError(f"{target}: is (or holds, or lies inside) the folder the rerun "
                                f"compares against ({original}); name another --out")  # fmt: skip


def rerun(manifest_path: str | Path, out: str | Path | None = None, *, force: bool = False,
          allow_changed: bool = False, engine: str | None = None) -> Rerun:  # fmt: skip
    """Replay the command a manifest records and compare its outputs with the original.

    ``out`` defaults to ``<original folder>-rerun`` beside it. ``engine`` (``numpy`` or
    ``compiled``) overrides the recorded one; the engines give the same numbers. Raises
    :class:`ManifestError` for a manifest that is not a regular JSON file of bounded size,
    not tanksim's, not of a replayed command, with a missing or invalid field, or whose
    scenario file changed (unless ``allow_changed``);
    :class:`~sim.analysis.budget.BudgetError` for replications or memory beyond the caps of
    the command replayed; :class:`~sim.runs.engines.EngineUnavailable` when the engine needs
    numba and it is not installed; :class:`~sim.io.folders.OutputExistsError` for the
    original folder as target, or one ``--force`` may not replace. Nothing runs before
    every check has passed.
    """
    manifest_path = Path(manifest_path)
    data = check_manifest(read_manifest(manifest_path), manifest_path)
    command = command_field(data, manifest_path)
    if command not in REPLAYED:
        raise ManifestError(manifest_path, "command", command,
                            f"only the folders of {', '.join(REPLAYED)} can be rerun")  # fmt: skip
    written = contents_field(data, manifest_path)
    original = manifest_path.resolve().parent
    target = Path(out) if out is not None else original.with_name(original.name + "-rerun")
    _refuse_original(target, original)
    engine = resolve(engine if engine is not None else engine_field(data, manifest_path))
    changed = changed_files(data, manifest_path)
    if changed and not allow_changed:
        file, then, now = changed[0]
        raise ManifestError(file, "sha256", now, f"changed since the run (the manifest has "
                            f"{then}); use --allow-changed to rerun with it as it is")  # fmt: skip
    replay = {"run": _replay_run, "compare": _replay_compare, "report": _replay_report,
              "sweep": _replay_sweep, "sensitivity": _replay_sensitivity,
              "discover": _replay_discover, "calibrate": _replay_calibrate,
              "hindcast": _replay_hindcast}[command]  # fmt: skip
    replay(data, manifest_path, target, force=force, engine=engine)
    return compare_folders(target, original, written)


def _replay_run(data: dict, path: Path, target: Path, *, force: bool, engine: str) -> None:
    from sim.io.output import write_results
    from sim.runs.run import run_scenario

    fields = run_fields(data, path)
    entry = fields["inputs"][len(fields["files"]) - 1]
    scenario_file = _locate(entry, path, _cwd(data, path))
    facts = load_facts()
    scenario = loader.load_scenario(scenario_file, fact_ids=set(facts))
    if (fields["start"], fields["end"]) != (format_month(scenario.start),
                                            format_month(scenario.end)):  # fmt: skip
        scenario = loader.load_scenario(scenario_file, fact_ids=set(facts),
                                        start=fields["start"], end=fields["end"])  # fmt: skip
    mean_path = fields["sampling"] == MEAN_PATH
    check_run_budget(f"{path}: arguments.reps = {fields['reps']:,}", scenario, fields["reps"],
                     fields["deterministic"])  # fmt: skip
    check_target(target, force)
    result = run_scenario(
        scenario, reps=None if mean_path else fields["reps"], seed=fields["seed"],
        deterministic=fields["deterministic"], chunk=fields["chunk"],
        sampling="random" if mean_path else fields["sampling"], engine=engine,
    )  # fmt: skip
    write_results(result, target, facts, force=force)


def _replay_compare(data: dict, path: Path, target: Path, *, force: bool, engine: str) -> None:
    from sim.api import runs as api

    args = arguments(data, path)
    entries = need(args, "scenarios", path,
                   lambda v: isinstance(v, list) and len(v) >= 2 and all(
                       isinstance(e, dict) and isinstance(e.get("file"), str) for e in v),
                   "must list at least two scenarios as {name, file}", where=ARGS)  # fmt: skip
    reps = need(args, "reps", path, lambda v: type(v) is int and v >= 2,
                "must be a whole number of replications, at least 2", where=ARGS)  # fmt: skip
    seed = seed_field(args, path, where=ARGS)
    sampling = sampling_field(args, path, SAMPLINGS, where=ARGS)
    at = need(args, "at", path, lambda v: isinstance(v, list) and all(map(is_month, v)),
              "must list the dates compared, each YYYY-MM", where=ARGS)  # fmt: skip
    threshold = need(args, "threshold", path,
                     lambda v: v is None or (type(v) in (int, float) and 0 <= v < float("inf")),
                     "must be a number of tanks, at least 0, or null", where=ARGS)  # fmt: skip
    facts = load_facts()
    loaded = [loader.load_scenario(_file_of(data, path, e["file"]), fact_ids=set(facts))
              for e in entries]  # fmt: skip
    check_compare_budget(f"{path}: arguments.reps = {reps:,} x {len(loaded)} scenarios", loaded,
                         reps)  # fmt: skip
    check_target(target, force)
    results = [api.run(s, reps=reps, seed=seed, keep_paths=True, sampling=sampling,
                       engine=engine) for s in loaded]  # fmt: skip
    comparison = api.compare(results, at=at or None, threshold=threshold)
    api.save_comparison(results, comparison, target, force=force)


def _replay_report(data: dict, path: Path, target: Path, *, force: bool, engine: str) -> None:
    from sim.api import runs as api

    args = arguments(data, path)
    sources = need(args, "sources", path,
                   lambda v: isinstance(v, list) and v and all(
                       isinstance(e, dict) and e.get("kind") in ("scenario", "results", "memory")
                       for e in v),
                   "must list the report's sources as {name, kind, path}", where=ARGS)  # fmt: skip
    for entry in sources:
        if entry["kind"] != "scenario" or not isinstance(entry.get("path"), str):
            raise ManifestError(path, ARGS + "sources", entry, "a report that read a results "
                                "folder or a run made in Python cannot be replayed; rerun that "
                                "run's manifest instead")  # fmt: skip
    reps = need(args, "reps", path, lambda v: type(v) is int and v >= 2,
                "must be a whole number of replications, at least 2", where=ARGS)  # fmt: skip
    seed = seed_field(args, path, where=ARGS)
    facts = load_facts()
    files = [_file_of(data, path, e["path"]) for e in sources]
    loaded = [loader.load_scenario(f, fact_ids=set(facts)) for f in files]
    check_compare_budget(f"{path}: arguments.reps = {reps:,} x {len(loaded)} scenarios", loaded,
                         reps)  # fmt: skip
    api.report(files, target, reps=reps, seed=seed, force=force, engine=engine)


def _explore_scenario(fields: dict, data: dict, path: Path) -> Path:
    """The scenario file an explore manifest names (its chain's last file), where it is now."""
    entry = fields["inputs"][len(fields["files"]) - 1]
    return _locate(entry, path, _cwd(data, path))


def _texts(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _replay_sweep(data: dict, path: Path, target: Path, *, force: bool, engine: str) -> None:
    from sim.api.explore_folders import save_sweep

    fields = explore_fields(data, path)
    params = option_field(fields, "params", path, lambda v: _texts(v) and v,
                          "must list the swept parameters as KEY=LOW:HIGH:STEPS")  # fmt: skip
    mode = option_field(fields, "mode", path, lambda v: v in ("grid", "one-at-a-time"),
                        "must be grid or one-at-a-time")  # fmt: skip
    reps = option_field(fields, "reps_per_point", path, lambda v: type(v) is int and v >= 2,
                        "must be a whole number of replications, at least 2")  # fmt: skip
    save_sweep(_explore_scenario(fields, data, path), params, grid=mode == "grid", reps=reps,
               sampling=fields["sampling"], seed=fields["seed"], out=target, force=force,
               engine=engine)  # fmt: skip


def _replay_sensitivity(data: dict, path: Path, target: Path, *, force: bool,
                        engine: str) -> None:  # fmt: skip
    from sim.api.explore_folders import save_sensitivity

    fields = explore_fields(data, path)
    method = option_field(fields, "method", path, lambda v: v in SENSITIVITY_METHODS,
                          f"must be one of {', '.join(SENSITIVITY_METHODS)}")  # fmt: skip
    metrics = option_field(fields, "metrics", path, lambda v: _texts(v) and v,
                           "must list the outcomes analysed")  # fmt: skip
    save_sensitivity(_explore_scenario(fields, data, path), method=method, n=fields["n"],
                     metrics=metrics, seed=fields["seed"], out=target, force=force,
                     engine=engine)  # fmt: skip


def _replay_discover(data: dict, path: Path, target: Path, *, force: bool, engine: str) -> None:
    from sim.api.explore_folders import save_discovery

    fields = explore_fields(data, path)
    where = option_field(fields, "where", path, lambda v: isinstance(v, str),
                         "must be the condition's expression")  # fmt: skip
    density = option_field(fields, "min_density", path,
                           lambda v: type(v) in (int, float) and 0 <= v <= 1,
                           "must be a share in [0, 1]")  # fmt: skip
    save_discovery(_explore_scenario(fields, data, path), where, n=fields["n"],
                   sampling=fields["sampling"], min_density=density, seed=fields["seed"],
                   out=target, force=force, engine=engine)  # fmt: skip


def _as_given(data: dict, path: Path, given: str | None) -> str | None:
    """The input file recorded as ``given`` (None: none given): the path as given when it
    still leads to the recorded file from here (a calibration's and a hindcast's files
    record the path as given), else where the file is now."""
    if given is None:
        return None
    found = _file_of(data, path, given)
    return given if Path(given).is_file() and Path(given).resolve() == found.resolve() \
        else str(found)


def _abc_smc_fields(args: dict, path: Path) -> dict:
    """``seed``, ``draws``, ``particles`` and ``generations`` of a calibration or hindcast's
    ``arguments`` (:func:`sim.api.checks.check_sizes` checks them together)."""
    def count(key: str, least: int) -> int:
        return need(args, key, path, lambda v: type(v) is int and v >= least,
                    f"must be a whole number, at least {least}", where=ARGS)  # fmt: skip

    return {"seed": seed_field(args, path, where=ARGS), "draws": count("draws", 1),
            "particles": count("particles", 1), "generations": count("generations", 1)}


def _optional_text(args: dict, key: str, path: Path, why: str) -> str | None:
    return need(args, key, path, lambda v: v is None or isinstance(v, str), why, where=ARGS)


def _record_fields(data: dict, args: dict, path: Path) -> dict:
    """``targets_file``, ``record`` (each where it is now) and ``use_record``."""
    targets = _optional_text(args, "targets_file", path, "must be the targets file or null")
    record = _optional_text(args, "record", path, "must be the record file or null")
    use = need(args, "use_record", path, lambda v: isinstance(v, bool),
               "must be true or false (a JSON boolean, not a string)", where=ARGS)  # fmt: skip
    return {"targets_file": _as_given(data, path, targets),
            "record": _as_given(data, path, record), "use_record": use}


def _calibrated_scenario(data: dict, args: dict, path: Path) -> str:
    given = need(args, "scenario", path, lambda v: isinstance(v, str),
                 "must be the scenario file calibrated", where=ARGS)  # fmt: skip
    return _as_given(data, path, given)


def _replay_calibrate(data: dict, path: Path, target: Path, *, force: bool,
                      engine: str) -> None:  # fmt: skip
    from sim.api.calibration_folders import save_calibration

    args = arguments(data, path)
    need(args, "target_list", path, lambda v: v is None, "a calibration to targets given in "
         "Python (target_list) cannot be replayed", where=ARGS)  # fmt: skip
    reps = {key: need(args, key, path, lambda v: type(v) is int and v >= 1,
                      "must be a whole number of replications, at least 1", where=ARGS)
            for key in ("check_reps", "figure_reps", "projection_reps")}  # fmt: skip
    save_calibration(_calibrated_scenario(data, args, path), **_abc_smc_fields(args, path),
                     **_record_fields(data, args, path), **reps, out=target, force=force,
                     engine=engine)  # fmt: skip


def _replay_hindcast(data: dict, path: Path, target: Path, *, force: bool,
                     engine: str) -> None:  # fmt: skip
    from sim.api.calibration_folders import save_hindcast

    args = arguments(data, path)
    untils = need(args, "untils", path,
                  lambda v: isinstance(v, list) and v and all(map(is_month, v)),
                  "must list the cut-offs, each YYYY-MM", where=ARGS)  # fmt: skip
    reps = need(args, "reps", path, lambda v: type(v) is int and v >= 1,
                "must be a whole number of replications, at least 1", where=ARGS)  # fmt: skip
    save_hindcast(_calibrated_scenario(data, args, path), untils, reps=reps,
                  **_abc_smc_fields(args, path), **_record_fields(data, args, path),
                  out=target, force=force, engine=engine)  # fmt: skip


def _same(a: Path, b: Path) -> bool:
    """Whether two regular files hold the same bytes (anything else: not the same)."""
    try:
        with open_regular(a, MAX_RESULTS_BYTES) as one, open_regular(b, MAX_RESULTS_BYTES) as two:
            while True:
                x, y = one.read(BLOCK_BYTES), two.read(BLOCK_BYTES)
                if x != y:
                    return False
                if not x:
                    return True
    except FileProblem:
        return False


def compare_folders(new: Path, original: Path, written: list[str] | None = None) -> Rerun:
    """Compare every file the original's manifest lists (``written``, its ``outputs``;
    manifest.json files aside) with the same file in ``new``, byte for byte; without the
    list, every file the original holds. A listed file the original lacks is ``lost``."""
    if written is None:
        names = sorted(p.relative_to(original).as_posix() for p in original.rglob("*")
                       if p.is_file() and p.name not in RECORDS)  # fmt: skip
    else:
        names = sorted(n for n in written if PurePosixPath(n).name not in RECORDS)
    if not names:
        return Rerun(new, None, (), (), ())
    lost = tuple(n for n in names if not (original / n).is_file())
    missing = tuple(n for n in names if n not in lost and not (new / n).is_file())
    differ = tuple(n for n in names if n not in lost and n not in missing
                   and not _same(new / n, original / n))  # fmt: skip
    return Rerun(new, original, tuple(names), differ, missing, lost)
