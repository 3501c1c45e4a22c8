"""The allocation's reads: yearly area measures by level, ward measures averaged by borough, searches by borough."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from metforward.store.database import Database
from metforward.store.queries import allocation as queries


@pytest.fixture(scope="module")
def db(web_store: Path) -> Iterator[Database]:
    with Database(web_store, read_only=True) as database:
        yield database


def test_area_measures_and_ward_means(db: Database) -> None:
    imd = queries.area_measure(db, "deprivation-borough", "IMD - Average score")
    assert len(imd) == 33 and imd[1][:4] == ("E09000002", "Barking and Dagenham", 2019, 32.768)
    density = queries.area_measure(db, "housing-density", "Population per hectare")
    assert {r[2] for r in density} == set(range(1999, 2051)) and len(density) == 33 * 52
    ptal = {r[0]: r for r in queries.ward_measure_by_borough(db, "ptal-ward", "Average PTAI")}
    assert len(ptal) == 33 and ptal["E09000001"][3] == 1  # the City's own row
    assert sum(r[3] for r in ptal.values()) == 630


def test_searches_by_borough(db: Database) -> None:
    rows = queries.searches_by_borough(db, dt.date(2024, 1, 1), dt.date(2024, 12, 1))
    assert {r[1] for r in rows} == {dt.date(2024, m, 1) for m in (1, 2, 3)}
    assert queries.search_months(db) == [dt.date(2024, m, 1) for m in (1, 2, 3)]
    placed = db.scalar("SELECT count(*) FROM searches_placed WHERE borough_code IS NOT NULL")
    assert sum(r[2] for r in rows) == placed
