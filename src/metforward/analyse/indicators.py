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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from metforward.analyse.compare import Period
from metforward.analyse.proportions import wilson
from metforward.analyse.target_sources import Observation
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import add_months, month_range, month_text, parse_month
from metforward.errors import MetforwardError
from metforward.store.database import Database
from metforward.store.queries import indicators as queries

#: The area a target on "London" reads: the Met's figures (all London but the City).
LONDON_AREA = "metropolitan"
DEFAULT_TOLERANCE = 3
_AREA_NAMES = {"metropolitan": "the Met", "city-of-london": "City of London Police", "E12000007": "London region"}


class IndicatorError(MetforwardError):
    """An indicator that is not in the store, or a bad request about one."""

    code = "indicator"


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


def list_indicators(db: Database) -> list[IndicatorInfo]:
    """Every indicator and area in the store, by name."""
    rows = queries.indicator_list(db)
    out = []
    for name, area, unit, share, first, last, months, latest_source, sources in rows:
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        source = latest_source if sources <= 1 else f"{latest_source} and {sources - 1} more"
        out.append(IndicatorInfo(name, area, unit, bool(share), first, last, int(months), span - int(months), source))
    return out


def find_indicator(db: Database, name: str, area: str | None = None) -> IndicatorInfo:
    """The indicator called ``name`` (case-insensitive) in ``area`` (default: the Met, else the only one)."""
    found = [i for i in list_indicators(db) if i.name.lower() == name.strip().lower()]
    if area is not None:
        found = [i for i in found if i.area_code.lower() == area.lower()]
    elif len(found) > 1:
        met = [i for i in found if i.area_code == LONDON_AREA]
        found = met or found
    if not found:
        raise IndicatorError(
            f"no indicator {name!r}" + (f" for {area}" if area else "") + " in the store; "
            "`metforward indicators list` shows what is loaded, `metforward indicators load FILE` adds one"
        )
    if len(found) > 1:
        areas = ", ".join(i.area_code for i in found)
        raise IndicatorError(f"indicator {name!r} is loaded for several areas ({areas}); choose one with --area")
    return found[0]


def _rows(
    db: Database, info: IndicatorInfo, first: dt.date, last: dt.date
) -> list[tuple[dt.date, float, float | None, str | None]]:
    return [
        (r[0], float(r[1]), None if r[2] is None else float(r[2]), r[3])
        for r in queries.indicator_rows(db, info.name, info.area_code, first, last)
    ]


def _point(month: dt.date, value: float, n: float | None, confidence: float) -> Point:
    if n is None:
        return Point(month, value)
    est = wilson(value, n, confidence=confidence)
    return Point(month, 100 * est.value, value, n, 100 * est.low, 100 * est.high)


def series(
    db: Database,
    info: IndicatorInfo,
    first: dt.date | None = None,
    last: dt.date | None = None,
    *,
    confidence: float = 0.95,
) -> Series:
    """The indicator's months from ``first`` to ``last`` (default: all), months missing, 12-month trend."""
    first = first or info.first
    last = last or info.last
    rows = _rows(db, info, first, last)
    points = [_point(m, v, n, confidence) for m, v, n, _ in rows]
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


def value_at(db: Database, info: IndicatorInfo, month: dt.date, tolerance: int = DEFAULT_TOLERANCE) -> Reading | None:
    """The figure at ``month``, else at the latest month at most ``tolerance`` months before it."""
    rows = _rows(db, info, add_months(month, -tolerance), month)
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


def mean_over(db: Database, info: IndicatorInfo, period: Period) -> Reading | None:
    """A count's mean monthly value over ``period``, or a share's pooled counts; None if no month has data."""
    rows = _rows(db, info, period.first, period.last)
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


class IndicatorSource:
    """``measure: {source: indicator, name: NAME, at: YYYY-MM | period: YYYY-MM:YYYY-MM}`` for level/rate targets.

    Optional keys: ``area`` (a stored area code such as ``metropolitan``, ``city-of-london`` or
    ``E12000007``; default: the Met for London, the borough's GSS code otherwise) and
    ``tolerance_months`` (for ``at``; default 3).
    """

    _KEYS = {"source", "name", "at", "period", "area", "tolerance_months"}

    def check(self, spec: Mapping[str, Any], target_type: str) -> list[str]:
        """Problems with the mapping (empty if valid)."""
        problems = []
        if target_type not in ("level", "rate"):
            problems.append(f"an indicator gives a level or rate target, not a {target_type} target")
        if not isinstance(spec.get("name"), str) or not spec["name"].strip():
            problems.append("'name' must name a loaded indicator (see `metforward indicators list`)")
        unknown = sorted(set(spec) - self._KEYS)
        if unknown:
            problems.append(f"unknown keys {', '.join(unknown)} (allowed: {', '.join(sorted(self._KEYS))})")
        if ("at" in spec) == ("period" in spec):
            problems.append("give exactly one of 'at' (YYYY-MM) or 'period' (YYYY-MM:YYYY-MM)")
        elif "at" in spec:
            try:
                parse_month(str(spec["at"]))
            except ValueError as exc:
                problems.append(f"'at': {exc}")
        else:
            try:
                Period.parse(str(spec["period"]))
            except MetforwardError as exc:
                problems.append(f"'period': {exc}")
        tolerance = spec.get("tolerance_months", DEFAULT_TOLERANCE)
        if not isinstance(tolerance, int) or isinstance(tolerance, bool) or not 0 <= tolerance <= 24:
            problems.append("'tolerance_months' must be a whole number from 0 to 24")
        return problems

    def observe(
        self, db: Database, spec: Mapping[str, Any], area: str, target_type: str, confidence: float
    ) -> Observation:
        """The value (a count: exact) or counts (a share: Wilson) at the month or over the period."""
        code = str(spec.get("area") or (LONDON_AREA if area == "London" else area))
        name = str(spec["name"])
        where = f"{name} ({area_name(code)})"
        try:
            info = find_indicator(db, name, code)
        except IndicatorError:
            return Observation(
                basis=f"{where}: no such indicator in the store; load it with `metforward indicators load`"
            )
        if "at" in spec:
            month = parse_month(str(spec["at"]))
            tolerance = int(spec.get("tolerance_months", DEFAULT_TOLERANCE))
            reading = value_at(db, info, month, tolerance)
            if reading is None:
                return Observation(
                    unit=info.unit,
                    basis=f"{where}: no figure for {month_text(month)} nor in the {tolerance} months before it "
                    f"(data cover {month_text(info.first)} to {month_text(info.last)})",
                )
        else:
            period = Period.parse(str(spec["period"]))
            reading = mean_over(db, info, period)
            if reading is None:
                return Observation(
                    unit=info.unit,
                    basis=f"{where}: no figure in {period} "
                    f"(data cover {month_text(info.first)} to {month_text(info.last)})",
                )
        source = "source: " + ("; ".join(reading.sources) or "the indicators table")
        if info.share and reading.n:
            return Observation(
                counts=(reading.value, reading.n),
                basis=f"{where} {reading.how}: {reading.value:g} of {reading.n:g}; "
                f"Wilson {confidence:.0%} interval; {source}",
            )
        unit = info.unit or "count"
        return Observation(
            estimate=(reading.value, reading.value, reading.value),
            unit=unit,
            basis=f"{where} {reading.how}: {reading.value:,.6g} {unit}; a count, no sampling error; {source}",
        )


TARGET_SOURCE = IndicatorSource()
