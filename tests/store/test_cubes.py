"""Counts cubes: portable SQL, totals conserved, rebuilt when loads change."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from metforward.ingest.pipeline import ingest_paths
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
