"""Chunks on Dask workers: the same numbers as one process, whatever the workers or chunks,
also when a worker dies mid-run; a clear one-line error when the scheduler is unreachable.

Clusters are LocalClusters of single-threaded worker processes on loopback, started by
:func:`sim.parallel.dask_executor`, the code under test. The model runs in-process on a small
scenario built in code with uncertain parameters and noisy flows; the command runs on the
shipped baseline.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner
from factories import make_scenario

from sim.cli import main
from sim.cli.options import parallel_options
from sim.cli.progress import ProgressBarExecutor
from sim.model.calendar import parse_month
from sim.parallel import IN_FLIGHT_PER_THREAD, DaskExecutor, dask_executor
from sim.runs.chunks import map_chunks, plan_chunks
from sim.runs.ensemble import Probe, run_ensemble
from sim.runs.run import RunResult, run_scenario
from sim.runs.sampling import draw_params

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
END = "2023-06"
PERT = {"dist": "pert", "low": 5, "mode": 10, "high": 20}
SCENARIO = make_scenario(
    end=END, cv=0.3, losses=PERT,
    families={
        "A": {"active": 300, "storage": {"dist": "uniform", "low": 100, "high": 400},
              "vulnerability": 1.0, "quality_weight": 1.0, "refurb_effort": 1.0},
        "B": {"active": 200, "storage": 600, "vulnerability": 1.5, "quality_weight": 0.5,
              "refurb_effort": 0.7},
    },
)  # fmt: skip
REPS, SEED = 3500, 11  # three whole chunks of 1,024 and a partial one


def tanksim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def assert_same_run(result: RunResult, reference: RunResult) -> None:
    """Bit for bit: every statistic, every replication's metrics and paths."""
    assert result.stats.dtype == reference.stats.dtype
    np.testing.assert_array_equal(result.stats, reference.stats)
    assert result.metrics.keys() == reference.metrics.keys()
    for name, values in reference.metrics.items():
        assert result.metrics[name].dtype == values.dtype, name
        np.testing.assert_array_equal(result.metrics[name], values, err_msg=name)
    np.testing.assert_array_equal(result.active_paths, reference.active_paths)


def run(**kwargs) -> RunResult:
    return run_scenario(SCENARIO, reps=REPS, seed=SEED, keep_paths=True, **kwargs)


@pytest.fixture(scope="module")
def serial() -> RunResult:
    return run(chunk=1024)


@pytest.fixture(scope="module")
def two_workers():
    with dask_executor(workers=2) as executor:
        yield executor


@pytest.mark.parametrize("chunk", [1024, 2048, 8192])
def test_two_workers_give_the_serial_results_whatever_the_chunk(two_workers, serial, chunk):
    finished = []
    result = run(chunk=chunk, executor=two_workers, progress=finished.append)
    assert_same_run(result, serial)
    assert sorted(finished) == sorted(size for _, size in plan_chunks(REPS, chunk))


def test_one_worker_gives_the_serial_results(serial):
    with dask_executor(workers=1) as executor:
        assert len(executor.client.nthreads()) == 1
        assert_same_run(run(chunk=2048, executor=executor), serial)


def test_an_existing_cluster_gives_the_serial_results(two_workers, serial):
    address = two_workers.client.scheduler.address
    with dask_executor(scheduler=address) as executor:
        assert_same_run(run(chunk=2048, executor=executor), serial)
    assert two_workers.client.nthreads()  # only disconnected from: the cluster still runs


def _numba_threads() -> tuple[str | None, int]:
    import numba

    return os.environ.get("NUMBA_NUM_THREADS"), numba.get_num_threads()


@pytest.mark.skipif(__import__("importlib").util.find_spec("numba") is None,
                    reason="numba not installed")  # fmt: skip
def test_compiled_chunks_on_two_workers_give_the_serial_numbers_on_one_thread_each(
    two_workers, serial
):  # fmt: skip
    result = run(chunk=2048, executor=two_workers, engine="compiled")
    assert result.execution["engine"] == "compiled"
    assert_same_run(result, serial)  # serial: the default engine, numpy in the test suite
    threads = two_workers.client.run(_numba_threads)  # numba is loaded there now
    assert len(threads) == 2 and set(threads.values()) == {("1", 1)}


def test_ensemble_on_workers_gives_the_serial_outputs(two_workers):
    values = draw_params(SCENARIO, seed=SEED, first_rep=0, reps=3000)
    probes = (Probe("active", parse_month(END)), Probe("storage", parse_month("2022-12"), "B"))
    alone = run_ensemble(SCENARIO, values, seed=SEED, probes=probes, chunk=1024)
    spread = run_ensemble(
        SCENARIO, values, seed=SEED, probes=probes, chunk=1024, executor=two_workers
    )
    np.testing.assert_array_equal(spread.probes, alone.probes)
    for name, per_rep in alone.metrics.items():
        np.testing.assert_array_equal(spread.metrics[name], per_rep, err_msg=name)


class CountingClient:
    """A Dask client that counts the chunks submitted through it."""

    def __init__(self, client):
        self.client = client
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return self.client.submit(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.client, name)


def square_chunk(first: int, size: int) -> int:
    return first * first + size


def test_chunks_in_flight_are_bounded_and_come_back_in_order(two_workers):
    assert two_workers._window() == IN_FLIGHT_PER_THREAD * len(two_workers.client.nthreads())
    counting = CountingClient(two_workers.client)
    chunks = plan_chunks(20 * 1024, 1024)
    ahead = []
    results = []
    for i, out in enumerate(DaskExecutor(counting, in_flight=3).map(square_chunk, chunks, None)):
        ahead.append(counting.submitted - i)
        results.append(out)
    assert results == [square_chunk(first, size) for first, size in chunks]
    assert max(ahead) == 3


class ExitOnce:
    """A chunk task whose first attempt at chunk ``first`` kills the worker process running
    it (a marker file remembers the attempt across processes)."""

    def __init__(self, task, first: int, marker: Path):
        self.task, self.first, self.marker = task, first, marker

    def __call__(self, first: int, size: int):
        if first == self.first and not self.marker.exists():
            self.marker.touch()
            os._exit(1)
        return self.task(first, size)


class KillingExecutor:
    """Maps chunk tasks on ``inner`` with the worker running chunk ``first`` killed once."""

    def __init__(self, inner: DaskExecutor, first: int, marker: Path):
        self.inner, self.first, self.marker = inner, first, marker

    def map(self, task, chunks, progress):
        return self.inner.map(ExitOnce(task, self.first, self.marker), chunks, progress)


def test_a_worker_killed_mid_run_changes_no_number(two_workers, serial, tmp_path):
    marker = tmp_path / "killed"
    client = two_workers.client
    pids_before = set(client.run(os.getpid).values())
    result = run(chunk=1024, executor=KillingExecutor(two_workers, 2048, marker))
    pids_after = set(client.run(os.getpid).values())
    assert marker.exists()  # the worker running chunks 2048.. did die
    assert pids_after != pids_before
    assert_same_run(result, serial)


def test_without_parallel_options_dask_is_not_imported(tmp_path):
    code = (
        "import sys\n"
        "from sim.cli import main\n"
        f"main(['run', {str(BASELINE)!r}, '--reps', '100', '--end', '2022-06', "
        f"'--json', '--out', {str(tmp_path / 'out')!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print('sim.cli.options' in sys.modules, loaded, file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "True []"


def test_run_on_workers_or_a_cluster_writes_the_serial_results(two_workers, tmp_path):
    common = (BASELINE, "--reps", "2048", "--seed", "5", "--end", "2022-12", "--chunk", "1024")
    common = tuple(map(str, common))
    main(["run", *common, "--json", "--out", str(tmp_path / "alone")])
    address = two_workers.client.scheduler.address
    main(["run", *common, "--json", "--out", str(tmp_path / "cluster"), "--scheduler", address])
    local = tanksim("run", *common, "--out", tmp_path / "local", "--workers", "2")
    assert local.returncode == 0, local.stderr
    assert "Traceback" not in local.stderr
    for name in ("summary.json", "trajectories.csv"):
        alone = (tmp_path / "alone" / name).read_bytes()
        assert (tmp_path / "local" / name).read_bytes() == alone, name
        assert (tmp_path / "cluster" / name).read_bytes() == alone, name
    assert json.loads((tmp_path / "alone" / "summary.json").read_bytes())["reps"] == 2048
    # The manifests say where the chunks ran (which changes no number).
    for name, scheduler in (("local", None), ("cluster", address)):
        execution = json.loads((tmp_path / name / "manifest.json").read_text())["execution"]
        assert execution["executor"] == "dask" and execution["workers"] == 2, execution
        assert scheduler is None or execution["scheduler"] == scheduler


def test_unreachable_scheduler_fails_fast_with_one_line(tmp_path):
    began = time.monotonic()
    proc = tanksim(
        "run", BASELINE, "--reps", "100", "--end", END, "--out", tmp_path / "out",
        "--scheduler", "tcp://127.0.0.1:1",
    )  # fmt: skip
    seconds = time.monotonic() - began
    assert proc.returncode == 2
    assert re.fullmatch(
        r"tanksim: error: cannot reach Dask scheduler at tcp://127\.0\.0\.1:1: .+\n", proc.stderr
    ), proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "out").exists()
    assert seconds < 30  # a 5 s connection timeout plus start-up, on a busy machine


def test_malformed_scheduler_address_is_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["run", str(BASELINE), "--reps", "100", "--end", END, "--scheduler", "nowhere",
              "--out", str(tmp_path / "out")])  # fmt: skip
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err == "tanksim: error: cannot reach Dask scheduler at nowhere: missing port number " \
        "in address 'nowhere'\n"  # fmt: skip


def test_workers_and_scheduler_together_are_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["run", str(BASELINE), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1",
              "--out", str(tmp_path / "out")])  # fmt: skip
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "tanksim: error: --workers and --scheduler cannot be used together\n"
    )


@click.command()
@click.option("--reps", default=10)
@parallel_options
def toy(reps, executor):
    """A command that reports what it was given."""
    click.echo(f"reps={reps} executor={executor!r}")


def test_parallel_options_turn_into_one_executor_argument():
    runner = CliRunner()
    plain = runner.invoke(toy, ["--reps", "3"])
    assert plain.exit_code == 0, plain.output
    assert plain.output == "reps=3 executor=None\n"
    usage = runner.invoke(toy, ["--help"]).output
    assert usage.index("--reps") < usage.index("--workers N") < usage.index("--scheduler ADDRESS")
    assert runner.invoke(toy, ["--workers", "0"]).exit_code == 2


def test_parallel_options_belong_below_the_command_decorator():
    with pytest.raises(TypeError, match="below"):
        parallel_options(toy)


class TerminalText(io.StringIO):
    def isatty(self) -> bool:
        return True


class HereExecutor:
    """Runs chunk tasks in this process, like ``map_chunks`` without an executor."""

    def map(self, task, chunks, progress):
        return map_chunks(task, chunks, progress=progress)


@pytest.mark.parametrize(
    ("file", "own_progress", "drawn"),
    [(TerminalText(), False, True), (io.StringIO(), False, False), (TerminalText(), True, False)],
)
def test_progress_bar_on_a_terminal_unless_the_caller_follows_progress(file, own_progress, drawn):
    chunks = plan_chunks(3000, 1024)
    finished = []
    executor = ProgressBarExecutor(HereExecutor(), file=file)
    results = executor.map(square_chunk, chunks, finished.append if own_progress else None)
    assert list(results) == [square_chunk(*c) for c in chunks]
    assert finished == ([1024, 1024, 952] if own_progress else [])
    if drawn:
        assert "3,000 replications, 3 chunks" in file.getvalue()
        assert "100%" in file.getvalue()
    else:
        assert file.getvalue() == ""
