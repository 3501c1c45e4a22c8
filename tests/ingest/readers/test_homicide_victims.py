"""MPS homicide victims: every row loaded or rejected, counts by borough and month equal to the file's own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from metforward.domain.areas import borough_code
from metforward.ingest.pipeline import ingest_paths
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.homicide_victims import HEADER, month_of
from metforward.store.database import Database

NAME = "MPS_Homicides_2003-2023_victims.csv"


@pytest.mark.corpus
def test_victims_by_borough_and_month_equal_the_file(corpus: Path, db: Database) -> None:
    path = corpus / "datastore" / NAME
    (result,) = ingest_paths(db, [path]).files
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert result.kind == "homicide-victims" and result.error is None
    assert result.rows_read == len(raw) == result.rows_loaded + result.rows_rejected
    assert result.rows_rejected == 0
    raw["month"] = pd.to_datetime(raw["Recorded Date"], format="%b-%y").dt.strftime("%Y-%m")
    raw["borough"] = raw["Borough"].str.strip()
    expected = raw.assign(n=raw["Count of Victims"].astype(int)).groupby(["borough", "month"])["n"].sum().to_dict()
    stored = {
        (b, m): int(n)
        for b, m, n in db.execute(
            "SELECT borough_name, strftime(month, '%Y-%m'), sum(victims) FROM homicide_victims GROUP BY ALL"
        )
    }
    assert stored == expected
    # every published borough name but Heathrow's is a London borough, coded
    codes = dict(db.execute("SELECT borough_name, any_value(borough_code) FROM homicide_victims GROUP BY ALL"))
    assert codes["Heathrow"] is None
    assert codes["Barking & Dagenham"] == "E09000002" and codes["Ealing"] == "E09000009"
    assert {c for c in codes.values() if c} == {borough_code(b) for b in codes if b != "Heathrow"}
    # victims under 25 by age band, as the youth-violence strand counts them
    young = raw[raw["Age Group"].isin(["0 to 12", "13 to19", "20 to 24"])]["Count of Victims"].astype(int).sum()
    assert (
        db.scalar("SELECT sum(victims) FROM homicide_victims WHERE age_group IN ('0 to 12', '13 to19', '20 to 24')")
        == young
    )


def test_bad_rows_are_rejected_with_their_field_and_reason(tmp_path: Path, db: Database) -> None:
    good = "1,25 to 34,Male,Shooting,Not Domestic Abuse,Jan-03,Murder,Solved,Wandsworth,White"
    lines = [
        ",".join(HEADER),
        good,
        "1,25 to 34,Male,Shooting,Not Domestic Abuse,2003-01,Murder,Solved,Wandsworth,White",  # bad month
        "1,25 to 34,Male,Shooting,Not Domestic Abuse,Jan-99,Murder,Solved,Wandsworth,White",  # 2099: the future
        "x,25 to 34,Male,Shooting,Not Domestic Abuse,Jan-03,Murder,Solved,Wandsworth,White",  # bad count
        "1,25 to 34,Male,Shooting,Not Domestic Abuse,Feb-03,Murder,Solved,,White",  # no borough
        "1,20 to 24,Female,Knife or Sharp Implement,Domestic Abuse,Mar-03,Manslaughter,Unsolved,Heathrow ,Black",
    ]
    path = tmp_path / "victims.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (result,) = ingest_paths(db, [path], options=ReadOptions(today=dt.date(2024, 6, 1))).files
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 2, 4)
    rejects = {line: (field, reason) for line, field, reason in db.execute("SELECT line, field, reason FROM rejects")}
    assert rejects[3][0] == "Recorded Date" and "Mon-YY" in rejects[3][1]
    assert rejects[4][0] == "Recorded Date" and "future" in rejects[4][1]
    assert rejects[5][0] == "Count of Victims"
    assert rejects[6][0] == "Borough" and "empty" in rejects[6][1]
    kept = db.execute("SELECT line, borough_code, borough_name, month FROM homicide_victims ORDER BY line")
    assert kept == [(2, "E09000032", "Wandsworth", dt.date(2003, 1, 1)), (7, None, "Heathrow", dt.date(2003, 3, 1))]


def test_a_newer_file_replaces_the_months_it_holds(tmp_path: Path, db: Database) -> None:
    row = "{n},25 to 34,Male,Shooting,Not Domestic Abuse,{m},Murder,Solved,Wandsworth,White"
    older, newer = tmp_path / "a.csv", tmp_path / "b.csv"
    older.write_text("\n".join([",".join(HEADER), row.format(n=1, m="Jan-03"), row.format(n=1, m="Feb-03")]) + "\n")
    newer.write_text("\n".join([",".join(HEADER), row.format(n=3, m="Feb-03")]) + "\n")
    ingest_paths(db, [older])
    ingest_paths(db, [newer])
    assert db.execute("SELECT strftime(month, '%m'), sum(victims) FROM homicide_victims GROUP BY 1 ORDER BY 1") == [
        ("01", 1),
        ("02", 3),
    ]


def test_month_of_reads_two_digit_years_as_this_century() -> None:
    assert month_of("Jan-03") == dt.date(2003, 1, 1) and month_of("Dec-23") == dt.date(2023, 12, 1)
