"""What a command will cost before it runs, and the caps beyond which it refuses.

A design too large for the machine should fail at once, with one line saying what it would
need, not after an hour or by exhausting memory. The estimate counts replications and the
arrays a command holds at once (its design, its per-replication outputs, the bootstrap's
resamples); the time is replications x months at :data:`RATE`, measured on one core of the
project's 2-core machine, so a faster machine or ``--workers`` finishes sooner.
"""

from __future__ import annotations

from sim.model.errors import InputError

#: Most replications one command may run (about 15 hours at :data:`RATE` for a 107-month
#: horizon).
MAX_REPLICATIONS = 100_000_000
#: Most memory (bytes) a command's design and outputs may take.
MAX_BYTES = 4 * 2**30
#: Replication-months simulated per second on one core (benchmarks/bench_sensitivity.py:
#: 1,492 replications a second of prior.toml's 107 months, bootstrap included).
RATE = 160_000


class BudgetError(InputError):
    """A design beyond :data:`MAX_REPLICATIONS` or :data:`MAX_BYTES` (message: one line
    with the estimate and the cap)."""


def check_budget(what: str, replications: int, months: int, nbytes: float) -> float:
    """Refuse a design beyond the caps; return its estimated time in seconds.

    Parameters
    ----------
    what : the option and value the user gave (e.g. ``"--n 1073741824"``), to start the message.
    replications : model replications the design runs.
    months : the scenario's horizon, in months.
    nbytes : memory the design holds at once, in bytes.

    Raises
    ------
    BudgetError
        If ``replications`` > :data:`MAX_REPLICATIONS` or ``nbytes`` > :data:`MAX_BYTES`.
    """
    seconds = replications * months / RATE
    if replications > MAX_REPLICATIONS or nbytes > MAX_BYTES:
        raise BudgetError(
            f"{what}: needs {replications:,} replications, about {memory(nbytes)} of memory "
            f"and {duration(seconds)} on one core; the caps are {MAX_REPLICATIONS:,} "
            f"replications and {memory(MAX_BYTES)}"
        )
    return seconds


def memory(nbytes: float) -> str:
    """Bytes in words: ``"3.2 GiB"``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if nbytes >= size:
            return f"{nbytes / size:,.1f} {unit}"
    return f"{nbytes / 2**10:,.0f} KiB"


def duration(seconds: float) -> str:
    """Seconds in words: ``"4.2 hours"``."""
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600),
                       ("minutes", 60)):  # fmt: skip
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:,.0f} seconds"


#: Bytes a replication's headline metrics take (a dozen int/float64 values).
METRIC_BYTES = 12 * 8
#: Bytes of one month of one replication's total active fleet (int32), what a comparison
#: keeps of every replication to pair them.
ACTIVE_PATH_BYTES = 4


def series_bytes(scenario) -> int:
    """Bytes of one replication's whole trajectory (months x variables x families + 1,
    float64), what a ``--deterministic --reps N`` run keeps per path."""
    from sim.engine.metrics import VARIABLES

    return scenario.months * len(VARIABLES) * (len(scenario.families) + 1) * 8


def check_run_budget(
    what: str, scenario, reps: int, deterministic: bool, chunk: int | None = None
) -> float:
    """:func:`check_budget` for ``tanksim run`` (and ``rerun`` of one): ``reps`` replications
    of ``scenario``, each holding its metrics, or its whole trajectory when ``deterministic``;
    a stochastic run also holds the whole trajectory of each replication of the ``chunk``
    being simulated (None: not counted)."""
    per_rep = series_bytes(scenario) if deterministic else METRIC_BYTES
    in_chunk = 0 if deterministic or chunk is None else min(chunk, reps) * series_bytes(scenario)
    return check_budget(what, reps, scenario.months, reps * per_rep + in_chunk)


def check_compare_budget(what: str, scenarios, reps: int) -> float:
    """:func:`check_budget` for ``tanksim compare`` and ``report`` (and their reruns): ``reps``
    replications of each scenario, each keeping its active path and metrics."""
    months = scenarios[0].months
    per_rep = months * ACTIVE_PATH_BYTES + METRIC_BYTES
    return check_budget(what, reps * len(scenarios), months, reps * len(scenarios) * per_rep)
