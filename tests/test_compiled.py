"""The compiled month step (numba) gives the numpy engine's numbers, byte for byte; without
numba the numpy engine runs and asking for the compiled one is one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from factories import make_scenario, scenarios
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.api import load_scenario
from sim.engine.inputs import build_inputs
from sim.engine.simulate import simulate as numpy_simulate
from sim.engine.streams import ExpectedFlows, RandomFlows
from sim.io.output import write_run_files
from sim.model.facts import load_facts
from sim.present.run_data import run_data
from sim.runs.run import run_scenario
from sim.runs.sampling import draw_params

REPO = Path(__file__).resolve().parent.parent
BUNDLED = sorted((REPO / "scenarios").glob("*.toml"))
OUTPUTS = ("trajectories.csv", "summary.json", "metrics.csv")
TRACE_FIELDS = ("series", "effort_refurbishable", "capacity", "donor_shortfall", "effort_spent")

needs_numba = pytest.mark.skipif(
    __import__("importlib").util.find_spec("numba") is None, reason="numba not installed"
)


def assert_same_trace(a, b, reps):
    """Every field byte for byte; ``effort_spent`` (read by no output) only with several
    replications: for a lone one numpy's einsum sums its entries with SIMD partial sums."""
    for name in TRACE_FIELDS[:-1] if reps == 1 else TRACE_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert x.tobytes() == y.tobytes(), name


@needs_numba
@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
# The stochastic and mean-path modes of every bundled scenario are checked against the
# golden files on both engines (tests/test_golden.py); expected values over drawn
# parameters (--deterministic --reps N) have no golden file, so they are compared here.
@pytest.mark.parametrize(
    "mode", [{"deterministic": True, "reps": 40}], ids=["det-reps"],
)  # fmt: skip
def test_both_engines_write_the_same_bytes_for_every_bundled_scenario(path, mode, tmp_path):
    scenario = load_scenario(path)
    facts = load_facts()
    written = []
    for engine in ("numpy", "compiled"):
        result = run_scenario(scenario, seed=11, engine=engine, **mode)
        assert result.execution["engine"] == engine
        (tmp_path / engine).mkdir()
        write_run_files(tmp_path / engine, run_data(result, facts), facts, figure=False)
        written.append([(tmp_path / engine / name).read_bytes() for name in OUTPUTS])
    for name, numpy_bytes, compiled_bytes in zip(OUTPUTS, *written):
        assert numpy_bytes == compiled_bytes, name


@needs_numba
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1), reps=st.integers(1, 40))
def test_compiled_trace_equals_the_numpy_trace_on_generated_scenarios(scenario, seed, reps):
    from sim.engine.compiled import simulate as compiled_simulate

    values = draw_params(scenario, seed=seed, first_rep=0, reps=reps)
    for integer, flows in ((True, lambda: RandomFlows(seed, 0, reps)),
                           (False, lambda: ExpectedFlows(reps))):  # fmt: skip
        inputs = build_inputs(scenario, values, integer=integer)
        assert_same_trace(numpy_simulate(inputs, flows()), compiled_simulate(inputs, flows()), reps)


@needs_numba
def test_a_tiny_donor_share_still_starts_whole_hulls_on_both_engines():
    # Found by the generated-scenarios test above: F2's one good hull, a donor share of
    # 1e-16 and a family weight; pass 2 serves the entry again with own = -1e-16, which
    # once let a start of 0.9999999999999999 hulls through (available = min(pooled, own)).
    from sim.engine.compiled import simulate as compiled_simulate

    hull = {"vulnerability": 1.0, "quality_weight": 0.0, "refurb_effort": 1.0}
    stored = {"dist": "uniform", "low": 0, "high": 300}
    scenario = make_scenario(
        families={"F0": {"active": 0, "storage": stored, **hull},
                  "F1": {"active": 0, "storage": stored, **hull},
                  "F2": {"active": 0, "storage": 1, **hull}},
        end="2022-02", losses=0.0, capacity=1.0, lead=0, effort=(1.0, 1.0, 1.0),
        donors=(1e-16, 0.0, 0.0), failure=(0.0, 0.0, 0.0), good_share=1.0, fair_share=0.0,
        good_to_fair=0.0, fair_to_poor=0.0, production_per_year=0.0,
        priority=[f"{f}:{c}" for f in ("F2", "F1", "F0") for c in ("fair", "good", "poor")],
        family_weight={"F2": {"dist": "uniform", "low": 0, "high": 1}},
    )  # fmt: skip
    inputs = build_inputs(scenario, draw_params(scenario, seed=0, first_rep=0, reps=1), True)
    trace = numpy_simulate(inputs, RandomFlows(0, 0, 1))
    assert_same_trace(trace, compiled_simulate(inputs, RandomFlows(0, 0, 1)), reps=1)


@needs_numba
def test_compiled_results_do_not_depend_on_the_chunk():
    scenario = load_scenario(REPO / "scenarios" / "baseline.toml")
    runs = [run_scenario(scenario, reps=2100, seed=3, chunk=c, engine="compiled")
            for c in (1024, 3072)]  # fmt: skip
    assert runs[0].stats.tobytes() == runs[1].stats.tobytes()
    for key in runs[0].metrics:
        assert np.array_equal(runs[0].metrics[key], runs[1].metrics[key]), key


WITHOUT_NUMBA = "import sys; sys.modules['numba'] = None\nfrom sim.cli import main\nmain()\n"


def run_without_numba(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_NUMBA, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_without_numba_the_numpy_engine_runs_and_compiled_is_one_line_exit_2(tmp_path):
    baseline = str(REPO / "scenarios" / "baseline.toml")
    ok = run_without_numba("run", baseline, "--reps", "20", "--out", "a", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert '"engine": "numpy"' in (tmp_path / "a" / "manifest.json").read_text()
    bad = run_without_numba("run", baseline, "--reps", "20", "--out", "b",
                            "--engine", "compiled", cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tanksim: error: "), bad.stderr
    assert "numba is not installed" in lines[0]
    assert not (tmp_path / "b").exists()


@needs_numba
def test_compiled_histogram_counting_gives_the_numpy_reducers_counts(monkeypatch):
    from sim.engine import compiled_reduce
    from sim.runs import reduce

    rng = np.random.default_rng(5)
    chunks = [rng.integers(-50, 50, (40, 300)).astype(np.int32) for _ in range(3)]
    chunks[1][3] = 7  # a constant row
    chunks[2][5] *= 1000  # a row wider than the histogram allows: kept as values
    reducers = []
    for counting in (None, compiled_reduce):
        monkeypatch.setattr(reduce, "_compiled_counting", lambda c=counting: c)
        merged = reduce.HistogramReducer()
        for values in chunks:
            part = reduce.HistogramReducer()
            part.add(values)
            merged.merge(part)
        reducers.append(merged)
    numpy_way, compiled_way = reducers
    assert np.array_equal(numpy_way.counts, compiled_way.counts)
    assert np.array_equal(numpy_way.raw_rows, compiled_way.raw_rows)
    assert numpy_way.result().tobytes() == compiled_way.result().tobytes()
    assert len(compiled_way.raw_rows) == 1
