"""Stop and search (the ``searches_placed`` view) and the Census ethnic-group populations behind its ratios."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from metforward.store.database import Database

#: Self-defined ethnicity as published by police.uk (16+1 categories, two spellings) -> Census 2021
#: high-level group. Matched on the text before " - " (the 2001/2011 census heading the force used);
#: "Chinese" sits under Asian in the 2011 and 2021 censuses, so the old "Chinese or other ethnic
#: group - Chinese (O1)" goes to Asian and the rest of that heading to Other.
SELF_DEFINED_SQL = """CASE
    WHEN self_defined_ethnicity IS NULL THEN NULL
    WHEN lower(self_defined_ethnicity) LIKE '%not stated%' THEN 'Not stated'
    WHEN self_defined_ethnicity LIKE 'White%' THEN 'White'
    WHEN self_defined_ethnicity LIKE 'Black%' THEN 'Black'
    WHEN self_defined_ethnicity LIKE 'Asian%' THEN 'Asian'
    WHEN self_defined_ethnicity LIKE 'Mixed%' THEN 'Mixed'
    WHEN self_defined_ethnicity LIKE 'Chinese or other ethnic group - Chinese%' THEN 'Asian'
    WHEN self_defined_ethnicity LIKE 'Chinese or other ethnic group%' THEN 'Other'
    WHEN self_defined_ethnicity LIKE 'Other ethnic group%' THEN 'Other'
    ELSE 'Unmapped'
END"""

#: Officer-defined ethnicity is published as White, Black, Asian or Other (no Mixed category).
OFFICER_DEFINED_SQL = """CASE
    WHEN officer_defined_ethnicity IS NULL THEN NULL
    WHEN officer_defined_ethnicity IN ('White', 'Black', 'Asian', 'Other') THEN officer_defined_ethnicity
    WHEN officer_defined_ethnicity = 'Mixed' THEN 'Other'
    ELSE 'Unmapped'
END"""

#: Census 2021 TS021 category (8-category file, by name prefix) -> high-level group. With the
#: officer-defined field, Mixed residents are added to Other (officers record no Mixed category).
POPULATION_GROUP_SQL = """CASE
    WHEN group_name LIKE 'White%' THEN 'White'
    WHEN group_name LIKE 'Asian%' THEN 'Asian'
    WHEN group_name LIKE 'Black%' THEN 'Black'
    WHEN group_name LIKE 'Mixed%' THEN 'Mixed'
    WHEN group_name LIKE 'Other%' THEN 'Other'
END"""

#: ``--by`` name -> (output column, SQL expression), plus a name column for area levels.
BY: dict[str, tuple[str, str]] = {
    "month": ("month", "strftime(month, '%Y-%m')"),
    "borough": ("borough_code", "borough_code"),
    "ward": ("ward_code", "ward_code"),
    "lsoa": ("lsoa_code", "lsoa21_code"),
    "object": ("object_of_search", "object_of_search"),
    "legislation": ("legislation", "legislation"),
    "ethnicity": ("ethnicity", SELF_DEFINED_SQL),
    "self-defined": ("self_defined_ethnicity", "self_defined_ethnicity"),
    "officer-defined": ("officer_defined_ethnicity", "officer_defined_ethnicity"),
    "outcome": ("outcome", "outcome"),
    "type": ("search_type", "search_type"),
    "gender": ("gender", "gender"),
    "age": ("age_range", "age_range"),
}
NAMES = {"borough": ("borough_name", "borough_name"), "ward": ("ward_name", "ward_name")}

#: Outcomes that are an arrest ("Suspect arrested" is the label police.uk used before 2017).
ARREST_OUTCOMES: tuple[str, ...] = ("Arrest", "Suspect arrested")
#: Outcomes that are no further action (the 2017+ label and the older one).
NFA_OUTCOMES: tuple[str, ...] = ("A no further action disposal", "Nothing found - no further action")


def _list(values: Sequence[str]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


ARREST = f"outcome IN {_list(ARREST_OUTCOMES)}"
FIND = f"outcome_linked AND outcome IS NOT NULL AND outcome NOT IN {_list(NFA_OUTCOMES)}"
POSITIVE = f"outcome IS NOT NULL AND outcome NOT IN {_list(NFA_OUTCOMES)}"


@dataclass(frozen=True)
class SearchFilter:
    """Which rows of ``searches_placed``: an area (level and code, or none), a force, months."""

    level: str | None = None
    code: str | None = None
    force: str | None = None
    first: dt.date | None = None
    last: dt.date | None = None

    def where(self) -> tuple[str, list[Any]]:
        """SQL condition and parameters over ``searches_placed``."""
        parts: list[str] = ["TRUE"]
        params: list[Any] = []
        if self.level is not None:
            column = {"borough": "borough_code", "ward": "ward_code", "lsoa": "lsoa21_code"}[self.level]
            parts.append(f"{column} = ?")
            params.append(self.code)
        if self.force:
            parts.append("force = ?")
            params.append(self.force)
        if self.first is not None:
            parts.append("month >= ?")
            params.append(self.first)
        if self.last is not None:
            parts.append("month <= ?")
            params.append(self.last)
        return " AND ".join(parts), params


def coverage(db: Database, sel: SearchFilter) -> tuple[int, tuple[dt.date, ...], int, int]:
    """Rows, months with data, rows without location and rows outside every borough, for ``sel``."""
    where, params = sel.where()
    n, no_xy, outside = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE latitude IS NULL), "
        "count(*) FILTER (WHERE latitude IS NOT NULL AND borough_code IS NULL) "
        f"FROM searches_placed WHERE {where}",
        params,
    )[0]
    months = tuple(
        r[0] for r in db.execute(f"SELECT DISTINCT month FROM searches_placed WHERE {where} ORDER BY 1", params)
    )
    return int(n), months, int(no_xy), int(outside)


def group_columns(by: Sequence[str]) -> tuple[list[str], list[str]]:
    """Output columns and SELECT expressions for ``by`` (known keys of :data:`BY`)."""
    columns, exprs = [], []
    for b in dict.fromkeys(by):
        column, expr = BY[b]
        columns.append(column)
        exprs.append(f"{expr} AS {column}")
        if b in NAMES:
            name, name_expr = NAMES[b]
            columns.append(name)
            exprs.append(f"max({name_expr}) AS {name}")
    return columns, exprs


#: What :func:`grouped` counts: searches, or searches, arrests, finds, positive outcomes and linked outcomes.
MEASURES = {
    "count": "count(*) AS count",
    "rates": f"count(*), count(*) FILTER (WHERE {ARREST}), count(*) FILTER (WHERE {FIND}), "
    f"count(*) FILTER (WHERE {POSITIVE}), count(*) FILTER (WHERE outcome_linked)",
}


def grouped(
    db: Database, sel: SearchFilter, by: Sequence[str], measures: str
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The key columns and the rows of ``sel`` grouped by ``by`` with the :data:`MEASURES` ``measures``."""
    columns, exprs = group_columns(by)
    # by position: an output name such as lsoa_code would otherwise bind to the table's own column
    keys = [str(columns.index(BY[b][0]) + 1) for b in dict.fromkeys(by)]
    where, params = sel.where()
    select = ", ".join([*exprs, MEASURES[measures]])
    group = f" GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)} NULLS LAST" if keys else ""
    return columns, db.execute(f"SELECT {select} FROM searches_placed WHERE {where}{group}", params)


def population_groups(db: Database, source: str, borough: str | None) -> list[tuple[Any, ...]]:
    """Census 2021 residents by high-level ethnic group in ``borough`` (None: every borough): (group, people, areas)."""
    where = "area_code LIKE 'E09%'" if borough is None else "area_code = ?"
    params = [] if borough is None else [borough]
    return db.execute(
        f"SELECT {POPULATION_GROUP_SQL} AS grp, sum(population), count(DISTINCT area_code) FROM population_groups "
        f"WHERE source = ? AND year = 2021 AND {where} GROUP BY grp",
        [source, *params],
    )


def ethnicity_counts(db: Database, sel: SearchFilter, *, officer: bool) -> list[tuple[Any, ...]]:
    """Searches in ``sel`` by Census group of the self-defined (or ``officer``-defined) ethnicity: (group, n)."""
    where, params = sel.where()
    expr = OFFICER_DEFINED_SQL if officer else SELF_DEFINED_SQL
    return db.execute(f"SELECT {expr} AS g, count(*) FROM searches_placed WHERE {where} GROUP BY g", params)
