"""The folders of ``tanksim sweep``, ``tanksim sensitivity`` and ``tanksim discover``, written
with one call each from Python exactly as the commands write them.

Each ``save_*`` function checks its input (one line naming the argument, a
:class:`~sim.model.errors.InputError`), refuses an existing folder unless ``force``, runs
the analysis, and writes the folder atomically with its manifest.json
(:mod:`sim.io.explore_outputs`). It returns a :class:`Saved`: the folder, the analysis, the
JSON the command prints with ``--json`` and the text it prints otherwise. Nothing here prints
or imports click; ``track(total, label)`` (default: none) is how a caller shows progress.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim import defaults
from sim.analysis.outcomes import OutcomeError
from sim.api.saved import Saved, Track, as_scenario, target_folder, untracked, write_atomically
from sim.model.errors import InputError
from sim.model.params import Scenario

if TYPE_CHECKING:
    from sim.runs.chunks import ChunkExecutor

def save_sweep(
    scenario: Scenario | str | Path,
    params: Sequence[str],
    *,
    grid: bool = False,
    reps: int = defaults.SWEEP_REPS,
    sampling: str = defaults.SWEEP_SAMPLING,
    seed: int = defaults.SEED,
    out: str | Path | None = None,
    force: bool = False,
    engine: str | None = None,
    executor: ChunkExecutor | None = None,
    track: Track = untracked,
) -> Saved:
    """Sweep ``params`` of ``scenario`` (:func:`sim.api.sweep`) and write sweep.csv,
    sweep.json, tornado.png (one at a time only) and manifest.json to ``out`` (default
    ``results/sweep-<name>/``), as ``tanksim sweep`` does."""
    from sim.analysis.sweep import SweepError, parse_sweep, point_count
    from sim.api.explore import sweep, sweep_data
    from sim.api.scenarios import facts
    from sim.io.explore_outputs import manifest, write_sweep
    from sim.present.explore_text import sweep_text
    from sim.runs.engines import resolve

    loaded, engine = as_scenario(scenario), resolve(engine)
    texts = [params] if isinstance(params, str) else list(params)
    try:
        specs = [parse_sweep(text, loaded) for text in texts]
    except SweepError as err:
        raise SweepError(str(err), argument="params") from None
    target = target_folder(out, f"sweep-{loaded.name}", force)
    began = time.perf_counter()
    with track(point_count(specs, grid) * reps, f"sweep {loaded.name}") as step:
        result = sweep(loaded, texts, grid=grid, reps=reps, seed=seed, sampling=sampling,
                       progress=step, executor=executor, engine=engine)  # fmt: skip
    seconds = time.perf_counter() - began
    known = facts()
    options = {"mode": "grid" if grid else "one-at-a-time", "params": texts,
               "reps_per_point": reps, "points": len(result.points)}  # fmt: skip
    meta = manifest(loaded, known, command="sweep", seed=seed, sampling=sampling,
                    n=reps * len(result.points), options=options, seconds=seconds,
                    engine=engine)  # fmt: skip
    write_atomically(target, force, lambda folder: write_sweep(folder, result, known, meta))
    return Saved(target, seconds, result, sweep_data(result), sweep_text(result))


def _sensitivity_input(loaded: Scenario, method: str, n: int, outcomes: tuple) -> None:
    """Refuse what the analysis cannot run, naming the argument, before anything runs."""
    from sim.analysis.outcomes import factors, parse_outcome

    try:
        for name in outcomes:
            parse_outcome(name, loaded)
    except OutcomeError as err:
        raise OutcomeError(str(err), argument="metrics") from None
    if method not in defaults.SENSITIVITY_METHODS:
        raise InputError(f"= {method!r}: must be one of {', '.join(defaults.SENSITIVITY_METHODS)}",
                         argument="method")  # fmt: skip
    if not factors(loaded):
        raise InputError(f"{loaded.name}: no uncertain parameters to analyse")
    if method == "sobol" and n & (n - 1):
        below, above = 1 << (n.bit_length() - 1), 1 << n.bit_length()
        raise InputError(f"{n}: Sobol' analysis needs a power of two (e.g. {below} or {above})",
                         argument="n")  # fmt: skip


def save_sensitivity(
    scenario: Scenario | str | Path,
    *,
    method: str = defaults.SENSITIVITY_METHODS[0],
    n: int | None = None,
    metrics: Sequence[str] = (),
    seed: int = defaults.SEED,
    out: str | Path | None = None,
    force: bool = False,
    engine: str | None = None,
    executor: ChunkExecutor | None = None,
    track: Track = untracked,
) -> Saved:
    """Sobol' indices or Morris effects (:func:`sim.api.sobol`, :func:`sim.api.morris`) of
    ``metrics`` (default :data:`sim.defaults.SENSITIVITY_OUTCOMES`) written as indices.csv,
    indices.json, sensitivity.png and manifest.json to ``out`` (default
    ``results/sensitivity-<method>-<name>/``), as ``tanksim sensitivity`` does. ``n``: Sobol'
    base samples (a power of two) or Morris trajectories (defaults in :mod:`sim.defaults`)."""
    from sim.api.explore import morris, sensitivity_data, sensitivity_replications, sobol
    from sim.api.scenarios import facts
    from sim.io.explore_outputs import manifest, write_sensitivity
    from sim.present.explore_text import sensitivity_text
    from sim.runs.engines import resolve

    loaded, engine = as_scenario(scenario), resolve(engine)
    outcomes = tuple(dict.fromkeys(metrics or defaults.SENSITIVITY_OUTCOMES))
    n = n or (defaults.SOBOL_N if method == "sobol" else defaults.MORRIS_TRAJECTORIES)
    _sensitivity_input(loaded, method, n, outcomes)
    target = target_folder(out, f"sensitivity-{method}-{loaded.name}", force)
    began = time.perf_counter()
    run, size = (sobol, {"n": n}) if method == "sobol" else (morris, {"trajectories": n})
    with track(sensitivity_replications(loaded, method, n), f"{method} {loaded.name}") as step:
        analysis = run(loaded, outcomes, **size, seed=seed, progress=step, executor=executor,
                       engine=engine)  # fmt: skip
    seconds = time.perf_counter() - began
    known, data = facts(), sensitivity_data(analysis)
    meta = manifest(loaded, known, command="sensitivity", seed=seed, sampling=method, n=n,
                    options={"method": method, "metrics": list(outcomes),
                             "replications": analysis.indices.evaluations,
                             "warnings": list(analysis.warnings)},
                    seconds=seconds, engine=engine)  # fmt: skip
    write_atomically(target, force,
           lambda folder: write_sensitivity(folder, analysis, data, known, meta))  # fmt: skip
    note = f" ({analysis.indices.evaluations:,} replications)"
    return Saved(target, seconds, analysis, data, sensitivity_text(data, warnings=False),
                 analysis.warnings, note)  # fmt: skip


def save_discovery(
    scenario: Scenario | str | Path,
    where: str,
    *,
    n: int = defaults.DISCOVER_N,
    sampling: str = defaults.DISCOVER_SAMPLING,
    min_density: float = defaults.MIN_DENSITY,
    seed: int = defaults.SEED,
    out: str | Path | None = None,
    force: bool = False,
    engine: str | None = None,
    executor: ChunkExecutor | None = None,
    track: Track = untracked,
) -> Saved:
    """Scenario discovery (:func:`sim.api.discover`) of where ``where`` holds, written as
    discover.json, box.csv, peeling.csv, samples.csv, discovery.png and manifest.json to
    ``out`` (default ``results/discover-<name>/``), as ``tanksim discover`` does."""
    from sim.analysis.condition import ExpressionError, parse_condition
    from sim.analysis.discover import DiscoveryError
    from sim.api.discovery import discover, discovery_data
    from sim.api.scenarios import facts
    from sim.io.explore_outputs import manifest, write_discovery
    from sim.present.explore_text import discover_text
    from sim.runs.engines import resolve

    loaded, engine = as_scenario(scenario), resolve(engine)
    try:
        parse_condition(where, loaded)
    except ExpressionError as err:
        shown = where if len(where) <= 80 else where[:60] + "..."
        raise ExpressionError(f"{shown!r}: {err}", argument="where") from None
    target = target_folder(out, f"discover-{loaded.name}", force)
    began = time.perf_counter()
    try:
        with track(n, f"discover {loaded.name}") as step:
            result = discover(loaded, where, n=n, sampling=sampling, min_density=min_density,
                              seed=seed, progress=step, executor=executor,
                              engine=engine)  # fmt: skip
    except DiscoveryError as err:
        raise DiscoveryError(str(err), argument="where") from None
    seconds = time.perf_counter() - began
    known, data = facts(), discovery_data(result)
    meta = manifest(loaded, known, command="discover", seed=seed, sampling=sampling, n=n,
                    options={"where": where, "min_density": min_density},
                    seconds=seconds, engine=engine)  # fmt: skip
    write_atomically(target, force,
                     lambda folder: write_discovery(folder, result, data, known, meta))
    return Saved(target, seconds, result, data, discover_text(data))
