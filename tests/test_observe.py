"""The measurement model of calibration: figures read at their date, the loss record by family
group through detection and unknown shares, sources' coverage parameters, record targets, and
what the fit report says about series and sources."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from factories import make_scenario

from sim.analysis.calibrate import calibrate
from sim.analysis.observe import band_coverage, rejected_by_source
from sim.analysis.record_targets import Discrepancy, chosen_snapshots, record_targets
from sim.analysis.targets import Target, TargetsError, check_parameters, load_targets
from sim.model.calendar import month_fraction, parse_date, parse_month
from sim.model.distributions import Dist, Param
from sim.model.errors import ScenarioError
from sim.model.facts import load_facts

SEP = parse_month("2022-09")
DETECTION, UNKNOWN = "losses.detection_share", "losses.unknown_share"


def lost(month: int, **extra) -> Target:
    fields = dict(id="x", fact="synthetic", variables=("lost",), family="all", month=month,
                  observed=1.0, low=0.0, high=2.0, uncertainty="synthetic")  # fmt: skip
    return Target(**(fields | extra))


def test_a_figure_dated_on_the_3rd_of_september_reads_a_tenth_of_the_month_past_august():
    target = lost(SEP, day=3)  # 3 / 30 days
    probes = target.probes()
    assert [(p.variable, p.month) for p in probes] == [("lost", SEP), ("lost", SEP - 1)]
    values = np.array([[1300.0, 1000.0]])  # end of September, end of August
    assert target.model_value(values)[0] == pytest.approx(1000 + 0.1 * 300)
    assert month_fraction(parse_month("2024-02"), 29) == 1.0  # leap year: the month's end
    assert lost(SEP).model_value(np.array([[1300.0]]))[0] == 1300.0  # no date: month end


def test_a_change_since_a_dated_snapshot_interpolates_both_ends():
    target = lost(SEP, day=15, since=SEP - 1, since_day=31)  # Aug 31 is August's end
    values = np.array([[1300.0, 1000.0, 1000.0]])  # Sep end, Aug end; Aug end (minus)
    assert len(target.probes()) == 3
    assert target.model_value(values)[0] == pytest.approx(0.5 * 300)


def test_a_reading_in_the_first_month_takes_that_months_end_for_the_month_before():
    probes = lost(parse_month("2022-02"), day=24).probes(start=parse_month("2022-02"))
    assert {p.month for p in probes} == {parse_month("2022-02")}


def test_confirmed_by_group_is_detection_times_one_minus_unknown_times_true_losses():
    dates = np.array(["2022-03-31", "2022-06-30"], dtype="datetime64[D]")
    counts = np.array([[10, 20, 10, 5], [20, 50, 20, 9]])  # T-72, T-90, T-90M, unknown
    targets = record_targets(dates, ("T-72", "T-90", "T-90M", "unknown"), counts,
                             ("T-72", "T-90", "T-90M"), fact="synthetic")  # fmt: skip
    by_id = {t.id: t for t in targets}
    params = {DETECTION: np.array([0.8, 0.5]), UNKNOWN: np.array([0.1, 0.2])}
    true_t90, true_t90m, true_all = 40.0, 10.0, 200.0
    t90 = by_id["record:T-90:level:2022-06-30"]
    assert (t90.family, t90.families, t90.observed) == ("T-90", ("T-90M",), 70)
    values = np.array([[true_t90, true_t90m]] * 2)
    expected = params[DETECTION] * (1 - params[UNKNOWN]) * (true_t90 + true_t90m)
    np.testing.assert_allclose(t90.model_value(values, params), expected)
    unknown = by_id["record:unknown:level:2022-06-30"]
    np.testing.assert_allclose(unknown.model_value(np.full((2, 1), true_all), params),
                               params[DETECTION] * params[UNKNOWN] * true_all)  # fmt: skip
    total = by_id["record:total:level:2022-06-30"]
    np.testing.assert_allclose(total.model_value(np.full((2, 1), true_all), params),
                               params[DETECTION] * true_all)  # fmt: skip
    with pytest.raises(KeyError, match="needs the parameters"):
        t90.model_value(values)


def test_record_targets_take_the_snapshot_nearest_each_quarter_end_and_the_latest_level():
    dates = np.array(["2022-03-05", "2022-04-02", "2022-06-20", "2022-07-10", "2022-09-29",
                      "2022-11-20"], dtype="datetime64[D]")  # fmt: skip
    assert list(chosen_snapshots(dates)) == [1, 2, 4, 5]  # Mar 31 -> Apr 2, Jun 30 -> Jun 20
    t62 = np.array([0, 10, 25, 30, 40, 52])
    targets = record_targets(dates, ("T-62",), t62[:, None], ("T-62",), fact="synthetic",
                             discrepancy=Discrepancy(0.3, 0.15, 2.0, 5.0))  # fmt: skip
    ids = [t.id for t in targets if t.series == "T-62"]
    assert ids == ["record:T-62:period:2022-04-02", "record:T-62:period:2022-04-02..2022-06-20",
                   "record:T-62:period:2022-06-20..2022-09-29",
                   "record:T-62:period:2022-09-29..2022-11-20", "record:T-62:level:2022-11-20"]
    observed = [t.observed for t in targets if t.series == "T-62"]
    assert observed == [10, 15, 15, 12, 52]
    second = targets[1]
    assert (second.month, second.day) == parse_date("2022-06-20")
    assert (second.since, second.since_day) == parse_date("2022-04-02")
    width = 0.3 * 15 + 2.0 * np.sqrt(15) + 5.0  # a period's half-width
    assert (second.low, second.high) == pytest.approx((15 - width, 15 + width))
    level = targets[4]
    assert level.high - level.observed == pytest.approx(0.15 * 52 + 2.0 * np.sqrt(52) + 5.0)
    assert {t.series for t in targets} == {"T-62", "total"}  # the model lacks no family here


def test_groups_the_scenario_lacks_are_left_out():
    dates = np.array(["2022-03-31"], dtype="datetime64[D]")
    targets = record_targets(dates, ("T-64", "T-72", "unknown"), np.array([[3, 4, 5]]),
                             ("T-72",), fact="synthetic")  # fmt: skip
    assert {t.series for t in targets} == {"T-72", "unknown", "total"}


def test_a_coverage_parameter_multiplies_the_model_counterpart(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(
        '[[target]]\nid = "bases"\nfact = "storage-total-osint-2024-12"\nvariable = "storage"\n'
        'month = "2024-12"\ndate = "2024-12-16"\ncoverage = "osint_bases"\nobserved = 3500\n'
        'low = 3000\nhigh = 4000\nuncertainty = "test"\ncounts = "open-air bases only"\n'
    )
    (target,) = load_targets(path, set(load_facts()))
    assert target.scale == ("observation.coverage.osint_bases",) and target.day == 16
    values = np.array([[5000.0, 5000.0], [4000.0, 4000.0]])  # storage flat over December
    coverage = {"observation.coverage.osint_bases": np.array([0.7, 0.5])}
    np.testing.assert_allclose(target.model_value(values, coverage), [3500.0, 2000.0])
    with pytest.raises(TargetsError, match="needs the parameter observation.coverage.osint_bases"):
        check_parameters([target], {}, "scenario.toml")


@pytest.mark.parametrize("date, message", [
    ("2024-13-01", "must be a date as YYYY-MM-DD"),
    ("2024-11-30", "must fall in month 2024-12"),
])  # fmt: skip
def test_a_bad_date_is_one_line_naming_file_key_and_value(tmp_path, date, message):
    path = tmp_path / "targets.toml"
    path.write_text(
        f'[[target]]\nid = "a"\nfact = "f"\nvariable = "storage"\nmonth = "2024-12"\n'
        f'date = "{date}"\nobserved = 1\nlow = 0\nhigh = 2\nuncertainty = "u"\n'
    )
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    assert str(err.value) == f"{path}: target[0].date = '{date}': {message}"


def test_the_bundled_targets_name_coverage_parameters_the_prior_declares():
    from sim.api.calibration import targets
    from sim.api.runs import load_scenario

    prior = load_scenario("scenarios/prior.toml")
    chosen = targets()
    check_parameters(chosen, prior.params(), "scenarios/prior.toml")  # raises if not
    assert not any(t.id.startswith("oryx-confirmed-") for t in chosen)  # the record does it
    assert {"losses.unknown_share", "observation.coverage.highmarsed_removals"} <= set(
        prior.params())


def test_observation_parameters_are_checked_where_they_are_declared():
    family = {"active": 10, "vulnerability": 1.0, "quality_weight": 1.0, "refurb_effort": 1.0}
    scenario = make_scenario(families={"A": family})
    share = Param(Dist("uniform", (("low", 0.05), ("high", 0.2))), "share")
    with pytest.raises(ScenarioError, match="observation.coverage.x"):
        replace(scenario, observation=(("coverage.x", share),))
    ok = replace(scenario, unknown_share=share, observation=(
        ("coverage.x", Param(Dist("fixed", (("value", 0.7),)), "positive")),))
    assert {"losses.unknown_share", "observation.coverage.x"} <= set(ok.params())


def test_coverage_by_series_and_rejected_sources_count_observations_outside_the_bands():
    observed = [lost(SEP, id=f"a{k}", series="T-62", observed=v) for k, v in enumerate((5, 50))]
    observed.append(lost(SEP, id="b", series="", observed=5))
    predictive = np.tile(np.arange(101.0)[:, None], (1, 3))  # 0..100 in every column
    (row,) = band_coverage(observed, predictive)
    assert (row["series"], row["observations"], row["inside_50"], row["inside_90"]) == (
        "T-62", 2, 1, 2)
    fit = [{"target": "a0", "inside_90": True}, {"target": "a1", "inside_90": False},
           {"target": "b", "inside_90": True}]
    rejected = rejected_by_source(fit, ["Oryx", "Oryx", "IISS"])
    assert rejected[0] == {"source": "Oryx", "observations": 2, "outside_90": ["a1"]}
    assert rejected[1]["outside_90"] == []


def test_abc_smc_keeps_the_smallest_tolerance_reached_when_no_set_fits_every_target():
    family = {"active": 100, "storage": 400, "vulnerability": 1.0, "quality_weight": 1.0,
              "refurb_effort": 1.0}
    scenario = make_scenario(families={"A": family},
                             capacity={"dist": "uniform", "low": 2, "high": 30}, losses=10.0,
                             end="2022-12", production_per_year=0.0)  # fmt: skip
    impossible = [replace(lost(parse_month("2022-12"), variables=("active",)), observed=1e5,
                          low=0.99e5, high=1.01e5)]  # fmt: skip
    cal = calibrate(scenario, impossible, draws=200, particles=20, generations=2, seed=3)
    assert cal.tolerance > 1 and cal.tolerance == cal.generations[0].epsilon
    assert cal.evidence == 0.0  # nothing fits at tolerance 1
    assert cal.evidence_at(cal.tolerance)[0] > 0


def test_calibrate_with_a_bad_record_file_is_one_line_naming_it_and_writes_nothing(
    tmp_path, capsys
):
    from pathlib import Path

    from factories import run_cli

    bad = tmp_path / "oryx.csv"
    bad.write_text("not,a,record\n1,2,3\n")
    out = tmp_path / "cal"
    prior = Path(__file__).resolve().parents[1] / "scenarios" / "prior.toml"
    code, _, err = run_cli(capsys, "calibrate", prior, "--record", bad, "--draws", "100",
                           "--particles", "10", "--out", out)  # fmt: skip
    assert code == 2, err
    assert err.strip().count("\n") == 0 and str(bad.parent) in err, err
    assert not out.exists()
