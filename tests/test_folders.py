"""Results folders: what --force may replace, where a folder may go, one writer at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.io import folders
from sim.io.folders import OutputBusyError, OutputExistsError, check_target, write_folder


def write_files(*names):
    def write(folder):
        for name in names:
            (folder / name).write_text(name)

    return write


def test_written_folder_carries_the_tanksim_marker_and_its_contents(tmp_path):
    out = write_folder(tmp_path / "out", write_files("a.csv", "b.json"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tool"] == "tanksim"
    assert manifest["outputs"] == ["a.csv", "b.json", "manifest.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging, no lock


def test_an_existing_manifest_keeps_its_keys_and_gains_the_marker(tmp_path):
    def write(folder):
        (folder / "manifest.json").write_text(json.dumps({"seed": 3, "tool": "other"}))

    out = write_folder(tmp_path / "out", write)
    assert json.loads((out / "manifest.json").read_text()) == {
        "tool": "tanksim", "seed": 3, "outputs": ["manifest.json"],
    }  # fmt: skip


def test_force_replaces_a_tanksim_results_folder(tmp_path):
    out = write_folder(tmp_path / "out", write_files("old.csv"))
    write_folder(out, write_files("new.csv"), force=True)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "new.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_replaces_an_empty_folder(tmp_path):
    (tmp_path / "out").mkdir()
    write_folder(tmp_path / "out", write_files("new.csv"), force=True)
    assert (tmp_path / "out" / "new.csv").is_file()


def test_force_refuses_a_folder_tanksim_did_not_write_and_names_what_is_there(tmp_path):
    user = tmp_path / "userdocs"
    user.mkdir()
    (user / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputExistsError, match=r"userdocs: not a tanksim results folder "
                       r"\(holds thesis.txt\); refusing to replace it"):  # fmt: skip
        write_folder(user, write_files("new.csv"), force=True)
    assert (user / "thesis.txt").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["userdocs"]


def test_force_refuses_a_results_folder_with_a_user_file_added(tmp_path):
    out = write_folder(tmp_path / "out", write_files("a.csv"))
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match=r"tanksim did not write \(notes.txt\)"):
        write_folder(out, write_files("b.csv"), force=True)
    assert (out / "notes.txt").read_text() == "mine" and (out / "a.csv").is_file()


def test_a_manifest_without_the_marker_does_not_make_a_results_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"name": "someone else"}')
    with pytest.raises(OutputExistsError, match="not a tanksim results folder"):
        check_target(out, force=True)


def test_a_file_at_the_target_is_refused(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(OutputExistsError, match="a file, not a results folder"):
        check_target(tmp_path / "out", force=True)


def test_out_dot_and_any_ancestor_of_the_cwd_are_refused_without_debris(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    write_folder(work / "results", write_files("a.csv"))
    monkeypatch.chdir(work / "results")
    for out in (".", "..", str(tmp_path)):
        with pytest.raises(OutputExistsError, match="current folder or holds it"):
            write_folder(folders.Path(out), write_files("b.csv"), force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]
    assert sorted(p.name for p in work.iterdir()) == ["results"]


@pytest.mark.parametrize("out", ["/proc/tanksim-out", "/sys/kernel/tanksim-out"])
def test_system_trees_are_refused(out):
    with pytest.raises(OutputExistsError, match="not a place for results"):
        check_target(folders.Path(out), force=False)


def test_a_parent_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "plain").write_text("x")
    with pytest.raises(OutputExistsError, match="plain is a file, not a folder"):
        write_folder(tmp_path / "plain" / "sub" / "out", write_files("a.csv"))


def test_a_live_writer_holds_the_target_off_a_second_one(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".out.lock").write_text(f"{sleeper.pid} token\n")
        with pytest.raises(OutputBusyError, match=f"pid {sleeper.pid}"):
            check_target(tmp_path / "out", force=False)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not (tmp_path / "out").exists()


def test_a_lock_whose_writer_is_gone_is_stale(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".out.lock").write_text(f"{dead.pid} token\n")
    write_folder(tmp_path / "out", write_files("a.csv"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_writer_that_lost_its_lock_replaces_nothing(tmp_path):
    def write(folder):
        (folder / "a.csv").write_text("a")
        (tmp_path / ".out.lock").write_text(f"{os.getppid()} someone else\n")  # taken over

    with pytest.raises(OutputBusyError, match="took its lock"):
        write_folder(tmp_path / "out", write)
    assert not (tmp_path / "out").exists()


def test_a_target_that_appears_while_running_is_not_overwritten(tmp_path):
    def write(folder):
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "theirs.txt").write_text("theirs")

    with pytest.raises(OutputExistsError, match="use --force"):
        write_folder(tmp_path / "out", write)
    assert (tmp_path / "out" / "theirs.txt").read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_interrupted_write_leaves_neither_staging_nor_lock(tmp_path):
    def write(folder):
        (folder / "a.csv").write_text("a")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_folder(tmp_path / "out", write)
    assert list(tmp_path.iterdir()) == []


def test_of_two_forced_runs_on_one_target_the_later_writer_is_refused(tmp_path):
    out = tmp_path / "out"
    check_target(out, force=True)  # this run looks: nothing there yet
    write_folder(out, write_files("theirs.csv"), force=True)  # another run finishes first
    assert out.resolve() not in folders._claims  # the first write used its claim up
    folders._claims[out.resolve()] = None  # this run's claim: nothing there when it started
    with pytest.raises(OutputBusyError, match="written by another process"):
        write_folder(out, write_files("mine.csv"), force=True)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "theirs.csv"]


def test_two_concurrent_cli_runs_to_one_out_never_both_succeed(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    args = [sys.executable, "-m", "sim", "run", str(repo / "scenarios" / "baseline.toml"),
            "--reps", "4096", "--end", "2024-12", "--out", str(tmp_path / "out")]  # fmt: skip
    procs = [subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    errors = [p.communicate(timeout=300)[1] for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], errors
    (refusal,) = [e for p, e in zip(procs, errors) if p.returncode == 2]
    lines = refusal.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tanksim: error: "), refusal
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_figures_redrawn_by_tanksim_plot_do_not_block_force(tmp_path):
    out = write_folder(tmp_path / "out", write_files("summary.json"))
    (out / "storage.pdf").write_bytes(b"%PDF")  # tanksim plot --format pdf
    write_folder(out, write_files("summary.json"), force=True)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "summary.json"]
