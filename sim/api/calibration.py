"""The public API for calibration: targets, ABC-SMC, prior against posterior, fit."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from sim.api.runs import load_scenario
from sim.model.facts import load_facts
from sim.model.params import Scenario
from sim.runs.run import DEFAULT_SEED


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
