"""Compare two periods: counts by area and category, rate ratio with interval, p and q values, verdict.

The one place the comparison is answered: its options and their defaults (:class:`Query`), the
periods (:func:`metforward.domain.periods.two_periods`), the area (the one resolver), what is read
from the store (:func:`read_counts`), and the kernel (:func:`metforward.analyse.compare.tabulate`).

With ``basket`` (a basket file, ``docs/baskets.md``, or a built-in basket's name) the categories are the
basket's lines, each counted from its own sources (:mod:`metforward.questions.baskets`), for London
(``level`` force) or by borough; the rows are the same :class:`~metforward.analyse.compare.CompareRow`
(``category`` is the line's title) and ``meta["basket"]`` gives each line's sources and caveat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from metforward.analyse.compare import (
    SOURCES,
    CompareCounts,
    CompareRow,
    CompareSpec,
    CompareTable,
    choose_kind,
    tabulate,
)
from metforward.analyse.dispersion import METHODS
from metforward.domain.periods import Period, add_months, month_text, two_periods
from metforward.errors import BadRequest
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.questions.basket_file import basket_version, resolve_basket
from metforward.questions.baskets import BasketSpec, compare_basket, load_kinds, where
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.places import resolve_area

#: The keys of each row, in order (``CompareRow``'s fields).
COLUMNS = tuple(CompareRow.__dataclass_fields__)


@dataclass(frozen=True)
class Query:
    """What to compare, as text options (every face builds this), with the defaults in one place."""

    before: str | None = None
    after: str | None = None
    around: str | None = None
    window: int = 21
    level: str = "borough"
    area: str | None = None
    source: str = "police-uk"
    by: str | None = None
    force: str | None = None
    kind: str | None = None
    alpha: float = 0.05
    method: str = "quasi"
    basket: str | None = None

    def spec(self) -> CompareSpec:
        """The comparison asked for, checked: :class:`BadRequest` naming the option at fault (with a basket,
        its level and area too: see :meth:`basket_spec`)."""
        first, second = two_periods(self.before, self.after, self.around, self.window)
        if self.basket:
            self.basket_spec()
        return CompareSpec(
            before=first,
            after=second,
            source=self.source,
            level=self.level,
            area=self.area,
            force=self.force,
            by=self.by or default_by(self.source),
            kind=self.kind,
            alpha=self.alpha,
            method=self.method,
        )

    def basket_spec(self) -> BasketSpec:
        """The basket comparison asked for: London (``level`` force, or an area meaning London) or by borough
        (``level`` borough, or one borough named by ``area``)."""
        first, second = two_periods(self.before, self.after, self.around, self.window)
        if self.method not in METHODS:
            raise BadRequest(f"unknown method {self.method!r} (expected one of {', '.join(METHODS)})", field="method")
        level, area = where(self.area, self.level)
        return BasketSpec(first, second, level, area, self.alpha, self.method)


def default_by(source: str) -> str:
    """The categories a comparison is by when not told: police.uk crime types, else Datastore major categories."""
    return "category" if source == "police-uk" else "major"


def default_periods(db: Database, source: str) -> tuple[Period, Period]:
    """The periods a comparison takes when none is given: the latest 12 months of the source's data against the
    12 before (the latest month: two months ago when nothing is loaded)."""
    latest = cubes.latest_month(db, source=source) or add_months(dt.date.today().replace(day=1), -2)
    after = Period(add_months(latest, -11), latest)
    return Period(add_months(after.first, -12), add_months(after.last, -12)), after


def with_default_periods(db: Database, query: Query) -> Query:
    """``query`` with ``before`` and ``after`` filled in from :func:`default_periods` where not given (and no
    ``around``): what the web page compares when it is opened without periods."""
    if query.around or (query.before and query.after) or query.source not in SOURCES:
        return query  # nothing to fill in, or an unknown source that ``spec()`` names
    first, second = default_periods(db, "datastore" if query.basket else query.source)
    return replace(query, before=query.before or str(first), after=query.after or str(second))


def read_counts(db: Database, spec: CompareSpec) -> CompareCounts:
    """Everything the comparison of ``spec`` needs from the store (the cubes)."""
    available = {k: (first, last) for k, first, last in cubes.datastore_kinds(db)}
    kind = choose_kind(spec, available)
    place = (
        resolve_area(db, spec.area, names=cubes.area_lookup(db, source=spec.source, level=spec.level), level=spec.level)
        if spec.area
        else None
    )
    areas = [place.code] if place else None
    window = {
        "source": spec.source,
        "level": spec.level,
        "before": (spec.before.first, spec.before.last),
        "after": (spec.after.first, spec.after.last),
        "by": (spec.by,),
        "areas": areas,
        "force": spec.force,
        "kind": kind,
    }
    first, last = min(spec.before.first, spec.after.first), max(spec.before.last, spec.after.last)
    police = spec.source == "police-uk"
    return CompareCounts(
        kind=kind,
        raw=cubes.period_counts(db, **window),  # type: ignore[arg-type]
        present_before=cubes.months_present(
            db, source=spec.source, first=spec.before.first, last=spec.before.last, force=spec.force, kind=kind
        ),
        present_after=cubes.months_present(
            db, source=spec.source, first=spec.after.first, last=spec.after.last, force=spec.force, kind=kind
        ),
        squares=cubes.period_squares(db, **window) if spec.method == "quasi" else {},  # type: ignore[arg-type]
        covered=cubes.coverage(db, first=first, last=last) if police else {},
        no_location=cubes.no_location_share(db, first=first, last=last, force=spec.force) if police else {},
        people=cubes.population(db, level=spec.level, year=spec.after.last.year)
        if spec.level in ("borough", "lsoa")
        else {},
    )


def compare(db: Database, spec: CompareSpec) -> CompareTable:
    """The comparison ``spec`` asks for (for other questions that build on it: exceptions, reports)."""
    return tabulate(spec, read_counts(db, spec))


def as_answered(spec: CompareSpec) -> dict[str, Any]:
    """The query of a two-period comparison as answered (the ``query`` of its envelope)."""
    return {
        "before": str(spec.before),
        "after": str(spec.after),
        "source": spec.source,
        "level": spec.level,
        "area": spec.area,
        "force": spec.force,
        "by": spec.by,
        "kind": spec.kind,
        "alpha": spec.alpha,
        "method": spec.method,
    }


def months_meta(table: CompareTable) -> dict[str, Any]:
    """What a two-period answer rests on in time: the months present in each period, those missing, and the
    year of the populations behind the rates."""
    return {
        "months_present_before": [month_text(m) for m in table.months_present_before],
        "months_present_after": [month_text(m) for m in table.months_present_after],
        "months_missing": [month_text(m) for m in table.missing_months],
        "population_year": table.population_year,
    }


def source_kinds(spec: CompareSpec, kind: str | None) -> tuple[str, ...]:
    """The load kinds a two-period answer rests on (for ``meta["loads"]``)."""
    return ("street",) if spec.source == "police-uk" else (kind or "datastore-*",)


def ask_basket(db: Database, query: Query) -> Answer:
    """The basket comparison ``query`` asks for (``query.basket`` set)."""
    spec = query.basket_spec()
    assert query.basket is not None
    basket = resolve_basket(query.basket)
    table = compare_basket(db, basket, spec)
    return Answer(
        question="compare",
        query={
            "before": str(spec.before),
            "after": str(spec.after),
            "level": spec.level,
            "area": spec.area,
            "basket": basket.origin,
            "alpha": spec.alpha,
            "method": spec.method,
        },
        items=[r.as_dict() for r in table.rows],
        columns=COLUMNS,
        meta={
            "basket": table.as_dict(),
            "method": spec.method,
            "method_note": table.method_note,
            "loads": loads_used(db, load_kinds(basket)),
        },
        notes=list(table.notes),
        result=table,
    )


def ask(db: Database, query: Query) -> Answer:
    """Compare the two periods ``query`` asks for, for every area and category it selects (or every line of
    its basket)."""
    if query.basket:
        return ask_basket(db, query)
    spec = query.spec()
    table = compare(db, spec)
    return Answer(
        question="compare",
        query=as_answered(spec),
        items=[r.as_dict() for r in table.rows],
        columns=COLUMNS,
        meta={
            "kind": table.kind,
            **months_meta(table),
            "method": spec.method,
            "method_note": table.method_note,
            "loads": loads_used(db, source_kinds(spec, table.kind)),
        },
        notes=list(table.notes),
        result=table,
    )


QUESTION = Question(
    name="compare",
    query=Query,
    ask=ask,
    command=("compare",),
    route="/compare",
    summary="Compare counts in two periods by area and category: rate ratio, interval, p and q values, verdict.",
    example={"before": "2024-01:2024-01", "after": "2024-02:2024-02", "level": "borough"},
    columns=COLUMNS,
    version=lambda query: basket_version(query.basket),
)

__all__ = [
    "QUESTION",
    "Query",
    "ask",
    "ask_basket",
    "compare",
    "default_by",
    "default_periods",
    "read_counts",
    "with_default_periods",
]
