"""Counts cubes: portable SQL, totals conserved, rebuilt when loads change."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest
import sqlglot

from metforward.ingest.pipeline import ingest_paths
from metforward.store import cubes
from metforward.store.cubes import CUBE_SQL, cubes_fresh, ensure_cubes
from metforward.store.database import Database


@pytest.mark.parametrize("name", sorted(CUBE_SQL))
def test_cube_sql_is_portable_to_spark(name: str) -> None:
    spark = sqlglot.transpile(CUBE_SQL[name], read="duckdb", write="spark", error_level=sqlglot.ErrorLevel.RAISE)
    assert len(spark) == 1 and "GROUP BY" in spark[0]
    # and back again: the Spark text parses as standard SQL too
    sqlglot.parse_one(spark[0], read="spark")


def test_cubes_conserve_the_raw_counts_and_refresh_after_a_load(sample: Path, db: Database) -> None:
    ingest_paths(db, [sample / "policeuk" / "2024-01", sample / "datastore" / "fenneh_recorded-crime-borough.csv.gz"])
    ensure_cubes(db)
    assert cubes_fresh(db)
    raw = db.scalar("SELECT count(*) FROM crimes")
    assert db.scalar("SELECT sum(n) FROM cube_police WHERE level = 'force'") == raw
    assert db.scalar("SELECT sum(n_no_location) FROM cube_police") == db.scalar(
        "SELECT count(*) FROM crimes WHERE lsoa_code IS NULL"
    )
    assert db.scalar("SELECT sum(n) FROM cube_datastore WHERE level = 'force'") == db.scalar(
        "SELECT sum(count) FROM area_counts"
    )
    ingest_paths(db, [sample / "policeuk" / "2024-02"])
    assert not cubes_fresh(db)
    ensure_cubes(db)
    assert db.scalar("SELECT sum(n) FROM cube_police WHERE level = 'force'") == db.scalar("SELECT count(*) FROM crimes")


def _cubes(db: Database) -> dict[str, list[tuple[object, ...]]]:
    return {name: db.execute(f"SELECT * FROM {name} ORDER BY ALL") for name in CUBE_SQL}  # noqa: S608


def test_a_load_of_street_months_rebuilds_only_its_slices_and_equals_a_whole_rebuild(
    sample: Path, db: Database, tmp_path: Path
) -> None:
    police = sample / "policeuk"
    ingest_paths(db, [police / "2024-01", sample / "datastore" / "fenneh_recorded-crime-borough.csv.gz"])
    ensure_cubes(db)
    before = _cubes(db)
    # a new month (street and outcomes) and a City of London month loaded again, smaller: its rows are replaced
    city = police / "2024-01" / "2024-01-city-of-london-street.csv.gz"
    lines = gzip.decompress(city.read_bytes()).decode().splitlines(keepends=True)
    smaller = tmp_path / "2024-01" / "2024-01-city-of-london-street.csv"
    smaller.parent.mkdir()
    smaller.write_text("".join(lines[: len(lines) // 2]))
    ingest_paths(db, [police / "2024-02", smaller])
    months = {dt.date(2024, 2, 1), dt.date(2024, 1, 1)}
    expected = {("city-of-london", dt.date(2024, 1, 1))} | {
        (force, dt.date(2024, 2, 1)) for force in ("metropolitan", "city-of-london")
    }
    assert cubes._stale_slices(db, "cube_police") == expected
    assert cubes._stale_slices(db, "cube_places") == expected
    assert cubes._stale_slices(db, "cube_datastore") == set()  # police.uk loads: not read by it
    ensure_cubes(db)
    sliced = _cubes(db)
    assert sliced["cube_datastore"] == before["cube_datastore"]
    assert {r[4] for r in sliced["cube_police"]} == months
    assert sliced["cube_police"] != before["cube_police"]
    cubes.refresh_cubes(db, whole=True)
    assert _cubes(db) == sliced  # slice by slice gives what a whole rebuild gives
    # reference data places every crime: a lookup load rebuilds the police.uk cubes whole
    ingest_paths(db, [next((sample / "lookups").iterdir())])
    assert cubes._stale_slices(db, "cube_police") is None


def test_a_cube_built_by_other_sql_or_never_built_is_rebuilt_whole(sample: Path, db: Database) -> None:
    ingest_paths(db, [sample / "policeuk" / "2024-01"])
    ensure_cubes(db)
    assert cubes._stale_slices(db, "cube_police") == set()  # fresh: nothing to do
    db.run("UPDATE cube_builds SET fingerprint = '1:other' WHERE cube = 'cube_places'")
    assert cubes._stale_slices(db, "cube_places") is None
    db.run("DROP TABLE cube_datastore")
    assert cubes._stale_slices(db, "cube_datastore") is None
