"""Every file tanksim reads back is input: manifests, results folders, posteriors.

``rerun`` replays a run (deterministic too), a comparison and a report and says "identical";
it never writes into the folder it compares against, counts a listed file the original lost
as a difference and applies the replayed command's budget; a tampered manifest, results file
or posterior is one line naming the file, the key and the value (exit 2); ``--force``
replaces only what a manifest lists.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cli_helpers import REPO, assert_one_line_error, snapshot, tanksim

from sim.present.manifest import MANIFEST_KEYS

BASELINE = REPO / "scenarios" / "baseline.toml"
NK = REPO / "scenarios" / "nk-t62.toml"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A small run's results folder (1,024 replications to 2023-06)."""
    where = tmp_path_factory.mktemp("run")
    done = tanksim("run", BASELINE, "--reps", "1024", "--end", "2023-06", "--out", "A",
                   cwd=where)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return where / "A"


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory) -> Path:
    """A report of one scenario (2 replications: its figures, not its numbers, cost; the
    comparison's rerun is tested on its own)."""
    where = tmp_path_factory.mktemp("report")
    done = tanksim("report", BASELINE, "--reps", "2", "--out", "rep", cwd=where)
    assert done.returncode == 0, done.stderr
    return where / "rep"


def _copy(folder: Path, tmp_path: Path, name: str = "A") -> Path:
    return Path(shutil.copytree(folder, tmp_path / name))


def _edit(folder: Path, **changes) -> Path:
    """Set (or, for the value ``...``, delete) keys of ``folder``'s manifest; a key
    ``section__name`` is ``name`` inside the object ``section`` (``arguments__reps``)."""
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    for key, value in changes.items():
        *sections, name = key.split("__")
        inner = data
        for section in sections:
            inner = inner[section]
        if value is ...:
            inner.pop(name)
        else:
            inner[name] = value
    path.write_text(json.dumps(data))
    return path


# ---------------------------------------------------------------------------------------------
# rerun replays every folder it wrote


def test_rerun_of_a_run_says_identical(run_folder, tmp_path):
    again = tanksim("rerun", run_folder / "manifest.json", "--out", tmp_path / "B")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("identical: 4 files")


def test_a_manifest_written_before_the_one_schema_still_reruns(run_folder, tmp_path):
    """Its keys flat at the top, as tanksim wrote them before: read in the schema's shape."""
    older = _copy(run_folder, tmp_path)
    new = json.loads((older / "manifest.json").read_text())
    flat = {"tool": "tanksim", "command": "run", "command_line": new["command_line"],
            "cwd": new["cwd"], **new["arguments"], "scenario_files": new["inputs"],
            "execution": new["execution"], **new["details"], "versions": new["versions"],
            "tanksim_version": new["tanksim_version"], "contents": new["outputs"]}
    (older / "manifest.json").write_text(json.dumps(flat))
    again = tanksim("rerun", older / "manifest.json", "--out", tmp_path / "B")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("identical: 4 files")


def test_rerun_of_a_deterministic_run_says_identical(tmp_path):
    done = tanksim("run", BASELINE, "--deterministic", "--end", "2023-06", "--out", "D",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = tanksim("rerun", "D/manifest.json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("identical: 4 files")


def test_rerun_of_a_comparison_says_identical_and_its_manifest_records_provenance(tmp_path):
    done = tanksim("compare", BASELINE, NK, "--reps", "16", "--out", "C", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "C" / "manifest.json").read_text())
    arguments = manifest["arguments"]
    assert tuple(manifest) == MANIFEST_KEYS
    assert manifest["command"] == "compare" and arguments["seed"] == 20220224
    assert isinstance(manifest["command_line"], list) and manifest["cwd"] == str(tmp_path)
    assert manifest["versions"]["numpy"] and arguments["scenarios"][1]["name"] == "nk-t62"
    assert all(len(f["sha256"]) == 64 for f in manifest["inputs"])
    again = tanksim("rerun", "C/manifest.json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("identical: 3 files (compare.csv, compare.json, compare.png)")


def test_rerun_of_a_report_says_identical(report_folder, tmp_path):
    manifest = json.loads((report_folder / "manifest.json").read_text())
    arguments = manifest["arguments"]
    assert tuple(manifest) == MANIFEST_KEYS
    assert (manifest["command"], arguments["seed"], arguments["reps"]) == ("report", 20220224, 2)
    again = tanksim("rerun", report_folder / "manifest.json", "--out", tmp_path / "R")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("identical: ")
    assert "report.html" in again.stdout and "figures/baseline-active.pdf" in again.stdout


def test_rerun_refuses_to_write_into_the_folder_it_compares_against(run_folder, tmp_path):
    original = _copy(run_folder, tmp_path)
    before = snapshot(tmp_path)
    for out in ("A", ".", "A/sub"):
        refused = tanksim("rerun", "A/manifest.json", "--out", out, "--force", cwd=tmp_path)
        assert_one_line_error(refused, "the folder the rerun compares against")
    assert snapshot(tmp_path) == before and (original / "summary.json").is_file()


def test_a_listed_file_missing_from_the_original_is_a_difference(run_folder, tmp_path):
    original = _copy(run_folder, tmp_path)
    (original / "summary.json").unlink()
    again = tanksim("rerun", "A/manifest.json", cwd=tmp_path)
    assert again.returncode == 1
    assert again.stdout.strip().splitlines()[-1] == (
        "missing from the original (its manifest lists them): summary.json")


# ---------------------------------------------------------------------------------------------
# A manifest is input: one line naming the file, key and value; nothing runs


@pytest.mark.parametrize(("key", "value", "needles"), [
    ("arguments__deterministic", "false",
     ['deterministic = "false"', "a JSON boolean, not a string"]),
    ("arguments__reps", 10**9, ["reps = 1,000,000,000", "the caps are 100,000,000 replications"]),
    ("arguments__reps", "1024", ['reps = "1024"', "whole number of replications"]),
    ("arguments__reps", 0, ["reps = 0", "at least 1"]),
    ("arguments__reps", True, ["reps = true"]),
    ("arguments__chunk", 1000, ["chunk = 1000", "multiple of 1024"]),
    ("arguments__seed", -1, ["seed = -1", "whole number from 0"]),
    ("arguments__seed", 1.5, ["seed = 1.5"]),
    ("arguments__seed", ..., ["seed = (missing): missing"]),
    ("arguments__sampling", "deterministic",
     ['sampling = "deterministic"', "deterministic = true"]),
    ("arguments__sampling", "halton", ['sampling = "halton"', "must be one of random, lhs, sobol"]),
    ("arguments__end", "2023-13", ['end = "2023-13"', "YYYY-MM"]),
    ("arguments__end", "2021-01", ['end = "2021-01"', "before start"]),
    ("execution", {"engine": "gpu"}, ['execution.engine = "gpu"']),
    ("inputs", "baseline.toml", ["inputs = "]),
    ("arguments__files", [], ["arguments.files = []"]),
    ("outputs", ["../../etc/passwd"], ['outputs = "../../etc/passwd"', "inside the folder"]),
    ("command", "plot", ['command = "plot"', "only the folders of run, compare, report"]),
    ("tool", ..., ["tool = (missing)", "not a tanksim manifest"]),
    ("details", [], ["details = []", "must be an object"]),
    ("created", 20261206, ["created = 20261206", "must be a string or null"]),
])  # fmt: skip
def test_a_tampered_manifest_is_one_line_and_runs_nothing(run_folder, tmp_path, key, value,
                                                          needles):  # fmt: skip
    manifest = _edit(_copy(run_folder, tmp_path), **{key: value})
    refused = tanksim("rerun", manifest, "--out", tmp_path / "B")
    assert_one_line_error(refused, f"{manifest}: ", *needles)
    assert not (tmp_path / "B").exists()


def test_what_is_not_a_manifest_file_is_one_line(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    with open(tmp_path / "huge.json", "wb") as handle:
        handle.truncate(17 << 20)  # sparse: over the 16 MiB limit, no disk used
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "list.json").write_text("[]")
    cases = {
        "/dev/zero": "not a regular file", tmp_path / "fifo": "not a regular file",
        tmp_path / "loop": "symbolic links", tmp_path / "binary.json": "not UTF-8",
        tmp_path / "huge.json": "larger than the 16,777,216-byte limit",
        tmp_path / "deep.json": "nested too deeply", tmp_path / "list.json": "not a JSON object",
        tmp_path / "absent.json": "no such file",
    }  # fmt: skip
    for path, why in cases.items():
        assert_one_line_error(tanksim("rerun", path, "--out", tmp_path / "B"), str(path), why)


# ---------------------------------------------------------------------------------------------
# Results folders read back by plot and report


def test_plot_of_a_tampered_results_folder_is_one_line(run_folder, tmp_path):
    folder = _copy(run_folder, tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps(summary | {"reps": "1024"}))
    assert_one_line_error(tanksim("plot", folder), "summary.json: reps = \"1024\"")
    (folder / "summary.json").write_text(json.dumps(summary))
    lines = (folder / "trajectories.csv").read_text().splitlines()
    (folder / "trajectories.csv").write_text("\n".join(lines[:5] + ["2022-03,T-62"]) + "\n")
    assert_one_line_error(tanksim("plot", folder), "trajectories.csv: unreadable (line 6: 2 cells")
    (folder / "trajectories.csv").unlink()
    os.mkfifo(folder / "trajectories.csv")
    assert_one_line_error(tanksim("plot", folder), "trajectories.csv: not a regular file")


# ---------------------------------------------------------------------------------------------
# --force replaces only what a manifest lists


def test_force_refuses_a_run_copied_out_of_a_report_with_a_users_file(report_folder, tmp_path):
    study = Path(shutil.copytree(report_folder / "runs" / "baseline", tmp_path / "mystudy"))
    (study / "notes.txt").write_text("notes")
    refused = tanksim("run", BASELINE, "--reps", "16", "--end", "2022-06", "--out", "mystudy",
                      "--force", cwd=tmp_path)  # fmt: skip
    assert_one_line_error(refused, "mystudy: holds files tanksim did not write (notes.txt)")
    assert (study / "notes.txt").read_text() == "notes"
    (study / "notes.txt").unlink()  # what is left is what the report wrote there: replaceable
    forced = tanksim("run", BASELINE, "--reps", "1024", "--end", "2022-06", "--out", "mystudy",
                     "--force", cwd=tmp_path)  # fmt: skip
    assert forced.returncode == 0, forced.stderr


def test_force_refuses_a_folder_whose_older_manifest_lists_no_contents(run_folder, tmp_path):
    older = _copy(run_folder, tmp_path)
    _edit(older, outputs=...)
    refused = tanksim("run", BASELINE, "--reps", "16", "--out", "A", "--force", cwd=tmp_path)
    assert_one_line_error(refused, "A: its manifest lists no contents",
                          "holds fan_chart.png, manifest.json, metrics.csv, ...")  # fmt: skip
    assert (older / "summary.json").is_file()


# ---------------------------------------------------------------------------------------------
# Posteriors


@pytest.fixture()
def posterior(tmp_path) -> Path:
    """A copy of the bundled scenarios, with their posterior; returns the CSV."""
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    return tmp_path / "scenarios" / "posterior" / "baseline.csv"


def _validate(posterior: Path):
    return tanksim("validate", posterior.parents[1] / "baseline.toml")


def test_a_posterior_with_a_repeated_column_is_refused(posterior):
    lines = posterior.read_text().splitlines()
    header = lines[0].split(",")
    header[5] = header[2]
    posterior.write_text("\n".join([",".join(header), *lines[1:]]) + "\n")
    assert_one_line_error(_validate(posterior), f"column '{header[2]}' appears twice "
                          "(columns 3 and 6)")  # fmt: skip


@pytest.mark.parametrize(("row", "needle"), [
    ("nan", "row 2: every value must be a finite number"),
    ("x", "row 2 = 'x': not a number"),
    ("", "row 2 has 2 values"),
])  # fmt: skip
def test_a_posterior_with_a_bad_row_is_one_line(posterior, row, needle):
    lines = posterior.read_text().splitlines()
    cells = lines[1].split(",")
    lines[1] = ",".join([*cells[:-1], row]) if row else ",".join(cells[:2])
    posterior.write_text("\n".join(lines) + "\n")
    assert_one_line_error(_validate(posterior), f"{posterior.name}: {needle}")


def test_a_posterior_with_a_junk_header_is_one_line(posterior):
    lines = posterior.read_text().splitlines()
    posterior.write_text("\n".join([" " + lines[0], *lines[1:]]) + "\n")
    assert_one_line_error(_validate(posterior), "header column 1 = ' families.")


def test_a_sidecar_with_a_wrong_row_count_is_one_line(posterior):
    sidecar = posterior.with_suffix(".json")
    sidecar.write_text(json.dumps(json.loads(sidecar.read_text()) | {"rows": 999}))
    assert_one_line_error(_validate(posterior), "rows = 999: the CSV holds 1000 parameter sets")


def test_a_sidecar_pointing_a_hypothesis_at_another_ones_rows_is_refused(posterior):
    sidecar = posterior.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    spans = meta["hypothesis_rows"]
    first, second, *rest = spans
    # the same rows for two hypotheses: the spans no longer follow each other
    overlap = meta | {"hypothesis_rows": spans | {second: spans[first]}}
    sidecar.write_text(json.dumps(overlap))
    first_span = f"[{spans[first][0]}, {spans[first][1]}]"
    assert_one_line_error(_validate(posterior), f"hypothesis_rows.{second} = {first_span}")
    # the labels swapped in place, the spans still tiling the rows: their SHA-256 tells
    swapped = {second: spans[first], first: spans[second], **{k: spans[k] for k in rest}}
    sidecar.write_text(json.dumps(meta | {"hypothesis_rows": swapped}))
    assert_one_line_error(_validate(posterior), f"hypothesis_rows.{second} = {first_span}: those "
                          "rows are not the ones calibrated under this hypothesis")  # fmt: skip


def test_a_pipe_as_targets_file_or_lock_file_is_one_line_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "targets.toml")
    refused = tanksim("calibrate", BASELINE, "--targets", tmp_path / "targets.toml",
                      "--out", tmp_path / "cal")  # fmt: skip
    assert_one_line_error(refused, "targets.toml: not a regular file")
    os.mkfifo(tmp_path / ".out.lock")  # where a writer's lock goes: read without blocking
    from sim.io.folders import write_folder

    write_folder(tmp_path / "out", lambda folder: (folder / "a.csv").write_text("1"))
    assert (tmp_path / "out" / "a.csv").is_file()
