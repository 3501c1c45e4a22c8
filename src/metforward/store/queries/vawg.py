"""Reads of the MPS Violence Against Women and Girls dashboard (``vawg_counts``, migration 0007)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metforward.store.database import Database

#: What a VAWG table is grouped by -> (its breakdown, the key's code and name expressions).
BY = {
    "borough": ("location", "borough_code", "coalesce(borough_name, 'not known')"),
    "ward": ("location", "coalesce(nullif(ward_name, 'N/K'), 'ward not known')", "coalesce(nullif(ward_name, 'N/K'), 'ward not known')"),
    "type": ("classification", "crime_group", "crime_group"),
    "age": ("age", "age_group", "age_group"),
    "ethnicity": ("ethnicity", "ethnic_group", "ethnic_group"),
    "month": ("location", "NULL", "NULL"),
}  # fmt: skip


def months(db: Database, measure: str, breakdown: str) -> list[dt.date]:
    """The months with rows of ``measure`` (offences or victims) in ``breakdown``, in order."""
    return [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT month FROM vawg_counts WHERE measure = ? AND breakdown = ? ORDER BY 1",
            [measure, breakdown],
        )
    ]


def series(
    db: Database, measure: str, by: str, first: dt.date, last: dt.date, borough: str | None = None
) -> list[tuple[Any, ...]]:
    """Counts of ``measure`` by the :data:`BY` key ``by`` and month from ``first`` to ``last`` (in ``borough``, a
    GSS code, for the location breakdown): (code, name, month, count), by key and month."""
    breakdown, code, name = BY[by]
    where, params = ["measure = ?", "breakdown = ?", "month BETWEEN ? AND ?"], [measure, breakdown, first, last]
    if borough is not None:
        where.append("borough_code = ?")
        params.append(borough)
    return db.execute(
        f"SELECT {code} AS code, {name} AS name, month, sum(count) FROM vawg_counts WHERE {' AND '.join(where)} "
        "GROUP BY ALL ORDER BY name NULLS LAST, code NULLS LAST, month",
        params,
    )
