"""Named monthly indicators: the indicators in the store, or one indicator's series with its months
missing and its 12-month trend.

The one place the question is answered: its options and their defaults (:class:`Query`), the area
(a stored area code: a force id, the London region or a GSS code, see
:func:`metforward.domain.forces.area_code`), what is read from the store, and the kernels of
:mod:`metforward.analyse.indicators`. The ``indicator`` measure source of targets
(:data:`TARGET_SOURCE`) reads the same series.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from metforward.analyse.indicators import (
    DEFAULT_TOLERANCE,
    LONDON_AREA,
    IndicatorInfo,
    Reading,
    Row,
    Series,
    area_name,
    infos_of,
    mean_of,
    reading_at,
    series_of,
)
from metforward.analyse.target_sources import Observation
from metforward.domain.forces import area_code
from metforward.domain.periods import Period, add_months, month_text, parse_month
from metforward.errors import Ambiguous, BadRequest, MetforwardError, NotFound
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store.database import Database
from metforward.store.queries import indicators as queries

#: The load kinds indicator series come from (any monthly CSV, the MOPAC strength file, the Home Office tables).
KINDS = ("indicators", "mopac-strength", "homeoffice-workforce")


def list_indicators(db: Database) -> list[IndicatorInfo]:
    """Every indicator and area in the store, by name."""
    return infos_of(queries.indicator_list(db))


def find_indicator(db: Database, name: str, area: str | None = None) -> IndicatorInfo:
    """The indicator called ``name`` (case-insensitive) in ``area`` (a stored area code; default: the Met,
    else the only one): :class:`NotFound`, or :class:`Ambiguous` when it is loaded for several areas."""
    found = [i for i in list_indicators(db) if i.name.lower() == name.strip().lower()]
    if area is not None:
        found = [i for i in found if i.area_code.lower() == area.lower()]
    elif len(found) > 1:
        met = [i for i in found if i.area_code == LONDON_AREA]
        found = met or found
    if not found:
        raise NotFound(
            f"no indicator {name!r}" + (f" for {area}" if area else "") + " in the store; "
            "`metforward indicators list` shows what is loaded, `metforward indicators load FILE` adds one",
            field="name",
        )
    if len(found) > 1:
        areas = ", ".join(i.area_code for i in found)
        raise Ambiguous(
            f"indicator {name!r} is loaded for several areas ({areas}); choose one with --area", field="area"
        )
    return found[0]


def _rows(db: Database, info: IndicatorInfo, first: dt.date, last: dt.date) -> list[Row]:
    return [
        (r[0], float(r[1]), None if r[2] is None else float(r[2]), r[3])
        for r in queries.indicator_rows(db, info.name, info.area_code, first, last)
    ]


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
    return series_of(info, _rows(db, info, first, last), first, last, confidence=confidence)


def value_at(db: Database, info: IndicatorInfo, month: dt.date, tolerance: int = DEFAULT_TOLERANCE) -> Reading | None:
    """The figure at ``month``, else at the latest month at most ``tolerance`` months before it."""
    return reading_at(_rows(db, info, add_months(month, -tolerance), month), month, tolerance)


def mean_over(db: Database, info: IndicatorInfo, period: Period) -> Reading | None:
    """A count's mean monthly value over ``period``, or a share's pooled counts; None if no month has data."""
    return mean_of(info, _rows(db, info, period.first, period.last), period)


@dataclass(frozen=True)
class Query:
    """What to answer, as text options (every face builds this), with the defaults in one place.

    No ``name``: the indicators in the store (of ``area`` if given). A ``name``: its series from ``first``
    to ``last`` (months; the faces' ``from`` and ``to``), in ``area`` (a force such as metropolitan or
    city-of-london, London for the London region, a borough or a GSS code; default the Met)."""

    name: str | None = None
    area: str | None = None
    first: str | None = None
    last: str | None = None

    def check(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last months, once every option is checked: :class:`BadRequest` naming the option."""
        months = []
        for text, option in ((self.first, "from"), (self.last, "to")):
            try:
                months.append(parse_month(text) if text else None)
            except ValueError as exc:
                raise BadRequest(f"--{option}: {exc}", field=option) from exc
        if self.name is None and (self.first or self.last):
            raise BadRequest("--from and --to apply to one indicator's series: give its name", field="name")
        return months[0], months[1]

    def area_code(self) -> str | None:
        """The stored area code the area option means (unknown text is looked for as it is)."""
        return None if self.area is None else (area_code(self.area) or self.area)


def ask(db: Database, query: Query) -> Answer:
    """The indicators in the store, or the series of the one ``query`` names."""
    first, last = query.check()
    code = query.area_code()
    loads = loads_used(db, KINDS)
    if query.name is None:
        found = [i for i in list_indicators(db) if code is None or i.area_code.lower() == code.lower()]
        return Answer(
            question="indicators",
            query=dataclasses.asdict(query),
            items=[i.as_dict() for i in found],
            columns=("name", "area_code", "area_name", "unit", "kind", "first", "last", "months", "missing", "source"),
            meta={"mode": "list", "area_code": code, "loads": loads},
            result=found,
        )
    result = series(db, find_indicator(db, query.name, code), first, last)
    return Answer(
        question="indicators",
        query=dataclasses.asdict(query),
        items=[p.as_dict() for p in result.points],
        columns=("month", "value", "numerator", "n", "ci_low", "ci_high"),
        meta={
            "mode": "series",
            **result.info.as_dict(),
            "missing_months": [month_text(m) for m in result.missing],
            "trend": result.trend.as_dict() if result.trend else None,
            "loads": loads,
        },
        notes=list(result.notes),
        result=result,
    )


QUESTION = Question(
    name="indicators",
    query=Query,
    ask=ask,
    command=("indicators", "list"),
    route=None,
    summary="Named monthly indicators: what is loaded, or one indicator's series with months missing and trend.",
    example={"area": "metropolitan"},
    options={"first": "--from", "last": "--to"},
)


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
        except (NotFound, Ambiguous):
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

__all__ = [
    "QUESTION",
    "TARGET_SOURCE",
    "Query",
    "ask",
    "find_indicator",
    "list_indicators",
    "mean_over",
    "series",
    "value_at",
]
