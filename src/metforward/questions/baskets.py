"""A basket compared between two periods (``metforward compare --basket FILE``, the overview's "Results so far",
the bulletin, the borough summary and the strands): each line's monthly counts read from the store, then
the kernel :func:`metforward.analyse.basket.tabulate_basket`.

What each line counts is in the basket (``docs/baskets.md``). A line's month counts only where every
source of the line has data that month: the Datastore kind's months, the dashboard crime type's months,
the homicide file's span, or the months the force published police.uk rows. A Datastore line reads the
borough file that holds its categories and covers the periods (``datastore-borough``, the current
categories from April 2010; ``datastore-borough-2008``, the old ones, 2008 to 2016), unless its part
names a kind.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from metforward.analyse.basket import (
    BASKET_LEVELS,
    BASKET_METHODS,
    Basket,
    BasketTable,
    Line,
    LineCounts,
    Part,
    month_index,
    tabulate_basket,
)
from metforward.domain.areas import LONDON_BOROUGHS, borough_code, force_of_borough, means_london
from metforward.domain.periods import Period
from metforward.errors import BadRequest, NotFound
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.queries import baskets as queries

#: The Datastore borough files a basket line may read, best first.
DATASTORE_KINDS = ("datastore-borough", "datastore-borough-2008")
#: London as a whole, as the rows name it (the Metropolitan Police Service: the force-level comparison's name).
LONDON = ("metropolitan", "Metropolitan Police Service")
#: The City of London: its own force, not among the Met's 32 boroughs.
CITY = "E09000001"


@dataclass(frozen=True)
class BasketSpec:
    """Where and when a basket is compared: ``level`` ``force`` (London) or ``borough`` (every Met borough, or
    ``area``, one borough's GSS code), the two periods, the verdicts' ``alpha`` and the ``method``."""

    before: Period
    after: Period
    level: str = "force"
    area: str | None = None
    alpha: float = 0.05
    method: str = "quasi"

    def __post_init__(self) -> None:
        if self.level not in BASKET_LEVELS:
            raise BadRequest(
                f"a basket is compared for London (level force) or by borough, not at {self.level} level",
                field="level",
            )
        if self.method not in BASKET_METHODS:
            raise BadRequest(
                f"unknown method {self.method!r} (expected one of {', '.join(BASKET_METHODS)})", field="method"
            )
        if not 0 < self.alpha < 1:
            raise BadRequest("alpha must lie between 0 and 1", field="alpha")


def where(area: str | None, level: str) -> tuple[str, str | None]:
    """The level and borough code an area option asks for: London (``force``) when the area means London and the
    level is ``force``; one borough when an area is named; every borough otherwise. :class:`NotFound` for an
    area that is not a London borough."""
    if means_london(area):
        return level, None
    assert area is not None
    code = borough_code(area) or borough_code(area.replace("-", " "))
    if code is None:
        raise NotFound(
            f"{area!r} is not a London borough (give a name such as Westminster or a GSS code)", field="area"
        )
    return "borough", code


def compare_basket(db: Database, basket: Basket, spec: BasketSpec) -> BasketTable:
    """Every line of ``basket`` compared between the two periods of ``spec``."""
    counts = read_line_counts(db, basket, spec)
    people = cubes.population(db, level="borough", year=spec.after.last.year) if spec.level == "borough" else {}
    return tabulate_basket(
        basket, spec.before, spec.after, counts, level=spec.level, alpha=spec.alpha, method=spec.method, people=people
    )


def areas_of(spec: BasketSpec) -> list[tuple[str, str]]:
    """The areas of the rows: London, one borough, or the Met's 32 boroughs (by name)."""
    if spec.level == "force":
        return [LONDON]
    if spec.area:
        return [(spec.area, LONDON_BOROUGHS[spec.area])]
    return sorted(((c, n) for c, n in LONDON_BOROUGHS.items() if c != CITY), key=lambda cn: cn[1])


def read_line_counts(db: Database, basket: Basket, spec: BasketSpec) -> list[LineCounts]:
    """Each line's monthly counts in each area (see the module), one :class:`LineCounts` per area and line."""
    areas = areas_of(spec)
    out: list[LineCounts] = []
    for index, line in enumerate(basket.lines):
        series, source, notes = _line(db, line, spec, [code for code, _ in areas])
        for code, name in areas:
            before, after = series.get(code, series.get("*", ([], [])))
            out.append(LineCounts(code, name, index, before, after, source, tuple(notes)))
    return out


#: Monthly values of one area over the periods: (before, after), NaN where a month is not present.
Series = tuple[list[float], list[float]]


def _line(db: Database, line: Line, spec: BasketSpec, codes: list[str]) -> tuple[dict[str, Series], str, list[str]]:
    """One line's series by area code (``"*"``: the same for every area), its sources in words, and notes."""
    first, last = min(spec.before.first, spec.after.first), max(spec.before.last, spec.after.last)
    notes: list[str] = []
    kinds: dict[int, str | None] = {}
    # parts of one source are read together (Datastore categories as one set, so no row counts twice)
    datastore = [i for i, p in enumerate(line.parts) if p.source == "datastore"]
    parts: list[tuple[dict[str | None, dict[dt.date, int]], dict[str | None, set[dt.date]]]] = []
    shown = list(line.parts)
    if datastore:
        kind = _datastore_kind(db, [line.parts[i] for i in datastore], spec, line, notes)
        names = queries.datastore_categories(db, kind) if kind else []
        for i in datastore:
            kinds[i] = kind
            shown[i] = _as_loaded(line.parts[i], names)
        parts.append(_datastore(db, [line.parts[i] for i in datastore], kind, spec, codes, first, last))
    for part in line.parts:
        if part.source == "police-uk":
            parts.append(_police(db, part, spec, codes, first, last))
        elif part.source == "dashboard":
            parts.append(_dashboard(db, part, spec, codes, first, last, line, notes))
        elif part.source == "homicide":
            parts.append(_homicide(db, part, spec, codes, first, last, line, notes))
    keys: list[str | None] = [None] if spec.level == "force" else list(codes)
    out: dict[str, Series] = {}
    for key in keys:
        values: list[list[float]] = []
        for period in (spec.before, spec.after):
            index = month_index(period)
            row = [0.0] * period.months
            present = [True] * period.months
            for counts, months in parts:
                have = months.get(key, months.get(None, set()))
                mine = counts.get(key, {})
                for month, i in index.items():
                    if month not in have:
                        present[i] = False
                    else:
                        row[i] += mine.get(month, 0)
            values.append([v if p else float("nan") for v, p in zip(row, present, strict=True)])
        out["*" if key is None else key] = (values[0], values[1])
    return out, Line(line.id, line.title, tuple(shown), line.caveat).describe(kinds), notes


def _as_loaded(part: Part, names: Sequence[tuple[Any, ...]]) -> Part:
    """``part`` naming only the categories the Datastore kind read has, as it spells them (all, when none match)."""
    majors = sorted({str(a) for a, _ in names if str(a).lower() in {m.lower() for m in part.major}})
    minors = sorted({str(b) for _, b in names if str(b).lower() in {m.lower() for m in part.minor}})
    if not majors and not minors:
        return part
    return replace(part, major=tuple(majors), minor=tuple(minors))


def _span(first: dt.date, last: dt.date, months: Sequence[dt.date]) -> set[dt.date]:
    return {m for m in months if first <= m <= last}


def _grouped(rows: Sequence[tuple[Any, ...]]) -> dict[str | None, dict[dt.date, int]]:
    out: dict[str | None, dict[dt.date, int]] = {}
    for code, month, n in rows:
        out.setdefault(code if isinstance(code, str) else None, {})[month] = int(n)
    return out


def _datastore_kind(db: Database, parts: list[Part], spec: BasketSpec, line: Line, notes: list[str]) -> str | None:
    """The Datastore kind a line reads: its part's, else the borough file that has its categories and covers
    the periods best."""
    named = next((p.kind for p in parts if p.kind), None)
    available = {k: (a, b) for k, a, b in cubes.datastore_kinds(db)}
    if named:
        if named not in available:
            notes.append(f"{line.title}: no London Datastore counts of kind {named} are loaded")
        return named
    majors = {m.lower() for p in parts for m in p.major}
    minors = {m.lower() for p in parts for m in p.minor}
    every = any(not p.major and not p.minor for p in parts)
    candidates = []
    for kind in DATASTORE_KINDS:
        if kind not in available:
            continue
        names = queries.datastore_categories(db, kind)
        if every or any(str(a).lower() in majors or str(b).lower() in minors for a, b in names):
            candidates.append(kind)
    if not candidates:
        notes.append(
            f"{line.title}: no London Datastore borough file with these categories is loaded "
            "(load the MPS borough-level crime file: metforward ingest FILE)"
        )
        return None
    start, end = min(spec.before.first, spec.after.first), max(spec.before.last, spec.after.last)

    def overlap(kind: str) -> int:
        a, b = available[kind]
        lo, hi = max(a, start), min(b, end)
        return 0 if hi < lo else Period(lo, hi).months

    return max(candidates, key=lambda k: (overlap(k), -candidates.index(k)))


def _datastore(
    db: Database, parts: list[Part], kind: str | None, spec: BasketSpec, codes: list[str], first: dt.date, last: dt.date
) -> tuple[dict[str | None, dict[dt.date, int]], dict[str | None, set[dt.date]]]:
    if kind is None:
        return {}, {None: set()}
    every = any(not p.major and not p.minor for p in parts)
    rows = queries.datastore_series(
        db,
        kind=kind,
        level=spec.level,
        areas=codes if spec.level == "borough" else None,
        first=first,
        last=last,
        majors=[] if every else sorted({m for p in parts for m in p.major}),
        minors=[] if every else sorted({m for p in parts for m in p.minor}),
    )
    months = _span(first, last, cubes.months_present(db, source="datastore", first=first, last=last, kind=kind))
    return _grouped(rows), {None: months}


def _police(
    db: Database, part: Part, spec: BasketSpec, codes: list[str], first: dt.date, last: dt.date
) -> tuple[dict[str | None, dict[dt.date, int]], dict[str | None, set[dt.date]]]:
    rows = queries.police_series(
        db,
        level=spec.level,
        areas=codes if spec.level == "borough" else None,
        first=first,
        last=last,
        categories=part.category,
        force=part.force,
    )
    if spec.level == "force":
        force = part.force or "metropolitan"
        return _grouped(rows), {None: set(queries.police_months(db, first=first, last=last, force=force))}
    months: dict[str | None, set[dt.date]] = {}
    for code in codes:
        force = part.force or force_of_borough(code) or "metropolitan"
        months[code] = set(queries.police_months(db, first=first, last=last, force=force))
    return _grouped(rows), months


def _dashboard(
    db: Database,
    part: Part,
    spec: BasketSpec,
    codes: list[str],
    first: dt.date,
    last: dt.date,
    line: Line,
    notes: list[str],
) -> tuple[dict[str | None, dict[dt.date, int]], dict[str | None, set[dt.date]]]:
    what = {"crime_type": part.crime_type, "subtype": part.subtype, "measure": part.measure}
    months = queries.dashboard_months(db, **what, first=first, last=last)
    if not queries.dashboard_months(db, **what, first=dt.date(1900, 1, 1), last=dt.date(2999, 12, 1)):
        notes.append(
            f"{line.title}: no MPS Monthly Crime Dashboard rows of {part.crime_type} / {part.subtype} are loaded "
            "(load the dashboard file: metforward ingest FILE)"
        )
    rows = queries.dashboard_series(
        db, **what, level=spec.level, areas=codes if spec.level == "borough" else None, first=first, last=last
    )
    return _grouped(rows), {None: set(months)}


def _homicide(
    db: Database,
    part: Part,
    spec: BasketSpec,
    codes: list[str],
    first: dt.date,
    last: dt.date,
    line: Line,
    notes: list[str],
) -> tuple[dict[str | None, dict[dt.date, int]], dict[str | None, set[dt.date]]]:
    start, end = queries.homicide_span(db)
    if start is None:
        notes.append(
            f"{line.title}: no MPS homicide victims are loaded (load the victims file: metforward ingest FILE)"
        )
        return {}, {None: set()}
    for column, values in part.filters:
        known = {str(v).lower() for v in queries.homicide_values(db, column)}
        unknown = [v for v in values if v.lower() not in known]
        if unknown:
            notes.append(f"{line.title}: no homicide victim has {column.replace('_', ' ')} {', '.join(unknown)}")
    rows = queries.homicide_series(
        db,
        filters=part.filters,
        level=spec.level,
        areas=codes if spec.level == "borough" else None,
        first=first,
        last=last,
    )
    months = {m for m in Period(start, end).month_list() if first <= m <= last}
    return _grouped(rows), {None: months}


def months_with_data(db: Database, basket: Basket, first: dt.date = dt.date(2000, 1, 1)) -> list[set[dt.date]]:
    """For each line of ``basket``, the months from ``first`` to this month in which every source of the line has
    data (London)."""
    span = Period(first, dt.date.today().replace(day=1))
    spec = BasketSpec(Period(first, first), span, "force")
    out = []
    for line in basket.lines:
        series, _source, _notes = _line(db, line, spec, [])
        values = series["*"][1]
        out.append({m for m, v in zip(span.month_list(), values, strict=True) if not math.isnan(v)})
    return out


def load_kinds(basket: Basket, table: BasketTable | None = None) -> tuple[str, ...]:
    """The kinds of load a basket's answer rests on (for ``meta["loads"]``)."""
    kinds: list[str] = []
    for line in basket.lines:
        for part in line.parts:
            if part.source == "datastore":
                kinds.append(part.kind or "datastore-borough*")
            elif part.source == "police-uk":
                kinds.append("street")
            elif part.source == "dashboard":
                kinds.append("datastore-dashboard")
            else:
                kinds.append("homicide-victims")
    return tuple(dict.fromkeys(kinds))


__all__ = [
    "CITY",
    "DATASTORE_KINDS",
    "LONDON",
    "BasketSpec",
    "areas_of",
    "compare_basket",
    "load_kinds",
    "months_with_data",
    "read_line_counts",
    "where",
]
