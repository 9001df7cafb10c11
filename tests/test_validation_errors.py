"""Bad scenario inputs: one stderr line naming file, key and value; exit 2; nothing written.

Each case is a small TOML file that ``extends`` the real baseline by absolute path and
overrides one thing. The CLI runs in this process through :func:`sim.cli.main`, the
installed command's entry point, so what is checked is what a user sees: the exit code,
stderr, and whether a results folder appeared (``test_cli.py`` checks the same in a real
process).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import REPO, Outcome, assert_one_line_error, tanksim

BASELINE = REPO / "scenarios" / "baseline.toml"
PRIOR = REPO / "scenarios" / "prior.toml"  # the file holding every table of the baseline
EXTENDS = f'extends = "{BASELINE.as_posix()}"\n'


def run_bad(path: Path, out: Path, *extra: str) -> Outcome:
    return tanksim("run", str(path), "--reps", "8", "--out", str(out), *extra)


# Each case: (id, TOML body after the `extends` line, substrings the error line must hold).
# The file name is checked separately (it is always the override file here).
SCHEDULE = "[losses.hazard_per_month]\n"
SUPPLY = """
[supply.test]
family = "T-62"
start = "{start}"
tanks_per_month = 10
total_cap = 100
delivery_lag_months = 1
"""
NEW_FAMILY = '[families."T-90M"]\nstorage = {dist}\n'

CASES = [
    # --- unknown keys, with a nearest-name suggestion
    pytest.param(
        "[losses]\ndetection_shar = 0.8\n",
        ["losses.detection_shar", "= 0.8", "did you mean 'detection_share'"],
        id="unknown-key-suggests-nearest",
    ),
    pytest.param(
        "[lossess]\ndetection_share = 0.8\n",
        ["lossess", "{detection_share = 0.8}", "unknown key", "did you mean 'losses'"],
        id="unknown-top-level-table",
    ),
    pytest.param(
        '[families."T-72"]\nvulnerabilty = 1.0\n',
        ["families.T-72.vulnerabilty", "= 1.0", "did you mean 'vulnerability'"],
        id="unknown-key-in-family",
    ),
    # --- wrong types
    pytest.param(
        '[families."T-72"]\nactive = "lots"\n',
        ["families.T-72.active", '= "lots"', "must be a number"],
        id="string-for-number",
    ),
    pytest.param(
        "[storage]\ngood_share = true\n",
        ["storage.good_share", "= true", "must be a number"],
        id="bool-for-number",
    ),
    pytest.param(
        "[metrics]\nexhausted_share = false\n",
        ["metrics.exhausted_share", "= false", "must be a number"],
        id="bool-for-metric-share",
    ),
    # --- negative counts and rates
    pytest.param(
        '[families."T-62"]\nstorage = -5\n',
        ["families.T-62.storage", "= -5", "must be >= 0"],
        id="negative-count",
    ),
    pytest.param(
        SCHEDULE + '"2023-03" = -1\n',
        ["losses.hazard_per_month.2023-03", "= -1", "must be in [0, 1]"],
        id="negative-rate-in-schedule",
    ),
    # --- shares and positive parameters out of range
    pytest.param(
        "[storage]\ngood_share = 1.5\n",
        ["storage.good_share", "= 1.5", "must be in [0, 1]"],
        id="share-above-one",
    ),
    pytest.param(
        "[losses]\ndetection_share = 0\n",
        ["losses.detection_share", "= 0", "must be in (0, 1]"],
        id="detection-share-zero-not-positive",
    ),
    pytest.param(
        "[metrics]\nactive_drop_share = 1.2\n",
        ["metrics.active_drop_share", "= 1.2", "a share must be in [0, 1]"],
        id="metric-share-above-one",
    ),
    # --- dates
    pytest.param(
        SCHEDULE + '"2035-01" = 50\n',
        [
            "losses.hazard_per_month.2035-01",
            '= "2035-01"',
            "outside the horizon 2022-02..2030-12",
        ],
        id="schedule-date-after-horizon",
    ),
    pytest.param(
        SCHEDULE + '"2024-13" = 50\n',
        ["losses.hazard_per_month.2024-13", '= "2024-13"', "must be a month as YYYY-MM"],
        id="schedule-date-bad-month",
    ),
    pytest.param(
        "[losses]\nhazard_per_month = 100\n",
        ["losses.hazard_per_month", "= 100", 'must be a table of "YYYY-MM" = value entries'],
        id="schedule-not-a-table",
    ),
    # --- losses, demand, peace and order (issue 16)
    pytest.param(
        '[losses.confirmed_per_month]\n"2023-03" = 50\n',
        ["losses", 'hazard_per_month and confirmed_per_month: say model = "hazard" or "counts"'],
        id="count-schedule-and-hazard-without-a-model",
    ),
    pytest.param(
        '[losses]\nmodel = "counts"\n',
        ["losses.confirmed_per_month", "(missing)", 'required with model = "counts"'],
        id="count-model-without-counts",
    ),
    pytest.param(
        '[losses]\nmodel = "schedule"\n',
        ["losses.model", '= "schedule"', "must be one of hazard, counts"],
        id="unknown-loss-model",
    ),
    pytest.param(
        '[losses.committed_share]\n"2026-01" = 1.5\n',
        ["losses.committed_share.2026-01", "= 1.5", "must be in [0, 1]"],
        id="committed-share-above-one",
    ),
    pytest.param(
        '[demand.required_active]\n"2026-01" = -5\n',
        ["demand.required_active.2026-01", "= -5", "must be >= 0"],
        id="negative-requirement",
    ),
    pytest.param(
        '[peace]\nstart = "2026-01"\n',
        ["peace.capacity_share", "(missing)", "required key is missing"],
        id="peace-without-its-shares",
    ),
    pytest.param(
        '[refurbishment]\norder = "cheapest"\n',
        ["refurbishment.order", '= "cheapest"', "must be one of usefulness, listed"],
        id="unknown-priority-order",
    ),
    pytest.param(
        SUPPLY.format(start="2019-06"),
        ["supply.test.start", '= "2019-06"', "outside the horizon"],
        id="supply-start-before-horizon",
    ),
    pytest.param(
        '[horizon]\nend = "2030-1"\n',
        ["horizon.end", '= "2030-1"', "must be a month as YYYY-MM"],
        id="horizon-end-bad-format",
    ),
    # --- impossible distributions (T-90M has no storage in the baseline, so nothing merges)
    pytest.param(
        NEW_FAMILY.format(dist='{dist = "uniform", low = 10, high = 5}'),
        ["families.T-90M.storage", 'dist = "uniform", low = 10, high = 5', "needs low < high"],
        id="uniform-low-above-high",
    ),
    pytest.param(
        NEW_FAMILY.format(dist='{dist = "pert", low = 1, mode = 5, high = 3}'),
        ["families.T-90M.storage", "mode = 5", "needs low <= mode <= high"],
        id="pert-mode-outside-range",
    ),
    pytest.param(
        NEW_FAMILY.format(dist='{dist = "normal", mean = 10, sd = 0}'),
        ["families.T-90M.storage", "sd = 0", "impossible normal distribution: needs sd > 0"],
        id="normal-sd-zero",
    ),
    pytest.param(
        NEW_FAMILY.format(dist='{dist = "lognormal", median = 10, sigma = -0.5}'),
        ["families.T-90M.storage", "sigma = -0.5", "needs sigma > 0"],
        id="lognormal-sigma-negative",
    ),
    pytest.param(
        NEW_FAMILY.format(dist='{dist = "truncnormal", mean = 10, sd = 2, low = 5, high = 5}'),
        ["families.T-90M.storage", "low = 5, high = 5", "needs low < high"],
        id="truncnormal-low-equals-high",
    ),
    pytest.param(
        NEW_FAMILY.format(dist='{dist = "pret", low = 1, mode = 2, high = 3}'),
        ["families.T-90M.storage.dist", '= "pret"', "unknown distribution; did you mean 'pert'"],
        id="unknown-dist-kind-suggests-pert",
    ),
    pytest.param(
        NEW_FAMILY.format(dist='{dist = "normal", mean = 10, sd = 100}'),
        ["families.T-90M.storage", "sd = 100", "must be >= 0 (0.1%-99.9% range)"],
        id="count-distribution-with-negative-tail",
    ),
    pytest.param(
        NEW_FAMILY.format(dist='{dist = "uniform", low = 1}'),
        ["families.T-90M.storage.high", '= "(missing)"', "required key is missing"],
        id="distribution-missing-argument",
    ),
    # --- references: facts, priority, production and supply families
    pytest.param(
        NEW_FAMILY.format(dist='{value = 5, facts = ["no-such-fact"]}'),
        ["families.T-90M.storage.facts", '= "no-such-fact"', "no such fact in seeds/"],
        id="unknown-fact-id",
    ),
    pytest.param(
        '[refurbishment]\npriority = ["T-72:good", "T-99:good"]\n',
        ["refurbishment.priority[1]", '= "T-99:good"', "known family"],
        id="priority-unknown-family",
    ),
    pytest.param(
        '[refurbishment]\npriority = ["T-72:good", "T-72:mint"]\n',
        ["refurbishment.priority[1]", '= "T-72:mint"', "FAMILY:CONDITION"],
        id="priority-unknown-condition",
    ),
    pytest.param(
        '[refurbishment]\npriority = ["T-72:good", "T-72:good"]\n',
        ["refurbishment.priority[1]", '= "T-72:good"', "listed twice"],
        id="priority-duplicate-entry",
    ),
    pytest.param(
        '[production]\nfamily = "T-100"\n',
        ["production.family", '= "T-100"', "not a family defined under [families]"],
        id="production-family-unknown",
    ),
    pytest.param(
        '[families."T-10"]\nquality_weight = 0.2\nrefurb_effort = 1.0\n',
        ["families.T-10.vulnerability", '= "(missing)"', "required key is missing"],
        id="family-missing-required-key",
    ),
    # --- syntax
    pytest.param(
        "[losses]\ndetection_share = = 0.8\n",
        ["(syntax)", "not valid TOML"],
        id="invalid-toml-syntax",
    ),
]


@pytest.mark.parametrize(("body", "needles"), CASES)
def test_bad_scenario_is_one_line_error_naming_file_key_and_value(tmp_path, body, needles):
    bad = tmp_path / "bad.toml"
    bad.write_text(EXTENDS + body)
    out = tmp_path / "out"
    proc = run_bad(bad, out)
    line = assert_one_line_error(proc, str(bad), *needles)
    assert not out.exists(), line


def test_missing_extends_target_names_referring_file_and_extends_key(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text('extends = "nowhere.toml"\n')
    out = tmp_path / "out"
    proc = run_bad(child, out)
    assert_one_line_error(
        proc, f"{child}: extends = ", str(tmp_path / "nowhere.toml"), "no such file"
    )
    assert not out.exists()


def test_cyclic_extends_names_referring_file_and_extends_key(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\n')
    b.write_text('extends = "a.toml"\n')
    out = tmp_path / "out"
    proc = run_bad(a, out)
    # a -> b -> a: the link that closes the cycle is b's `extends`.
    assert_one_line_error(proc, f"{b}: extends = ", str(a), "cyclic extends")
    assert not out.exists()


def test_extends_must_be_a_string(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("extends = 3\n")
    out = tmp_path / "out"
    assert_one_line_error(
        run_bad(bad, out), str(bad), "extends = 3", "must be a file path or a list of them"
    )
    assert not out.exists()


def test_missing_scenario_file_is_one_line_error(tmp_path):
    missing = tmp_path / "missing.toml"
    out = tmp_path / "out"
    assert_one_line_error(run_bad(missing, out), str(missing), "no such scenario file")
    assert not out.exists()


def test_error_names_the_override_file_that_set_the_bad_key(tmp_path):
    """Two levels: mid.toml sets a bad value, leaf.toml extends mid and changes nothing there."""
    mid = tmp_path / "mid.toml"
    mid.write_text(EXTENDS + "[storage]\ngood_share = 1.5\n")
    leaf = tmp_path / "leaf.toml"
    leaf.write_text('extends = "mid.toml"\n[losses]\ndetection_share = 0.9\n')
    out = tmp_path / "out"
    line = assert_one_line_error(run_bad(leaf, out), f"{mid}: storage.good_share = 1.5")
    assert str(leaf) not in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "value", "needles"),
    [
        pytest.param(
            "--start",
            "2022-13",
            ['(command line): --start = "2022-13"', "YYYY-MM"],
            id="start-bad-month",
        ),
        pytest.param(
            "--end",
            "2023/06",
            ['(command line): --end = "2023/06"', "YYYY-MM"],
            id="end-bad-format",
        ),
        pytest.param(
            "--start",
            "2031-01",
            ["(command line): --start = ", "2031-01..2030-12", "start must not be after end"],
            id="start-after-end",
        ),
    ],
)
def test_bad_horizon_option_is_one_line_error(tmp_path, option, value, needles):
    out = tmp_path / "out"
    proc = run_bad(BASELINE, out, option, value)
    assert_one_line_error(proc, *needles)
    assert not out.exists()


def test_chunk_not_multiple_of_block_is_one_line_error(tmp_path):
    out = tmp_path / "out"
    proc = run_bad(BASELINE, out, "--chunk", "1000")
    assert_one_line_error(proc, "--chunk = 1000", "multiple of 1024")
    assert not out.exists()


def test_validate_gives_the_same_one_line_error_as_run(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(EXTENDS + "[losses]\ndetection_shar = 0.8\n")
    run_line = assert_one_line_error(run_bad(bad, tmp_path / "out"))
    validate_line = assert_one_line_error(
        tanksim("validate", str(bad)),
        str(bad),
        "losses.detection_shar",
        "0.8",
        "did you mean 'detection_share'",
    )
    assert validate_line == run_line
    assert tanksim("validate", str(bad)).stdout == ""


# ---------------------------------------------------------------------------------------------
# Non-finite numbers and the merge of extended files.


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('[families."T-62"]\nstorage = nan\n', id="nan-count"),
        pytest.param('[families."T-62"]\nstorage = inf\n', id="inf-count"),
        pytest.param("[storage]\ngood_share = nan\n", id="nan-share"),
    ],
)
def test_non_finite_number_is_rejected(tmp_path, body):
    bad = tmp_path / "bad.toml"
    bad.write_text(EXTENDS + body)
    assert_one_line_error(
        run_bad(bad, tmp_path / "out", "--end", "2022-04"), str(bad), "must be a finite number"
    )


def test_error_in_root_file_names_root_even_when_child_touches_same_table(tmp_path):
    root = tmp_path / "root.toml"
    text = PRIOR.read_text()
    assert "exhausted_share = 0.1 " in text
    root.write_text(text.replace("exhausted_share = 0.1 ", "exhausted_share = 1.5 "))
    child = tmp_path / "child.toml"
    child.write_text('extends = "root.toml"\n[metrics]\nactive_drop_share = 0.3\n')
    assert_one_line_error(tanksim("validate", str(child)), f"{root}: metrics.exhausted_share = 1.5")


def test_child_parameter_table_replaces_the_parents_distribution(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text(
        EXTENDS + '[families."T-62"]\nstorage = {dist = "uniform", low = 1000, high = 2000}\n'
    )
    result = tanksim("validate", str(child))
    assert result.returncode == 0, result.stderr
    assert "families.T-62.storage = uniform(low=1000, high=2000)" in result.stdout


def test_a_bad_child_parameter_table_is_blamed_on_the_child_not_the_parent_it_replaced(tmp_path):
    """The parent's T-72 weight is lognormal (median, sigma); the child's replacement lacks
    sigma: the error names the child, the file that holds the table."""
    child = tmp_path / "child.toml"
    child.write_text(EXTENDS + '[refurbishment.family_weight]\n'
                     '"T-72" = {dist = "lognormal", median = 1}\n')  # fmt: skip
    assert_one_line_error(tanksim("validate", str(child)),
                          f"{child}: refurbishment.family_weight.T-72.sigma")  # fmt: skip
