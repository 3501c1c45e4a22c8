"""Reading the places cube and the boundaries: crimes by snap point in an area, areas' shapes.

Coordinates come back as stored: longitude and latitude in WGS84 (EPSG:4326); boundaries as WKB
in WGS84. Moving them to British National Grid is the caller's job (:mod:`metforward.analyse.geo`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from metforward.domain.areas import GSS_CODE, borough_code, means_london
from metforward.errors import Ambiguous, BadRequest, NoData, NotFound
from metforward.store.cubes import ensure_cubes
from metforward.store.database import Database
from metforward.store.queries import places as place_queries

#: GSS code prefixes of the levels an area can be named at.
_PREFIX = {"E09": "borough", "E05": "ward", "E01": "lsoa", "W01": "lsoa", "W05": "ward"}
_COLUMN = {"borough": "borough_code", "ward": "ward_code", "lsoa": "lsoa21_code"}


@dataclass(frozen=True)
class Place:
    """A named area: its level (``borough``, ``ward`` or ``lsoa``), GSS code and name."""

    level: str
    code: str
    name: str


def resolve_area(
    db: Database, text: str | None, *, names: Mapping[str, str | None] | None = None, level: str | None = None
) -> Place | None:
    """The one area resolver: the area an option's NAME-or-GSS-code means, or None for London as a whole
    (no area, or a name in :data:`metforward.domain.areas.LONDON_NAMES`: London, MPS, all, ...).

    With ``names`` (code -> name of the areas a table holds at ``level``) the area is looked for among
    them: a code, a London borough's name in any common form, or a name in any case. Otherwise a GSS
    code's prefix says its level, a London borough is known by name, and a ward or LSOA name
    ("Westminster 018A") is looked up in the ONS lookups.

    Raises :class:`NotFound` (no such area), :class:`Ambiguous` (two wards of that name: give the code)
    or :class:`NoData` (a ward or LSOA name, and no lookups are loaded).
    """
    if means_london(text):
        return None
    assert text is not None
    if names is not None:
        return _among(text, names, level or "area")
    return resolve_place(db, text)


def _among(text: str, names: Mapping[str, str | None], level: str) -> Place:
    wanted = text.strip()
    for code in (wanted, wanted.upper(), borough_code(wanted) if level == "borough" else None):
        if code and code in names:
            return Place(level, code, names[code] or code)
    key = re.sub(r"\s+", " ", wanted.lower())
    found = sorted(c for c, n in names.items() if n and re.sub(r"\s+", " ", n.lower()) == key)
    if len(found) == 1:
        return Place(level, found[0], names[found[0]] or found[0])
    if found:
        raise Ambiguous(
            f"{len(found)} {level}s are called {text!r}: give the GSS code, one of {', '.join(found)}", field="area"
        )
    raise NotFound(
        f"no {level} called {text!r} in the data loaded (give a GSS code or a name, e.g. Westminster or E09000033)",
        field="area",
    )


def resolve_place(db: Database, text: str) -> Place:
    """The area a NAME-or-GSS-code means (never London as a whole: see :func:`resolve_area`): a GSS
    code's prefix says its level; a name is tried as a borough, then as a ward, then as an LSOA name
    (e.g. "Westminster 018A"). Needs the LSOA lookups loaded (they place every LSOA in its ward and borough).
    """
    wanted = text.strip()
    if not wanted:
        raise BadRequest("give an area name or GSS code", field="area")
    code = wanted.upper()
    borough = borough_code(wanted)
    if not place_queries.lookups_loaded(db):
        raise NoData(
            "no LSOA lookups are loaded: ingest the ONS LSOA lookups first (see `metforward ingest`)", field="area"
        )
    if GSS_CODE.match(code) and code[:3] in _PREFIX:
        level = _PREFIX[code[:3]]
        name = place_queries.name_of(db, level, code)
        if name is None:
            raise NotFound(f"no {level} with code {code} in the lookups loaded", field="area")
        return Place(level, code, str(name))
    if borough:
        name = place_queries.name_of(db, "borough", borough)
        if name is not None:
            return Place("borough", borough, str(name))
    key = re.sub(r"\s+", " ", wanted.lower())
    for level in ("borough", "ward", "lsoa"):
        found = place_queries.named(db, level, key)
        if len(found) == 1:
            return Place(level, str(found[0][0]), str(found[0][1]))
        if len(found) > 1:
            options = ", ".join(f"{c} ({b})" for c, _, b in found)
            raise Ambiguous(
                f"{len(found)} {level}s are called {text!r}: give the GSS code, one of {options}", field="area"
            )
    raise NotFound(
        f"no borough, ward or LSOA called {text!r} in the lookups loaded (give a name or a GSS code)", field="area"
    )


def place_counts(
    db: Database,
    place: Place,
    *,
    first: dt.date,
    last: dt.date,
    categories: list[str] | None = None,
    force: str | None = None,
) -> pa.Table:
    """Crimes by snap point in ``place`` from ``first`` to ``last`` (months, inclusive).

    Columns: ``force, month, category, location, longitude, latitude, lsoa21_code, ward_code,
    ward_name, n``. Only rows with a location (a snap point) are here. Without ``force``, only the
    rows of the force that polices the area count (the rule of the count cubes).
    """
    ensure_cubes(db)
    where = [f"{_COLUMN[place.level]} = ?", "month BETWEEN ? AND ?"]
    params: list[object] = [place.code, first, last]
    if force:
        where.append('"force" = ?')
        params.append(force)
    else:
        where.append("home")
    if categories:
        where.append(f"category IN ({', '.join('?' for _ in categories)})")
        params.extend(categories)
    return db.arrow(
        f"""SELECT "force", month, category, location, longitude, latitude, lsoa21_code, ward_code, ward_name, n
        FROM cube_places WHERE {" AND ".join(where)}
        ORDER BY month, location, longitude, latitude, category""",
        params,
    )


def lsoas_of(db: Database, place: Place) -> list[tuple[str, str]]:
    """Every LSOA 2021 in ``place`` with its name (crimes or not), from the lookups."""
    rows = db.execute(
        f"SELECT DISTINCT lsoa21_code, lsoa21_name FROM lsoa_places WHERE {_COLUMN[place.level]} = ? ORDER BY 1",
        [place.code],
    )
    return [(str(c), str(n)) for c, n in rows]


def lsoa_members(db: Database, place: Place) -> list[tuple[str, str | None, str | None, str | None]]:
    """Every LSOA 2021 of ``place`` with its name, ward code and ward name (best fit), from the lookups."""
    rows = db.execute(
        f"""SELECT DISTINCT lsoa21_code, lsoa21_name, ward_code, ward_name FROM lsoa_places
        WHERE {_COLUMN[place.level]} = ? ORDER BY 1""",
        [place.code],
    )
    return [(str(a), b, c, d) for a, b, c, d in rows]


def area_shapes(db: Database, level: str, codes: list[str] | None = None) -> dict[str, tuple[str, bytes]]:
    """Boundaries of ``level`` (``borough``, ``ward`` or ``lsoa``): code -> (name, WKB in WGS84).

    The newest vintage loaded of each code; ``codes`` limits the answer. Empty when none are loaded.
    """
    where, params = ["level = ?"], [level]
    if codes is not None:
        if not codes:
            return {}
        where.append(f"code IN ({', '.join('?' for _ in codes)})")
        params.extend(codes)
    rows = db.execute(
        f"""SELECT code, name, geometry FROM areas WHERE {" AND ".join(where)}
        QUALIFY row_number() OVER (PARTITION BY code ORDER BY vintage DESC, load_id DESC) = 1""",
        params,
    )
    return {str(c): (str(n or c), bytes(g)) for c, n, g in rows if g is not None}


def months_published(
    db: Database, *, forces: list[str], categories: list[str] | None, first: dt.date, last: dt.date
) -> list[dt.date]:
    """The months from ``first`` to ``last`` in which any of ``forces`` published street rows (of ``categories``)."""
    ensure_cubes(db)
    where = ["level = 'force'", "month BETWEEN ? AND ?", f'"force" IN ({", ".join("?" for _ in forces)})']
    params: list[object] = [first, last, *forces]
    if categories:
        where.append(f"category IN ({', '.join('?' for _ in categories)})")
        params.extend(categories)
    rows = db.execute(f"SELECT DISTINCT month FROM cube_police WHERE {' AND '.join(where)} ORDER BY 1", params)
    return [r[0] for r in rows]
