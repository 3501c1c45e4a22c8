"""The reference reads a comparison repeats (months present, coverage, population, Datastore kinds) are
remembered per open store, and forgotten as soon as a load or a rebuild changes what they read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from metforward.ingest.pipeline import ingest_paths
from metforward.store import cubes
from metforward.store.database import Database

FIRST, LAST = dt.date(2000, 1, 1), dt.date(2030, 12, 1)


def test_a_load_through_the_same_store_is_seen_at_once(sample: Path, tmp_path: Path) -> None:
    with Database(tmp_path / "m.duckdb") as db:
        assert ingest_paths(db, [sample / "datastore" / "MPS_Borough_Level_Crime_Historic_2008-2016.csv.gz"]).ok
        kinds = cubes.datastore_kinds(db)
        months = cubes.months_present(db, source="datastore", first=FIRST, last=LAST)
        assert [k for k, *_ in kinds] == ["datastore-borough-2008"] and months[-1] == dt.date(2016, 12, 1)
        months.append(dt.date(1999, 1, 1))  # a caller changing its copy does not change the store's answer
        assert cubes.months_present(db, source="datastore", first=FIRST, last=LAST)[-1] == dt.date(2016, 12, 1)
        assert ingest_paths(db, [sample / "datastore" / "fenneh_recorded-crime-borough.csv.gz"]).ok
        assert len(cubes.datastore_kinds(db)) == 2
        assert cubes.months_present(db, source="datastore", first=FIRST, last=LAST)[-1] > dt.date(2020, 1, 1)


def test_a_rebuild_of_the_cubes_is_seen_at_once(sample: Path, tmp_path: Path) -> None:
    with Database(tmp_path / "m.duckdb") as db:
        assert ingest_paths(db, [sample / "datastore" / "MPS_Borough_Level_Crime_Historic_2008-2016.csv.gz"]).ok
        before = cubes.months_present(db, source="datastore", first=FIRST, last=LAST)
        db.run("DELETE FROM area_counts WHERE month >= DATE '2016-01-01'")  # as the benchmark grows the raw layer
        cubes.refresh_cubes(db)
        after = cubes.months_present(db, source="datastore", first=FIRST, last=LAST)
        assert before[-1] == dt.date(2016, 12, 1) and after[-1] == dt.date(2015, 12, 1)
