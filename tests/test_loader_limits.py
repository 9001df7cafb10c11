"""The loader's limits and the types' own checks: hostile files, huge counts, shares that do
not fit together, a start other than the scenario's, and scenarios built by ``replace``.

Each bad input is one :class:`ScenarioError` line naming the file, the key and the value (the
CLI prints it as ``tanksim: error: ...`` and exits 2; one test checks that path in process).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_scenario, toy_toml

from sim.model.distributions import MAX_COUNT, Dist, Param
from sim.model.errors import ScenarioError
from sim.model.files import MAX_SCENARIO_BYTES
from sim.model.loader import load_scenario
from sim.model.params import MAX_MONTHS, Thresholds

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path: Path, *needles: str, **kwargs) -> str:
    """The one-line message of loading ``path``; each needle must be in it."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kwargs)
    line = str(info.value)
    assert "\n" not in line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


# --- files ------------------------------------------------------------------------------------


def test_binary_scenario_file_is_refused_as_not_text(tmp_path):
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    refused(path, f"{path}: (file)", "not UTF-8 text")


def test_folder_as_scenario_or_parent_is_refused(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    refused(tmp_path / "dir.toml", "(file)", "is a folder")
    child = write(tmp_path, 'extends = "dir.toml"\n')
    refused(child, f"{child}: extends", "is a folder")


def test_dev_zero_as_parent_is_refused_at_once_not_read(tmp_path):
    child = write(tmp_path, 'extends = "/dev/zero"\n')
    refused(child, f'{child}: extends = "/dev/zero"', "not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_as_parent_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.toml")
    child = write(tmp_path, 'extends = "pipe.toml"\n')
    refused(child, "extends", "not a regular file")


def test_oversized_scenario_file_is_refused_with_the_limit(tmp_path):
    path = write(tmp_path, "# " + "x" * MAX_SCENARIO_BYTES + "\n")
    refused(path, "(file)", f"{MAX_SCENARIO_BYTES:,}-byte limit")


def test_binary_posterior_is_refused_naming_the_key(tmp_path):
    (tmp_path / "post.csv").write_bytes(b"\xff\xfe\x00binary")
    (tmp_path / "post.json").write_text('{"priors": {}}')
    path = write(tmp_path, f'extends = "{BASELINE}"\nposterior = "post.csv"\n')
    refused(path, f'{path}: posterior = "post.csv"', "not UTF-8 text")


def test_posterior_value_outside_its_domain_is_refused(tmp_path):
    header = "families.T-72.storage"
    (tmp_path / "post.csv").write_text(f"{header}\n1e300\n")
    prior = load_scenario(BASELINE).params()[header].describe()
    (tmp_path / "post.json").write_text(f'{{"priors": {{"{header}": "{prior}"}}}}')
    path = write(tmp_path, f'extends = "{BASELINE}"\nposterior = "post.csv"\n')
    refused(path, "posterior", "row 2", header, "outside the parameter's domain")


# --- counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "line", "key"),
    [
        pytest.param("families.T-72", "storage = 3000000000", "families.T-72.storage",
                     id="stock-3e9"),
        pytest.param("families.T-72", "active = 1e300", "families.T-72.active", id="stock-1e300"),
        pytest.param("families.T-72", 'storage = {dist = "pert", low = 1, mode = 2, high = 1e300}',
                     "families.T-72.storage", id="pert-high-1e300"),
        pytest.param("supply.nk-t62", "tanks_per_month = 1e300", "supply.nk-t62.tanks_per_month",
                     id="supply-rate-1e300"),
        pytest.param("production.tanks_per_year", '"2022-02" = 2e7',
                     "production.tanks_per_year.2022-02", id="production-2e7"),
    ],
)  # fmt: skip
def test_count_beyond_the_engine_limit_is_refused_with_the_bound(tmp_path, table, line, key):
    nk = REPO / "scenarios" / "nk-t62.toml"
    path = write(tmp_path, f'extends = "{nk}"\n[{table}]\n{line}\n')
    refused(path, f"{path}: {key} = ", f"at most {MAX_COUNT:,}", "int32")


def test_counts_within_each_bound_but_too_many_in_all_are_refused(tmp_path):
    families = "".join(
        f'[families.F{i}]\nactive = {MAX_COUNT}\nstorage = {MAX_COUNT}\nvulnerability = 1.0\n'
        f'quality_weight = 1.0\nrefurb_effort = 1.0\n'
        for i in range(60)
    )
    path = write(tmp_path, toy_toml() + families)
    refused(path, f"{path}: (all counts)", "1,000,000,000 tanks")


def test_horizon_longer_than_the_cap_is_refused(tmp_path):
    path = write(tmp_path, toy_toml(end="2200-12"))
    refused(path, "horizon", f"longer than {MAX_MONTHS} months")


# --- shares -----------------------------------------------------------------------------------


def test_good_and_fair_shares_over_one_are_refused_not_cut(tmp_path):
    text = toy_toml(good_share="0.7").replace("fair_share = 0.3", "fair_share = 0.7")
    path = write(tmp_path, text)
    refused(path, f"{path}: storage.fair_share", "good_share + fair_share must be at most 1")


def test_shares_are_checked_at_the_high_ends_of_their_ranges(tmp_path):
    good = '{dist = "uniform", low = 0.1, high = 0.75}'  # mean 0.425 + 0.3 fits; 0.75 + 0.3 not
    path = write(tmp_path, toy_toml(good_share=good))
    refused(path, "storage.fair_share", "high ends")


# --- the horizon ------------------------------------------------------------------------------


def test_start_other_than_the_scenarios_own_is_refused(tmp_path):
    for start in ("2024-01", "2019-01"):
        # the library names the Python argument; tanksim names the option (--start, --end)
        line = refused(BASELINE, f'(command line): start = "{start}"', "describe 2022-02",
                       start=start)  # fmt: skip
        assert "(end sets the horizon's end)" in line


def test_start_equal_to_the_scenarios_own_is_accepted():
    assert load_scenario(BASELINE, start="2022-02").start == load_scenario(BASELINE).start


def test_end_before_the_start_is_refused():
    refused(BASELINE, "(command line): end = ", "2022-02..2021-12",
            "start must not be after end", end="2021-12")  # fmt: skip


def test_cli_start_other_than_the_scenarios_is_one_line_and_exit_2(tmp_path, capsys):
    from sim.cli import main

    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["run", str(BASELINE), "--start", "2024-01", "--out", str(out)])
    assert info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tanksim: error: (command line): --start")
    assert not out.exists()


# --- the types check themselves ---------------------------------------------------------------


def test_replace_with_an_end_before_the_start_is_refused():
    scenario = make_scenario()
    with pytest.raises(ScenarioError, match=r"horizon = .*start must not be after end"):
        dataclasses.replace(scenario, end=scenario.start - 1)


def test_replace_with_shares_over_one_is_refused():
    scenario = make_scenario()
    big = Param(Dist("fixed", (("value", 0.9),)), "share")
    with pytest.raises(ScenarioError, match="storage.fair_share"):
        dataclasses.replace(scenario, good_share=big)


def test_replace_with_a_parameter_of_the_wrong_domain_is_refused():
    scenario = make_scenario()
    count = Param(Dist("fixed", (("value", 5.0),)), "count")
    with pytest.raises(ScenarioError, match="storage.good_to_fair .*must be a share parameter"):
        dataclasses.replace(scenario, good_to_fair=count)


def test_replace_with_a_supply_of_an_unknown_family_is_refused():
    scenario = make_scenario(supply={"x": {
        "family": "A", "start": "2022-03", "tanks_per_month": 1, "total_cap": 5,
        "delivery_lag_months": 0}})  # fmt: skip
    moved = dataclasses.replace(scenario.supplies[0], family="Z")
    with pytest.raises(ScenarioError, match=r"supply.x.family = \"Z\""):
        dataclasses.replace(scenario, supplies=(moved,))


@pytest.mark.parametrize(
    ("kind", "args", "needle"),
    [
        pytest.param("pert", (("low", 5.0), ("mode", 1.0), ("high", 3.0)), "needs low < high",
                     id="reversed-pert"),
        pytest.param("uniform", (("low", 0.0), ("high", float("nan"))), "finite", id="nan"),
        pytest.param("gamma", (("k", 1.0),), "unknown distribution", id="unknown-kind"),
        pytest.param("normal", (("mean", 1.0),), "required key is missing", id="missing-sd"),
    ],
)  # fmt: skip
def test_impossible_distribution_cannot_be_built(kind, args, needle):
    with pytest.raises(ScenarioError, match=needle):
        Dist(kind, args)


def test_count_parameter_beyond_the_bound_cannot_be_built():
    with pytest.raises(ScenarioError, match="at most 10,000,000"):
        Param(Dist("fixed", (("value", 1e300),)), "count")


def test_threshold_outside_zero_one_cannot_be_built():
    with pytest.raises(ScenarioError, match=r"metrics.exhausted_share = nan"):
        Thresholds(float("nan"), 0.5, 0.25)


# --- a light model layer ----------------------------------------------------------------------


def test_reading_and_checking_a_scenario_imports_no_scipy_stats_or_matplotlib():
    code = (
        "import sys\n"
        "from sim.model.facts import load_facts\n"
        "from sim.model.loader import load_scenario\n"
        f"load_scenario({str(REPO / 'scenarios' / 'nk-all.toml')!r}, fact_ids=set(load_facts()))\n"
        "heavy = [m for m in ('scipy.stats', 'matplotlib', 'dask', 'click') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_domain_checks_use_the_same_tail_quantiles_as_scipy_for_every_bundled_parameter():
    import numpy as np

    from sim.model.distributions import TAIL

    for path in sorted((REPO / "scenarios").glob("*.toml")):
        for name, param in load_scenario(path).params().items():
            if param.dist.kind == "fixed":
                continue
            ours = param.dist.tail_quantiles()
            exact = param.dist.exact_quantile(np.array([TAIL, 1 - TAIL]))
            np.testing.assert_allclose(ours, exact, rtol=1e-6, atol=1e-9, err_msg=name)
