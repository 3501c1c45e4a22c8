"""The MPS Business Crime files: every row loaded or rejected, and the stored counts by borough and month equal
to sums of the raw files (read with pandas, not through the store)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database

FILES = {
    "fenneh_business-crime-offences.csv.gz": ("business-crime-offences", "business_crime_offence_count"),
    "fenneh_business-crime-outcomes.csv.gz": ("business-crime-outcomes", "outcome_count"),
}
OUTCOMES = "date,measure,borough,crime_section,crime_group,outcome,positive_outcome,outcome_count,refresh_date\n"


@pytest.fixture(scope="module")
def business_store(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("business") / "business.duckdb"
    with Database(path) as db:
        summary = ingest_paths(db, [corpus / "datastore" / name for name in sorted(FILES)])
        assert summary.ok, summary.as_dict()
    return path


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(FILES))
def test_counts_by_borough_and_month_equal_the_file(name: str, corpus: Path, business_store: Path) -> None:
    kind, count_column = FILES[name]
    raw = pd.read_csv(corpus / "datastore" / name, dtype=str, keep_default_na=False)
    raw["month"] = raw["date"].str[:7]
    raw["n"] = raw[count_column].astype(int)
    expected = Counter({k: int(v) for k, v in raw.groupby(["borough", "month"])["n"].sum().items()})
    measure = kind.removeprefix("business-crime-")
    with Database(business_store, read_only=True) as db:
        ((read, loaded, rejected),) = db.execute(
            "SELECT rows_read, rows_loaded, rows_rejected FROM loads WHERE kind = ?", [kind]
        )
        stored = Counter(
            {
                (b, m): int(n)
                for b, m, n in db.execute(
                    "SELECT borough_name, strftime(month, '%Y-%m'), sum(count) FROM business_crime WHERE measure = ? "
                    "GROUP BY ALL",
                    [measure],
                )
            }
        )
        codes = dict(db.execute("SELECT borough_name, any_value(borough_code) FROM business_crime GROUP BY 1"))
        if measure == "outcomes":
            positive = db.scalar("SELECT sum(count) FROM business_crime WHERE measure = 'outcomes' AND positive")
            assert positive == raw.loc[raw["positive_outcome"] == "Y", "n"].sum()
    assert read == len(raw) and read == loaded + rejected and rejected == 0
    assert stored == expected
    assert codes["Hammersmith and Fulham"] == "E09000013" and codes["Other"] is None
    assert sum(1 for c in codes.values() if c) == 32


def test_a_bad_cell_rejects_its_row_with_line_field_and_reason(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "outcomes.csv"
    row = "Business Crime Outcomes,Camden,THEFT,SHOPLIFTING,Charged/Summonsed/Postal Requisition"
    path.write_text(
        OUTCOMES
        + f"2024-03-17,{row},Y,2,2025-06-05\n"  # line 2: good
        + f"2024-02-30,{row},Y,2,2025-06-05\n"  # 3: no such day
        + f"2024-03-17,{row},Maybe,2,2025-06-05\n"  # 4: not Y or N
        + "2024-03-17,Business Crime Offences,Camden,THEFT,SHOPLIFTING,x,N,1,2025-06-05\n"  # 5: another measure
        + f"2024-03-17,{row},N,-1,2025-06-05\n"  # 6: a negative count
        + "2024-04-02,Business Crime Outcomes,Other,THEFT,SHOPLIFTING,,N,3,\n"  # 7: good, no outcome, no refresh
    )
    (result,) = ingest_paths(db, [path]).files
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "business-crime-outcomes",
        6,
        2,
        4,
    )
    assert db.execute("SELECT line, field FROM rejects ORDER BY line") == [
        (3, "date"),
        (4, "positive_outcome"),
        (5, "measure"),
        (6, "outcome_count"),
    ]
    assert db.execute(
        "SELECT day, month, borough_code, outcome, positive, count, refresh_date FROM business_crime ORDER BY line"
    ) == [
        (
            dt.date(2024, 3, 17),
            dt.date(2024, 3, 1),
            "E09000007",
            "Charged/Summonsed/Postal Requisition",
            True,
            2,
            dt.date(2025, 6, 5),
        ),
        (dt.date(2024, 4, 2), dt.date(2024, 4, 1), None, None, False, 3, None),
    ]
