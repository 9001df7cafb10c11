"""``tanksim calibrate``: history-match a scenario to the dated record (seeds/targets.toml)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from sim.analysis.calibrate import (
    DEFAULT_DRAWS,
    DEFAULT_GENERATIONS,
    DEFAULT_PARTICLES,
    POSTERIOR_ROWS,
    CalibrationError,
    calibrate,
)
from sim.analysis.summary import git_revision
from sim.analysis.targets import TargetsError, load_targets
from sim.cli.progress import progress_bar
from sim.figures.calibration import fit_figure, prior_posterior_figure
from sim.figures.style import sources_caption
from sim.io.calibration_outputs import (
    FIT_COLUMNS,
    PRIOR_POSTERIOR_COLUMNS,
    calibrated_toml,
    fit_panels,
    fit_rows,
    posterior_predictive,
    prior_posterior_rows,
    with_posterior,
)
from sim.io.output import check_target, write_csv, write_folder, write_json
from sim.model.calendar import format_month
from sim.model.facts import load_facts
from sim.model.loader import load_scenario
from sim.model.posterior import write_posterior
from sim.parallel import parallel_options
from sim.runs.run import DEFAULT_SEED

CHECK_REPS = 10_000
FIGURE_REPS = 4_000


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--draws", default=DEFAULT_DRAWS, show_default=True, type=click.IntRange(min=100),
              help="Parameter sets simulated per generation.")  # fmt: skip
@click.option("--particles", default=DEFAULT_PARTICLES, show_default=True,
              type=click.IntRange(min=10), help="Parameter sets kept per generation.")  # fmt: skip
@click.option("--generations", default=DEFAULT_GENERATIONS, show_default=True,
              type=click.IntRange(min=1), help="Most ABC-SMC generations.")  # fmt: skip
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(min=0))
@click.option("--targets", "targets_file", default=None, type=click.Path(dir_okay=False),
              help="Targets TOML (default: seeds/targets.toml).")  # fmt: skip
@click.option("--check-reps", default=CHECK_REPS, show_default=True, type=click.IntRange(min=100),
              help="Replications of the calibrated model checked against the targets.")  # fmt: skip
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the fit as JSON only.")
@parallel_options
def calibrate_command(scenario, draws, particles, generations, seed, targets_file, check_reps,
                      out, force, as_json, executor) -> None:  # fmt: skip
    """Calibrate SCENARIO's uncertain parameters to the record by ABC-SMC.

    Writes posterior.csv (+ posterior.json), calibrated.toml (extends SCENARIO, draws from
    the posterior), fit.csv / fit.png, prior_posterior.csv / prior_posterior.png,
    generations.csv and manifest.json.
    """
    if particles > draws:
        raise click.UsageError(f"--particles = {particles}: cannot exceed --draws ({draws})")
    facts = load_facts()
    try:
        targets = load_targets(Path(targets_file) if targets_file else None, set(facts))
    except TargetsError as err:
        raise click.ClickException(str(err)) from None
    last = max(t.month for t in targets)
    full = load_scenario(scenario, fact_ids=set(facts))
    if not full.start <= min(t.month for t in targets) or last > full.end:
        raise click.UsageError(f"{scenario}: horizon does not cover the targets")
    prior = replace(load_scenario(scenario, fact_ids=set(facts), end=format_month(last)),
                    posterior=None)  # fmt: skip
    target = Path(out) if out else Path("results") / f"calibrate-{full.name}"
    check_target(target, force)

    def report(step) -> None:
        if not as_json:
            click.echo(f"  tolerance {step.epsilon:5.3f}: kept {step.accepted:,} of "
                       f"{step.proposed:,} proposed ({step.accepted / step.proposed:.1%}); "
                       f"{step.fit_all:,} fit every target; ESS {step.ess:,.0f}",
                       err=True)  # fmt: skip

    if not as_json:
        click.echo(f"calibrating {full.name} on {len(targets)} targets "
                   f"({format_month(prior.start)}..{format_month(last)})", err=True)  # fmt: skip
    with progress_bar(draws * generations, "ABC-SMC", enabled=not as_json) as progress:
        try:
            cal = calibrate(prior, targets, draws=draws, particles=particles,
                            generations=generations, seed=seed, progress=progress,
                            executor=executor, report=report)  # fmt: skip
        except CalibrationError as err:
            raise click.ClickException(f"{scenario}: {err}") from None
    rows = cal.resample(POSTERIOR_ROWS)
    calibrated = with_posterior(prior, cal, rows, "posterior.csv")
    predictive = posterior_predictive(calibrated, targets, reps=check_reps, seed=seed + 1)
    fit = fit_rows(targets, predictive)
    pp_rows, prior_q, post_q = prior_posterior_rows(prior, cal.names, rows)
    panels = fit_panels(replace(full, posterior=None, end=last), calibrated, targets,
                        reps=FIGURE_REPS, seed=seed + 2)  # fmt: skip
    params = prior.params()
    meta = {
        "scenario": str(scenario),
        "targets": [t.id for t in targets],
        "seed": seed,
        "draws_per_generation": draws,
        "particles": particles,
        "converged": cal.converged,
        "generations": [g.__dict__ for g in cal.generations],
        "acceptance_rate_final": cal.generations[-1].accepted / cal.generations[-1].proposed,
        "rows": len(rows),
        "priors": {name: params[name].describe() for name in cal.names},
        "git_revision": git_revision(),
    }
    sources = sorted({facts[t.fact].citation() for t in targets})
    caption = sources_caption(sources, full.description)

    def write(folder: Path) -> None:
        write_posterior(folder / "posterior.csv", cal.names, rows, meta)
        (folder / "calibrated.toml").write_text(calibrated_toml(
            Path(scenario), target, f"{full.description} (calibrated to {len(targets)} "
            "targets in seeds/targets.toml)"))  # fmt: skip
        write_csv(folder / "fit.csv", FIT_COLUMNS, [list(r.values()) for r in fit])
        write_csv(folder / "prior_posterior.csv", PRIOR_POSTERIOR_COLUMNS, pp_rows)
        write_csv(folder / "generations.csv", ("epsilon", "proposed", "accepted", "fit_all", "ess"),
                  [list(g.__dict__.values()) for g in cal.generations])  # fmt: skip
        write_json(folder / "manifest.json", meta | {"fit": fit})
        fit_figure(panels, caption, f"Calibration of '{full.name}' to the 2022-2025 record: "
                   f"{len(rows):,} posterior sets, seed {seed}").savefig(
            folder / "fit.png", dpi=150, bbox_inches="tight")  # fmt: skip
        prior_posterior_figure(list(cal.names), prior_q, post_q, caption,
                               "What the record pins down: posterior vs prior, per "
                               "parameter").savefig(
            folder / "prior_posterior.png", dpi=150, bbox_inches="tight")  # fmt: skip

    write_folder(target, write, force=force)
    if as_json:
        click.echo(json.dumps({"converged": cal.converged, "fit": fit}, indent=2))
        return
    click.echo(f"wrote {target}/", err=True)
    click.echo(fit_text(fit, cal))


def fit_text(fit: list[dict], cal) -> str:
    """The fit table and a verdict line."""
    lines = [f"{'target':34s} {'observed':>9s} {'interval':>17s} {'p05':>9s} {'p50':>9s} "
             f"{'p95':>9s}  in 90%"]  # fmt: skip
    for r in fit:
        lines.append(f"{r['target']:34s} {_num(r['observed']):>9s} "
                     f"{_num(r['low']) + '-' + _num(r['high']):>17s} {_num(r['p05']):>9s} "
                     f"{_num(r['p50']):>9s} {_num(r['p95']):>9s}  "
                     f"{'yes' if r['inside_90'] else 'NO'}")  # fmt: skip
    outside = [r["target"] for r in fit if not r["inside_90"]]
    last = cal.generations[-1]
    rate = last.accepted / last.proposed
    lines.append(f"final acceptance {rate:.2%} ({last.accepted:,} of {last.proposed:,}); "
                 f"converged: {cal.converged}")  # fmt: skip
    lines.append(f"every observed value inside the calibrated 90% band ({len(fit)} targets)"
                 if not outside else f"OUTSIDE the 90% band: {', '.join(outside)}")  # fmt: skip
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2f}"
