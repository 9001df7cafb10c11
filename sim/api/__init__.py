"""The public Python API: load a scenario, simulate, summarise, compare, plot, report.

Everything a notebook needs, with no files touched unless a function says so::

    from sim import api

    base = api.load_scenario("scenarios/baseline.toml")
    nk = api.load_scenario("scenarios/nk-t62.toml")
    results = [api.run(s, reps=2000) for s in (base, nk)]
    api.summarise(results[0])["metrics"]["storage_exhausted"]
    api.compare(results, at=["2028-12"])["paired"]["nk-t62"]["active_gain"]
    api.plot_fan(results[0])            # a matplotlib Figure; displays inline in Jupyter

Counts are tanks; months are ``"YYYY-MM"`` strings in summaries and comparisons. Figures are
:class:`matplotlib.figure.Figure` objects drawn without pyplot; save them with
``fig.savefig(path)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.compare import compare_runs
from sim.analysis.summary import summary
from sim.io.output import check_target, write_results
from sim.io.report import (
    CompareData,
    RunData,
    active_figure,
    compare_data,
    compare_figure,
    months_figure,
    read_run,
    run_data,
    storage_figure,
)
from sim.io.report_html import Comparison, write_report
from sim.model import loader
from sim.model.calendar import format_month, parse_month
from sim.model.facts import Fact, load_facts
from sim.model.params import Scenario
from sim.present.tables import compare_table as _compare_table
from sim.present.tables import headline_table as _headline_table
from sim.runs.run import DEFAULT_CHUNK, DEFAULT_REPS, DEFAULT_SEED, RunResult, run_scenario

if TYPE_CHECKING:
    from sim.analysis.discover import Condition, Discovery
    from sim.analysis.sensitivity import MorrisIndices, SobolIndices
    from sim.analysis.sweep import SweepResult

__all__ = [
    "CompareData",
    "RunData",
    "RunResult",
    "Scenario",
    "compare",
    "compare_table",
    "facts",
    "headline_table",
    "load_scenario",
    "plot_comparison",
    "plot_fan",
    "plot_months",
    "plot_storage",
    "report",
    "results",
    "run",
    "save_results",
    "summarise",
    "targets",
    "calibrate",
    "prior_posterior",
    "fit_table",
    "plot_calibration_fit",
    "ScenarioDiscovery",
    "Sensitivity",
    "box_rows",
    "discover",
    "discovery_table",
    "morris",
    "plot_discovery",
    "plot_sensitivity",
    "plot_tornado",
    "sensitivity_rows",
    "sensitivity_table",
    "sobol",
    "sweep",
    "sweep_table",
]

DEFAULT_REPORT = Path("results") / "report"


def facts() -> dict[str, Fact]:
    """Every sourced fact in ``seeds/`` (or ``$TANKSIM_SEEDS``), keyed by id."""
    return load_facts()


def load_scenario(
    path: str | Path, *, start: str | None = None, end: str | None = None
) -> Scenario:
    """Read and validate a scenario file, checking that every cited fact id exists.

    ``start``/``end`` (``"YYYY-MM"``) override its horizon. Raises
    :class:`sim.model.loader.ScenarioError` naming the file, key and value on bad input.
    """
    return loader.load_scenario(path, fact_ids=set(load_facts()), start=start, end=end)


def run(
    scenario: Scenario | str | Path,
    *,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    deterministic: bool = False,
    keep_paths: bool = True,
    chunk: int = DEFAULT_CHUNK,
) -> RunResult:
    """Simulate a scenario (or a scenario file) ``reps`` times.

    Returns a :class:`~sim.runs.run.RunResult`: ``stats`` (T, V, F + 1, 6) holds mean, p05, p25,
    p50, p75, p95 over replications of each trajectory (variables in
    :data:`sim.engine.metrics.VARIABLES`, families in ``scenario.family_names`` then ``all``),
    tanks at each month's end; ``metrics`` the per-replication headline metrics, (reps,)
    each (months as indices from the start, -1 for never); ``active_paths`` the total
    active fleet (T, reps) when ``keep_paths`` (needed by :func:`compare`). Runs with the
    same ``seed`` share their random numbers (common random numbers).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return run_scenario(scenario, reps=reps, seed=seed, deterministic=deterministic,
                        chunk=chunk, keep_paths=keep_paths)  # fmt: skip


def summarise(result: RunResult) -> dict:
    """The headline metrics as plain data (what ``summary.json`` holds).

    ``metrics`` maps ``active_end``, ``active_weighted_end`` and ``lost_end`` (tanks, or
    T-90M equivalents) to ``{mean, p05, p25, p50, p75, p95}``, and each event month
    (``storage_exhausted``, ``refurb_below_half``, ``active_down_25``) to the same keys as
    ``"YYYY-MM"`` (``None`` past the horizon) plus ``never_share``.
    """
    return summary(result)


def _month(value: str | int) -> int:
    return parse_month(value) if isinstance(value, str) else int(value)


def default_dates(start: int, end: int) -> list[int]:
    """Each December from 2026 within the horizon, and the horizon's last month."""
    decembers = [y * 12 + 11 for y in range(2026, end // 12 + 1) if start <= y * 12 + 11 <= end]
    return sorted({*decembers, end})


def default_threshold(result: RunResult) -> float:
    """75% of the mean first-month active fleet, rounded to whole tanks."""
    return float(round(0.75 * float(result.active_paths[0].mean())))


def compare(
    results: Sequence[RunResult],
    *,
    at: Sequence[str | int] | None = None,
    threshold: float | None = None,
) -> dict:
    """Paired differences of each run against the first (what ``compare.json`` holds).

    The runs need ``keep_paths`` and the same seed, replications and horizon. ``at``:
    dates (``"YYYY-MM"``) for the active-fleet gains (default each December from 2026 and
    the horizon end); ``threshold``: tanks for P(active fleet stays at or above it every
    month), default 75% of the reference's mean first-month fleet. Each difference has its
    mean, 95% confidence interval, p05/p50/p95 and both standard errors.
    """
    ref = results[0]
    if ref.active_paths is None:
        raise ValueError(f"{ref.scenario.name}: run with keep_paths=True to compare")
    scen = ref.scenario
    dates = [_month(d) for d in at] if at else default_dates(scen.start, scen.end)
    for month in dates:
        if not scen.start <= month <= scen.end:
            raise ValueError(f"at {format_month(month)}: outside the horizon")
    if threshold is None:
        threshold = default_threshold(ref)
    return compare_runs(list(results), dates, threshold)


def results(source: RunResult | RunData | str | Path) -> RunData:
    """Figure data of a run in memory, or read back from a results folder."""
    if isinstance(source, RunData):
        return source
    if isinstance(source, RunResult):
        return run_data(source, load_facts())
    return read_run(source)


def plot_fan(source: RunResult | RunData | str | Path, *, ax: Axes | None = None) -> Figure:
    """Fan chart of the active fleet (tanks, p05-p95, p25-p75, median, mean) with published
    estimates of the fleet as observed points; on ``ax`` if given."""
    return active_figure(results(source), load_facts(), ax=ax)


def plot_storage(
    source: RunResult | RunData | str | Path, *, axes: Sequence[Axes] | None = None
) -> Figure:
    """Mean hulls in storage stacked by family and by condition (tanks); two panels."""
    return storage_figure(results(source), load_facts(), axes=axes)


def plot_months(source: RunResult | RunData | str | Path, *, ax: Axes | None = None) -> Figure:
    """ECDFs of the months storage is exhausted, refurbishment falls below half of capacity
    and the active fleet falls 25%, with the share never within the horizon."""
    figure = months_figure(results(source), load_facts(), ax=ax)
    if figure is None:
        raise ValueError("no per-replication metrics (metrics.csv) in this results folder")
    return figure


def plot_comparison(
    runs: Sequence[RunResult],
    *,
    threshold: float | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Median active fleets and each run's paired-gain fan against the first (tanks).

    The runs need ``keep_paths`` (the default of :func:`run`) and one seed.
    """
    if threshold is None and runs[0].active_paths is not None:
        threshold = default_threshold(runs[0])
    return compare_figure(compare_data(list(runs), threshold), axes=axes)


def save_results(result: RunResult, folder: str | Path, *, force: bool = False) -> Path:
    """Write a results folder (as ``tanksim run`` does); refuses an existing one unless
    ``force``."""
    return write_results(result, Path(folder), load_facts(), force=force)


def headline_table(runs: Sequence[RunResult | dict]) -> str:
    """A plain-text table of the headline metrics (runs or their summaries)."""
    return _headline_table([r if isinstance(r, dict) else summary(r) for r in runs])


def compare_table(comparison: dict) -> str:
    """A plain-text table of a :func:`compare` result."""
    return _compare_table(comparison)


def report(
    sources: Sequence[RunResult | Scenario | str | Path],
    out: str | Path = DEFAULT_REPORT,
    *,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    force: bool = False,
) -> Path:
    """Write a self-contained report folder (``report.html``, figures, CSV) for runs.

    ``sources`` are runs, scenarios or scenario files (run here with ``reps`` and ``seed``),
    or results folders (read, not re-run). With several, the report compares each against
    the first when all are runs or scenarios with one seed, replication count and horizon.
    Refuses an existing ``out`` unless ``force``; nothing appears there until it is done.
    """
    target = Path(out)
    check_target(target, force)
    known = load_facts()
    fact_ids = set(known)
    loaded: list[RunResult | RunData | Scenario] = []
    for src in sources:
        if isinstance(src, RunResult | Scenario):
            loaded.append(src)
        elif Path(src).is_dir():
            loaded.append(read_run(src))
        else:
            loaded.append(loader.load_scenario(src, fact_ids=fact_ids))
    names = [x.name if isinstance(x, RunData | Scenario) else x.scenario.name for x in loaded]
    if len(set(names)) != len(names):
        raise ValueError(f"two scenarios share a name: {', '.join(names)}")
    runs = [
        run_scenario(x, reps=reps, seed=seed, keep_paths=True) if isinstance(x, Scenario) else x
        for x in loaded
    ]
    comparison, notes = paired_comparison(runs)
    data = [x if isinstance(x, RunData) else run_data(x, known) for x in runs]
    return write_report(target, data, known, comparison=comparison, notes=notes, force=force)


def paired_comparison(runs: list) -> tuple[Comparison | None, tuple[str, ...]]:
    """The report's comparison of runs against the first, or None and the reason why not."""
    if len(runs) < 2:
        return None, ()
    if not all(isinstance(r, RunResult) and r.active_paths is not None for r in runs):
        return None, (
            "No paired comparison: it needs every replication's path, which results "
            "folders do not keep; give scenario files instead to run them together.",
        )
    ref = runs[0]
    key = (ref.reps, ref.seed, ref.scenario.start, ref.scenario.end)
    if any((r.reps, r.seed, r.scenario.start, r.scenario.end) != key for r in runs):
        return None, ("No paired comparison: the runs differ in seed, replications or horizon.",)
    threshold = default_threshold(ref)
    table = compare(runs, threshold=threshold)
    return Comparison(compare_data(runs, threshold), table), ()


# ---- Calibration -----------------------------------------------------------------------------


def targets(path: str | Path | None = None) -> list:
    """The calibration targets (default ``seeds/targets.toml``): dated observed figures, each
    with its interval and the fact it rests on (:class:`sim.analysis.targets.Target`)."""
    from sim.analysis.targets import load_targets

    return load_targets(Path(path) if path else None, set(load_facts()))


def calibrate(
    scenario: Scenario | str | Path,
    *,
    target_list: list | None = None,
    draws: int = 20_000,
    particles: int = 1_000,
    seed: int = DEFAULT_SEED,
):
    """History-match ``scenario``'s uncertain parameters to ``target_list`` (default: every
    target) by ABC-SMC; returns a :class:`sim.analysis.calibrate.Calibration` whose ``names``,
    ``values`` (N, D), ``weights`` (N,) and ``generations`` describe the posterior.
    ``resample(rows)`` gives an equal-weight sample. Prior draws only: a posterior the
    scenario already carries is ignored. The scenario's horizon is cut at the last target.
    """
    from dataclasses import replace

    from sim.analysis.calibrate import calibrate as _calibrate

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    chosen = target_list if target_list is not None else targets()
    last = max(t.month for t in chosen)
    prior = replace(scenario, end=min(scenario.end, last), posterior=None)
    return _calibrate(prior, chosen, draws=draws, particles=particles, seed=seed)


def prior_posterior(scenario: Scenario, calibration=None) -> list[dict]:
    """Per calibrated parameter: prior and posterior p05/p50/p95 (its own units) and the
    ratio of the 90% widths (small: the record pins it down; near 1: left open). The
    posterior is ``calibration``'s, or by default the one ``scenario`` draws from."""
    from sim.io.calibration_outputs import PRIOR_POSTERIOR_COLUMNS, prior_posterior_rows

    if calibration is not None:
        names, values = calibration.names, calibration.resample()
    elif scenario.posterior is not None:
        names, values = scenario.posterior.names, scenario.posterior.values
    else:
        raise ValueError(f"scenario {scenario.name!r} has no posterior; pass a calibration")
    rows, _, _ = prior_posterior_rows(scenario, names, values)
    return [dict(zip(PRIOR_POSTERIOR_COLUMNS, row)) for row in rows]


def fit_table(
    scenario: Scenario, *, target_list: list | None = None, reps: int = 4000,
    seed: int = DEFAULT_SEED,
) -> list[dict]:  # fmt: skip
    """Each target's observed value and interval against ``scenario``'s p05/p50/p95 over
    ``reps`` replications (its horizon cut at the last target), with ``inside_90``."""
    from dataclasses import replace

    from sim.io.calibration_outputs import fit_rows, posterior_predictive

    chosen = target_list if target_list is not None else targets()
    cut = replace(scenario, end=min(scenario.end, max(t.month for t in chosen)))
    return fit_rows(chosen, posterior_predictive(cut, chosen, reps=reps, seed=seed))


def plot_calibration_fit(
    prior: Scenario, calibrated: Scenario, *, target_list: list | None = None,
    reps: int = 2000, seed: int = DEFAULT_SEED,
) -> Figure:  # fmt: skip
    """Calibrated bands against the prior's 5-95% range and the observed figures."""
    from dataclasses import replace

    from sim.figures.calibration import fit_figure
    from sim.figures.style import sources_caption
    from sim.io.calibration_outputs import fit_panels

    chosen = target_list if target_list is not None else targets()
    last = max(t.month for t in chosen)
    panels = fit_panels(replace(prior, end=last, posterior=None), replace(calibrated, end=last),
                        chosen, reps=reps, seed=seed)  # fmt: skip
    known = load_facts()
    sources = sorted({known[t.fact].citation() for t in chosen if t.fact in known})
    return fit_figure(panels, sources_caption(sources, calibrated.description),
                      f"'{calibrated.name}' against the record, {reps:,} replications")  # fmt: skip


# ---- Sweeps, sensitivity and discovery -------------------------------------------------------

#: Outcomes :func:`sobol` and :func:`morris` analyse unless told otherwise (as the CLI).
SENSITIVITY_OUTCOMES = ("active_end", "storage_exhausted")
#: Most parameters per outcome a sensitivity chart shows.
CHART_TOP = 15


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def sweep(
    scenario: Scenario | str | Path,
    params: Sequence[str],
    *,
    grid: bool = False,
    reps: int = 1000,
    seed: int = DEFAULT_SEED,
    sampling: str = "random",
) -> SweepResult:
    """Sweep parameters of a scenario (or a scenario file), every point on the same random
    numbers, as ``tanksim sweep`` does.

    ``params``: ``"KEY=LOW:HIGH:STEPS"`` strings, a dotted key as ``tanksim validate`` lists
    it (e.g. ``"storage.fair_share=0.15:0.45:5"``) and STEPS evenly spaced values from LOW to
    HIGH in the parameter's own units. One at a time (default) each parameter is varied alone
    with the others drawn from their distributions; ``grid`` runs every combination (at most
    2,000 points). A base point with nothing fixed comes first. Every point runs the same
    ``reps`` replications with the same ``seed`` and the same draws of the other parameters,
    so differences between points come from the swept values alone.

    Returns a :class:`~sim.analysis.sweep.SweepResult`: ``points[i]`` (``varied``: the parameter
    varied,
    ``"base"`` or ``"grid"``; ``values``: the fixed values) and ``stats[i][metric]``: mean,
    p05, p25, p50, p75, p95 over replications of each headline metric (counts in tanks;
    months as indices from the scenario start, with ``never_share``; a month mean counts never
    as the month after the horizon, a percentile among never is None). Raises
    :class:`sim.analysis.sweep.SweepError` (a ValueError) naming a bad key or value.
    """
    from sim.analysis.sweep import parse_sweep, run_sweep

    scenario = _as_scenario(scenario)
    texts = [params] if isinstance(params, str) else list(params)
    specs = [parse_sweep(text, scenario) for text in texts]
    return run_sweep(scenario, specs, grid=grid, reps=reps, seed=seed, sampling=sampling)


def sweep_table(result: SweepResult) -> str:
    """A plain-text table of a sweep: at each point the fixed values, the mean active fleet at
    the horizon end with its 5-95% range (tanks), the mean and median month good+fair storage
    is exhausted, and the share of replications in which it never is."""
    from sim.cli.explore import sweep_text

    return sweep_text(result)


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """A global sensitivity analysis of one scenario, from :func:`sobol` or :func:`morris`.

    ``indices`` is the library's result: a :class:`sim.analysis.sensitivity.SobolIndices` when
    ``method`` is ``"sobol"`` (``first`` and ``total`` indices, shares of the outcome's
    variance, with ``*_low``/``*_high`` 95% bootstrap bounds; ``random_flows`` (S,), the
    share of the variance due to the model's own random flows), or a
    :class:`~sim.analysis.sensitivity.MorrisIndices` when ``"morris"`` (``mu_star`` with bounds,
    ``mu``,
    ``sigma``, in the outcome's units per step of half an input's probability range). Its
    arrays are (S, d): outcome ``indices.outcomes[s]`` by input ``indices.parameters[j]``.
    ``scenario`` and ``seed`` record what was run.
    """

    scenario: Scenario
    method: str
    seed: int
    indices: SobolIndices | MorrisIndices


def _outcomes(names: Sequence[str], scenario: Scenario) -> tuple:
    from sim.analysis.sensitivity import parse_outcome

    names = [names] if isinstance(names, str) else names
    return tuple(parse_outcome(name, scenario) for name in dict.fromkeys(names))


def sobol(
    scenario: Scenario | str | Path,
    outcomes: Sequence[str] = SENSITIVITY_OUTCOMES,
    *,
    n: int = 256,
    seed: int = DEFAULT_SEED,
) -> Sensitivity:
    """Sobol' indices of ``outcomes`` over all the uncertain inputs of a scenario at once, as
    ``tanksim sensitivity --method sobol`` computes them.

    ``outcomes``: headline metrics (``active_end``, ``lost_end``, ``storage_exhausted``, ...;
    month metrics as months from the scenario start, never = the month after the horizon) or
    ``"VARIABLE@YYYY-MM"`` (a trajectory variable, all families, at that month's end). The
    inputs are the parameters with a distribution; on a calibrated scenario the calibrated
    parameters, drawn jointly from its posterior, are one input, ``"calibrated set (posterior
    row)"``. ``n`` base samples (a power of two) cost n (d + 3) replications for d inputs; the
    CLI's default is 1,024. Returns a :class:`Sensitivity` holding
    :class:`sim.analysis.sensitivity.SobolIndices`: per outcome and input the first-order index (the
    share of the outcome's variance the input explains alone) and the total index (alone and
    in interactions), each (S, d) with its 95% bootstrap interval.
    """
    from sim.analysis.sensitivity import run_sobol

    scenario = _as_scenario(scenario)
    result = run_sobol(scenario, _outcomes(outcomes, scenario), n=n, seed=seed)
    return Sensitivity(scenario, "sobol", seed, result)


def morris(
    scenario: Scenario | str | Path,
    outcomes: Sequence[str] = SENSITIVITY_OUTCOMES,
    *,
    trajectories: int = 32,
    seed: int = DEFAULT_SEED,
) -> Sensitivity:
    """Morris screening of ``outcomes`` (as :func:`sobol`) over all the uncertain inputs of a
    scenario: ``trajectories`` random one-at-a-time paths, r (d + 1) replications for d
    inputs. Returns a :class:`Sensitivity` holding :class:`sim.analysis.sensitivity.MorrisIndices`,
    each (S, d) in the outcome's units (tanks, or months): ``mu_star``, the mean absolute
    change when an input moves by half its probability range, with a 95% bootstrap interval;
    ``mu``, the mean signed change (positive: the outcome rises with the input); ``sigma``,
    their standard deviation (non-linearity or interactions).
    """
    from sim.analysis.sensitivity import run_morris

    scenario = _as_scenario(scenario)
    result = run_morris(
        scenario, _outcomes(outcomes, scenario), trajectories=trajectories, seed=seed
    )
    return Sensitivity(scenario, "morris", seed, result)


def _sensitivity_data(analysis: Sensitivity) -> dict:
    from sim.analysis.sensitivity import indices_data

    result = analysis.indices
    return {
        "scenario": analysis.scenario.name, "method": analysis.method,
        "n": result.n if analysis.method == "sobol" else result.trajectories,
        "replications": result.evaluations, "seed": analysis.seed,
        "parameters": len(result.parameters), "outcomes": indices_data(result),
    }  # fmt: skip


def sensitivity_table(analysis: Sensitivity, *, top: int = 10) -> str:
    """A plain-text table of the ``top`` inputs per outcome, most influential first: Sobol'
    total and first-order indices with their 95% intervals, or Morris mu*, mu and sigma."""
    from sim.cli.explore import sensitivity_text

    return sensitivity_text(_sensitivity_data(analysis), top=top)


def sensitivity_rows(analysis: Sensitivity) -> list[dict]:
    """One dict per outcome and input, most influential first within each outcome:
    ``outcome``, ``unit``, ``parameter`` and the statistics as floats (Sobol': ``first``,
    ``first_low``, ``first_high``, ``total``, ``total_low``, ``total_high``; Morris:
    ``mu_star``, ``mu_star_low``, ``mu_star_high``, ``mu``, ``sigma``)."""
    rows = []
    for outcome, entry in _sensitivity_data(analysis)["outcomes"].items():
        for parameter, stats in entry["parameters"].items():
            rows.append({"outcome": outcome, "unit": entry["unit"], "parameter": parameter,
                         **stats})  # fmt: skip
    return rows


@dataclass(frozen=True, eq=False)
class ScenarioDiscovery:
    """Scenario discovery on one scenario, from :func:`discover`.

    ``found`` is the library's :class:`sim.analysis.discover.Discovery`: the PRIM peeling trajectory
    ``boxes``, the chosen ``box`` (``limits`` (d, 2), each input's lower and upper bound in
    its own units, -inf/inf where unrestricted; ``coverage``, ``density`` and ``mass``,
    shares in [0, 1]), ``p_values`` (quasi-p-value by input index) and ``parameters``.
    ``samples`` (N, d) are the sampled inputs (columns as ``found.parameters``), ``outputs``
    (N, S) the outcomes ``condition`` uses (columns as ``condition.outcomes``; months from the
    scenario start, never = the month after the horizon) and ``of_interest`` (N,) whether the
    condition holds.
    """

    scenario: Scenario
    condition: Condition
    sampling: str
    seed: int
    samples: np.ndarray
    outputs: np.ndarray
    of_interest: np.ndarray
    found: Discovery


def discover(
    scenario: Scenario | str | Path,
    where: str,
    *,
    n: int = 2000,
    sampling: str = "lhs",
    min_density: float | None = None,
    seed: int = DEFAULT_SEED,
) -> ScenarioDiscovery:
    """Where in a scenario's input space does ``where`` hold? PRIM, as ``tanksim discover``.

    Samples ``n`` sets of the uncertain inputs (``sampling``: ``"lhs"`` Latin hypercube,
    ``"random"`` or ``"sobol"``; a calibrated scenario's calibrated inputs come jointly from
    its posterior rows), runs one replication of each, marks the sets where ``where`` holds,
    and peels a box of input space in which they are dense. ``where`` compares outcomes (as
    :func:`sobol` takes them) with numbers (tanks), ``YYYY-MM`` months or ``never``, joined
    by ``and``, ``or`` and parentheses, e.g. ``"active_end < 1500"``; it is parsed, never run
    as code. The box reported is the one with the highest coverage among those with density
    at least ``min_density`` (default 0.8). Raises ValueError when the expression is wrong,
    or when no sampled set, or every one, meets it.
    """
    from sim.analysis.discover import MIN_DENSITY, parse_condition
    from sim.analysis.discover import discover as _discover
    from sim.analysis.sensitivity import Evaluator, uncertain_params
    from sim.runs.designs import Design
    from sim.runs.sampling import draw_params

    scenario = _as_scenario(scenario)
    condition = parse_condition(where, scenario)
    params = tuple(uncertain_params(scenario))
    design = None if sampling == "random" else Design(sampling, n)
    values = draw_params(scenario, seed=seed, first_rep=0, reps=n, design=design)
    outputs = Evaluator(scenario, condition.outcomes, seed)(values)
    cases = condition.evaluate({o.name: outputs[:, k] for k, o in enumerate(condition.outcomes)})
    if not cases.any() or cases.all():
        which = "no" if not cases.any() else "every"
        raise ValueError(f"{where!r}: {which} replication of {n:,} meets it; nothing to discover")
    samples = np.column_stack([values[name] for name in params])
    density = MIN_DENSITY if min_density is None else min_density
    found = _discover(samples, cases, params, min_density=density)
    return ScenarioDiscovery(scenario, condition, sampling, seed, samples, outputs, cases, found)


def _discovery_data(result: ScenarioDiscovery) -> dict:
    from sim.analysis.discover import discovery_data

    return {"scenario": result.scenario.name, "seed": result.seed, "sampling": result.sampling,
            **discovery_data(result.found, result.condition)}  # fmt: skip


def discovery_table(result: ScenarioDiscovery) -> str:
    """A plain-text summary of a discovery: how many sampled sets meet the condition, the
    chosen box's coverage, density and mass, and each restricted input's limits with its
    sampled range and quasi-p-value (small: the restriction matters), most significant first.
    """
    from sim.cli.explore import discover_text

    return discover_text(_discovery_data(result))


def box_rows(result: ScenarioDiscovery) -> list[dict]:
    """The chosen box as one dict per restricted input, most significant first: ``parameter``,
    ``low``/``high`` (its own units; None where the box leaves that side open), ``sampled_low``,
    ``sampled_high`` and ``quasi_p``."""
    limits = _discovery_data(result)["box"]["limits"]
    return [
        {"parameter": name, "low": lim["low"], "high": lim["high"],
         "sampled_low": lim["sampled"][0], "sampled_high": lim["sampled"][1],
         "quasi_p": lim["quasi_p"]}
        for name, lim in limits.items()
    ]  # fmt: skip


def _explore_caption(scenario: Scenario, names: Sequence[str], lead: str) -> str:
    """What was run, the scenario, and the publications behind the inputs shown."""
    from sim.analysis.sensitivity import CALIBRATED
    from sim.figures.explore import explore_caption

    calibrated = ""
    if CALIBRATED in names and scenario.posterior is not None:
        post = scenario.posterior
        calibrated = (f" The calibrated set is one of the {len(post.values):,} parameter sets "
                      f"of {Path(post.path).name}, drawn jointly.")  # fmt: skip
    return explore_caption(scenario, names, lead, load_facts(),
                           "tanksim validate lists every input with its source.",
                           note=calibrated)  # fmt: skip


def plot_tornado(result: SweepResult) -> Figure:
    """Tornado chart of a one-at-a-time sweep (:func:`sweep`), one panel each for the mean
    active fleet at the horizon end (tanks) and the mean month good+fair storage is exhausted:
    per swept parameter a bar from the base value (dashed line: nothing fixed) to the value
    with the parameter at LOW (hatched) and at HIGH (dark), widest swing on top; a whisker
    spans all the steps where the response is not monotone. Raises
    :class:`sim.analysis.sweep.SweepError` (a ValueError) for a grid sweep."""
    from sim.figures.explore import sweep_figure

    scen = result.scenario
    return sweep_figure(result, lambda names, lead: _explore_caption(scen, names, lead))


def plot_sensitivity(analysis: Sensitivity, *, top: int = CHART_TOP) -> Figure:
    """Bar chart of a :func:`sobol` or :func:`morris` analysis, one panel per outcome, the
    ``top`` most influential inputs on top. Sobol': total (dark) and first-order (hatched)
    indices, shares of the outcome's variance, with 95% intervals. Morris: mu* (dark, with its
    95% interval) and sigma (circles), in the outcome's units per step."""
    from sim.figures.explore import indices_figure

    scen = analysis.scenario
    return indices_figure(
        scen, analysis.indices, seed=analysis.seed, top=top, all_hint="all: api.sensitivity_rows",
        caption_for=lambda names, lead: _explore_caption(scen, names, lead),
    )  # fmt: skip


def plot_discovery(result: ScenarioDiscovery) -> Figure:
    """PRIM's peeling trajectory (coverage against density, from the whole sample towards
    small dense boxes; the chosen box ringed) and the chosen box's limits on each restricted
    input, as a position within its sampled range, with the quasi-p-values."""
    from sim.figures.explore import discovery_figure

    scen = result.scenario
    return discovery_figure(
        scen, result.found, where=result.condition.text, sampling=result.sampling,
        seed=result.seed, caption_for=lambda names, lead: _explore_caption(scen, names, lead),
    )  # fmt: skip
