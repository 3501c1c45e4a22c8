"""Business crime: offences and positive outcome rates against independent sums of the sample's raw files, the
intervals against statsmodels, and the errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from metforward.errors import BadRequest, NoData
from metforward.questions import business_crime
from metforward.store.database import Database

SAMPLE = Path(__file__).resolve().parents[2] / "sample" / "strands"


def raw(name: str, column: str) -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE / name, dtype=str, keep_default_na=False)
    frame["n"] = frame[column].astype(int)
    frame["month"] = frame["date"].str[:7]
    return frame


def test_offences_and_positive_outcomes_equal_the_raw_files(web_store: Path) -> None:
    offences = raw("MPS_business-crime-offences.csv.gz", "business_crime_offence_count")
    outcomes = raw("MPS_business-crime-outcomes.csv.gz", "outcome_count")
    with Database(web_store, read_only=True) as db:
        answer = business_crime.ask(db, business_crime.Query(before="2023-08:2024-04", after="2024-05:2025-01"))
    rows = {r["area_name"]: r for r in answer.items}
    assert set(rows) == {"Camden", "Hackney", "Westminster"}
    for name, row in rows.items():
        mine = offences[offences["borough"] == name]
        assert row["before"] == mine[mine["month"].between("2023-08", "2024-04")]["n"].sum()
        assert row["after"] == mine[mine["month"].between("2024-05", "2025-01")]["n"].sum()
        out = outcomes[(outcomes["borough"] == name) & outcomes["month"].between("2024-05", "2025-01")]
        k, n = out[out["positive_outcome"] == "Y"]["n"].sum(), out["n"].sum()
        assert (row["positive_outcomes"], row["outcomes"]) == (k, n)
        low, high = proportion_confint(k, n, method="wilson")
        assert (row["positive_rate"], row["positive_low"], row["positive_high"]) == (
            pytest.approx(k / n),
            pytest.approx(low),
            pytest.approx(high),
        )
        assert row["interval"] == "wilson" and row["verdict"] in ("up", "down", "can't tell")
    assert answer.meta["outcome_months"] == [f"2024-{m:02d}" for m in range(5, 13)] + ["2025-01"]


def test_by_month_and_by_group(web_store: Path) -> None:
    with Database(web_store, read_only=True) as db:
        months = business_crime.ask(db, business_crime.Query(by="month", area="Camden"))
        groups = business_crime.ask(db, business_crime.Query(by="group", area="Camden"))
    assert [r["period"] for r in months.items] == ["before"] * 12 + ["after"] * 12
    assert all(r["outcomes"] is None for r in months.items[:12])  # outcomes are read for the after period
    assert sum(r["after"] for r in groups.items) == sum(r["offences"] for r in months.items[12:])
    small = [
        r
        for r in groups.items
        if r["outcomes"] and min(r["positive_outcomes"], r["outcomes"] - r["positive_outcomes"]) < 5
    ]
    assert small and all(r["interval"] == "exact" for r in small)


def test_errors(web_store: Path, db: Database) -> None:
    with Database(web_store, read_only=True) as store, pytest.raises(BadRequest) as err:
        business_crime.ask(store, business_crime.Query(area="E05013792"))
    assert err.value.field == "area"
    with pytest.raises(BadRequest):
        business_crime.Query(by="ward").check()
    with pytest.raises(NoData, match="business crime offences"):
        business_crime.ask(db, business_crime.Query())
