"""manifest.json of a run: everything needed to reproduce it and to trace each input.

It holds the command line, a SHA-256 of every file the scenario was read from (the file,
each ``extends`` parent, the posterior and its sidecar), every resolved setting of the
scenario as plain data with a SHA-256 of its canonical JSON (so editing any setting changes
the manifest), the values a deterministic run used, the distinct sources cited, and every
library version that can change a number or a figure. ``tanksim rerun`` reads it back
(:mod:`sim.api.rerun`).
"""

from __future__ import annotations

import dataclasses
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
#: Keys every command's manifest.json carries (:func:`provenance`, and ``contents``, stamped
#: by :func:`sim.io.folders.write_folder`); each command adds its own below them.
COMMON_KEYS = ("tool", "command", "command_line", "cwd", "seed", "scenario_files", "versions",
               "contents")  # fmt: skip
#: Keys of a manifest that differ between two runs of the same inputs.
VOLATILE = ("command_line", "cwd", "wall_time_seconds", "execution", "contents")


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


def provenance(command: str, seed: int | None, scenarios, *, extra: tuple = (),
               argv: list[str] | None = None) -> dict:  # fmt: skip
    """The keys every command's manifest.json carries, whatever else it holds: ``tool``,
    ``command``, ``command_line`` (default ``sys.argv``), ``cwd``, ``seed`` (the root seed),
    ``scenario_files`` (every input with its SHA-256, :func:`input_files`) and ``versions``
    (:func:`versions`)."""
    return {
        "tool": TOOL,
        "command": command,
        "command_line": list(sys.argv if argv is None else argv),
        "cwd": os.getcwd(),
        "seed": seed,
        "scenario_files": input_files(scenarios, extra),
        "versions": versions(),
    }


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
    common = provenance("run", result.seed, [scen], argv=argv)
    vers = common["versions"]
    return {
        **{k: common[k] for k in ("tool", "command", "command_line", "cwd")},
        "scenario": scen.name,
        "files": list(scen.files),
        "scenario_files": scenario_files(scen),
        "scenario_sha256": settings_sha256(settings),
        "start": format_month(scen.start),
        "end": format_month(scen.end),
        "reps": result.reps,
        "seed": result.seed,
        "seed_sequence_entropy": result.seed,
        "chunk": result.chunk,
        "execution": result.execution,
        "deterministic": result.deterministic,
        "sampling": result.sampling,
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
        "versions": vers,
        "tanksim_version": vers["tanksim"],
        "git_revision": vers["git_revision"],
        "python": vers["python"],
        "numpy": vers["numpy"],
        "wall_time_seconds": round(result.seconds, 3),
    }


def compare_manifest(results: list[RunResult], comparison: dict,
                     argv: list[str] | None = None) -> dict:  # fmt: skip
    """manifest.json of a comparison: :func:`provenance`, then what replays it (each
    scenario's file, replications, sampling, horizon, the dates and threshold compared, the
    engine)."""
    ref = results[0]
    return {
        **provenance("compare", ref.seed, [r.scenario for r in results], argv=argv),
        "scenarios": [{"name": r.scenario.name, "file": r.scenario.files[-1]}
                      for r in results if r.scenario.files],  # fmt: skip
        "reps": ref.reps,
        "sampling": ref.sampling,
        "start": format_month(ref.scenario.start),
        "end": format_month(ref.scenario.end),
        "at": list(comparison["dates"]),
        "threshold": comparison["threshold"],
        "execution": {"engine": (ref.execution or {}).get("engine")},
    }


# ---------------------------------------------------------------------------------------------
# Read back for figures: dated events and short source names


def _month_of(value) -> int | None:
    if value is None:
        return None
    return parse_month(value) if isinstance(value, str) else int(value)


def event_months(man: dict) -> list[tuple[int, str]]:
    """(month, label) of the dated events a run's figures mark: each supply's start and the
    ceasefire (``rebuild_after``), from a manifest's settings; sorted by month."""
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
    first; from the manifest's ``sources``, or its parameters' facts for older manifests."""
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
