"""Store integrity: a load replaces only its own (kind, force, month); loading and placing are one
transaction and unplaced work shows in ``status``; months in the future are refused."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.ingest.readers import ReadOptions
from metforward.ingest.readers.policeuk import STREET
from metforward.store.database import Database

GOOD = (
    "abc{n},{month},City of London Police,City of London Police,-0.106220,51.518275,On or near B500,"
    "E01000916,Camden 027B,Other theft,Status update unavailable,"
)
BIN = Path(sys.executable).parent / "metforward"


def street_file(folder: Path, month: str, months: list[str], name: str | None = None) -> Path:
    """A City street file of ``month`` whose rows carry ``months`` (one row each)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{month}-city-of-london-street.csv")
    rows = [GOOD.format(n=i, month=m) for i, m in enumerate(months)]
    path.write_text(",".join(STREET) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def counts(db: Database) -> dict[tuple[str, dt.date], int]:
    return {(f, m): int(n) for f, m, n in db.execute("SELECT force, month, count(*) FROM crimes GROUP BY ALL")}


def test_a_stray_row_of_another_month_is_rejected_and_erases_nothing(tmp_path: Path, db: Database) -> None:
    ingest_paths(db, [street_file(tmp_path / "feb", "2024-02", ["2024-02"] * 5)])
    jan = street_file(tmp_path / "jan", "2024-01", ["2024-01", "2024-01", "2024-02", "2024-01"])
    (result,) = ingest_paths(db, [jan]).files
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    assert counts(db) == {("city-of-london", dt.date(2024, 2, 1)): 5, ("city-of-london", dt.date(2024, 1, 1)): 3}
    ((line, field, value, reason),) = db.execute("SELECT line, field, value, reason FROM rejects")
    assert (line, field, value) == (4, "Month", "2024-02")
    assert "not this file's month 2024-01" in reason
    # the February load is still whole: nothing replaced it
    assert db.execute("SELECT months, replaced_by FROM loads ORDER BY load_id") == [
        ([dt.date(2024, 2, 1)], None),
        ([dt.date(2024, 1, 1)], None),
    ]


def test_without_a_police_uk_name_the_file_month_is_its_most_common_month(tmp_path: Path, db: Database) -> None:
    ingest_paths(db, [street_file(tmp_path / "a", "2024-02", ["2024-02"] * 4)])
    odd = street_file(tmp_path / "b", "x", ["2024-01", "2024-02", "2024-01", "2024-01"], name="export.csv")
    (result,) = ingest_paths(db, [odd], ReadOptions(force="city-of-london")).files
    assert (result.rows_loaded, result.rows_rejected) == (3, 1)
    assert counts(db)[("city-of-london", dt.date(2024, 2, 1))] == 4


def test_a_reload_replaces_its_month_whole(tmp_path: Path, db: Database) -> None:
    ingest_paths(db, [street_file(tmp_path / "a", "2024-01", ["2024-01"] * 4)])
    ingest_paths(db, [street_file(tmp_path / "b", "2024-01", ["2024-01"] * 2)])
    assert counts(db) == {("city-of-london", dt.date(2024, 1, 1)): 2}


def test_months_after_the_current_month_are_refused(tmp_path: Path, db: Database) -> None:
    today = dt.date(2024, 1, 20)
    future = street_file(tmp_path / "f", "2024-02", ["2024-02"] * 2)
    (result,) = ingest_paths(db, [future], ReadOptions(today=today)).files
    assert result.error is not None and "2024-02" in result.error and "future" in result.error
    assert counts(db) == {}
    # a row of a future month in a file of the current month is rejected with the reason
    now = street_file(tmp_path / "n", "2024-01", ["2024-01", "2030-01"])
    (result,) = ingest_paths(db, [now], ReadOptions(today=today)).files
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert db.execute("SELECT line, field FROM rejects") == [(3, "Month")]


def test_the_cli_refuses_a_file_of_2030(tmp_path: Path) -> None:
    future = street_file(tmp_path / "f", "2030-01", ["2030-01"] * 2)
    store = tmp_path / "store.duckdb"
    done = subprocess.run(
        [str(BIN), "--db", str(store), "ingest", "--json", str(future)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr
    (file,) = json.loads(done.stdout)["files"]
    assert "2030-01" in file["error"] and "after the current month" in file["error"]
    status = subprocess.run(
        [str(BIN), "--db", str(store), "status", "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(status.stdout)["items"] == []


def test_a_datastore_month_column_in_the_future_is_refused(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("MajorText,MinorText,BoroughName,202312,202401\nM,m,Barnet,3,4\n")
    (result,) = ingest_paths(db, [path], ReadOptions(today=dt.date(2023, 12, 5))).files
    assert result.error is not None and "202401" in result.error
    assert db.scalar("SELECT count(*) FROM area_counts") == 0


# --------------------------------------------------------------------------------------------
# Stop-and-search placement
# --------------------------------------------------------------------------------------------

_PAUSE_IN_PLACEMENT = (
    "import sys, time\n"
    "import metforward.ingest.placement as placement\n"
    "original = placement.locate\n"
    "def slow(*args, **kwargs):\n"
    "    print('placing', flush=True)\n"
    "    time.sleep(60)\n"
    "    return original(*args, **kwargs)\n"
    "placement.locate = slow\n"
    "from metforward.cli import main\n"
    "sys.argv = ['metforward', *sys.argv[1:]]\n"
    "main()\n"
)


def _status(store: Path) -> dict[str, object]:
    done = subprocess.run(
        [str(BIN), "--db", str(store), "status", "--json"], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _unplaced(store: Path) -> int:
    rows = _status(store)["items"]
    assert isinstance(rows, list)
    return sum(int(r["not_yet_placed"]) for r in rows if r["kind"] == "stop-and-search")


@pytest.mark.slow
def test_a_kill_during_placement_leaves_no_unplaced_searches(tmp_path: Path, sample: Path) -> None:
    store = tmp_path / "store.duckdb"
    searches = sample / "policeuk" / "2024-01" / "2024-01-metropolitan-stop-and-search.csv.gz"
    boroughs = sample / "boundaries" / "boroughs_2024.geojson"
    subprocess.run([str(BIN), "--db", str(store), "ingest", str(boroughs)], capture_output=True, check=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", _PAUSE_IN_PLACEMENT, "--db", str(store), "ingest", "--json", str(searches)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "placing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.1)
    with Database(store) as db:
        loaded, placed = db.execute("SELECT count(*), count(borough_code) FROM searches WHERE latitude IS NOT NULL")[0]
    # one transaction: either nothing of the file is in, or every search with coordinates was placed
    assert loaded == 0 or placed > 0
    assert _unplaced(store) == 0


@pytest.mark.slow
def test_a_half_placed_store_is_shown_by_status_and_repaired_by_the_next_ingest(tmp_path: Path, sample: Path) -> None:
    store = tmp_path / "store.duckdb"
    searches = sample / "policeuk" / "2024-01" / "2024-01-metropolitan-stop-and-search.csv.gz"
    boroughs = sample / "boundaries" / "boroughs_2024.geojson"
    with Database(store) as db:
        ingest_paths(db, [boroughs, searches])
        want = db.execute("SELECT load_id, line, borough_code FROM searches ORDER BY ALL")
        with_xy = int(db.scalar("SELECT count(*) FROM searches WHERE latitude IS NOT NULL"))
        assert int(db.scalar("SELECT count(borough_code) FROM searches")) > 0
        # the state an older metforward left when killed between loading and placing: codes empty, no record
        db.run("UPDATE searches SET borough_code = NULL, ward_code = NULL, lsoa_code = NULL")
        if db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'search_placements'"):
            db.run("DELETE FROM search_placements")
    assert _unplaced(store) == with_xy
    text = subprocess.run([str(BIN), "--db", str(store), "status"], capture_output=True, text=True, check=True).stdout
    assert "not yet placed" in text
    other = street_file(tmp_path / "jan", "2024-01", ["2024-01"])
    subprocess.run([str(BIN), "--db", str(store), "ingest", str(other)], capture_output=True, check=True)
    assert _unplaced(store) == 0
    with Database(store) as db:
        assert db.execute("SELECT load_id, line, borough_code FROM searches ORDER BY ALL") == want


def test_a_boundaries_load_places_every_search_again(tmp_path: Path, sample: Path, db: Database) -> None:
    searches = sample / "policeuk" / "2024-01" / "2024-01-metropolitan-stop-and-search.csv.gz"
    gz = tmp_path / "x" / searches.name
    gz.parent.mkdir()
    shutil.copy(searches, gz)
    ingest_paths(db, [gz])
    assert int(db.scalar("SELECT count(borough_code) FROM searches")) == 0
    ingest_paths(db, [sample / "boundaries" / "boroughs_2024.geojson"])
    assert int(db.scalar("SELECT count(borough_code) FROM searches")) > 0
