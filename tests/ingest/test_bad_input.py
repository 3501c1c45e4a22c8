"""Hand-made bad files: every rejection reason, unreadable files, repeated loads, a load killed mid-way."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.ingest.readers.policeuk import OUTCOMES, STOP_AND_SEARCH, STREET
from metforward.store.database import Database

GOOD = "abc1,2024-01,City of London Police,City of London Police,-0.106220,51.518275,On or near B500,E01000916,Camden 027B,Other theft,Status update unavailable,"
ASB = ",2024-01,City of London Police,City of London Police,,,No location,,,Anti-social behaviour,,"


def street_file(tmp_path: Path, rows: list[str], name: str = "2024-01-city-of-london-street.csv") -> Path:
    path = tmp_path / name
    path.write_text(",".join(STREET) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def rejects(db: Database) -> list[tuple[int, str | None, str]]:
    return [
        (int(line), field, reason)
        for line, field, reason in db.execute("SELECT line, field, reason FROM rejects ORDER BY line")
    ]


STREET_CASES = [
    ("bad number", GOOD.replace("-0.106220", "-0.1o6"), "Longitude", "bad number in Longitude"),
    ("bad month", GOOD.replace("2024-01", "2024-13"), "Month", "bad month in Month"),
    ("month as text", GOOD.replace("2024-01", "January 2024"), "Month", "bad month"),
    (
        "out of range",
        GOOD.replace("51.518275", "58.9").replace("-0.106220", "-12.5"),
        "Longitude,Latitude",
        "coordinates out of range",
    ),
    ("one coordinate", GOOD.replace("51.518275", ""), "Longitude,Latitude", "only one of Longitude and Latitude"),
    ("unknown crime type", GOOD.replace("Other theft", "Jaywalking"), "Crime type", "unknown value in Crime type"),
    ("bad lsoa", GOOD.replace("E01000916", "E0100"), "LSOA code", "bad LSOA code"),
    ("too many fields", GOOD + ",extra", None, "wrong number of fields: expected 12, found 13"),
    ("too few fields", ",".join(GOOD.split(",")[:9]), None, "wrong number of fields: expected 12, found 9"),
]


@pytest.mark.parametrize(("case", "row", "field", "reason"), STREET_CASES, ids=[c[0] for c in STREET_CASES])
def test_each_bad_street_row_is_rejected_with_its_line_field_and_reason(
    tmp_path: Path, db: Database, case: str, row: str, field: str | None, reason: str
) -> None:
    path = street_file(tmp_path, [GOOD, row, ASB])
    (result,) = ingest_paths(db, [path]).files
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    ((line, got_field, got_reason),) = rejects(db)
    assert line == 3
    assert got_field == field
    assert reason in got_reason
    assert db.scalar("SELECT count(*) FROM crimes") == 2
    assert db.scalar("SELECT count(*) FROM crimes WHERE crime_id IS NULL AND longitude IS NULL") == 1  # ASB kept


def test_rows_without_location_are_kept_and_counted(tmp_path: Path, db: Database) -> None:
    ingest_paths(db, [street_file(tmp_path, [GOOD, ASB, ASB])])
    assert db.execute("SELECT count(*), count(lsoa_code), count(longitude) FROM crimes") == [(3, 1, 1)]


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path: Path, db: Database) -> None:
    quoted = GOOD.replace("On or near B500", '"On or near\nB500, EC1"')
    path = tmp_path / "2024-01-city-of-london-street.csv"
    path.write_text(",".join(STREET) + "\n" + quoted + "\n\n" + GOOD.replace("2024-01", "24-1") + "\n")
    (result,) = ingest_paths(db, [path]).files
    assert (result.rows_read, result.rows_rejected) == (2, 1)
    assert rejects(db)[0][0] == 5
    assert db.scalar("SELECT location FROM crimes") == "On or near\nB500, EC1"


OUTCOME = "abc1,2024-01,City of London Police,City of London Police,-0.1,51.5,On or near X,E01000916,Camden 027B,Under investigation"
SEARCH = "Person search,2024-01-31T23:30:00+00:00,False,,51.5,-0.1,Male,18-24,White - English/Welsh/Scottish/Northern Irish/British (W1),White,Misuse of Drugs Act 1971 (section 23),Controlled drugs,A no further action disposal,False,False"


@pytest.mark.parametrize(
    ("header", "good", "bad", "field", "reason", "name"),
    [
        (
            OUTCOMES,
            OUTCOME,
            OUTCOME.replace("abc1", ""),
            "Crime ID",
            "Crime ID is empty",
            "2024-01-city-of-london-outcomes.csv",
        ),
        (
            STOP_AND_SEARCH,
            SEARCH,
            SEARCH.replace("2024-01-31T23:30:00+00:00", "31/01/2024"),
            "Date",
            "bad date",
            "2024-01-metropolitan-stop-and-search.csv",
        ),
        (
            STOP_AND_SEARCH,
            SEARCH,
            SEARCH.replace("Person search", "Horse search"),
            "Type",
            "unknown value in Type",
            "2024-01-metropolitan-stop-and-search.csv",
        ),
        (
            STOP_AND_SEARCH,
            SEARCH,
            SEARCH.replace(",False,,", ",Maybe,,", 1),
            "Part of a policing operation",
            "must be True, False or empty",
            "2024-01-metropolitan-stop-and-search.csv",
        ),
    ],
    ids=["outcome without crime id", "search bad date", "search bad type", "search bad boolean"],
)
def test_outcomes_and_searches_reject_bad_rows(
    tmp_path: Path, db: Database, header: list[str], good: str, bad: str, field: str, reason: str, name: str
) -> None:
    path = tmp_path / name
    path.write_text(",".join(header) + "\n" + good + "\n" + bad + "\n")
    (result,) = ingest_paths(db, [path]).files
    assert (result.error, result.rows_read, result.rows_loaded, result.rows_rejected) == (None, 2, 1, 1)
    assert rejects(db) == [(3, field, rejects(db)[0][2])]
    assert reason in rejects(db)[0][2]


def test_a_search_late_on_the_last_day_in_utc_is_filed_in_the_london_month(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "2024-07-metropolitan-stop-and-search.csv"
    summer = SEARCH.replace("2024-01-31T23:30:00+00:00", "2024-06-30T23:30:00+00:00")
    path.write_text(",".join(STOP_AND_SEARCH) + "\n" + SEARCH + "\n" + summer + "\n")
    ingest_paths(db, [path])
    months = [str(m) for (m,) in db.execute("SELECT month FROM searches ORDER BY occurred_at")]
    assert months == ["2024-07-01"]  # 23:30 UTC on 30 June is 00:30 BST on 1 July
    assert [(line, field) for line, field, _ in rejects(db)] == [(2, "Date")]  # January's is not this file's month


def _store_snapshot(db: Database) -> tuple[object, ...]:
    return tuple(db.scalar(f"SELECT count(*) FROM {t}") for t in ("crimes", "rejects", "loads", "area_counts"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Name,Age\nAda,36\n", "unknown header 'Name,Age'"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
        (gzip.compress(((",".join(STREET) + "\n" + GOOD + "\n") * 200).encode())[:-40], "gzip data is truncated"),
    ],
    ids=["unknown header", "binary", "truncated gzip"],
)
def test_an_unreadable_file_is_a_clear_error_and_leaves_the_store_as_it_was(
    tmp_path: Path, db: Database, content: bytes, message: str
) -> None:
    ingest_paths(db, [street_file(tmp_path, [GOOD])])
    before = _store_snapshot(db)
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(content)
    summary = ingest_paths(db, [bad])
    (result,) = summary.files
    assert not summary.ok
    assert result.error is not None and message in result.error
    assert _store_snapshot(db) == before


def test_a_missing_path_is_reported_not_raised(tmp_path: Path, db: Database) -> None:
    summary = ingest_paths(db, [tmp_path / "nowhere"])
    assert not summary.ok
    assert summary.files[0].error == "no such file or folder"


def test_loading_the_same_month_again_replaces_it(tmp_path: Path, db: Database) -> None:
    first = street_file(tmp_path, [GOOD, GOOD.replace("abc1", "abc2"), ASB])
    ingest_paths(db, [first])
    newer = tmp_path / "newer"
    newer.mkdir()
    second = street_file(newer, [GOOD.replace("Status update unavailable", "Under investigation"), ASB])
    ingest_paths(db, [second])
    assert db.scalar("SELECT count(*) FROM crimes") == 2
    assert db.scalar("SELECT last_outcome FROM crimes WHERE crime_id = 'abc1'") == "Under investigation"
    loads = db.execute("SELECT load_id, replaced_by, replaces FROM loads ORDER BY load_id")
    assert loads == [(1, 2, []), (2, None, [1])]
    # another month of the same force is added, not replaced
    ingest_paths(db, [street_file(tmp_path, [GOOD.replace("2024-01", "2024-02")], "2024-02-city-of-london-street.csv")])
    assert db.scalar("SELECT count(*) FROM crimes") == 3


def test_file_folder_zip_and_gzip_forms_load_the_same_rows(tmp_path: Path) -> None:
    text = ",".join(STREET) + "\n" + GOOD + "\n" + ASB + "\n"
    tree = tmp_path / "tree" / "2024-01"
    tree.mkdir(parents=True)
    (tree / "2024-01-city-of-london-street.csv").write_text(text)
    (tmp_path / "one.csv.gz").write_bytes(gzip.compress(text.encode()))
    with zipfile.ZipFile(tmp_path / "archive.zip", "w") as archive:
        archive.writestr("2024-01/2024-01-city-of-london-street.csv", text)
        archive.writestr("2024-01/README.txt", "not data")
    counts = []
    for given in (tmp_path / "tree", tmp_path / "one.csv.gz", tmp_path / "archive.zip"):
        with Database(tmp_path / f"{given.name}.duckdb") as store:
            summary = ingest_paths(store, [given])
            assert summary.ok
            counts.append(store.execute("SELECT force, month, count(*) FROM crimes GROUP BY ALL"))
    assert counts[0] == counts[1] == counts[2] == [("city-of-london", __import__("datetime").date(2024, 1, 1), 2)]


def test_a_load_killed_mid_way_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "killed.duckdb"
    small = street_file(tmp_path, [GOOD, ASB])
    with Database(store) as db:
        ingest_paths(db, [small])
        before = _store_snapshot(db)
    big = tmp_path / "big" / "2024-02-city-of-london-street.csv"
    big.parent.mkdir()
    row = GOOD.replace("2024-01", "2024-02")
    with big.open("w") as out:
        out.write(",".join(STREET) + "\n")
        for i in range(200_000):
            out.write(row.replace("abc1", f"id{i}") + "\n")
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "import metforward.store.loading as loading\n"
        "original = loading._write\n"
        "def slow_write(db, load):\n"
        "    load_id = original(db, load)\n"
        "    print('written', flush=True)\n"
        "    time.sleep(60)\n"
        "    return load_id\n"
        "loading._write = slow_write\n"
        "from metforward.store.database import Database\n"
        "from metforward.ingest.pipeline import ingest_paths\n"
        "ingest_paths(Database(sys.argv[1]), [Path(sys.argv[2])])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(store), str(big)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "written"  # every row is in, the transaction not yet committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.1)
    with Database(store) as db:
        assert _store_snapshot(db) == before
        assert db.scalar("SELECT count(*) FROM crimes WHERE month = DATE '2024-02-01'") == 0


def test_a_row_of_empty_fields_is_rejected_on_either_parse_path(tmp_path: Path, db: Database) -> None:
    quoted = GOOD.replace("On or near B500", '"On or\nnear B500"')  # a quoted line break: the slow path
    for rows in ([GOOD, ",,,,,,,,,,,", GOOD], [quoted, ",,,,,,,,,,,", GOOD]):
        with Database(tmp_path / f"{len(rows[0])}.duckdb") as store:
            (result,) = ingest_paths(store, [street_file(tmp_path, rows)]).files
            assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)


def test_a_count_too_large_to_store_rejects_the_row_not_the_file(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("MajorText,MinorText,BoroughName,201801\nM,m,Barnet,3\nM,m,Barnet,99999999999999999999\n")
    (result,) = ingest_paths(db, [path]).files
    assert (result.error, result.rows_loaded, result.rows_rejected) == (None, 1, 1)
    assert db.execute("SELECT line, field FROM rejects") == [(3, "201801")]
