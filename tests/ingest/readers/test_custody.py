"""MPS custody disposals: every row loaded or rejected, and the stored counts by month and ethnicity equal to sums
of the raw file (London-wide: the file has no borough)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database

HEADER = (
    "current_disposal_year,current_disposal_month,current_disposal_month_name,gender,age_group,ethnicity_4+1,"
    "offence_group,current_disposal,offence_count,sheet\n"
)


@pytest.mark.corpus
def test_counts_by_month_and_ethnicity_equal_the_file(corpus: Path, db: Database) -> None:
    path = corpus / "datastore" / "fenneh_custody.csv.gz"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw["month"] = raw["current_disposal_year"] + "-" + raw["current_disposal_month"].str.zfill(2)
    raw["n"] = raw["offence_count"].astype(int)
    expected = Counter(
        {
            k: int(v)
            for k, v in raw.assign(e=raw["ethnicity_4+1"].str.strip()).groupby(["month", "e"])["n"].sum().items()
        }
    )
    (result,) = ingest_paths(db, [path]).files
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "custody-disposals",
        len(raw),
        len(raw),
        0,
    )
    stored = Counter(
        {
            (m, e): int(n)
            for m, e, n in db.execute(
                "SELECT strftime(month, '%Y-%m'), ethnicity, sum(count) FROM custody_disposals GROUP BY ALL"
            )
        }
    )
    assert stored == expected


def test_a_bad_cell_rejects_its_row_with_line_field_and_reason(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "custody.csv"
    path.write_text(
        HEADER
        + "2024,3,March,Male,Adult,Black,Robbery,Prosecution,4,Disposals\n"  # line 2: good
        + "2024,13,March,Male,Adult,Black,Robbery,Prosecution,4,Disposals\n"  # 3: no month 13
        + "2024,3,April,Male,Adult,Black,Robbery,Prosecution,4,Disposals\n"  # 4: the name disagrees
        + "2024,3,March,Male,Adult,,Robbery,Prosecution,4,Disposals\n"  # 5: no ethnicity
        + "2099,3,March,Male,Adult,White,Robbery,Prosecution,4,Disposals\n"  # 6: the future
        + "2024,03,march,Female,Child,Not Recorded,Weapons,Out of Court,1.0,Disposals\n"  # 7: good
    )
    (result,) = ingest_paths(db, [path]).files
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 2, 4)
    assert db.execute("SELECT line, field FROM rejects ORDER BY line") == [
        (3, "current_disposal_month"),
        (4, "current_disposal_month_name"),
        (5, "ethnicity_4+1"),
        (6, "current_disposal_year"),
    ]
    assert db.execute("SELECT month, ethnicity, disposal, count FROM custody_disposals ORDER BY line") == [
        (dt.date(2024, 3, 1), "Black", "Prosecution", 4),
        (dt.date(2024, 3, 1), "Not Recorded", "Out of Court", 1),
    ]
