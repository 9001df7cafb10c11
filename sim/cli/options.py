"""Options shared by the ``tanksim`` commands: finite floats, months, ``--workers``,
``--engine``.

Nothing heavy is imported here (no numpy, matplotlib, scipy, dask or numba), so that
``tanksim --help`` and every input error stay fast; Dask is imported only when ``--workers``
or ``--scheduler`` is given, numba only when a chunk runs on the compiled engine.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import math
from collections.abc import Callable

import click

from sim.runs.engines import ENGINES, ENV, FAST_INSTALL  # imports neither numpy nor numba

#: What a user runs to get the optional parallel back end.
DASK_INSTALL = "pip install 'tanksim[dask]'"


class FiniteFloat(click.ParamType):
    """A float that is neither NaN nor infinite, within optional bounds.

    Parameters
    ----------
    min, max : inclusive bounds (None: unbounded on that side).
    min_open : True to exclude ``min`` itself (a strictly positive value, say).
    """

    name = "number"

    def __init__(
        self, min: float | None = None, max: float | None = None, *, min_open: bool = False
    ) -> None:
        self.min, self.max, self.min_open = min, max, min_open

    def convert(self, value, param, ctx) -> float:
        """The value as a finite float in range; one clear line otherwise."""
        if isinstance(value, float) and math.isfinite(value):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
            if not math.isfinite(number):
                self.fail(f"{value!r}: must be a finite number", param, ctx)
        too_low = self.min is not None and (
            number < self.min or (self.min_open and number == self.min)
        )
        if too_low or (self.max is not None and number > self.max):
            self.fail(f"{value!r}: must be {self._range()}", param, ctx)
        return number

    def _range(self) -> str:
        low = None if self.min is None else f"{'>' if self.min_open else '>='} {self.min:g}"
        high = None if self.max is None else f"<= {self.max:g}"
        return " and ".join(x for x in (low, high) if x) or "finite"

    def __repr__(self) -> str:
        return f"FiniteFloat({self._range()})"


def option_names(command: click.Command, text: str) -> str:
    """``text`` (a library message or note) with each Python argument it names as
    ``{arg:NAME}`` shown as the option of ``command`` that sets it (``--particles``), or that
    is named after it (``--until`` for ``until``, which ``hindcast`` collects as ``untils``);
    the bare name when no option does."""
    from sim.model.errors import ARGUMENT

    options = [p for p in command.params if isinstance(p, click.Option)]

    def option(found) -> str:
        name = found.group(1)
        flag = "--" + name.replace("_", "-")
        return next((max(p.opts, key=len) for p in options
                     if p.name == name or flag in p.opts), name)  # fmt: skip

    return ARGUMENT.sub(option, text)


def month(value: str, option: str) -> int:
    """``YYYY-MM`` as a month index; a :class:`click.UsageError` naming ``option`` if not."""
    from sim.model.calendar import parse_month

    try:
        return parse_month(value)
    except ValueError:
        raise click.UsageError(f"{option} = {value!r}: must be YYYY-MM") from None


def require_dask(option: str) -> None:
    """A one-line :class:`click.UsageError` when Dask is not installed."""
    if importlib.util.find_spec("distributed") is None:
        raise click.UsageError(f"{option} needs Dask, which is not installed: {DASK_INSTALL}")


def parallel_options(command: Callable) -> Callable:
    """Click decorator: ``--workers N`` and ``--scheduler ADDRESS`` become ``executor=``.

    Put it between ``@cli.command()`` (or ``@click.command()``) and the function; the
    function takes an ``executor`` keyword argument and passes it on to the library
    (``run_scenario``, ``run_ensemble`` and what builds on them)::

        @cli.command()
        @click.argument("scenario")
        @parallel_options
        def sweep(scenario, executor):
            run_ensemble(..., executor=executor)

    ``executor`` is None when neither option is given (and neither Dask nor
    :mod:`sim.parallel` is imported). With ``--workers N`` a local Dask cluster of N
    single-threaded worker processes runs the chunks; with ``--scheduler ADDRESS`` an
    existing cluster does. The cluster is started (or the scheduler reached) when the first
    chunks are mapped, so input errors come first and cost nothing; it serves every later
    map of the command and is closed when the command ends, also on an error or Ctrl-C. A
    progress bar on stderr follows the chunks, unless the command passes its own
    ``progress`` callable. Without Dask installed, either option is one line naming the
    install command, and with Dask installed but not importing, one line saying why; an
    unreachable scheduler, or an address where something else answers, is one line within
    :data:`sim.parallel.CONNECT_TIMEOUT` seconds, ``cannot reach Dask scheduler at ADDRESS:
    ...``.
    """
    if isinstance(command, click.Command):
        raise TypeError("apply @parallel_options below @cli.command(), next to the function")

    @functools.wraps(command)
    def with_executor(*args, workers: int | None, scheduler: str | None, **kwargs):
        if workers is not None and scheduler is not None:
            raise click.UsageError("--workers and --scheduler cannot be used together")
        if workers is None and scheduler is None:
            return command(*args, executor=None, **kwargs)
        require_dask("--workers" if workers is not None else "--scheduler")
        from sim.cli.progress import ProgressBarExecutor
        from sim.parallel import DaskUnavailable, OnDemandDaskExecutor, SchedulerUnreachable

        with contextlib.ExitStack() as stack:
            on_demand = OnDemandDaskExecutor(stack, workers=workers, scheduler=scheduler)
            try:
                return command(*args, executor=ProgressBarExecutor(on_demand), **kwargs)
            except (SchedulerUnreachable, DaskUnavailable) as err:
                raise click.ClickException(str(err)) from None

    options = [
        click.Option(
            ["--scheduler"], metavar="ADDRESS", default=None,
            help="Run chunks on the Dask cluster whose scheduler is at ADDRESS "
            "(e.g. tcp://10.0.0.5:8786); does not change results.",
        ),
        click.Option(
            ["--workers"], metavar="N", default=None, type=click.IntRange(min=1),
            help="Run chunks on N local Dask worker processes; does not change results.",
        ),
    ]  # fmt: skip
    # click lists options in the reverse of this list: after those of the command.
    with_executor.__click_params__ = [*options, *getattr(command, "__click_params__", [])]
    return with_executor


def engine_option(command: Callable) -> Callable:
    """Click decorator: ``--engine numpy|compiled``, resolved to the engine's name.

    Put it between ``@cli.command()`` (or ``@click.command()``) and the function (like
    :func:`parallel_options`); the function takes an ``engine`` keyword argument, always a
    name (``"numpy"`` or ``"compiled"``), and passes it on to :mod:`sim.api`. Without the
    option the engine is :func:`sim.runs.engines.default` (``$TANKSIM_ENGINE``, else
    ``compiled`` when numba imports, else ``numpy``). It is resolved before the command
    reads anything, so ``--engine compiled`` without numba (or with a numba that does not
    import), or a bad ``TANKSIM_ENGINE``, is one line and exit 2, with nothing written; a
    numba that is installed but does not import makes the default numpy, with one warning
    line on stderr. numba is imported here only when it would be the default or is asked.
    """
    if isinstance(command, click.Command):
        raise TypeError("apply @engine_option below @cli.command(), next to the function")

    @functools.wraps(command)
    def with_engine(*args, engine: str | None, **kwargs):
        from sim.runs.engines import EngineError, fallback_note, resolve

        try:
            name = resolve(engine)
        except EngineError as err:
            raise click.UsageError(str(err)) from None
        note = fallback_note() if engine is None and name == "numpy" else None
        if note is not None:
            click.echo(f"tanksim: warning: {note}", err=True)
        return command(*args, engine=name, **kwargs)

    option = click.Option(
        ["--engine"], type=click.Choice(ENGINES), default=None,
        help="Month step: numpy, or compiled with numba (the same numbers; "
        f"{FAST_INSTALL}). Default: compiled if numba is installed, else numpy "
        f"(${ENV} sets it).",
    )  # fmt: skip
    with_engine.__click_params__ = [option, *getattr(command, "__click_params__", [])]
    return with_engine


def record_options(command: Callable) -> Callable:
    """``--record PATH`` (another loss record than the bundled one) and ``--no-record`` (fit
    the targets only), for the commands that calibrate; passes ``record`` and ``no_record``."""

    def check(ctx: click.Context, param: click.Parameter, value):
        if value and ctx.params.get("record"):
            raise click.UsageError("--record and --no-record: give one", ctx)
        return value

    command = click.option("--no-record", is_flag=True, callback=check,
                           help="Fit the targets only, not the loss record.")(command)  # fmt: skip
    return click.option(
        "--record", default=None, type=click.Path(dir_okay=False), is_eager=True,
        help="Loss record fitted by family group (default: the bundled Oryx record).",
    )(command)  # fmt: skip
