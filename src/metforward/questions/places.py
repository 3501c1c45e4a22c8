"""What the place questions (hot streets, repeats, hot spots, near repeats, map layers) share: the
area they are about, the period asked for (or the latest month loaded), the force behind an area and
the months it published, and the crimes by snap point read from the places cube.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from metforward.analyse.crime_map import Coverage
from metforward.domain.areas import force_of_borough
from metforward.domain.periods import Period, parse_month
from metforward.errors import BadRequest, NoData
from metforward.store import cubes, places
from metforward.store.database import Database
from metforward.store.places import Place
from metforward.store.queries import areas as area_queries

#: Every month there is (for reads over all the months loaded).
EVER = (dt.date(1900, 1, 1), dt.date(2999, 12, 1))


def categories_of(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Crime types as a Query holds them: a tuple (hashable, so answers can be cached), None for all."""
    if value is None or isinstance(value, str):
        return (value,) if value else None
    return tuple(value) or None


def check_period(text: str | None, field: str = "period") -> None:
    """:class:`BadRequest` naming ``field`` unless ``text`` is None or a period YYYY-MM[:YYYY-MM]."""
    if text is not None:
        Period.parse(text, field=field)


def check_month(text: str | None, field: str) -> dt.date | None:
    """The month ``text`` (YYYY-MM) names, None for None; :class:`BadRequest` naming ``field`` otherwise."""
    try:
        return None if text is None else parse_month(text)
    except ValueError as exc:
        raise BadRequest(str(exc), field=field) from exc


def loaded_months(db: Database) -> list[dt.date]:
    """Every month with police.uk street data loaded."""
    return cubes.months_present(db, source="police-uk", first=EVER[0], last=EVER[1])


def loaded_categories(db: Database) -> list[str]:
    """Every police.uk crime type in the data loaded."""
    found: set[str] = set()
    for types in cubes.force_categories(db, first=EVER[0], last=EVER[1]).values():
        found |= types
    return sorted(found)


def check_categories(db: Database, categories: Sequence[str] | None) -> None:
    """:class:`BadRequest` (field ``category``) for a crime type not in the data loaded."""
    if not categories:
        return
    known = loaded_categories(db)
    for c in categories:
        if c not in known:
            raise BadRequest(f"no police.uk crime type {c!r} is loaded; one of: {', '.join(known)}", field="category")


def choose_period(db: Database, period: str | None, month: str | None = None) -> Period:
    """The period asked for (``period`` or one ``month``, not both), by default the latest month loaded."""
    if period and month:
        raise BadRequest("give a month or a period, not both", field="period")
    text, field = (period, "period") if period else (month, "month")
    if text:
        return Period.parse(text, field=field)
    months = loaded_months(db)
    if not months:
        raise NoData("no police.uk street data is loaded: ingest some first", field=field)
    return Period(months[-1], months[-1])


def place_of(db: Database, area: str) -> Place:
    """The borough, ward or LSOA ``area`` names (the one resolver: NotFound, Ambiguous, NoData)."""
    return places.resolve_place(db, area)


def borough_of(db: Database, place: Place) -> str | None:
    """The borough (GSS code) of ``place``."""
    return place.code if place.level == "borough" else area_queries.borough_of(db, place.level, place.code)


def forces_of(db: Database, place: Place, force: str | None) -> list[str]:
    """``force`` if given, else the force that polices ``place`` (none known outside London)."""
    if force:
        return [force]
    borough = borough_of(db, place)
    home = force_of_borough(borough) if borough else None
    return [home] if home else []


def latest_month(
    db: Database, place: Place, *, categories: Sequence[str] | None = None, force: str | None = None
) -> dt.date | None:
    """The last month in which the force behind ``place`` (or ``force``) published street rows (of ``categories``)."""
    forces = forces_of(db, place, force)
    if not forces:
        return None
    cats = list(categories) if categories else None
    months = places.months_published(db, forces=forces, categories=cats, first=EVER[0], last=EVER[1])
    return months[-1] if months else None


def coverage_of(
    db: Database, place: Place, period: Period, categories: Sequence[str] | None, force: str | None
) -> Coverage:
    """The months of ``period`` in which the force behind ``place`` (or ``force``) published street rows."""
    forces = forces_of(db, place, force)
    cats = list(categories) if categories else None
    present = (
        places.months_published(db, forces=forces, categories=cats, first=period.first, last=period.last)
        if forces
        else []
    )
    return Coverage(period.months, present)


def crimes_at(
    db: Database, place: Place, first: dt.date, last: dt.date, categories: Sequence[str] | None, force: str | None
) -> dict[str, list[Any]]:
    """Crimes by snap point in ``place`` from ``first`` to ``last``, as columns (the places cube's:
    ``force, month, category, location, longitude, latitude, lsoa21_code, ward_code, ward_name, n``)."""
    cats = list(categories) if categories else None
    table = places.place_counts(db, place, first=first, last=last, categories=cats, force=force)
    data: dict[str, list[Any]] = table.to_pydict()
    return data


def place_meta(place: Place, coverage: Coverage) -> dict[str, Any]:
    """What every place answer's meta starts with: the area and the months with data."""
    return {
        "area_code": place.code,
        "area_name": place.name,
        "area_level": place.level,
        "months_with_data": len(coverage.present),
        "months_asked": coverage.asked,
        "months_present": [m.strftime("%Y-%m") for m in coverage.present],
    }


__all__ = [
    "EVER",
    "borough_of",
    "categories_of",
    "check_categories",
    "check_month",
    "check_period",
    "choose_period",
    "coverage_of",
    "crimes_at",
    "forces_of",
    "latest_month",
    "loaded_categories",
    "loaded_months",
    "place_meta",
    "place_of",
]
