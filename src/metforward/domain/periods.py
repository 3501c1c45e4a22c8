"""Months and month ranges: the month is metforward's unit of time."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from metforward.errors import BadRequest

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


@dataclass(frozen=True)
class Period:
    """An inclusive range of months: the one period type of every question and face."""

    first: dt.date
    last: dt.date

    @classmethod
    def parse(cls, text: str, *, field: str | None = None) -> Period:
        """Parse ``YYYY-MM:YYYY-MM`` (or a single ``YYYY-MM``); :class:`BadRequest` naming ``field`` otherwise.

        >>> str(Period.parse("2024-01:2024-12")), Period.parse("2024-03").months
        ('2024-01:2024-12', 1)
        """
        parts = text.split(":")
        if len(parts) not in (1, 2):
            raise BadRequest(f"not a period: {text!r} (expected YYYY-MM:YYYY-MM, e.g. 2008-06:2010-02)", field=field)
        try:
            first, last = parse_month(parts[0]), parse_month(parts[-1])
        except ValueError as exc:
            raise BadRequest(str(exc), field=field) from exc
        if last < first:
            raise BadRequest(f"period {text!r} ends before it starts", field=field)
        return cls(first, last)

    @classmethod
    def around(cls, pivot: str, window: int, *, field: str | None = None) -> tuple[Period, Period]:
        """The ``window`` months before ``pivot`` and the ``window`` months from ``pivot`` on.

        >>> [str(p) for p in Period.around("2024-01", 2)]
        ['2023-11:2023-12', '2024-01:2024-02']
        """
        try:
            start = parse_month(pivot)
        except ValueError as exc:
            raise BadRequest(str(exc), field=field) from exc
        if window < 1:
            raise BadRequest(f"the window must be at least one month, not {window}", field="window")
        return (
            cls(add_months(start, -window), add_months(start, -1)),
            cls(start, add_months(start, window - 1)),
        )

    @classmethod
    def of(cls, first: dt.date, last: dt.date) -> Period:
        """The months from ``first``'s to ``last``'s."""
        return cls(first.replace(day=1), last.replace(day=1))

    @property
    def months(self) -> int:
        """How many months the period spans."""
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def month_list(self) -> list[dt.date]:
        """Every month of the period, in order."""
        return list(month_range(self.first, self.last))

    def __str__(self) -> str:
        return f"{month_text(self.first)}:{month_text(self.last)}"


def two_periods(before: str | None, after: str | None, around: str | None, window: int) -> tuple[Period, Period]:
    """The two periods of a before/after question: ``around`` a month (``window`` months each side), or
    ``before`` and ``after`` given as periods; :class:`BadRequest` when neither is given whole.

    >>> [str(p) for p in two_periods("2023-01:2023-12", "2024-01:2024-12", None, 21)]
    ['2023-01:2023-12', '2024-01:2024-12']
    """
    if around:
        return Period.around(around, window, field="around")
    if before and after:
        return Period.parse(before, field="before"), Period.parse(after, field="after")
    raise BadRequest(
        "give before and after (YYYY-MM:YYYY-MM), or around (YYYY-MM) with window",
        field="before" if not before else "after",
    )
