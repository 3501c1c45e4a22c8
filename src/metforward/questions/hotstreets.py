"""Hot streets: an area's streets ranked by count or harm, with the change on the previous period and
the concentration of crime (how many streets hold half of it).

The one place the question is answered: its options and defaults (:class:`Query`), the area and
period, what is read from the places cube (:func:`hot_streets`), and the kernel
(:func:`metforward.analyse.streets.rank_streets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from metforward.analyse.harm import load_weights
from metforward.analyse.streets import HotStreets, Street, previous_period, rank_streets
from metforward.domain.periods import Period
from metforward.questions.answer import Answer, jsonable
from metforward.questions.base import Question, loads_used
from metforward.questions.places import (
    categories_of,
    check_period,
    choose_period,
    coverage_of,
    crimes_at,
    place_meta,
    place_of,
)
from metforward.store.database import Database
from metforward.store.places import Place

#: The keys of each row, in order (``Street``'s fields).
COLUMNS = tuple(f.name for f in fields(Street))


@dataclass(frozen=True)
class Query:
    """Which streets to rank, as text options (every face builds this), with the defaults in one place.

    ``period`` (or one ``month``, not both) defaults to the latest month loaded; ``category`` is every
    crime type when None."""

    area: str
    period: str | None = None
    month: str | None = None
    category: Sequence[str] | None = None
    rank_by: str = "count"
    force: str | None = None
    method: str = "quasi"

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", categories_of(self.category))
        check_period(self.period)
        check_period(self.month, "month")


def hot_streets(
    db: Database,
    place: Place,
    period: Period,
    *,
    categories: Sequence[str] | None = None,
    rank_by: str = "count",
    force: str | None = None,
    alpha: float = 0.05,
    method: str = "quasi",
) -> HotStreets:
    """Streets of ``place`` ranked by count (or ``rank_by="harm"``) in ``period``, with change and concentration
    (for the questions that build on it: the map layers, the borough reports)."""
    previous = previous_period(period)
    rows = crimes_at(db, place, previous.first, period.last, categories, force)
    weights = {k: w.weight for k, w in load_weights("ons-css", "police-uk").items()}
    return rank_streets(
        rows,
        place=place,
        period=period,
        coverage=coverage_of(db, place, period, categories, force),
        previous_coverage=coverage_of(db, place, previous, categories, force),
        weights=weights,
        rank_by=rank_by,
        alpha=alpha,
        method=method,
    )


def ask(db: Database, query: Query) -> Answer:
    """The streets of the area ``query`` names, ranked, in the period it asks for."""
    place = place_of(db, query.area)
    period = choose_period(db, query.period, query.month)
    result = hot_streets(
        db, place, period, categories=query.category, rank_by=query.rank_by, force=query.force, method=query.method
    )
    return Answer(
        question="hotstreets",
        query={
            "area": query.area,
            "period": str(period),
            "category": query.category,
            "rank_by": query.rank_by,
            "force": query.force,
            "method": query.method,
        },
        items=[jsonable(s) for s in result.streets],
        columns=COLUMNS,
        meta={
            **place_meta(place, result.coverage),
            "period": str(period),
            "previous_period": str(result.previous_period),
            "previous_months_with_data": len(result.previous_coverage.present),
            "crimes": result.total,
            "streets": result.street_count,
            "streets_for_half": result.streets_for_half,
            "harm": "ONS Crime Severity Score weights (docs/methods/harm.md)",
            "harm_coverage": result.harm_coverage,
            "method": query.method,
            "method_note": result.method_note,
            "loads": loads_used(db, ("street",)),
        },
        notes=list(result.notes),
        result=result,
    )


QUESTION = Question(
    name="hotstreets",
    query=Query,
    ask=ask,
    command=("hotstreets",),
    route="/hotstreets",
    summary="Streets ranked by count or harm, with change on the previous period and the concentration of crime.",
    example={"area": "Westminster", "period": "2024-01:2024-06"},
)

__all__ = ["COLUMNS", "QUESTION", "Query", "ask", "hot_streets"]
