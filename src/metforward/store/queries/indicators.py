"""Indicator series loaded from files (the ``indicators`` table)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metforward.store.database import Database


def indicator_list(db: Database) -> list[tuple[Any, ...]]:
    """Every indicator and area: (name, area, unit, has n, first, last, months, latest source, sources)."""
    return db.execute(
        "SELECT name, area_code, any_value(unit), bool_or(n IS NOT NULL), min(month), max(month), "
        "count(DISTINCT month), max(source), count(DISTINCT source) "
        "FROM indicators GROUP BY name, area_code ORDER BY name, area_code"
    )


def indicator_rows(db: Database, name: str, area_code: str, first: dt.date, last: dt.date) -> list[tuple[Any, ...]]:
    """The values of one indicator in one area from ``first`` to ``last``: (month, value, n, source), by month."""
    return db.execute(
        "SELECT month, value, n, source FROM indicators WHERE name = ? AND area_code = ? AND month BETWEEN ? AND ? "
        "ORDER BY month",
        [name, area_code, first, last],
    )
