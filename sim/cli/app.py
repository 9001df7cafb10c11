"""The click group of ``tanksim``, its commands loaded on demand, and the error handling.

``tanksim --help`` lists the commands from :data:`COMMANDS` without importing them, so it
(and every input error) starts in a fraction of a second.
"""

from __future__ import annotations

import importlib
import sys

import click

from sim._version import __version__
from sim.model.errors import InputError, one_line

USAGE_ERROR = 2
ABORTED = 130

#: Each command: (module:attribute, the first sentence of its help, which ``tanksim --help``
#: shows without importing it; a test checks the two agree).
COMMANDS = {
    "run": ("sim.cli.run:run",
            "Run SCENARIO files and write results (default: results/<scenario>/)."),
    "compare": ("sim.cli.run:compare",
                "Run SCENARIOS with the same seed; paired differences against the first."),
    "supply-needed": ("sim.cli.run:supply_needed_command",
                      "Smallest monthly supply keeping the active fleet >= N until a date "
                      "with probability P."),
    "validate": ("sim.cli.scenario:validate",
                 "Check SCENARIO and print every resolved parameter with its sources."),
    "facts": ("sim.cli.scenario:facts_command", "List the sourced facts in seeds/."),
    "sweep": ("sim.cli.explore:sweep_command",
              "Sweep parameters of SCENARIO, every point on the same random numbers."),
    "sensitivity": ("sim.cli.explore:sensitivity_command",
                    "Global sensitivity of SCENARIO's outcomes to all its uncertain "
                    "parameters."),
    "discover": ("sim.cli.explore:discover_command",
                 "Find the region of SCENARIO's input space where EXPRESSION holds (PRIM)."),
    "calibrate": ("sim.cli.calibrate:calibrate_command",
                  "Calibrate SCENARIO's uncertain parameters to the record by ABC-SMC."),
    "hindcast": ("sim.cli.hindcast:hindcast_command",
                 "Calibrate SCENARIO on the record up to --until and score every later target, "
                 "and every later record observation against the naive forecast."),
    "plot": ("sim.cli.report:plot", "Redraw the figures of RESULTS_DIR (a tanksim run or "
             "report folder) without re-running."),
    "report": ("sim.cli.report:report",
               "Run SCENARIO files (or read results folders) and write a report folder."),
    "record": ("sim.cli.record:record_command",
               "Show the loss record: Oryx's confirmed Russian tank losses by family, status "
               "and date."),
    "rerun": ("sim.cli.rerun:rerun_command",
              "Rerun the run MANIFEST describes and say whether its files come out identical."),
}  # fmt: skip

class LazyGroup(click.Group):
    """A group whose commands are imported when run (or asked for help), not at start."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name][0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="tanksim")
def cli() -> None:
    """Russia's tank inventory under attrition, with and without North Korean supply.

    Exit codes: 0 done, 1 unexpected error, 2 bad input, 3 the system refused (disk full,
    permission, name too long, symlink loop, out of memory), 130 interrupted (Ctrl-C).
    """


def input_error_line(err: InputError, argv: list[str] | None) -> str:
    """The one line of a library input error, each Python argument it names shown as the
    option of the command in ``argv`` that sets it (:func:`sim.cli.options.option_names`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if a in COMMANDS), None)
    if command is None or not err.arguments():
        return err.render(lambda name: name)
    from sim.cli.options import option_names

    found = LazyGroup().get_command(click.Context(cli), command)
    rest = args[args.index(command) + 1:]
    while isinstance(found, click.Group):  # ``tanksim record import``: the subcommand's options
        name = next((a for a in rest if a in found.commands), None)
        if name is None:
            break
        found, rest = found.commands[name], rest[rest.index(name) + 1:]
    return option_names(found, err.detail)


def run_main(argv: list[str] | None = None) -> None:
    """Run the click group, turning input errors into one line and exit 2, and environment
    faults (:mod:`sim.cli.faults`) into one line and exit 3."""
    from sim.cli.faults import TaggedStdout

    stdout = sys.stdout
    sys.stdout = TaggedStdout(stdout)
    try:
        cli.main(args=argv, prog_name="tanksim", standalone_mode=False)
        sys.stdout.flush()  # a full device fails here, inside the handler, not at exit
    except click.ClickException as err:
        click.echo(f"tanksim: error: {one_line(err.format_message())}", err=True)
        sys.exit(USAGE_ERROR)
    except click.exceptions.Abort:
        click.echo("tanksim: aborted", err=True)
        sys.exit(ABORTED)
    except InputError as err:
        click.echo(f"tanksim: error: {one_line(input_error_line(err, argv))}", err=True)
        sys.exit(USAGE_ERROR)
    except Exception as err:
        _environment_fault(err)
        raise
    finally:
        sys.stdout = stdout


def _environment_fault(err: Exception) -> None:
    """One line and exit 3 if ``err`` is an environment fault; else return (a bug)."""
    from sim.cli.faults import ENVIRONMENT, fault_line

    line = fault_line(err)
    if line is not None:
        click.echo(f"tanksim: error: {one_line(line)}", err=True)
        sys.exit(ENVIRONMENT)
