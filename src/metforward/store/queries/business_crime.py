"""Reads of the MPS Business Crime dashboard (``business_crime``, migration 0007)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metforward.store.database import Database

#: What a business crime table is grouped by -> (the key's code and name expressions).
BY = {
    "borough": ("borough_code", "borough_name"),
    "section": ("crime_section", "crime_section"),
    "group": ("crime_group", "crime_group"),
    "month": ("NULL", "NULL"),
}


def months(db: Database, measure: str) -> list[dt.date]:
    """The months with rows of ``measure`` (offences or outcomes), in order."""
    return [
        r[0] for r in db.execute("SELECT DISTINCT month FROM business_crime WHERE measure = ? ORDER BY 1", [measure])
    ]


def series(
    db: Database, measure: str, by: str, first: dt.date, last: dt.date, borough: str | None = None
) -> list[tuple[Any, ...]]:
    """Counts of ``measure`` by the :data:`BY` key ``by`` and month from ``first`` to ``last`` (in ``borough``, a
    GSS code): (code, name, month, count, positive count), by key and month."""
    code, name = BY[by]
    where, params = ["measure = ?", "month BETWEEN ? AND ?"], [measure, first, last]
    if borough is not None:
        where.append("borough_code = ?")
        params.append(borough)
    return db.execute(
        f"SELECT {code} AS code, {name} AS name, month, sum(count), coalesce(sum(count) FILTER (WHERE positive), 0) "
        f"FROM business_crime WHERE {' AND '.join(where)} GROUP BY ALL ORDER BY name NULLS LAST, code NULLS LAST, month",
        params,
    )


def refresh_dates(db: Database) -> list[tuple[Any, ...]]:
    """The refresh dates of the loaded rows: (measure, refresh_date), in order."""
    return db.execute("SELECT DISTINCT measure, refresh_date FROM business_crime ORDER BY ALL")
