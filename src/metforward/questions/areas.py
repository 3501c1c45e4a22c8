"""London's areas: forces, boroughs, wards and LSOAs (2021) as the loaded lookups place them, and their
boundaries.

The one place ``/api/v1/areas`` (and ``/areas/{code}``) and the pages read the areas. It has no command
of its own (``metforward compare --area`` and the other commands resolve a name through
:func:`metforward.store.places.resolve_area`), so it is not in the registry of questions the command line
shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from metforward.errors import BadRequest, NotFound
from metforward.questions.answer import Answer
from metforward.questions.base import Question
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.places import area_shapes
from metforward.store.queries import areas as area_queries

LEVELS = ("force", "borough", "ward", "lsoa")
#: The keys of each row: ``parent`` is a ward's borough, an LSOA's ward (its borough when it has no ward).
COLUMNS = ("code", "name", "level", "parent")


@dataclass(frozen=True)
class Query:
    """Which areas: at one ``level`` (default every level), whose name or code contains ``q`` (any case), or
    the one area with the GSS code (a force's police.uk id) ``code``."""

    level: str | None = None
    q: str | None = None
    code: str | None = None

    def check(self) -> None:
        """:class:`BadRequest` for a level metforward does not know."""
        if self.level is not None and self.level not in LEVELS:
            raise BadRequest(f"level: {self.level!r} is not a level; give one of: {', '.join(LEVELS)}", field="level")


def read_areas(db: Database) -> list[dict[str, str | None]]:
    """Every London area at every level, by level then code."""
    found: list[dict[str, str | None]] = [
        {"code": code, "name": name, "level": "force", "parent": None}
        for code, name in sorted(cubes.area_lookup(db, source="police-uk", level="force").items())
    ]
    rows = area_queries.london_places(db)
    boroughs = {(b, bn) for b, bn, *_ in rows}
    wards = {(w, wn, b) for b, _, w, wn, _, _ in rows if w}
    lsoas = {(lsoa, ln, w or b) for b, _, w, _, lsoa, ln in rows}
    found += [{"code": c, "name": n or c, "level": "borough", "parent": None} for c, n in sorted(boroughs)]
    found += [{"code": c, "name": n or c, "level": "ward", "parent": p} for c, n, p in sorted(wards)]
    found += [{"code": c, "name": n or c, "level": "lsoa", "parent": p} for c, n, p in sorted(lsoas)]
    return found


def select(areas: list[dict[str, str | None]], query: Query) -> list[dict[str, str | None]]:
    """The areas ``query`` asks for; :class:`NotFound` for a ``code`` no area has."""
    if query.code is not None:
        wanted = query.code.strip().upper()
        one = [a for a in areas if str(a["code"]).upper() == wanted]
        if not one:
            raise NotFound(f"no area with code {query.code!r} in the lookups loaded (see /api/v1/areas)", field="code")
        return one[:1]
    text = (query.q or "").strip().lower()
    return [
        a
        for a in areas
        if (query.level is None or a["level"] == query.level)
        and (not text or text in str(a["name"]).lower() or text in str(a["code"]).lower())
    ]


def ask(db: Database, query: Query) -> Answer:
    """London's areas ``query`` selects."""
    query.check()
    return Answer(
        question="areas",
        query={"level": query.level, "q": query.q, "code": query.code},
        items=select(read_areas(db), query),
        columns=COLUMNS,
    )


def boundaries(db: Database, level: str, codes: list[str] | None = None) -> dict[str, tuple[str, bytes]]:
    """The loaded boundaries of ``level`` (only ``codes`` when given): code -> (name, WKB in WGS84)."""
    return area_shapes(db, level, codes)


#: Not in :data:`metforward.questions.QUESTIONS` (no command shows it); the API route answers it.
QUESTION = Question(
    name="areas",
    query=Query,
    ask=ask,
    command=(),
    route="/areas",
    summary="London's forces, boroughs, wards and LSOAs with their codes and the area each sits in.",
    example={"level": "borough"},
)

__all__ = ["LEVELS", "QUESTION", "Query", "ask", "boundaries", "read_areas", "select"]
