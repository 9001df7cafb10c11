"""Months as integers: the model's only notion of time.

A month is stored as ``year * 12 + (month - 1)`` so that differences are month counts.
"""

from __future__ import annotations

import re
from datetime import date

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


def parse_date(text: str) -> tuple[int, int]:
    """Parse ``"YYYY-MM-DD"`` into (month index, day of the month); raise ``ValueError``
    otherwise (also for a day the month does not have)."""
    import datetime

    if not isinstance(text, str) or len(text) != 10:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}")
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}") from None
    return day.year * 12 + day.month - 1, day.day


def days_in_month(index: int) -> int:
    """Number of days in the month ``index`` (28 to 31)."""
    import calendar

    year, month0 = divmod(int(index), 12)
    return calendar.monthrange(year, month0 + 1)[1]


def month_fraction(index: int, day: int | None) -> float:
    """How far through month ``index`` the end of day ``day`` lies: ``day / days in the
    month``; 1.0 (the month's end) when ``day`` is None. A value observed on that day is read
    as ``end(m-1) + fraction x (end(m) - end(m-1))`` of a month-end series."""
    return 1.0 if day is None else day / days_in_month(index)


def format_date(index: int, day: int | None) -> str:
    """``YYYY-MM-DD`` (``YYYY-MM`` when ``day`` is None: the month's end)."""
    return format_month(index) if day is None else f"{format_month(index)}-{day:02d}"


def month_dates(start: int, months: int) -> list[date]:
    """First days of ``months`` consecutive months from ``start`` (year * 12 + month - 1)."""
    return [date((start + t) // 12, (start + t) % 12 + 1, 1) for t in range(months)]
