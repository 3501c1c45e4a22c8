"""MPS homicide proceedings: every row loaded or rejected, and the stored counts by borough and month equal to
sums of the raw file (read with the csv module, not through the store)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections import Counter
from pathlib import Path

import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database

HEADER = (
    "Count of PPA,Borough,Gender,Age Group,Self-Classified Ethnicity,Offence Type,Charged/Summonsed,Proceedings Date\n"
)
MONTHS = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}


@pytest.mark.corpus
def test_counts_by_borough_and_month_equal_the_file(corpus: Path, db: Database) -> None:
    path = corpus / "datastore" / "fenneh_homicide.csv.gz"
    expected: Counter[tuple[str, str]] = Counter()
    lines = 0
    for row in csv.DictReader(io.StringIO(gzip.decompress(path.read_bytes()).decode("utf-8"))):
        lines += 1
        mon, yy = row["proceedings_date"].split("-")
        expected[(row["borough"], f"20{yy}-{MONTHS[mon]:02d}")] += int(row["count_of_ppa"])
    (result,) = ingest_paths(db, [path]).files
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "homicide-proceedings",
        lines,
        lines,
        0,
    )
    stored = Counter(
        {
            (b, m): int(n)
            for b, m, n in db.execute(
                "SELECT borough_name, strftime(month, '%Y-%m'), sum(count) FROM homicide_proceedings GROUP BY ALL"
            )
        }
    )
    assert stored == expected
    codes = dict(db.execute("SELECT borough_name, any_value(borough_code) FROM homicide_proceedings GROUP BY 1"))
    assert codes["Barking & Dagenham"] == "E09000002" and codes["Heathrow"] is None
    assert db.execute("SELECT DISTINCT ethnicity FROM homicide_proceedings WHERE ethnicity LIKE 'Black%'") == [
        ("Black",)
    ]


def test_the_datastore_header_and_bad_cells(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "Homicide ppa.csv"
    path.write_text(
        HEADER
        + "1,Lambeth,Male,15 to 19,Black,Murder,Charge or Summons,Mar-19\n"  # line 2: good
        + "1,Lambeth,Male,15 to 19,Black,Murder,Charge or Summons,March 2019\n"  # 3: not a month
        + "1,,Male,15 to 19,Black,Murder,Charge or Summons,Mar-19\n"  # 4: no borough
        + "one,Lambeth,Male,15 to 19,Black,Murder,Charge or Summons,Mar-19\n"  # 5: bad count
        + "1,Heathrow,Female,20 to 24,White,Manslaughter,Charge or Summons,2021-07\n"  # 6: good
    )
    (result,) = ingest_paths(db, [path]).files
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "homicide-proceedings",
        5,
        2,
        3,
    )
    assert db.execute("SELECT line, field FROM rejects ORDER BY line") == [
        (3, "Proceedings Date"),
        (4, "Borough"),
        (5, "Count of PPA"),
    ]
    assert db.execute("SELECT month, borough_code, offence_type FROM homicide_proceedings ORDER BY line") == [
        (dt.date(2019, 3, 1), "E09000022", "Murder"),
        (dt.date(2021, 7, 1), None, "Manslaughter"),
    ]
