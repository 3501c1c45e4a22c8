"""Violence against women and girls: the answer against independent sums of the sample's raw file, known truth
(a planted change and a flat series through the whole path), the rates against the Census, and the errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metforward.domain.periods import add_months
from metforward.errors import BadRequest, NoData
from metforward.ingest.pipeline import ingest_paths
from metforward.questions import vawg
from metforward.store.database import Database

SAMPLE = Path(__file__).resolve().parents[2] / "sample"
HEADER = (
    "bcu_location,borough_name,ward_name_clean_2,recorded_date_months,date_committed_from_date_months,count,sheet,"
    "crimsec_group,crimseccodeexpansion,crimsec_offences,vawg_offence\n"
)


def raw(name: str) -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE / "strands" / name, dtype=str, keep_default_na=False)
    frame["n"] = frame["count"].astype(int)
    frame["month"] = frame["recorded_date_months"].str[:7]
    return frame


def test_borough_counts_equal_the_raw_file(web_store: Path) -> None:
    frame = raw("MPS_vawg-offences.csv.gz")
    location = frame[frame["sheet"] == "Offence count location"]
    with Database(web_store, read_only=True) as db:
        answer = vawg.ask(db, vawg.Query(before="2024-01:2024-12", after="2025-01:2025-12"))
    got = {r["area_name"]: (r["before"], r["after"]) for r in answer.items}
    for name in ("Camden", "Hackney", "Westminster"):
        mine = location[location["borough_name"] == name]
        before = mine[mine["month"].between("2024-01", "2024-12")]["n"].sum()
        after = mine[mine["month"].between("2025-01", "2025-12")]["n"].sum()
        assert got[name] == (before, after)
    assert {r["verdict"] for r in answer.items} <= {"up", "down", "can't tell"}
    assert answer.meta["months_after"] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert "quasi-Poisson" in answer.meta["method"]


def test_victims_by_ethnic_appearance_against_the_census(web_store: Path) -> None:
    frame = raw("MPS_vawg-victims.csv.gz")
    ethnic = frame[(frame["sheet"] == "Victim count by ethnic group") & frame["month"].between("2025-01", "2025-12")]
    census = pd.read_csv(SAMPLE / "population" / "census2021_TS021_ethnic_group_london.csv.gz")
    people = census.groupby("Ethnic group")["Observation"].sum()
    black = people[[g for g in people.index if g.startswith("Black")]].sum()
    white = people[[g for g in people.index if g.startswith("White")]].sum()
    with Database(web_store, read_only=True) as db:
        answer = vawg.ask(db, vawg.Query("victims", "ethnicity", after="2025-01:2025-12"))
    rows = {r["ethnic_appearance"]: r for r in answer.items}
    n_black = ethnic[ethnic["ethnic_appearance_group_group"] == "Black"]["n"].sum()
    n_white = ethnic[ethnic["ethnic_appearance_group_group"] == "White"]["n"].sum()
    assert rows["Black"]["after"] == n_black
    assert rows["Black"]["rate_per_1000"] == pytest.approx(1000 * n_black / black)
    assert rows["Black"]["ratio"] == pytest.approx((n_black / black) / (n_white / white))
    assert rows["Black"]["ratio_low"] < rows["Black"]["ratio"] < rows["Black"]["ratio_high"]
    assert rows["White"]["ratio"] == 1.0 and rows["Unknown"]["rate_per_1000"] is None
    assert sum(r["share"] for r in answer.items) == pytest.approx(1.0)
    assert any("Census 2021" in n for n in answer.notes)


def _planted(tmp_path: Path) -> Path:
    """Two boroughs, 24 months: Camden flat (over-dispersed noise), Hackney twice as many in the second year."""
    rng = np.random.default_rng(3)
    lines = [HEADER]
    for i in range(24):
        month = add_months(dt.date(2023, 1, 1), i)
        for borough, mean in (("Camden", 80), ("Hackney", 80 if i < 12 else 160)):
            n = rng.negative_binomial(20, 20 / (20 + mean))
            lines.append(f"Central North,{borough},Some Ward,{month:%Y-%m-%d},,{n},Offence count location,,,,\n")
    path = tmp_path / "vawg-offences.csv"
    path.write_text("".join(lines))
    return path


def test_known_truth_a_planted_change_is_up_and_a_flat_series_cant_tell(tmp_path: Path, db: Database) -> None:
    ingest_paths(db, [_planted(tmp_path)])
    answer = vawg.ask(db, vawg.Query())  # the last 12 months with data against the 12 before
    verdicts = {r["area_name"]: r["verdict"] for r in answer.items}
    assert verdicts == {"Camden": "can't tell", "Hackney": "up"}
    assert answer.meta["before"] == "2023-01:2023-12" and answer.meta["after"] == "2024-01:2024-12"
    months = vawg.ask(db, vawg.Query(by="month", area="Hackney"))
    assert [r["period"] for r in months.items] == ["before"] * 12 + ["after"] * 12


def test_options_the_dashboard_cannot_answer_are_bad_requests(web_store: Path, db: Database) -> None:
    for query, field in (
        (vawg.Query(by="type", area="Camden"), "area"),
        (vawg.Query(by="ward"), "area"),
        (vawg.Query(by="ward", area="E05013792"), "area"),  # a ward: the dashboard has names, not codes
    ):
        with Database(web_store, read_only=True) as store, pytest.raises(BadRequest) as err:
            vawg.ask(store, query)
        assert err.value.field == field
    for query in (vawg.Query(measure="victims", by="type"), vawg.Query(by="age"), vawg.Query(method="normal")):
        with pytest.raises(BadRequest):
            query.check()
    with pytest.raises(NoData, match="ingest the MPS VAWG"):
        vawg.ask(db, vawg.Query())
