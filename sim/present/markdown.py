"""Markdown for the docs: tables and the few number formats the result tables use.

Pure string functions (no I/O); ``docs/regenerate.py`` writes what they return into
``docs/results.md`` and between the ``<!-- results:NAME -->`` markers of the other docs pages.
"""

from __future__ import annotations

from collections.abc import Sequence


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; cells are ``str()``-ed, ``|`` escaped, newlines
    flattened. Raises ValueError when a row's length differs from the header's."""
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, header)) + " |",
             "| " + " | ".join("---" for _ in header) + " |"]  # fmt: skip
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"row {i}: {len(row)} cells for {len(header)} columns")
        lines.append("| " + " | ".join(map(cell, row)) + " |")
    return "\n".join(lines)


def count(x: float | None) -> str:
    """Tanks (or any count) with thousands separators; None as 'never'."""
    return "never" if x is None else f"{x:,.0f}"


def share(x: float, digits: int = 3) -> str:
    """A share in [0, 1] with ``digits`` decimals."""
    return f"{x:.{digits}f}"


def percent(x: float, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    return f"{100 * x:.{digits}f}%"


def signed(x: float, digits: int = 0) -> str:
    """A difference with its sign and thousands separators (``+120``, ``-0.064``)."""
    return f"{x:+,.{digits}f}"


def interval(low: str, high: str) -> str:
    """``[low, high]`` from formatted ends."""
    return f"[{low}, {high}]"


def code_block(text: str) -> str:
    """A fenced code block holding ``text`` as is."""
    return f"```\n{text.rstrip()}\n```"
