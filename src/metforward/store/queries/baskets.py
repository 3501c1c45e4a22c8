"""Monthly counts of a basket line's sources (:mod:`metforward.questions.baskets`): one read per source.

Every read returns ``(area_code, month, n)`` rows between two months: at ``level="force"`` one area,
London as a whole (``area_code`` NULL: every row of the source, those of no borough included, as the
Datastore's force level does); at ``level="borough"`` each borough's GSS code (rows of no borough left
out). Category and filter names are matched without regard to case. The months each source has any
data in are read apart (a month with no row of a category is then a true zero).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from metforward.store import cubes
from metforward.store.database import Database

#: The homicide victims columns a basket may filter on.
HOMICIDE_COLUMNS = ("age_group", "sex", "method", "domestic_abuse", "offence_type", "solved_status", "ethnicity")


def _in(column: str, values: Sequence[str], where: list[str], params: list[object]) -> None:
    where.append(f"lower({column}) IN ({', '.join('?' for _ in values)})")
    params.extend(v.lower() for v in values)


def _areas(column: str, areas: Sequence[str] | None, where: list[str], params: list[object]) -> None:
    if areas:
        where.append(f"{column} IN ({', '.join('?' for _ in areas)})")
        params.extend(areas)


def datastore_series(
    db: Database,
    *,
    kind: str,
    level: str,
    areas: Sequence[str] | None,
    first: dt.date,
    last: dt.date,
    majors: Sequence[str],
    minors: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Datastore counts of ``kind`` whose major is one of ``majors`` or minor one of ``minors`` (neither: every
    category), by area and month, from the counts cube."""
    cubes.ensure_cubes(db)
    where = ["kind = ?", "level = ?", "month BETWEEN ? AND ?"]
    params: list[object] = [kind, "force" if level == "force" else "borough", first, last]
    if majors or minors:
        either: list[str] = []
        if majors:
            _in("major", majors, either, params)
        if minors:
            _in("minor", minors, either, params)
        where.append("(" + " OR ".join(either) + ")")
    _areas("area_code", areas if level == "borough" else None, where, params)
    code = "area_code" if level == "borough" else "NULL"
    return db.execute(
        f"SELECT {code}, month, sum(n) FROM cube_datastore WHERE {' AND '.join(where)} GROUP BY ALL ORDER BY 1, 2",
        params,
    )


def datastore_categories(db: Database, kind: str) -> list[tuple[Any, ...]]:
    """The (major, minor) categories of the Datastore ``kind`` loaded."""
    cubes.ensure_cubes(db)
    return db.execute("SELECT DISTINCT major, minor FROM cube_datastore WHERE kind = ? ORDER BY 1, 2", [kind])


def police_series(
    db: Database,
    *,
    level: str,
    areas: Sequence[str] | None,
    first: dt.date,
    last: dt.date,
    categories: Sequence[str],
    force: str | None,
) -> list[tuple[Any, ...]]:
    """police.uk street counts of ``categories`` (none: every crime type), by area and month: ``force`` (default
    the Met) at London level, each borough's own force's rows at borough level (or ``force``'s, if given)."""
    cubes.ensure_cubes(db)
    where = ["level = ?", "month BETWEEN ? AND ?"]
    params: list[object] = ["force" if level == "force" else "borough", first, last]
    if level == "force" or force:
        where.append('"force" = ?')
        params.append(force or "metropolitan")
    if level == "borough" and not force:
        where.append("home")
    if categories:
        _in("category", categories, where, params)
    _areas("area_code", areas if level == "borough" else None, where, params)
    code = "area_code" if level == "borough" else "NULL"
    return db.execute(
        f"SELECT {code}, month, sum(n) FROM cube_police WHERE {' AND '.join(where)} GROUP BY ALL ORDER BY 1, 2",
        params,
    )


def police_months(db: Database, *, first: dt.date, last: dt.date, force: str) -> list[Any]:
    """The months in which ``force`` published any police.uk street row."""
    return cubes.months_present(db, source="police-uk", first=first, last=last, force=force)


def _dashboard_where(crime_type: str, subtype: str, measure: str) -> tuple[list[str], list[object]]:
    where = ["area_type = 'Borough'", "lower(crime_type) = lower(?)", "lower(crime_subtype) = lower(?)"]
    where.append("lower(measure) = lower(?)")
    return where, [crime_type, subtype, measure]


def dashboard_series(
    db: Database,
    *,
    crime_type: str,
    subtype: str,
    measure: str,
    level: str,
    areas: Sequence[str] | None,
    first: dt.date,
    last: dt.date,
) -> list[tuple[Any, ...]]:
    """MPS Monthly Crime Dashboard counts (its borough rows) of one crime type, subtype and measure, by area
    and month."""
    where, params = _dashboard_where(crime_type, subtype, measure)
    where.append("month BETWEEN ? AND ?")
    params += [first, last]
    if level == "borough":
        where.append("borough_code IS NOT NULL")
        _areas("borough_code", areas, where, params)
    code = "borough_code" if level == "borough" else "NULL"
    return db.execute(
        f"SELECT {code}, month, sum(count) FROM dashboard_counts WHERE {' AND '.join(where)} GROUP BY ALL ORDER BY 1, 2",
        params,
    )


def dashboard_months(
    db: Database, *, crime_type: str, subtype: str, measure: str, first: dt.date, last: dt.date
) -> list[Any]:
    """The months with any dashboard borough row of the crime type, subtype and measure."""
    where, params = _dashboard_where(crime_type, subtype, measure)
    return [
        m
        for (m,) in db.execute(
            f"SELECT DISTINCT month FROM dashboard_counts WHERE {' AND '.join(where)} AND month BETWEEN ? AND ? "
            "ORDER BY 1",
            [*params, first, last],
        )
    ]


def homicide_series(
    db: Database,
    *,
    filters: Sequence[tuple[str, Sequence[str]]],
    level: str,
    areas: Sequence[str] | None,
    first: dt.date,
    last: dt.date,
) -> list[tuple[Any, ...]]:
    """Homicide victims whose every filtered column is one of its values, by area and month recorded."""
    where = ["month BETWEEN ? AND ?"]
    params: list[object] = [first, last]
    for column, values in filters:
        if column not in HOMICIDE_COLUMNS:
            raise ValueError(f"not a homicide victims column: {column!r}")
        _in(column, values, where, params)
    if level == "borough":
        where.append("borough_code IS NOT NULL")
        _areas("borough_code", areas, where, params)
    code = "borough_code" if level == "borough" else "NULL"
    return db.execute(
        f"SELECT {code}, month, sum(victims) FROM homicide_victims WHERE {' AND '.join(where)} "
        "GROUP BY ALL ORDER BY 1, 2",
        params,
    )


def homicide_span(db: Database) -> tuple[Any, Any]:
    """The first and last month of the homicide victims loaded ((None, None): none)."""
    first, last = db.execute("SELECT min(month), max(month) FROM homicide_victims")[0]
    return first, last


def homicide_values(db: Database, column: str) -> list[Any]:
    """The distinct values of one of the homicide victims file's columns (``column`` from a fixed list)."""
    if column not in HOMICIDE_COLUMNS:
        raise ValueError(f"not a homicide victims column: {column!r}")
    return [v for (v,) in db.execute(f"SELECT DISTINCT {column} FROM homicide_victims WHERE {column} IS NOT NULL")]
