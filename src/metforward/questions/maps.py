"""Crime by area, the map's choropleth layers: every borough, ward or LSOA of London (or of one area)
with its police.uk street crimes in a period, their exact interval, the rate per 1,000 residents per
year with its interval, and harm.

The one version of these figures: the ``map`` command's LSOA and ward layers, the web map's area
layers (``/api/v1/geo/areas``), the map page's list and the JEM pack's LSOA rates all come from
:func:`area_figures` here. Counts are the cube's (each area's home force, as ``compare``); the
kernel is :func:`metforward.analyse.crime_map.tally_areas`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import shapely

from metforward.analyse.crime_map import AREA_COLUMNS, AreaFigures, MapError, tally_areas
from metforward.analyse.harm import load_weights
from metforward.domain.areas import means_london
from metforward.domain.periods import Period, month_text
from metforward.questions.answer import Answer, jsonable
from metforward.questions.base import Question, loads_used
from metforward.questions.places import (
    categories_of,
    check_categories,
    check_period,
    choose_period,
    forces_of,
)
from metforward.store import cubes, places
from metforward.store.database import Database
from metforward.store.places import Place, resolve_area
from metforward.store.queries import areas as area_queries

LEVELS = ("borough", "ward", "lsoa")
#: The columns of :func:`metforward.store.queries.areas.members` that hold each level's code and name.
_MEMBER = {"borough": (0, 1), "ward": (2, 3), "lsoa": (4, 5)}
#: What the rate and the harm are, for a layer's readers.
RATE_TEXT = "crimes per 1,000 residents per year"
HARM_TEXT = "ONS Crime Severity Score weights (docs/methods/harm.md)"
INTERVAL_TEXT = "exact 95% Poisson interval (Garwood 1936)"


@dataclass(frozen=True)
class Query:
    """Which areas to tally (text options, defaults in one place): the ``level`` areas of ``area`` (None:
    London), by default LSOAs of an area and boroughs of London; ``period`` (or one ``month``) by
    default the latest month loaded; ``category`` every crime type when None."""

    area: str | None = None
    period: str | None = None
    month: str | None = None
    level: str | None = None
    category: Sequence[str] | None = None
    force: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", categories_of(self.category))
        check_period(self.period)
        check_period(self.month, "month")
        if self.level is not None and self.level not in LEVELS:
            raise MapError(f"area layers are by {', '.join(LEVELS)}, not {self.level!r}", field="level")

    @property
    def chosen_level(self) -> str:
        """The level asked for, or by default LSOAs of an area and boroughs of London."""
        return self.level or ("borough" if means_london(self.area) else "lsoa")


def area_figures(
    db: Database,
    place: Place | None,
    period: Period,
    *,
    level: str = "lsoa",
    categories: Sequence[str] | None = None,
    force: str | None = None,
    shapes: bool = False,
) -> AreaFigures:
    """Every ``level`` area of ``place`` (None: London) with its crime in ``period``, zero counts included;
    with ``shapes``, each area's boundary (WGS84) where one is loaded."""
    if level not in LEVELS:
        raise MapError(f"area layers are by {', '.join(LEVELS)}, not {level!r}", field="level")
    rows = area_queries.members(db) if place is None else area_queries.members(db, place.level, place.code)
    code_at, name_at = _MEMBER[level]
    units = {str(r[code_at]): str(r[name_at] or r[code_at]) for r in rows if r[code_at]}
    year = period.last.year
    if level == "ward":
        lsoa_people = cubes.population(db, level="lsoa", year=year)
        people: dict[str, float] = defaultdict(float)
        for r in rows:
            if r[2] and r[4] in lsoa_people:
                people[str(r[2])] += lsoa_people[r[4]]
    else:
        people = dict(cubes.population(db, level=level, year=year))
    counts = cubes.period_counts(
        db,
        source="police-uk",
        level=level,
        before=(period.first, period.last),
        after=(period.first, period.last),
        by=("category",),
        areas=sorted(units) if place is not None else None,
        force=force,
    )
    home = forces_of(db, place, force) if place is not None else ([force] if force else [])
    found = tally_areas(
        list(units.items()),
        ((code, category, after, row_forces) for code, _name, category, _before, after, row_forces in counts),
        level=level,
        period=period,
        coverage=cubes.coverage(db, first=period.first, last=period.last),
        people=people,
        weights={k: w.weight for k, w in load_weights("ons-css", "police-uk").items()},
        categories=categories,
        force=home[0] if home else None,
    )
    if not shapes:
        return found
    loaded = places.area_shapes(db, level, list(units))
    drawn = [
        dataclasses.replace(f, shape=shapely.from_wkb(loaded[f.code][1])) if f.code in loaded else f
        for f in found.figures
    ]
    return dataclasses.replace(found, figures=drawn)


def boundaries(db: Database, level: str) -> dict[str, tuple[str, bytes]]:
    """London's boundaries at ``level``: code -> (name, WKB in WGS84), for the web map to simplify."""
    return places.area_shapes(db, level, area_queries.london_codes(db, level))


def bounds(db: Database, area: str | None) -> tuple[float, float, float, float] | None:
    """The extent of ``area`` (None: London) as an RFC 7946 bbox (west, south, east, north, WGS84), from
    its stored boundary (London: its boroughs'); None when no boundary is loaded."""
    place = resolve_area(db, area)
    level, codes = (
        ("borough", area_queries.london_codes(db, "borough")) if place is None else (place.level, [place.code])
    )
    shapes = places.area_shapes(db, level, codes)
    if not shapes:
        return None
    west, south, east, north = shapely.total_bounds([shapely.from_wkb(wkb) for _name, wkb in shapes.values()])
    return (round(float(west), 5), round(float(south), 5), round(float(east), 5), round(float(north), 5))


def ward_labels(db: Database, area: str | None = None) -> list[tuple[str, str, float, float]]:
    """Each ward of ``area`` (None: London) with a point to write its name at: (code, name, longitude,
    latitude), the point on its boundary's surface (inside even a crescent-shaped ward), by code."""
    place = resolve_area(db, area)
    rows = area_queries.members(db) if place is None else area_queries.members(db, place.level, place.code)
    wards = sorted({str(r[2]) for r in rows if r[2]})
    labels = []
    for code, (name, wkb) in sorted(places.area_shapes(db, "ward", wards).items()):
        point = shapely.point_on_surface(shapely.from_wkb(wkb))
        labels.append((code, name, round(float(point.x), 5), round(float(point.y), 5)))
    return labels


def ask(db: Database, query: Query, *, shapes: bool = False) -> Answer:
    """The areas ``query`` asks for, each with its crime (and its boundary in ``result`` with ``shapes``)."""
    place = resolve_area(db, query.area)
    period = choose_period(db, query.period, query.month)
    check_categories(db, query.category)
    level = query.chosen_level
    result = area_figures(db, place, period, level=level, categories=query.category, force=query.force, shapes=shapes)
    return Answer(
        question="map",
        query={
            "area": query.area,
            "period": str(period),
            "level": level,
            "category": query.category,
            "force": query.force,
        },
        items=[jsonable(f) for f in result.figures],
        columns=AREA_COLUMNS,
        meta={
            "area_code": place.code if place else "london",
            "area_name": place.name if place else "London",
            "level": level,
            "period": str(period),
            "months_asked": period.months,
            "months_present": [month_text(m) for m in result.months_present],
            "categories": list(query.category) if query.category else "all",
            "rate": RATE_TEXT,
            "interval": INTERVAL_TEXT,
            "harm": HARM_TEXT,
            "loads": loads_used(db, ("street",)),
        },
        notes=[],
        result=result,
    )


QUESTION = Question(
    name="map",
    query=Query,
    ask=ask,
    command=("map",),
    route=None,  # the web shows it as a map layer (GeoJSON, /geo/areas)
    summary="Crime by borough, ward or LSOA: count with its exact interval, rate per 1,000 residents a year, harm.",
    example={"area": "Westminster", "period": "2024-01:2024-12", "level": "lsoa"},
    options={"level": "--layer"},
)

__all__ = ["LEVELS", "QUESTION", "Query", "area_figures", "ask", "boundaries", "bounds", "ward_labels"]
