"""The errors of bad input: :class:`InputError`, the base of every one, and
:class:`ScenarioError` for bad scenario values, whoever builds the scenario.

Every error the library raises for bad input (a scenario, a fact, a target, an option, a
results folder, a record) derives from :class:`InputError`, a ``ValueError``; the command
line prints it as one line and exits 2 (:func:`sim.cli.app.run_main`), naming the option
where the library names the Python argument.

:class:`ScenarioError` reads ``file: key = value: message`` on one line. The scenario types
(:mod:`sim.model.params`, :mod:`sim.model.distributions`) raise it when built with bad values;
they do not know the file, so ``file`` is ``None`` there and the loader, which does, raises it
again with the file that set the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: How an error message names a Python argument: ``{arg:NAME}``.
ARGUMENT = re.compile(r"\{arg:(\w+)\}")
#: The key of an error about a parameter as a whole, before the loader names it.
PARAMETER = "(parameter)"


class InputError(ValueError):
    """Bad input, in one line, naming the Python arguments at fault.

    ``detail`` names an argument as ``{arg:NAME}`` (e.g. ``"{arg:particles} = 5: cannot
    exceed {arg:draws} (3)"``); ``argument``, if given, is put first
    (``InputError("= 5: ...", argument="particles")``). ``str(err)`` shows each as the Python
    caller wrote it (``particles = 5: cannot exceed draws (3)``); the command line shows the
    option that sets it instead (``--particles = 5: cannot exceed --draws (3)``,
    :meth:`render`). An error without ``{arg:...}`` (a file, key and value) reads the same
    everywhere.
    """

    def __init__(self, detail: str, *, argument: str | None = None):
        self.detail = detail if argument is None else f"{{arg:{argument}}} {detail}"
        self.argument = argument
        super().__init__(self.render(lambda name: name))

    def arguments(self) -> list[str]:
        """The Python arguments the message names, in order."""
        return ARGUMENT.findall(self.detail)

    def render(self, show: Callable[[str], str]) -> str:
        """The message with each argument it names shown as ``show(name)``."""
        return ARGUMENT.sub(lambda found: show(found.group(1)), self.detail)


class ScenarioError(InputError):
    """A bad scenario input: ``file: key = value: message`` (``file`` may be ``None``)."""

    def __init__(self, file: str | Path | None, key: str, value: Any, message: str):
        self.file = None if file is None else str(file)
        self.key, self.value, self.message = key, value, message
        where = "" if file is None else f"{file}: "
        super().__init__(one_line(f"{where}{key} = {show(value)}: {message}"))

    def under(self, prefix: str) -> ScenarioError:
        """The same error with ``prefix.`` before its key (for a value inside a table)."""
        key = f"{prefix}.{self.key}" if self.key not in ("", PARAMETER) else prefix
        return ScenarioError(self.file, key, self.value, self.message)


#: Control characters (which could split a one-line message) and their printable escapes.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(32), 127)} | {9: "\\t", 10: "\\n", 13: "\\r"}


def one_line(text: str) -> str:
    """``text`` with control characters escaped (``\\r``, ``\\n``, ``\\x00``...), so that an
    error message stays on one line whatever a file holds."""
    return text.translate(_CONTROLS)


def show(value: Any) -> str:
    """A compact one-line, TOML-like rendering of a value for error messages."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
