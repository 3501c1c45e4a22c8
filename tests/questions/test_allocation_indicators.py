"""The formula's indicators on the bundled sample: every one listed with its source, year and coverage; counts
carry their over-dispersion, equal to an independent Pearson estimate from the Datastore's monthly counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from metforward.questions.allocation_indicators import (
    BOROUGHS,
    INDICATORS,
    default_year,
    list_indicators,
    read_indicators,
)
from metforward.store import cubes
from metforward.store.database import Database


@pytest.fixture(scope="module")
def db(web_store: Path) -> Iterator[Database]:
    with Database(web_store, read_only=True) as database:
        yield database


def test_every_indicator_is_listed_with_its_coverage(db: Database) -> None:
    assert default_year(db) == 2025  # the Datastore's borough counts run to 2026-02
    rows = {r["indicator"]: r for r in list_indicators(db, 2025).items}
    assert set(rows) == set(INDICATORS)
    assert rows["crime"]["areas"] == 32 and rows["crime"]["months_present"] == 12 and rows["crime"]["completeness"] == 1
    assert rows["asb"]["areas"] == 0 and rows["asb"]["completeness"] == 0  # no Met street files in the sample
    assert (
        rows["deprivation"]["year"] == "2019" and rows["ptal"]["year"] == "2015" and rows["density"]["year"] == "2025"
    )
    assert rows["population"]["year"] == "2022" and "2022" in rows["population"]["notes"][0]
    assert all(r["source"] for r in rows.values())


def test_crime_is_the_datastore_total_and_its_dispersion_is_pearsons(db: Database) -> None:
    data = read_indicators(db, ["crime", "violence"], 2025)
    series = cubes.monthly_series(
        db,
        source="datastore",
        level="borough",
        first=dt.date(2025, 1, 1),
        last=dt.date(2025, 12, 1),
        by="major",
        kind="datastore-borough",
    )
    monthly: dict[str, dict[dt.date, float]] = {}
    for code, _name, major, month, n in series:
        if major != "NFIB FRAUD":
            monthly.setdefault(code, {}).setdefault(month, 0.0)
            monthly[code][month] += n
    assert data["crime"].values == pytest.approx({c: sum(m.values()) for c, m in monthly.items()})
    x2 = sum(
        ((np.array(list(m.values())) - np.mean(list(m.values()))) ** 2 / np.mean(list(m.values()))).sum()
        for m in monthly.values()
    )
    assert data["crime"].phi == pytest.approx(x2 / (len(monthly) * 11))
    assert set(data["violence"].values) == set(BOROUGHS) and data["violence"].kind == "count"
