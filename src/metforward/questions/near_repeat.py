"""Near repeats: the Knox test (Near Repeat Calculator bands) on the crimes of an area, at month resolution.

The one place the question is answered: options and defaults (:class:`Query`), the events read from
the places cube (:func:`metforward.analyse.crime_map.events_of`) and the kernel
(:func:`metforward.analyse.near_repeat.knox_test`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metforward.analyse.crime_map import MapError, events_of
from metforward.analyse.near_repeat import knox_test
from metforward.questions.answer import Answer
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

#: The keys of each row (one cell of the Knox table).
COLUMNS = ("space_band", "time_band", "observed", "expected", "ratio", "p_value", "q_value")
#: What every answer says about the time bands and the locations.
CAVEAT = (
    "police.uk gives months, not days, so the time bands are months (same month, 1 month apart, ...): "
    "the 1-2 week near-repeat window of the literature is inside the 'same month' band. "
    "'Same location' means the same anonymised snap point."
)


@dataclass(frozen=True)
class Query:
    """Which crimes to test and how (text options, defaults in one place): ``category`` defaults to
    burglary, ``period`` (or one ``month``) to the latest month loaded."""

    area: str
    period: str | None = None
    month: str | None = None
    category: Sequence[str] | None = ("Burglary",)
    space_bandwidth: float = 100.0
    space_bands: int = 5
    time_bands: int = 5
    permutations: int = 999
    seed: int | None = 1
    force: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", categories_of(self.category) or ("Burglary",))
        check_period(self.period)
        check_period(self.month, "month")
        if self.permutations < 1:
            raise MapError(f"permutations must be an integer >= 1, got {self.permutations}", field="permutations")


def ask(db: Database, query: Query) -> Answer:
    """The Knox table of the crimes ``query`` asks about."""
    place = place_of(db, query.area)
    period = choose_period(db, query.period, query.month)
    types = list(query.category or ())
    x, y, t = events_of(crimes_at(db, place, period.first, period.last, types, query.force), period)
    cov = coverage_of(db, place, period, types, query.force)
    if len(x) < 2:
        raise MapError(f"fewer than two {', '.join(types)} crimes with a location in {place.name}")
    result = knox_test(
        x,
        y,
        t,
        space_bandwidth=query.space_bandwidth,
        space_bands=query.space_bands,
        time_bandwidth=1,
        time_bands=query.time_bands,
        permutations=query.permutations,
        seed=query.seed,
        time_unit="month",
    )
    return Answer(
        question="near-repeat",
        query={
            "area": query.area,
            "period": str(period),
            "category": query.category,
            "space_bandwidth": query.space_bandwidth,
            "space_bands": query.space_bands,
            "time_bands": query.time_bands,
            "permutations": query.permutations,
            "seed": query.seed,
            "force": query.force,
        },
        items=result.cells(),
        columns=COLUMNS,
        meta={
            **place_meta(place, cov),
            "period": str(period),
            "categories": types,
            "events": result.n_events,
            "pairs": result.n_pairs,
            "permutations": result.permutations,
            "seed": result.seed,
            "time_unit": result.time_unit,
            "space_bands": list(result.space_bands),
            "time_bands": list(result.time_bands),
            "method": "Knox test, Monte Carlo permutations of the event times; q: Benjamini-Hochberg across cells",
            "loads": loads_used(db, ("street",)),
        },
        notes=[CAVEAT],
        result=result,
    )


QUESTION = Question(
    name="near-repeat",
    query=Query,
    ask=ask,
    command=("near-repeat",),
    route=None,
    summary="Knox near-repeat test (Near Repeat Calculator bands) on the crimes of an area, at month resolution.",
    example={"area": "Westminster", "period": "2024-01:2024-06", "permutations": 19},
)

__all__ = ["CAVEAT", "COLUMNS", "QUESTION", "Query", "ask"]
