"""Fairness in outcomes: custody disposals per 1,000 residents against independent sums of the sample's raw files
and the Census table, the stop-and-search ratios beside them equal to the searches question's, and the shares."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from metforward.errors import BadRequest
from metforward.questions import fairness, searches
from metforward.store.database import Database

SAMPLE = Path(__file__).resolve().parents[2] / "sample"


def test_rates_ratios_and_the_stop_and_search_beside_them(web_store: Path) -> None:
    custody = pd.read_csv(SAMPLE / "strands" / "MPS_custody-disposals.csv.gz", dtype=str, keep_default_na=False)
    custody = custody[
        (custody["current_disposal_year"] == "2024") & custody["current_disposal_month"].isin(["1", "2", "3"])
    ]
    counts = (
        custody.assign(n=custody["offence_count"].astype(int), g=custody["ethnicity_4+1"].str.strip())
        .groupby("g")["n"]
        .sum()
    )
    census = pd.read_csv(SAMPLE / "population" / "census2021_TS021_ethnic_group_london.csv.gz")
    census = census[census["Ethnic group (8 categories) Code"] != -8]
    people = census.groupby("Ethnic group")["Observation"].sum()
    pops = {
        "Asian": people["Asian"],
        "Black": people["Black"],
        "White": people[[g for g in people.index if g.startswith("White")]].sum(),
        "Other": people["Other"] + people["Mixed"],  # custody has no Mixed group
    }
    with Database(web_store, read_only=True) as db:
        answer = fairness.ask(db, fairness.Query(period="2024-01:2024-03"))
        stops = searches.ask(
            db, searches.Query("disproportionality", first="2024-01", last="2024-03", ethnicity="officer-defined")
        )
    rows = {r["group"]: r for r in answer.items}
    for group, pop in pops.items():
        assert rows[group]["count"] == counts[group]
        assert rows[group]["population"] == pop
        assert rows[group]["rate_per_1000"] == pytest.approx(1000 * counts[group] / pop)
    assert rows["Black"]["ratio"] == pytest.approx(
        (counts["Black"] / pops["Black"]) / (counts["White"] / pops["White"])
    )
    assert answer.meta["not_recorded"] == counts["Not Recorded"]
    for r in stops.items:
        mine = rows[str(r["group"])]
        assert (mine["searches"], mine["search_ratio"], mine["search_low"], mine["search_high"]) == (
            r["searches"],
            r["ratio"],
            r["ci_low"],
            r["ci_high"],
        )
    assert rows["White"]["method"] == "reference"
    assert rows["Black"]["method"] == "exact conditional"  # three months: too few for a dispersion


def test_by_disposal_shares_add_up_and_differ_from_white(web_store: Path) -> None:
    with Database(web_store, read_only=True) as db:
        answer = fairness.ask(db, fairness.Query(by="disposal", age_group="Child"))
        twelve = fairness.ask(db, fairness.Query())
    by_group: dict[str, float] = {}
    for r in answer.items:
        by_group[r["group"]] = by_group.get(r["group"], 0.0) + r["share"]
        if r["group"] in ("White", "Not Recorded"):
            assert r["difference"] is None
        else:
            assert r["difference_low"] <= r["difference"] <= r["difference_high"]
    assert all(v == pytest.approx(1.0) for v in by_group.values())
    assert all(r["method"].startswith(("quasi-Poisson", "reference")) for r in twelve.items)  # 12 months: quasi
    assert len(twelve.meta["months"]) == 12


def test_errors_name_the_option(web_store: Path) -> None:
    with Database(web_store, read_only=True) as db, pytest.raises(BadRequest, match="No Further Action") as err:
        fairness.ask(db, fairness.Query(disposal="Sent home"))
    assert err.value.field == "disposal"
    for query, field in (
        (fairness.Query(by="disposal", disposal="Prosecution"), "disposal"),
        (fairness.Query(reference="Mixed"), "reference"),
        (fairness.Query(period="2024-13"), "period"),
    ):
        with pytest.raises(BadRequest) as bad:
            query.check()
        assert bad.value.field == field
