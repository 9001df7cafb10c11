"""Ensembles of given parameter sets: the same numbers as a run, whatever the chunking."""

from __future__ import annotations

import numpy as np
import pytest
from factories import make_scenario

from sim.engine.metrics import VARIABLES
from sim.model.calendar import parse_month
from sim.runs.ensemble import Probe, run_ensemble
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

SCENARIO = make_scenario(
    end="2023-06", cv=0.3, losses={"dist": "pert", "low": 5, "mode": 10, "high": 20}
)


def test_ensemble_of_prior_draws_reproduces_the_runs_metrics_and_trajectories():
    reps, seed = 2500, 7
    values = draw_params(SCENARIO, seed=seed, first_rep=0, reps=reps)
    month = parse_month("2023-06")
    probes = (Probe("active", month), Probe("lost_confirmed", month))
    ensemble = run_ensemble(SCENARIO, values, seed=seed, chunk=1024, probes=probes)
    run = run_scenario(SCENARIO, reps=reps, seed=seed, chunk=2048)
    for name, per_rep in run.metrics.items():
        np.testing.assert_array_equal(ensemble.metrics[name], per_rep, err_msg=name)
    for p, variable in enumerate(("active", "lost_confirmed")):
        median = np.quantile(ensemble.probes[:, p], 0.5, method="inverted_cdf")
        assert median == run.stats[-1, VARIABLES.index(variable), -1, 3]


def test_ensemble_results_do_not_depend_on_chunk_size():
    values = draw_params(SCENARIO, seed=3, first_rep=0, reps=3000)
    probe = (Probe("storage", parse_month("2022-12"), family="A"),)
    a = run_ensemble(SCENARIO, values, seed=3, probes=probe, chunk=1024)
    b = run_ensemble(SCENARIO, values, seed=3, probes=probe, chunk=4096)
    np.testing.assert_array_equal(a.probes, b.probes)


def test_lost_confirmed_is_true_losses_times_detection_share():
    scenario = make_scenario(detection=0.5, losses=40, capacity=0, end="2022-12")
    values = draw_params(scenario, seed=1, first_rep=0, reps=1024)
    months = [parse_month("2022-06"), parse_month("2022-12")]
    probes = tuple(Probe(v, m) for m in months for v in ("lost", "lost_confirmed"))
    out = run_ensemble(scenario, values, seed=1, probes=probes).probes
    np.testing.assert_array_equal(out[:, 1], np.rint(out[:, 0] * 0.5))
    np.testing.assert_array_equal(out[:, 3], np.rint(out[:, 2] * 0.5))


def test_probe_outside_the_horizon_is_refused():
    values = draw_params(SCENARIO, seed=1, first_rep=0, reps=10)
    with pytest.raises(ValueError, match="horizon"):
        run_ensemble(SCENARIO, values, seed=1, probes=(Probe("active", parse_month("2031-01")),))
