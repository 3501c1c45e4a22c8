"""The visible-and-accessible-policing strand: residents' distance to the nearest open police front counter before
and after MOPAC's 2013 closures, by borough and LSOA, and the share of residents beyond 2 km.

What is read: MOPAC's 2013 front-counter list (``metforward ingest`` of the keep/cut file: a counter was open
before when its ``current`` opening is not ``CLOSED``, after when its ``proposed`` one is not), the LSOA 2021
boundaries (built into metforward for London), the ONS LSOA population estimates of ``year`` (default 2013,
the year of the closures; the latest in or before it) and the LSOA -> borough lookups. The kernel is
:func:`metforward.analyse.access.measure_access` (straight-line distances in British National Grid). The
City of London is left out: its own force's counters are not in the MOPAC list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from metforward.analyse.access import THRESHOLD_M, Access, measure_access, representative_point
from metforward.analyse.geo import shape_to_bng, to_bng
from metforward.domain.areas import LONDON_BOROUGHS, borough_code, means_london
from metforward.errors import BadRequest, NoData, NotFound
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store.database import Database
from metforward.store.queries import police_sites as queries
from metforward.store.queries.status import load_version

#: The levels of the rows: one per borough (with London first), or one per LSOA.
LEVELS = ("borough", "lsoa")
CITY = "E09000001"
BOROUGH_COLUMNS = (
    "area_code",
    "area_name",
    "lsoas",
    "population",
    "counters_before",
    "counters_after",
    "mean_before_m",
    "mean_after_m",
    "beyond_before",
    "beyond_after",
    "share_beyond_before",
    "share_beyond_after",
    "newly_beyond",
    "no_longer_beyond",
)
LSOA_COLUMNS = (
    "lsoa_code",
    "lsoa_name",
    "borough_code",
    "borough_name",
    "population",
    "distance_before_m",
    "distance_after_m",
    "nearest_before",
    "nearest_after",
    "beyond_before",
    "beyond_after",
)
#: How the residents of an LSOA are placed, in words (for notes and pages).
POINTS = (
    "each LSOA's residents are placed at the centroid of its 2021 boundary (a point on its surface where the "
    "centroid falls outside): the ONS population-weighted centroids are not in the data"
)


@dataclass(frozen=True)
class Query:
    """The strand for London (default) or one borough (``area``), rows by ``level`` (``borough``: London and each
    borough; ``lsoa``: each LSOA of the area), residents of ``year`` (ONS LSOA estimates), beyond ``threshold_km``."""

    area: str | None = None
    level: str = "borough"
    year: int = 2013
    threshold_km: float = THRESHOLD_M / 1000

    def borough(self) -> str | None:
        """The borough asked for (None: London); :class:`NotFound` for an area that is not a London borough."""
        if means_london(self.area):
            return None
        assert self.area is not None
        code = borough_code(self.area) or borough_code(self.area.replace("-", " "))
        if code is None:
            raise NotFound(f"{self.area!r} is not a London borough (give a name or a GSS code)", field="area")
        return code

    def check(self) -> None:
        """:class:`BadRequest` or ``NotFound`` for a malformed option, before the store is opened."""
        if self.level not in LEVELS:
            raise BadRequest(f"level must be one of {', '.join(LEVELS)}, not {self.level!r}", field="level")
        if not 0 < self.threshold_km <= 50:
            raise BadRequest("threshold_km must lie between 0 and 50", field="threshold_km")
        if not 1990 <= self.year <= 2100:
            raise BadRequest(f"year {self.year} is not a year of the estimates", field="year")
        self.borough()


@dataclass(frozen=True)
class VisiblePolicing:
    """The strand answered: the kernel's result, the counters (BNG), the population years used, and notes."""

    access: Access
    counters: list[dict[str, Any]]
    population_years: list[int]
    notes: list[str]
    borough: str | None


#: Results by store file, load version and query (the borough reports ask once per borough).
_MEMO: dict[tuple[str, str, int, float], VisiblePolicing] = {}


def visible_policing(db: Database, query: Query) -> VisiblePolicing:
    """Distances from every London LSOA (the City aside) to the nearest open front counter, before and after
    (kept for the store's load version: the borough reports and pages ask for the same figures)."""
    query.check()
    key = (str(db.path), load_version(db), query.year, query.threshold_km)
    if key not in _MEMO:
        if len(_MEMO) > 8:
            _MEMO.clear()
        _MEMO[key] = _measure(db, query)
    found = _MEMO[key]
    return VisiblePolicing(found.access, found.counters, found.population_years, list(found.notes), query.borough())


def _measure(db: Database, query: Query) -> VisiblePolicing:
    counters = queries.front_counters(db)
    if not counters:
        raise NoData(
            "no police front counters are loaded: load MOPAC's 2013 front-counter list with metforward ingest FILE "
            "(the catalogue's front-counters-2013 source)",
            field="area",
        )
    shapes = [r for r in queries.lsoa_shapes(db) if r[3] != CITY]
    if not shapes:
        raise NoData("no LSOA boundaries of London are loaded: run metforward fetch boundaries-lsoa", field="area")
    people = {code: (float(p), int(y)) for code, p, y in queries.lsoa_population(db, query.year)}
    if not people:
        raise NoData(
            "no LSOA population estimates are loaded: load the ONS mid-year LSOA estimates with metforward ingest "
            "FILE (the catalogue's population-lsoa source)",
            field="year",
        )
    notes = [POINTS]
    missing = [r[0] for r in shapes if r[0] not in people]
    if missing:
        notes.append(f"{len(missing)} LSOAs have no population estimate and are left out (e.g. {missing[0]})")
    lsoas = []
    for code, name, wkb, b_code, b_name in shapes:
        if code not in people:
            continue
        point = representative_point(shape_to_bng(wkb))
        lsoas.append(
            (code, name or code, b_code, LONDON_BOROUGHS.get(b_code, b_name), people[code][0], point.x, point.y)
        )
    years = sorted({people[r[0]][1] for r in lsoas})
    if years and years != [query.year]:
        notes.append(f"residents: ONS LSOA estimates of mid-{', '.join(map(str, years))} (asked for {query.year})")
    lon = np.array([c[3] for c in counters], dtype=np.float64)
    lat = np.array([c[4] for c in counters], dtype=np.float64)
    x, y = to_bng(lon, lat)
    sites = [
        (c[0], c[1], float(x[i]), float(y[i]), str(c[6]).upper() != "CLOSED", str(c[7]).upper() != "CLOSED")
        for i, c in enumerate(counters)
    ]
    result = measure_access(lsoas, sites, threshold_m=query.threshold_km * 1000)
    listed = [
        {
            "name": c[0],
            "borough_code": c[1],
            "borough_name": c[2],
            "status": c[5],
            "current": c[6],
            "proposed": c[7],
            "x": round(float(x[i]), 1),
            "y": round(float(y[i]), 1),
        }
        for i, c in enumerate(counters)
    ]
    if len({r[2] for r in lsoas}) < len(LONDON_BOROUGHS) - 1:
        notes.append(
            f"LSOA boundaries of {len({r[2] for r in lsoas})} of the 32 Met boroughs are loaded: "
            "London's figures cover those boroughs only"
        )
    return VisiblePolicing(result, listed, years, notes, query.borough())


def ask(db: Database, query: Query) -> Answer:
    """The visible-policing strand ``query`` asks for."""
    made = visible_policing(db, query)
    access, borough = made.access, made.borough
    columns: tuple[str, ...]
    if query.level == "lsoa":
        rows = [r.as_dict() for r in access.lsoas if borough is None or r.borough_code == borough]
        columns = LSOA_COLUMNS
    else:
        areas = [access.london, *access.boroughs]
        rows = [a.as_dict() for a in areas if borough is None or a.area_code in ("london", borough)]
        columns = BOROUGH_COLUMNS
    if borough is not None and not any(b.area_code == borough for b in access.boroughs):
        raise NoData(f"no LSOA boundaries of {LONDON_BOROUGHS[borough]} are loaded", field="area")
    return Answer(
        question="visible-policing",
        query={"area": borough, "level": query.level, "year": query.year, "threshold_km": query.threshold_km},
        items=rows,
        columns=columns,
        meta={
            "threshold_m": access.threshold_m,
            "population_years": made.population_years,
            "counters_before": access.london.counters_before,
            "counters_after": access.london.counters_after,
            "points": POINTS,
            "counters": made.counters if query.level == "borough" else [],
            "loads": loads_used(db, ("front-counters", "boundaries", "population-lsoa", "lookup-*")),
        },
        notes=made.notes,
        result=made,
    )


QUESTION = Question(
    name="visible-policing",
    query=Query,
    ask=ask,
    command=("visible-policing",),
    route="/strands/visible-policing",
    summary="Visible policing: residents' distance to the nearest open front counter before and after the 2013 "
    "closures, by borough and LSOA, and the share beyond 2 km.",
    example={"area": "Westminster"},
    columns=BOROUGH_COLUMNS,
)

__all__ = [
    "BOROUGH_COLUMNS",
    "LSOA_COLUMNS",
    "POINTS",
    "QUESTION",
    "Query",
    "VisiblePolicing",
    "ask",
    "visible_policing",
]
