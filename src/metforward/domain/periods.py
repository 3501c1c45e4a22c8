"""Months and month ranges: the month is metforward's unit of time."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> dt.date:
    """Parse ``YYYY-MM`` into the first day of that month; raise ValueError otherwise."""
    match = _MONTH.match(text.strip())
    if match is None:
        raise ValueError(f"not a month: {text!r} (expected YYYY-MM, e.g. 2024-01)")
    return dt.date(int(match[1]), int(match[2]), 1)


def period_end(text: str) -> dt.date:
    """A period's last day from YYYY-MM (that month's last day) or YYYY-MM-DD; ValueError otherwise."""
    if len(text) == 7:
        first = dt.date.fromisoformat(text + "-01")
        return add_months(first, 1) - dt.timedelta(days=1)
    return dt.date.fromisoformat(text)


def month_text(month: dt.date) -> str:
    """Format a month as ``YYYY-MM``."""
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: dt.date, n: int) -> dt.date:
    """The month ``n`` months after ``month`` (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every month from ``first`` to ``last`` inclusive."""
    current = first
    while current <= last:
        yield current
        current = add_months(current, 1)


def missing_months(present: Iterable[dt.date]) -> list[dt.date]:
    """The months absent inside the span from the earliest to the latest of ``present``."""
    months = sorted(set(present))
    if not months:
        return []
    have = set(months)
    return [m for m in month_range(months[0], months[-1]) if m not in have]
