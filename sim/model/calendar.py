"""Months as integers: the model's only notion of time.

A month is stored as ``year * 12 + (month - 1)`` so that differences are month counts.
"""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int:
    """Parse ``"YYYY-MM"`` into a month index; raise ``ValueError`` otherwise."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def format_month(index: int) -> str:
    """Format a month index as ``"YYYY-MM"``."""
    year, month0 = divmod(int(index), 12)
    return f"{year:04d}-{month0 + 1:02d}"
