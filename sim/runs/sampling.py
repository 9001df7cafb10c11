"""Parameter values per replication: each drawn once, by inverse CDF, from a keyed stream."""

from __future__ import annotations

import numpy as np

from sim.engine.streams import block_slices, stream
from sim.model.distributions import clip_to_domain
from sim.model.params import Scenario
from sim.model.posterior import Posterior, posterior_means
from sim.runs.designs import Design

#: The purpose keying the stream that picks each replication's posterior row.
ROW_STREAM = "posterior:row"


def draw_params(
    scenario: Scenario, *, seed: int, first_rep: int, reps: int, design: Design | None = None
) -> dict[str, np.ndarray]:
    """One value per replication for every parameter, shape (reps,) each.

    Parameter ``name`` in block ``b`` uses the stream keyed ``(b, "param:" + name)``, so a
    parameter shared by two scenarios gets the same draws in both. A ``design`` (Latin
    hypercube or Sobol', :mod:`sim.runs.designs`) supplies the uniforms instead.
    """
    values = {}
    blocks = block_slices(first_rep, reps)
    params = scenario.params()
    uncertain = tuple(n for n, p in params.items() if p.dist.kind != "fixed")
    cube = None if design is None else design.unit(uncertain, seed=seed, first=first_rep, reps=reps)
    for name, param in params.items():
        if param.dist.kind == "fixed":
            values[name] = np.full(reps, param.dist.arg("value"))
            continue
        if cube is not None:
            u = cube[name]
        else:
            u = np.empty(reps)
            for block, part in blocks:
                u[part] = stream(seed, block, f"param:{name}").random(part.stop - part.start)
        values[name] = clip_to_domain(param.dist.quantile(u), param.domain)
    if scenario.posterior is not None:
        values |= posterior_values(scenario.posterior, seed=seed, first_rep=first_rep, reps=reps)
    return values


def expected_params(scenario: Scenario) -> dict[str, np.ndarray]:
    """Each parameter at its mean (clipped into its domain; calibrated parameters at their
    posterior mean), shape (1,) each."""
    values = {
        name: clip_to_domain(np.array([param.dist.mean()]), param.domain)
        for name, param in scenario.params().items()
    }
    if scenario.posterior is not None:
        values |= posterior_means(scenario.posterior)
    return values


#: Parameters the engine rounds to whole months (:func:`sim.engine.inputs.build_inputs`).
WHOLE_MONTHS = ("refurbishment.lead_time_months", ".delivery_lag_months")


def expected_values(scenario: Scenario) -> dict[str, float | int]:
    """The value of every parameter in a ``--deterministic`` run (one path at the means),
    as plain numbers: each distribution's mean clipped into its domain, the calibrated
    parameters at the posterior's column means, and lead times and delivery lags rounded to
    the whole months (int) the engine uses. Keys are parameter names, in the scenario's
    order."""
    out: dict[str, float | int] = {}
    for name, value in expected_params(scenario).items():
        number = float(value[0])
        whole = name == WHOLE_MONTHS[0] or name.endswith(WHOLE_MONTHS[1])
        out[name] = int(np.rint(number)) if whole else number
    return out


def posterior_rows(seed: int, first_rep: int, reps: int, n_rows: int) -> np.ndarray:
    """Row index (reps,) of each replication: uniform over ``n_rows``, keyed per block."""
    u = np.empty(reps)
    for block, part in block_slices(first_rep, reps):
        u[part] = stream(seed, block, ROW_STREAM).random(part.stop - part.start)
    return np.minimum((u * n_rows).astype(np.int64), n_rows - 1)


def posterior_values(
    posterior: Posterior, *, seed: int, first_rep: int, reps: int
) -> dict[str, np.ndarray]:
    """Calibrated values (reps,) per applied column, one posterior row per replication."""
    rows = posterior_rows(seed, first_rep, reps, len(posterior.values))
    return {name: posterior.values[rows, d] for d, name in enumerate(posterior.names)}
