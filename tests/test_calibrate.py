"""Calibration: targets, ABC-SMC, posterior files, and the shipped calibrated baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import tanksim
from factories import make_scenario

from sim.analysis.calibrate import CalibrationError, calibrate
from sim.analysis.calibration_fit import fit_rows, posterior_predictive
from sim.analysis.targets import Target, TargetsError, load_targets
from sim.model.calendar import parse_month
from sim.model.facts import load_facts
from sim.model.loader import ScenarioError, load_scenario
from sim.model.posterior import write_posterior
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

REPO = Path(__file__).resolve().parents[1]
TRUTH = {"storage": 400.0, "capacity": 12.0}
FAMILY = {"active": 100, "vulnerability": 1.0, "quality_weight": 1.0, "refurb_effort": 1.0}


def synthetic(storage, capacity):
    return make_scenario(families={"A": FAMILY | {"storage": storage}}, capacity=capacity,
                         losses=10.0, end="2023-06", production_per_year=0.0)  # fmt: skip


def pseudo_observations() -> list[Target]:
    """Targets from the true model's medians, with +-10% intervals."""
    truth = run_scenario(synthetic(TRUTH["storage"], TRUTH["capacity"]), reps=2000, seed=99)
    start = parse_month("2022-02")
    targets = []
    points = (("storage", 1, "2022-08"), ("storage", 1, "2023-06"), ("refurbished", 8, "2023-06"),
              ("active", 0, "2023-06"))  # fmt: skip
    for variable, v, month in points:
        median = float(truth.stats[parse_month(month) - start, v, -1, 3])
        targets.append(Target(
            id=f"{variable}-{month}", fact="synthetic", variables=(variable,), family="all",
            month=parse_month(month), observed=median, low=0.9 * median, high=1.1 * median,
            uncertainty="+-10%"))  # fmt: skip
    return targets


PRIOR = synthetic({"dist": "uniform", "low": 100, "high": 800},
                  {"dist": "uniform", "low": 2, "high": 30})  # fmt: skip


def small_calibration(seed=5):
    return calibrate(PRIOR, pseudo_observations(), draws=3000, particles=300, seed=seed)


def test_calibration_recovers_known_parameters_within_the_posterior_90_percent_interval():
    cal = small_calibration()
    assert cal.converged
    rows = cal.resample(1000)
    for name, key in (("families.A.storage", "storage"),
                      ("refurbishment.capacity_per_month.2022-02", "capacity")):  # fmt: skip
        column = rows[:, cal.names.index(name)]
        low, high = np.quantile(column, [0.05, 0.95])
        assert low <= TRUTH[key] <= high, (name, low, high)
        prior_width = {"storage": 700, "capacity": 28}[key] * 0.9
        assert high - low < 0.5 * prior_width, f"{name}: the record should narrow it"


def test_same_seed_gives_the_same_posterior_and_another_seed_a_different_one():
    a, b, c = small_calibration(5), small_calibration(5), small_calibration(6)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.resample(), c.resample())


def test_every_accepted_set_lies_inside_every_target_interval():
    cal = small_calibration()
    targets = pseudo_observations()
    for k, target in enumerate(targets):
        assert (cal.model[:, k] >= target.low).all() and (cal.model[:, k] <= target.high).all()


def test_shipped_baseline_puts_the_published_figures_its_calibration_fitted_in_its_90_band():
    # Checked against the published figures the shipped posterior was calibrated on
    # (posterior json's `targets`, less the record's summaries, which the record coverage
    # table reports): every one of them is still in seeds/targets.toml, and those outside
    # the 90% band now are among those the calibration itself recorded as outside
    # (`targets_outside_90`), whichever they are for the posterior shipped.
    meta = json.loads((REPO / "scenarios" / "posterior" / "baseline.json").read_text())
    calibrated_on = {t for t in meta["targets"] if not t.startswith("record:")}
    known_outside = set(meta["targets_outside_90"])
    targets = [t for t in load_targets(fact_ids=set(load_facts())) if t.id in calibrated_on]
    assert len(targets) == len(calibrated_on), "every published figure is still there"
    last = max(t.month for t in targets)
    baseline = load_scenario(
        REPO / "scenarios" / "baseline.toml", end=f"{last // 12}-{last % 12 + 1:02d}"
    )
    assert baseline.posterior is not None and len(baseline.posterior.names) > 20
    fit = fit_rows(targets, posterior_predictive(baseline, targets, reps=3000, seed=11))
    outside = [(r["target"], r["observed"], r["p05"], r["p95"]) for r in fit if not r["inside_90"]]
    assert {name for name, *_ in outside} <= known_outside, outside


def test_posterior_columns_apply_only_while_the_scenario_keeps_the_calibrated_prior(tmp_path):
    names = ("families.A.storage", "refurbishment.capacity_per_month.2022-02")
    rows = np.array([[300.0, 5.0], [700.0, 25.0]])
    priors = {n: PRIOR.params()[n].describe() for n in names}
    write_posterior(tmp_path / "post.csv", names, rows, {"priors": priors})
    base = load_scenario(_write_scenario(tmp_path, "base", 'posterior = "post.csv"'))
    assert base.posterior.names == names
    values = draw_params(base, seed=1, first_rep=0, reps=2048)
    pairs = set(zip(values[names[0]], values[names[1]]))
    assert pairs == {(300.0, 5.0), (700.0, 25.0)}, "sets are drawn jointly, whole rows"
    child = load_scenario(_write_scenario(tmp_path, "child", 'extends = "base.toml"\n'
                                          '[families.A]\nstorage = 555'))  # fmt: skip
    assert child.posterior.overridden == (names[0],)
    child_values = draw_params(child, seed=1, first_rep=0, reps=2048)
    assert (child_values[names[0]] == 555).all()
    np.testing.assert_array_equal(child_values[names[1]], values[names[1]])  # same rows: CRN


def test_missing_posterior_file_is_a_one_line_scenario_error(tmp_path):
    path = _write_scenario(tmp_path, "base", 'posterior = "nowhere.csv"')
    with pytest.raises(ScenarioError, match=r"posterior = \"nowhere.csv\": cannot read"):
        load_scenario(path)


def test_targets_file_with_an_unknown_variable_names_file_key_and_value(tmp_path):
    bad = tmp_path / "targets.toml"
    bad.write_text('[[target]]\nid = "x"\nfact = "f"\nvariable = "tanks"\nmonth = "2023-01"\n'
                   'observed = 5\nlow = 4\nhigh = 6\nuncertainty = "u"\n')  # fmt: skip
    with pytest.raises(TargetsError, match=r"targets.toml: target\[0\].variable = 'tanks'"):
        load_targets(bad)


def test_calibrate_command_writes_its_folder_and_refuses_to_overwrite(tmp_path):
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[[target]]\nid = "confirmed"\nfact = "oryx-tank-losses-2022-09"\n'
        'variable = "lost_confirmed"\nmonth = "2022-09"\nobserved = 1002\nlow = 800\n'
        'high = 1250\nuncertainty = "wide, for a quick test"\n'
    )
    out = tmp_path / "cal"
    args = ["calibrate", REPO / "scenarios" / "prior.toml", "--targets", targets, "--no-record",
            "--draws", "1024", "--particles", "100", "--check-reps", "500",
            "--out", out]  # fmt: skip
    done = tanksim(*args, cwd=tmp_path)  # in this process: tests/cli_helpers.py
    assert done.returncode == 0, done.stderr
    assert "every observed value inside the calibrated 90% band" in done.stdout
    expected = {
        "posterior.csv",
        "posterior.json",
        "calibrated.toml",
        "fit.csv",
        "fit.png",
        "prior_posterior.csv",
        "prior_posterior.png",
        "generations.csv",
        "manifest.json",
        "sources.csv",  # with the record (not here), coverage.csv and record-fit.png too
        "evidence.json",  # prior.toml names the production hypotheses
    }
    assert {p.name for p in out.iterdir()} == expected
    calibrated = load_scenario(out / "calibrated.toml")
    assert calibrated.posterior is not None and calibrated.end == parse_month("2030-12")
    evidence = json.loads((out / "evidence.json").read_text())
    weights = [h["weight"] for h in evidence["hypotheses"]]
    assert len(weights) == 4 and sum(weights) == pytest.approx(1.0)  # 2 production x 2 storage
    meta = json.loads((out / "posterior.json").read_text())
    spans = meta["hypothesis_rows"]
    assert sum(stop - first for first, stop in spans.values()) == len(calibrated.posterior.values)
    assert meta["hypothesis_selections"]["production=new-builds-60-300+storage=satellite-count"] \
        == {"production": "new-builds-60-300", "storage": "satellite-count"}
    differ = meta["hypothesis_priors"]["production=new-builds-60-300+storage=satellite-count"]
    assert set(differ) == {"production.tanks_per_year.2022-02", "families.T-72.storage",
                           "refurbishment.failure.poor"}  # fmt: skip
    again = tanksim(*args, cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr


def _write_scenario(folder: Path, name: str, extra: str) -> Path:
    import tomllib  # noqa: F401  (the file below must parse as TOML)

    from factories import scenario_dict

    path = folder / f"{name}.toml"
    if "extends" in extra:
        path.write_text(extra + "\n")
        return path
    raw = scenario_dict(families={"A": FAMILY | {"storage": {"dist": "uniform", "low": 100,
                                                             "high": 800}}},
                        capacity={"dist": "uniform", "low": 2, "high": 30}, losses=10.0,
                        end="2023-06", production_per_year=0.0)  # fmt: skip
    path.write_text(extra + "\n" + _to_toml(raw))
    return path


def _to_toml(data: dict, prefix: str = "") -> str:
    """A minimal TOML writer for the factories' plain tables."""
    scalars, tables = [], []
    for key, value in data.items():
        quoted = f'"{key}"' if not key.replace("_", "").isalnum() else key
        if isinstance(value, dict) and not ({"dist", "value"} & value.keys()):
            tables.append(_to_toml(value, f"{prefix}{quoted}."))
        else:
            scalars.append(f"{quoted} = {_value(value)}")
    head = f"[{prefix[:-1]}]\n" if prefix and scalars else ""
    return head + "\n".join(scalars) + ("\n" if scalars else "") + "".join(tables)


def _value(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def test_targets_nothing_can_meet_give_a_clear_calibration_error():
    impossible = [Target(id="x", fact="synthetic", variables=("active",), family="all",
                         month=parse_month("2023-06"), observed=1e6, low=9e5, high=1.1e6,
                         uncertainty="impossible")]  # fmt: skip
    with pytest.raises(CalibrationError, match="no parameter set fits every target"):
        calibrate(PRIOR, impossible, draws=1024, particles=10, generations=1, seed=1)


def test_a_small_calibration_says_how_few_distinct_sets_it_holds_and_survives_a_move(
    capsys, tmp_path, monkeypatch
):
    """--particles 20: posterior.json, fit.png's title and the output give rows, distinct
    sets and effective sample size; 'converged' agrees with the fit; calibrated.toml still
    loads (and validates) after its folder moves away from the scenario it came from."""
    import json
    import shutil

    from factories import run_cli

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "cal"
    # 1,000 draws: with the six family weights of prior.toml, 500 found no set fitting
    # every target under any hypothesis (1,000: 14 sets under two of the four)
    code, stdout, err = run_cli(capsys, "calibrate", REPO / "scenarios" / "prior.toml",
                                "--no-record", "--draws", "1000", "--particles", "20",
                                "--generations", "2",
                                "--check-reps", "500", "--out", out)  # fmt: skip
    assert code == 0, err
    meta = json.loads((out / "posterior.json").read_text())
    rows = np.loadtxt(out / "posterior.csv", delimiter=",", skiprows=1)
    # the last generation keeps the sets within its tolerance from as few batches of 500 as
    # collect 20 (so at most one batch each when one batch suffices): here no set fits every
    # target (the Highmarsed removals reject the listed order), so it keeps those within the
    # smallest tolerance reached, and says so
    kept = meta["particles_kept"]
    hypotheses = json.loads((out / "evidence.json").read_text())["hypotheses"]
    assert meta["rows"] == len(rows) and 1 <= kept <= 500 * len(hypotheses)
    assert meta["final_tolerance"] >= 1.0 and (meta["final_tolerance"] > 1) == (
        "no set fits every target" in stdout)
    assert kept == sum(h["particles"] for h in hypotheses)
    assert meta["distinct_sets"] == len(np.unique(rows, axis=0)) <= kept
    assert 1 <= meta["effective_sample_size"] <= kept
    assert meta["particles_collected"] == all(h["particles"] >= 20 for h in hypotheses)
    assert f"from {kept} particles ({meta['distinct_sets']} distinct sets" in stdout
    for h in hypotheses:  # the verdict names each hypothesis that fell short
        short = f"only {h['particles']} of 20 particles fit every target under {h['hypothesis']}"
        assert (short in stdout) == (h["particles"] < 20), stdout
    outside = meta["targets_outside_90"]
    assert meta["converged"] == (meta["particles_collected"] and not outside
                                 and meta["final_tolerance"] == 1)
    verdict = stdout.strip().splitlines()[-1]
    assert verdict.startswith("converged: yes" if meta["converged"] else "converged: no")
    if outside:
        assert f"OUTSIDE the 90% band: {', '.join(outside)}" in verdict
    moved = tmp_path / "elsewhere" / "deeper" / "cal"
    moved.parent.mkdir(parents=True)
    shutil.move(out, moved)
    monkeypatch.chdir(moved.parent)
    code, text, err = run_cli(capsys, "validate", moved / "calibrated.toml")
    assert code == 0, err
    assert f"{meta['distinct_sets']:,} distinct sets" in text
    scenario = load_scenario(moved / "calibrated.toml")
    prior = load_scenario(REPO / "scenarios" / "prior.toml")
    assert scenario.posterior is not None and len(scenario.posterior.values) == meta["rows"]
    assert scenario.params().keys() == prior.params().keys() and scenario.end == prior.end
    assert all(scenario.params()[k].describe() == p.describe()
               for k, p in prior.params().items())  # fmt: skip


def test_calibrated_toml_inlines_the_merged_scenario_without_extends(tmp_path):
    import tomllib

    from sim.io.calibration_outputs import calibrated_toml

    text = calibrated_toml(REPO / "scenarios" / "nk-all.toml", 'a "quoted" description')
    data = tomllib.loads(text)
    assert "extends" not in data and data["posterior"] == "posterior.csv"
    assert data["description"] == 'a "quoted" description'
    merged = load_scenario(REPO / "scenarios" / "nk-all.toml")
    (tmp_path / "s.toml").write_text(text.replace('posterior = "posterior.csv"\n', ""))
    inlined = load_scenario(tmp_path / "s.toml", fact_ids=set(load_facts()))
    assert {k: p.describe() for k, p in inlined.params().items()} == {
        k: p.describe() for k, p in merged.params().items()
    }


def _run_with(fit_inside: list[bool], collected: int, asked: int):
    from sim.analysis.calibrate import Calibration, Generation
    from sim.api.calibration import CalibrationRun

    weights = np.full(collected, 1 / collected)
    cal = Calibration(names=("a",), values=np.arange(collected, dtype=float)[:, None],
                      u=np.zeros((collected, 1)), weights=weights, model=np.zeros((collected, 1)),
                      generations=(Generation(1.0, 1000, collected, collected, collected),),
                      converged=collected >= asked, seed=1, draws=1000)  # fmt: skip
    fit = [{"target": f"t{k}", "observed": 1.0, "low": 0.5, "high": 2.0, "p05": 0.9,
            "p50": 1.0, "p95": 1.1, "inside_90": inside}
           for k, inside in enumerate(fit_inside)]  # fmt: skip
    rows = cal.resample(100)
    return CalibrationRun(
        source=Path("x.toml"), name="x", description="", calibration=cal, rows=rows,
        distinct=len(np.unique(rows)), fit=fit,
        converged=cal.converged and all(fit_inside), prior_posterior=[], prior_q=np.zeros((1, 3)),
        posterior_q=np.zeros((1, 3)), panels=[], caption="", meta={"particles": asked},
    )  # fmt: skip


@pytest.mark.parametrize("inside, collected, verdict", [
    ([True, True], 20, "converged: yes; every observed value inside the calibrated 90% band "
                       "(2 targets)"),
    ([True, False], 20, "converged: no (OUTSIDE the 90% band: t1)"),
    ([True, True], 15, "converged: no (only 15 of 20 particles fit every target)"),
])  # fmt: skip
def test_the_verdict_agrees_with_the_fit_and_the_particles(inside, collected, verdict):
    from sim.present.explore_text import fit_text

    text = fit_text(_run_with(inside, collected, asked=20))
    assert text.splitlines()[-1] == verdict
    assert f"100 rows resampled from {collected} particles ({collected} distinct sets" in text


class _Bar:
    """click's progress bar as StagedProgress uses it: length, position, label."""

    def __init__(self, length: int) -> None:
        self.length, self.pos, self.label, self.seen = length, 0, "ABC-SMC", []

    def update(self, n: int) -> None:
        self.pos += n
        self.seen.append((self.pos, self.length, self.label))


def test_the_calibration_progress_bar_counts_every_hypothesis_run_and_ends_full():
    """Before, the bar counted one hypothesis' generations: with four hypotheses it sat
    past 100% for three quarters of the job. Now each run has its share of the bar."""
    from sim.cli.progress import StagedProgress

    bar = _Bar(4 * 1000)
    progress = StagedProgress(bar, 4, 1000, "ABC-SMC")
    for used in (600, 1500, 1000, 300):  # runs ending early, overrunning, exactly, early
        progress.next_stage()
        for _ in range(used // 100):
            progress(100)
        assert bar.label.endswith(f"{progress.stage}/4")
    progress.finish()
    assert all(pos <= length for pos, length, _ in bar.seen), "never past the end"
    assert bar.pos == bar.length == 4 * 1000 + 500, "the overrun lengthens the bar; it ends full"
    assert [pos for pos, *_ in bar.seen] == sorted(pos for pos, *_ in bar.seen)


def test_the_bar_takes_the_number_of_runs_the_api_plans_before_the_first():
    from sim.cli.progress import StagedProgress

    bar = _Bar(2 * 1000)  # two cut-offs, one run each until the scenario is read
    progress = StagedProgress(bar, 2, 1000, "ABC-SMC")
    progress.plan(8)  # four hypotheses at each cut-off
    progress.next_stage()
    assert (bar.length, bar.label) == (8 * 1000, "ABC-SMC 1/8")
