"""The MPS VAWG dashboard files: every row loaded or rejected, and the stored counts by breakdown, borough and
month equal to sums of the raw files (read with pandas, not through the store)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database

FILES = {"fenneh_vawg-offences.csv.gz": "vawg-offences", "fenneh_vawg-victims.csv.gz": "vawg-victims"}
SHEETS = {
    "Offence count location": "location",
    "Offence count classification": "classification",
    "Victim count by location": "location",
    "Victim count by age group": "age",
    "Victim count by ethnic group": "ethnicity",
}
HEADER = (
    "bcu_location,borough_name,ward_name_clean_2,recorded_date_months,date_committed_from_date_months,count,sheet,"
    "age_group,ethnic_appearance_group_group\n"
)


@pytest.fixture(scope="module")
def vawg_store(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vawg") / "vawg.duckdb"
    with Database(path) as db:
        summary = ingest_paths(db, [corpus / "datastore" / name for name in sorted(FILES)], built_in_reference=False)
        assert summary.ok, summary.as_dict()
    return path


def raw_sums(path: Path) -> tuple[Counter[tuple[str, str, str]], int]:
    """Counts by (breakdown, borough as published, YYYY-MM) summed from the file, and its data lines."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw["breakdown"] = raw["sheet"].map(SHEETS)
    raw["month"] = raw["recorded_date_months"].str[:7]
    raw["count"] = raw["count"].astype(int)
    sums = raw.groupby(["breakdown", "borough_name", "month"])["count"].sum()
    return Counter({k: int(v) for k, v in sums.items()}), len(raw)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(FILES))
def test_counts_by_breakdown_borough_and_month_equal_the_file(name: str, corpus: Path, vawg_store: Path) -> None:
    expected, lines = raw_sums(corpus / "datastore" / name)
    measure = FILES[name].removeprefix("vawg-")
    with Database(vawg_store, read_only=True) as db:
        ((read, loaded, rejected),) = db.execute(
            "SELECT rows_read, rows_loaded, rows_rejected FROM loads WHERE kind = ?", [FILES[name]]
        )
        stored = Counter(
            {
                (b, n or "", m): int(c)
                for b, n, m, c in db.execute(
                    "SELECT breakdown, borough_name, strftime(month, '%Y-%m'), sum(count) FROM vawg_counts "
                    "WHERE measure = ? GROUP BY ALL",
                    [measure],
                )
            }
        )
        codes = dict(
            db.execute(
                "SELECT borough_name, any_value(borough_code) FROM vawg_counts WHERE measure = ? GROUP BY 1", [measure]
            )
        )
    assert read == lines and read == loaded + rejected and rejected == 0
    assert stored == expected
    # every sheet counts the same offences (victims): London's total is the same in each breakdown
    totals = Counter[str]()
    for (breakdown, _borough, _month), n in stored.items():
        totals[breakdown] += n
    assert len(set(totals.values())) == 1, totals
    # borough names become GSS codes through the one name table; Other and Unknown keep none
    assert codes["Westminster"] == "E09000033" and codes["Barking and Dagenham"] == "E09000002"
    assert codes["Other"] is None and codes["Unknown"] is None
    assert sum(1 for c in codes.values() if c) == 32


def test_a_bad_cell_rejects_its_row_with_line_field_and_reason(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "victims.csv"
    path.write_text(
        HEADER
        + "Central West,Westminster,Abbey Road,2024-01-01,2023-12-01,3,Victim count by location,,\n"  # line 2: good
        + "Central West,Westminster,Abbey Road,2024-01-15,,3,Victim count by location,,\n"  # 3: not the 1st
        + ",,,2024-01-01,,2,Victim count by age group,,\n"  # 4: an age row with no age group
        + ",,,2024-01-01,,x,Victim count by ethnic group,,White\n"  # 5: bad count
        + ",,,2024-01-01,,1,Victim count by gender,,\n"  # 6: unknown sheet
        + ",,,2099-01-01,,1,Victim count by ethnic group,,Black\n"  # 7: a future month
        + ",,,2024-02-01,,4,Victim count by ethnic group,,Black\n"  # 8: good, London-wide
    )
    (result,) = ingest_paths(db, [path], built_in_reference=False).files
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == ("vawg-victims", 7, 2, 5)
    rejects = db.execute("SELECT line, field, reason FROM rejects ORDER BY line")
    assert [(line, field) for line, field, _ in rejects] == [
        (3, "recorded_date_months"),
        (4, "age_group"),
        (5, "count"),
        (6, "sheet"),
        (7, "recorded_date_months"),
    ]
    assert "first of a month" in rejects[0][2] and "future" in rejects[4][2]
    rows = db.execute(
        "SELECT breakdown, month, committed_month, borough_code, ethnic_group, count FROM vawg_counts ORDER BY line"
    )
    assert rows == [
        ("location", dt.date(2024, 1, 1), dt.date(2023, 12, 1), "E09000033", None, 3),
        ("ethnicity", dt.date(2024, 2, 1), None, None, "Black", 4),
    ]


def test_a_newer_release_replaces_the_months_it_holds(tmp_path: Path, db: Database) -> None:
    older, newer = tmp_path / "older.csv", tmp_path / "newer.csv"
    older.write_text(
        HEADER
        + ",,,2024-01-01,,5,Victim count by age group,Aged 20 to 29 years,\n"
        + ",,,2024-02-01,,6,Victim count by age group,Aged 20 to 29 years,\n"
    )
    newer.write_text(HEADER + ",,,2024-02-01,,7,Victim count by age group,Aged 20 to 29 years,\n")
    ingest_paths(db, [older], built_in_reference=False)
    ingest_paths(db, [newer], built_in_reference=False)
    assert db.execute("SELECT strftime(month, '%Y-%m'), count FROM vawg_counts ORDER BY 1") == [
        ("2024-01", 5),
        ("2024-02", 7),
    ]
    assert db.execute("SELECT count(*) FROM loads WHERE replaced_by IS NOT NULL") == [(1,)]
