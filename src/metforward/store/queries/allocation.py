"""Reads behind the resource allocation formula's indicators: the yearly ``area_measures`` (deprivation,
housing density, public transport access) and stop-and-search counts by borough and month."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metforward.store.database import Database


def area_measure(db: Database, dataset: str, measure: str, *, level: str = "borough") -> list[tuple[Any, ...]]:
    """Every value of one measure at ``level``: ``(area_code, area_name, year, value, source)`` by area and year."""
    return db.execute(
        "SELECT area_code, max(area_name), year, max(value), max(source) FROM area_measures "
        "WHERE dataset = ? AND measure = ? AND level = ? GROUP BY area_code, year ORDER BY 1, 3",
        [dataset, measure, level],
    )


def ward_measure_by_borough(db: Database, dataset: str, measure: str) -> list[tuple[Any, ...]]:
    """One ward measure averaged over each borough's wards: ``(borough_code, year, mean, wards, source)``
    (a borough's own row, where the file has one for it, stands for itself)."""
    return db.execute(
        "SELECT borough_code, year, avg(value), count(*), max(source) FROM area_measures "
        "WHERE dataset = ? AND measure = ? AND borough_code IS NOT NULL GROUP BY borough_code, year ORDER BY 1, 2",
        [dataset, measure],
    )


def searches_by_borough(db: Database, first: dt.date, last: dt.date) -> list[tuple[Any, ...]]:
    """Stop-and-search records placed in each borough by month: ``(borough_code, month, searches)``."""
    return db.execute(
        "SELECT borough_code, month, count(*) FROM searches_placed "
        "WHERE borough_code IS NOT NULL AND month BETWEEN ? AND ? GROUP BY 1, 2 ORDER BY 1, 2",
        [first, last],
    )


def search_months(db: Database) -> list[dt.date]:
    """Every month with stop-and-search records loaded."""
    return [r[0] for r in db.execute("SELECT DISTINCT month FROM searches ORDER BY 1")]


__all__ = ["area_measure", "search_months", "searches_by_borough", "ward_measure_by_borough"]
