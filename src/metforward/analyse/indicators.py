"""Named monthly indicators: their series, months present and missing, values, trends and targets.

An indicator is either a **count or level** (officers in post, Special Constables, patrol hours):
a census figure with no sampling error, so a target on it is judged on the exact value; or a
**share** (victims updated within 28 days of all victims), stored as numerator ``value`` and
denominator ``n``, whose interval is Wilson's score interval (Wilson 1927; Brown, Cai and
DasGupta 2001). A mean over a period pools a share's counts (sum of numerators over sum of
denominators) and averages a count's monthly values.

Targets (``measure: {source: indicator, name: ..., at: YYYY-MM}`` or ``period: YYYY-MM:YYYY-MM``)
read the value at a month, or, if that month is missing, the latest month at or before it within
``tolerance_months`` (default 3; said in the basis); else the verdict is can't tell.

This module holds the kernels (a series' rows in, frozen results out); what is read from the store,
the question's options and the ``indicator`` measure source of targets are in
:mod:`metforward.questions.indicators`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from metforward.analyse.proportions import wilson
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import Period, add_months, month_range, month_text

#: One stored month of a series: month, value (a count, or a share's numerator), n (a share's
#: denominator; None for a count), source.
Row = tuple[dt.date, float, float | None, str | None]

#: The area a target on "London" reads: the Met's figures (all London but the City).
LONDON_AREA = "metropolitan"
DEFAULT_TOLERANCE = 3
_AREA_NAMES = {"metropolitan": "the Met", "city-of-london": "City of London Police", "E12000007": "London region"}


def area_name(code: str) -> str:
    """A readable name for a stored area code."""
    return _AREA_NAMES.get(code) or LONDON_BOROUGHS.get(code) or code


@dataclass(frozen=True)
class IndicatorInfo:
    """One indicator and area in the store."""

    name: str
    area_code: str
    unit: str | None
    share: bool
    first: dt.date
    last: dt.date
    months: int  # months with data
    missing: int  # months without data between first and last
    source: str | None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "name": self.name,
            "area_code": self.area_code,
            "area_name": area_name(self.area_code),
            "unit": self.unit,
            "kind": "share" if self.share else "count",
            "first": month_text(self.first),
            "last": month_text(self.last),
            "months": self.months,
            "missing": self.missing,
            "source": self.source,
        }


@dataclass(frozen=True)
class Point:
    """One month of an indicator; ``low``/``high`` are the Wilson interval of a share (in %)."""

    month: dt.date
    value: float  # the count or level; for a share, the share in %
    numerator: float | None = None
    n: float | None = None
    low: float | None = None
    high: float | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "month": month_text(self.month),
            "value": self.value,
            "numerator": self.numerator,
            "n": self.n,
            "ci_low": self.low,
            "ci_high": self.high,
        }


@dataclass(frozen=True)
class Trend:
    """Change between the latest month and the same month a year before (12 months earlier)."""

    latest: dt.date
    earlier: dt.date
    latest_value: float
    earlier_value: float
    change: float
    change_pct: float | None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "latest": month_text(self.latest),
            "earlier": month_text(self.earlier),
            "latest_value": self.latest_value,
            "earlier_value": self.earlier_value,
            "change": self.change,
            "change_pct": self.change_pct,
        }


@dataclass(frozen=True)
class Series:
    """An indicator's months in a span, with the months missing and the 12-month trend."""

    info: IndicatorInfo
    points: list[Point]
    missing: list[dt.date]
    trend: Trend | None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            **self.info.as_dict(),
            "points": [p.as_dict() for p in self.points],
            "missing_months": [month_text(m) for m in self.missing],
            "trend": self.trend.as_dict() if self.trend else None,
            "notes": self.notes,
        }


def infos_of(rows: Sequence[Sequence[Any]]) -> list[IndicatorInfo]:
    """Indicators from the store's summary rows (name, area, unit, has n, first, last, months with data,
    latest source, sources), with the months missing between first and last."""
    out = []
    for name, area, unit, share, first, last, months, latest_source, sources in rows:
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        source = latest_source if sources <= 1 else f"{latest_source} and {sources - 1} more"
        out.append(IndicatorInfo(name, area, unit, bool(share), first, last, int(months), span - int(months), source))
    return out


def point(month: dt.date, value: float, n: float | None, confidence: float) -> Point:
    """One month: a count as it is, a share in % with its Wilson interval."""
    if n is None:
        return Point(month, value)
    est = wilson(value, n, confidence=confidence)
    return Point(month, 100 * est.value, value, n, 100 * est.low, 100 * est.high)


def series_of(
    info: IndicatorInfo, rows: Sequence[Row], first: dt.date, last: dt.date, *, confidence: float = 0.95
) -> Series:
    """The indicator's months ``rows`` from ``first`` to ``last``: points, months missing, 12-month trend."""
    points = [point(m, v, n, confidence) for m, v, n, _ in rows]
    present = {p.month for p in points}
    missing = [m for m in month_range(first, last) if m not in present]
    notes = []
    if missing:
        notes.append(f"{len(missing)} of {len(missing) + len(present)} months in the span have no figure")
    by_month = {p.month: p for p in points}
    trend = None
    if points:
        latest = points[-1]
        earlier = by_month.get(add_months(latest.month, -12))
        if earlier is not None:
            change = latest.value - earlier.value
            pct = 100 * change / earlier.value if earlier.value else None
            trend = Trend(latest.month, earlier.month, latest.value, earlier.value, change, pct)
        else:
            notes.append(f"no figure for {month_text(add_months(latest.month, -12))}: no 12-month trend")
    return Series(info, points, missing, trend, notes)


@dataclass(frozen=True)
class Reading:
    """A value read for a target: at a month (possibly an earlier one within the tolerance) or a mean."""

    value: float  # count/level, or the numerator sum for a share
    n: float | None  # share: the denominator sum
    months: list[dt.date]
    how: str
    sources: list[str]


def reading_at(rows: Sequence[Row], month: dt.date, tolerance: int) -> Reading | None:
    """The figure at ``month`` from ``rows`` (the months up to it, oldest first), else the latest within
    ``tolerance`` months before it; None if there is none."""
    if not rows:
        return None
    when, value, n, source = rows[-1]
    how = (
        f"at {month_text(month)}"
        if when == month
        else f"at {month_text(when)}, the latest month with a figure within {tolerance} months before "
        f"{month_text(month)} (no figure for {month_text(month)})"
    )
    return Reading(value, n, [when], how, [source] if source else [])


def mean_of(info: IndicatorInfo, rows: Sequence[Row], period: Period) -> Reading | None:
    """A count's mean monthly value over ``period`` (its ``rows``), or a share's pooled counts; None if no
    month has data."""
    if not rows:
        return None
    months = [r[0] for r in rows]
    present = f"{len(months)} of {period.months} months with a figure"
    sources = sorted({r[3] for r in rows if r[3]})
    if info.share:
        return Reading(
            sum(r[1] for r in rows),
            sum(r[2] or 0.0 for r in rows),
            months,
            f"pooled over {period} ({present})",
            sources,
        )
    return Reading(sum(r[1] for r in rows) / len(rows), None, months, f"mean over {period} ({present})", sources)
