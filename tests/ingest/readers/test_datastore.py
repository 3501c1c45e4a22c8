"""London Datastore files: stored long, totals per area and month equal to the file's own cells."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from pathlib import Path

import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database

MONTH = re.compile(r"^\d{6}$")
FILES = {
    "MPS_Borough_Level_Crime_Historic_2008-2016.csv": ("datastore-borough-2008", "Borough"),
    "fenneh_recorded-crime-borough-historical.csv.gz": ("datastore-borough", "boroughname"),
    "fenneh_recorded-crime-borough.csv.gz": ("datastore-borough", "boroughname"),
    "fenneh_recorded-crime-ward.csv.gz": ("datastore-ward", "wardcode"),
    "MPS_Ward_Level_Crime_most_recent_24_months_202403-202603.csv.gz": ("datastore-ward", "WardCode"),
    "fenneh_recorded-crime-lsoa.csv.gz": ("datastore-lsoa", "lsoa_code"),
}


def file_totals(path: Path, area_column: str) -> tuple[Counter[tuple[str, str]], int]:
    """Sum of every month cell per (area, YYYY-MM), read with the csv module; and the data line count."""
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8-sig")
    totals: Counter[tuple[str, str]] = Counter()
    lines = 0
    for row in csv.DictReader(io.StringIO(text, newline="")):
        lines += 1
        for column, value in row.items():
            if MONTH.match(column):
                totals[(row[area_column], f"{column[:4]}-{column[4:]}")] += int(value)
    return totals, lines


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(FILES))
def test_totals_per_area_and_month_equal_the_file(name: str, corpus: Path, db: Database) -> None:
    kind, area_column = FILES[name]
    path = corpus / "datastore" / name
    summary = ingest_paths(db, [path])
    (result,) = summary.files
    expected, lines = file_totals(path, area_column)
    assert result.error is None
    assert result.kind == kind
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (lines, lines, 0)
    by = "area_name" if kind.startswith("datastore-borough") else "area_code"
    stored = Counter(
        {
            (a, m): int(n)
            for a, m, n in db.execute(
                f"SELECT {by}, strftime(month, '%Y-%m'), sum(count) FROM area_counts GROUP BY ALL"
            )
        }
    )
    assert stored == expected


@pytest.mark.corpus
def test_borough_names_resolve_to_gss_codes(corpus: Path, db: Database) -> None:
    ingest_paths(db, [corpus / "datastore" / "fenneh_recorded-crime-borough-historical.csv.gz"])
    rows = dict(db.execute("SELECT area_name, any_value(area_code) FROM area_counts GROUP BY ALL"))
    assert rows["Westminster"] == "E09000033"
    assert rows["Richmond upon Thames"] == "E09000027"
    assert len({c for c in rows.values() if c}) == 32  # the Met's 32 boroughs; the City is its own force
    # the publisher's non-borough units are kept, with no area code, and counted in London's total
    assert rows["London Heathrow and London City Airports"] is None
    assert rows["Unknown"] is None


@pytest.mark.corpus
def test_a_newer_file_replaces_overlapping_months(corpus: Path, db: Database) -> None:
    older = corpus / "datastore" / "fenneh_recorded-crime-ward.csv.gz"  # 2024-02 .. 2026-02
    newer = corpus / "datastore" / "MPS_Ward_Level_Crime_most_recent_24_months_202403-202603.csv.gz"
    ingest_paths(db, [older, newer])
    newer_totals, _ = file_totals(newer, "WardCode")
    older_totals, _ = file_totals(older, "wardcode")
    stored = Counter(
        {
            (a, m): int(n)
            for a, m, n in db.execute(
                "SELECT area_code, strftime(month, '%Y-%m'), sum(count) FROM area_counts GROUP BY ALL"
            )
        }
    )
    assert stored == Counter({k: v for k, v in older_totals.items() if k[1] == "2024-02"}) + newer_totals
