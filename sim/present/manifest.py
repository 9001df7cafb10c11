"""manifest.json: one schema for every command's folder, written by :func:`manifest`.

Every manifest has the same top-level keys (:data:`MANIFEST_KEYS`, docs/reading-back.md):
the tool and its version, the command, its command line and working folder, when it was
created, its ``arguments`` (what replays it: the settings, the root seed, the scenario
files as given), its ``inputs`` (every file read, with a SHA-256), its ``outputs`` (the
files written, stamped by :func:`sim.io.folders.write_folder`), its ``execution`` (engine,
wall time), the library ``versions`` that can change a number or a figure, and the
command's own ``details``. A run's details hold every resolved setting of the scenario as
plain data with a SHA-256 of its canonical JSON (so editing any setting changes the
manifest), the values a deterministic run used and the distinct sources cited.
``tanksim rerun`` reads it back (:mod:`sim.io.manifests`, :mod:`sim.api.rerun`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path

from sim._version import __version__
from sim.analysis.posterior_info import posterior_counts
from sim.model.calendar import format_month, parse_month
from sim.model.distributions import Param
from sim.model.facts import Fact
from sim.model.params import Scenario
from sim.model.posterior import sidecar
from sim.runs.run import RunResult
from sim.runs.sampling import expected_values

#: The marker that says tanksim wrote a manifest (checked before ``--force`` replaces).
TOOL = "tanksim"
#: Libraries whose versions can change a number or a figure (numba and llvmlite: the
#: compiled engine's ``exp`` and ``log1p``, README "A compiled month step").
LIBRARIES = ("numpy", "scipy", "matplotlib", "simpy", "click", "jinja2", "dask", "numba",
             "llvmlite")  # fmt: skip
#: Dataclass fields holding a month index, written as ``YYYY-MM``.
MONTH_FIELDS = ("start", "end", "month", "rebuild_after")
#: The top-level keys of every command's manifest.json, in order (:func:`manifest`).
MANIFEST_KEYS = ("tool", "tanksim_version", "command", "command_line", "cwd", "created",
                 "arguments", "inputs", "outputs", "execution", "versions", "details")  # fmt: skip
#: Fields of a manifest that differ between two runs of the same inputs (dotted: a key
#: inside a top-level one): who ran it from where, when, and how long it took.
VOLATILE = ("command_line", "cwd", "created", "execution.wall_time_seconds",
            "execution.workers", "execution.executor")  # fmt: skip


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plain(value, name: str = ""):
    """A scenario object as JSON-ready data: Params as their distribution, months as dates."""
    if isinstance(value, Param):
        return {"dist": value.dist.kind, **dict(value.dist.args), "domain": value.domain,
                "facts": list(value.facts), "note": value.note}  # fmt: skip
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), f.name) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if name in MONTH_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return format_month(value)
    return value


def scenario_settings(scenario: Scenario) -> dict:
    """Every resolved setting of ``scenario`` (numbers, dates, priority, families,
    thresholds, supply and parts, description), without the file paths; the posterior as
    its file name, checksum and columns."""
    data = _plain(dataclasses.replace(scenario, posterior=None))
    data.pop("files")
    post = scenario.posterior
    data["posterior"] = None if post is None else {
        "file": Path(post.path).name, "sha256": post.sha256, "columns": list(post.names),
        "overridden": list(post.overridden),
    }  # fmt: skip
    return data


def settings_sha256(settings: dict) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of :func:`scenario_settings`."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def scenario_files(scenario: Scenario) -> list[dict]:
    """Each file the scenario was read from, most basic first: the path as given, the
    absolute path and its SHA-256 (None for a scenario built in code, with no file); the
    posterior CSV and its JSON sidecar last."""
    paths = [Path(p) for p in scenario.files]
    if scenario.posterior is not None:
        paths += [Path(scenario.posterior.path), sidecar(Path(scenario.posterior.path))]
    return [{"path": str(p), "resolved": str(p.resolve()),
             "sha256": sha256_file(p) if p.is_file() else None}
            for p in paths]  # fmt: skip


def git_revision() -> str | None:
    """The git commit of the tanksim source tree, with "-dirty" if modified; None if unknown."""
    here = Path(__file__).resolve().parents[1]  # the sim package
    try:
        rev = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    if rev.returncode != 0:
        return None
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def posterior_manifest(posterior) -> dict | None:
    """Which calibrated file a run drew from, its checksum, how many sets it holds (rows,
    distinct rows, effective sample size), and which parameters it set."""
    if posterior is None:
        return None
    counts = posterior_counts(posterior)
    return {
        "file": posterior.path,
        "sha256": posterior.sha256,
        "sets": counts["rows"],
        "distinct_sets": counts["distinct"],
        "effective_sample_size": counts["ess"],
        "drawn_jointly": list(posterior.names),
        "overridden_by_scenario": list(posterior.overridden),
        "targets": posterior.meta.get("targets", []),
        "calibration_seed": posterior.meta.get("seed"),
    }


def versions() -> dict[str, str | None]:
    """python, tanksim, its git revision and each of :data:`LIBRARIES` (None if absent)."""
    out: dict[str, str | None] = {
        "python": platform.python_version(),
        "tanksim": __version__,
        "git_revision": git_revision(),
    }
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def deterministic_values(scenario: Scenario) -> dict[str, float | int]:
    """The value of each parameter in a deterministic run at the means (see
    :func:`sim.runs.sampling.expected_values`: lead times in the whole months the engine uses)."""
    return expected_values(scenario)


def source_ranking(scenario: Scenario, facts: dict[str, Fact]) -> list[dict]:
    """The distinct publications the parameters cite (assumptions left out), most cited
    first: ``author``, ``source``, ``published``, ``citation`` and ``parameters`` (count)."""
    counts: Counter[str] = Counter()
    first: dict[str, Fact] = {}
    for param in scenario.params().values():
        for fact_id in dict.fromkeys(param.facts):
            fact = facts.get(fact_id)
            if fact is not None and fact.kind != "assumption":
                counts[fact.citation()] += 1
                first.setdefault(fact.citation(), fact)
    ranked = sorted(counts, key=lambda c: (-counts[c], c))
    return [{"author": first[c].author, "source": first[c].source,
             "published": first[c].published, "citation": c, "parameters": counts[c]}
            for c in ranked]  # fmt: skip


def input_files(scenarios, extra: tuple[str | Path, ...] = ()) -> list[dict]:
    """Every file ``scenarios`` were read from (:func:`scenario_files`, each once, in order),
    then ``extra`` input files (a targets file), each with its SHA-256."""
    seen, out = set(), []
    entries = [e for s in scenarios for e in scenario_files(s)]
    entries += [{"path": str(p), "resolved": str(Path(p).resolve()),
                 "sha256": sha256_file(p) if Path(p).is_file() else None}
                for p in extra]  # fmt: skip
    for entry in entries:
        if entry["resolved"] not in seen:
            seen.add(entry["resolved"])
            out.append(entry)
    return out


def manifest(command: str, *, arguments: dict, inputs: list[dict],
             execution: dict | None = None, details: dict | None = None,
             argv: list[str] | None = None) -> dict:  # fmt: skip
    """The manifest.json of any command, with the keys :data:`MANIFEST_KEYS` in order.

    Parameters
    ----------
    command : the command that writes the folder (``run``, ``compare``, ``calibrate``, ...).
    arguments : what replays it: every setting the command was given (its root ``seed``
        among them) and the scenario files as given.
    inputs : every file read, as :func:`input_files` lists them (path, resolved, sha256).
    execution : how it ran (``engine``, ``wall_time_seconds``, where chunks ran): changes no
        number.
    details : what else the command records (a run's resolved settings and parameters with
        their sources, a calibration's fit).
    argv : the command line (default ``sys.argv``).

    ``outputs`` starts empty: :func:`sim.io.folders.write_folder` lists the files written.
    """
    vers = versions()
    return {
        "tool": TOOL,
        "tanksim_version": vers["tanksim"],
        "command": command,
        "command_line": list(sys.argv if argv is None else argv),
        "cwd": os.getcwd(),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "arguments": arguments,
        "inputs": inputs,
        "outputs": [],
        "execution": dict(execution or {}),
        "versions": vers,
        "details": dict(details or {}),
    }


def stable(man: dict) -> dict:
    """``man`` without its :data:`VOLATILE` fields: what two runs of the same inputs share."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in man.items()}
    for key in VOLATILE:
        top, _, inner = key.partition(".")
        if inner and isinstance(out.get(top), dict):
            out[top].pop(inner, None)
        elif not inner:
            out.pop(top, None)
    return out


def run_manifest(result: RunResult, facts: dict[str, Fact], argv: list[str] | None = None) -> dict:
    """manifest.json of a run: what reproduces it and traces each parameter to its sources.

    ``argv`` is the command line (default ``sys.argv``).
    """
    scen = result.scenario
    settings = scenario_settings(scen)
    params = {}
    for name, param in scen.params().items():
        cited = [facts[f].citation() for f in param.facts if f in facts]
        params[name] = {**_plain(param), "sources": cited}
    arguments = {
        "files": list(scen.files),
        "start": format_month(scen.start),
        "end": format_month(scen.end),
        "reps": result.reps,
        "seed": result.seed,
        "chunk": result.chunk,
        "deterministic": result.deterministic,
        "sampling": result.sampling,
    }
    details = {
        "scenario": scen.name,
        "scenario_sha256": settings_sha256(settings),
        "seed_sequence_entropy": result.seed,
        "families": list(scen.family_names),
        "priority": [f"{f}:{c}" for f, c in scen.priority],
        "priority_order": scen.priority_order,
        "thresholds": settings["thresholds"],
        "settings": settings,
        "parameters": params,
        # one path at the means: the values it used; N deterministic paths draw their sets
        "deterministic_values": (deterministic_values(scen)
                                 if result.deterministic and result.reps == 1 else None),
        "posterior": posterior_manifest(scen.posterior),
        "sources": source_ranking(scen, facts),
    }
    execution = {**(result.execution or {}), "wall_time_seconds": round(result.seconds, 3)}
    return manifest("run", arguments=arguments, inputs=scenario_files(scen),
                    execution=execution, details=details, argv=argv)  # fmt: skip


def compare_manifest(results: list[RunResult], comparison: dict,
                     argv: list[str] | None = None) -> dict:  # fmt: skip
    """manifest.json of a comparison (:func:`manifest`): its arguments are what replays it
    (each scenario's file, replications, seed, sampling, horizon, the dates and threshold
    compared), its execution the engine."""
    ref = results[0]
    arguments = {
        "scenarios": [{"name": r.scenario.name, "file": r.scenario.files[-1]}
                      for r in results if r.scenario.files],  # fmt: skip
        "reps": ref.reps,
        "seed": ref.seed,
        "sampling": ref.sampling,
        "start": format_month(ref.scenario.start),
        "end": format_month(ref.scenario.end),
        "at": list(comparison["dates"]),
        "threshold": comparison["threshold"],
    }
    return manifest("compare", arguments=arguments,
                    inputs=input_files([r.scenario for r in results]),
                    execution={"engine": (ref.execution or {}).get("engine")},
                    argv=argv)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Read back for figures: dated events and short source names


def _month_of(value) -> int | None:
    if value is None:
        return None
    return parse_month(value) if isinstance(value, str) else int(value)


def event_months(man: dict) -> list[tuple[int, str]]:
    """(month, label) of the dated events a run's figures mark: each supply's start and the
    ceasefire (``rebuild_after``), from a run manifest's ``details``; sorted by month."""
    settings = man.get("settings") or {}
    supplies: dict[int, list[str]] = {}
    for sup in settings.get("supplies", ()):
        supplies.setdefault(_month_of(sup["start"]), []).append(sup["name"])
    events = [(m, f"{', '.join(names)} supply from {format_month(m)}")
              for m, names in supplies.items()]  # fmt: skip
    rebuild = _month_of((man.get("thresholds") or {}).get("rebuild_after"))
    if rebuild is not None:
        events.append((rebuild, f"ceasefire {format_month(rebuild)}"))
    return sorted(events)


def short_source(author: str, source: str) -> str:
    """A source named once: the publication without its relays ("via ..."), quotations and
    parentheses, after its author when the author is not the publication."""
    publication = re.split(r",? via |,? citing | citing |,? quoting | as summarised by |"
                           r", interview with ", source)[0]  # fmt: skip
    publication = re.sub(r"\s*\([^)]*\)", "", publication).strip(" ,")
    if not author or author in publication:
        return publication
    if publication in author:
        return author
    return f"{author}, {publication}"


def caption_sources(man: dict, facts: dict[str, Fact]) -> list[str]:
    """The distinct sources of a run, each named once (:func:`short_source`), the most cited
    first; from a run manifest's ``details``: its ``sources``, or its parameters' facts for
    older manifests."""
    ranked = man.get("sources")
    if ranked is None:
        counts: Counter[tuple[str, str]] = Counter()
        for param in man.get("parameters", {}).values():
            for fact_id in param.get("facts", ()):
                fact = facts.get(fact_id)
                if fact is not None and fact.kind != "assumption":
                    counts[(fact.author, fact.source)] += 1
        ranked = [{"author": a, "source": s, "parameters": n} for (a, s), n in counts.items()]
    merged: Counter[str] = Counter()
    for entry in ranked:
        merged[short_source(entry["author"], entry["source"])] += entry["parameters"]
    return sorted(merged, key=lambda name: (-merged[name], name))
