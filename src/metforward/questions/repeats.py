"""Repeat locations: the snap points of an area with crime in at least k of the last n months.

The one place the question is answered: options and defaults (:class:`Query`), the last month (the
latest the area's force published, unless given), the read (:func:`repeat_locations`) and the kernel
(:func:`metforward.analyse.streets.find_repeats`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields

from metforward.analyse.crime_map import Coverage
from metforward.analyse.streets import RepeatLocation, find_repeats, repeat_window
from metforward.domain.periods import month_text
from metforward.errors import NoData
from metforward.questions.answer import Answer, jsonable
from metforward.questions.base import Question, loads_used
from metforward.questions.places import (
    categories_of,
    check_month,
    coverage_of,
    crimes_at,
    latest_month,
    place_meta,
    place_of,
)
from metforward.store.database import Database
from metforward.store.places import Place

#: The keys of each row, in order (``RepeatLocation``'s fields).
COLUMNS = tuple(f.name for f in fields(RepeatLocation))


@dataclass(frozen=True)
class Query:
    """Which repeat locations to find (text options, defaults in one place): crime in at least
    ``min_months`` (k) of the ``months`` (n) months to ``end`` (default: the latest the area's force published)."""

    area: str
    end: str | None = None
    months: int = 6
    min_months: int = 3
    category: Sequence[str] | None = None
    force: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", categories_of(self.category))
        check_month(self.end, "end")


def repeat_locations(
    db: Database,
    place: Place,
    *,
    end: dt.date,
    months: int = 6,
    min_months: int = 3,
    categories: Sequence[str] | None = None,
    force: str | None = None,
) -> tuple[list[RepeatLocation], Coverage]:
    """Snap points of ``place`` with crime in at least ``min_months`` of the ``months`` months ending ``end``,
    and how many of those months the force published (for the questions that build on it: the JEM pack)."""
    period = repeat_window(end, months, min_months)
    rows = crimes_at(db, place, period.first, period.last, categories, force)
    return find_repeats(rows, min_months=min_months), coverage_of(db, place, period, categories, force)


def ask(db: Database, query: Query) -> Answer:
    """The repeat locations of the area ``query`` names."""
    place = place_of(db, query.area)
    last = check_month(query.end, "end") or latest_month(db, place, categories=query.category, force=query.force)
    if last is None:
        raise NoData(f"no police.uk street data is loaded for the force policing {place.name}", field="end")
    found, cov = repeat_locations(
        db,
        place,
        end=last,
        months=query.months,
        min_months=query.min_months,
        categories=query.category,
        force=query.force,
    )
    return Answer(
        question="repeats",
        query={
            "area": query.area,
            "end": month_text(last),
            "months": query.months,
            "min_months": query.min_months,
            "category": query.category,
            "force": query.force,
        },
        items=[jsonable(r) for r in found],
        columns=COLUMNS,
        meta={
            **place_meta(place, cov),
            "end": month_text(last),
            "months": query.months,
            "min_months": query.min_months,
            "locations": "police.uk snap points: anonymised, never more precise than a snap point",
            "loads": loads_used(db, ("street",)),
        },
        notes=[] if not cov.missing else [f"{cov.missing} of {cov.asked} months have no police.uk rows"],
        result=(found, cov),
    )


QUESTION = Question(
    name="repeats",
    query=Query,
    ask=ask,
    command=("repeats",),
    route=None,  # the web shows it as a map layer (GeoJSON, /geo/repeats)
    summary="Repeat locations: snap points with crime in at least k of the last n months.",
    example={"area": "Westminster", "end": "2024-12"},
)

__all__ = ["COLUMNS", "QUESTION", "Query", "ask", "repeat_locations"]
