"""Most similar boroughs (:mod:`metforward.analyse.similar`): what the similarity reads from the store.

No face shows it on its own: the JEM data pack (:mod:`metforward.questions.jem`) does. The method is
in :mod:`metforward.analyse.similar` and ``docs/methods/similar_boroughs.md``.
"""

from __future__ import annotations

import datetime as dt

from metforward.analyse.similar import Neighbour, SimilarError, Similarity, SimilarityInputs, similarity_of
from metforward.domain.periods import add_months
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.queries import profiles as profile_queries

#: The London Datastore kind the crime profile is read from.
PROFILE_KIND = "datastore-borough"


def read_inputs(db: Database, *, last: dt.date | None = None, months: int = 12) -> SimilarityInputs:
    """Population, boundary area and Datastore major-category counts of every borough over the ``months``
    months to ``last`` (default: the latest month of the Datastore borough counts)."""
    kinds = {k: (first, end) for k, first, end in cubes.datastore_kinds(db)}
    if PROFILE_KIND not in kinds:
        raise SimilarError(
            "no London Datastore borough counts (current categories) are loaded: ingest the MPS borough-level "
            "crime file to build crime profiles"
        )
    end = last or kinds[PROFILE_KIND][1]
    first = add_months(end, -(months - 1))
    rows = cubes.monthly_series(
        db, source="datastore", level="borough", first=first, last=end, by="major", kind=PROFILE_KIND
    )
    counts: dict[str, dict[str, int]] = {}
    for code, _name, major, _month, n in rows:
        counts.setdefault(code, {}).setdefault(major, 0)
        counts[code][major] += int(n)
    present = cubes.months_present(db, source="datastore", first=first, last=end, kind=PROFILE_KIND)
    return SimilarityInputs(
        counts=counts,
        people=cubes.population(db, level="borough", year=end.year) if counts else {},
        area=profile_queries.borough_areas(db) if counts else {},
        first=first,
        last=end,
        months=months,
        months_present=len(present),
        population_year=profile_queries.population_year(db, end.year) if counts else end.year,
    )


def similarity(db: Database, *, last: dt.date | None = None, months: int = 12) -> Similarity:
    """Profiles, z-scores and distances for every borough with population, area and Datastore counts."""
    return similarity_of(read_inputs(db, last=last, months=months))


def most_similar(
    db: Database, borough: str, *, k: int = 5, last: dt.date | None = None, months: int = 12
) -> tuple[list[Neighbour], Similarity]:
    """The ``k`` boroughs most similar to ``borough`` (a GSS code), with the whole similarity behind them."""
    sim = similarity(db, last=last, months=months)
    return sim.nearest(borough, k), sim


__all__ = ["PROFILE_KIND", "most_similar", "read_inputs", "similarity"]
