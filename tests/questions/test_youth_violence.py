"""The youth-violence strand on the bundled sample: counts equal the raw homicide file, each count's exact interval is
Garwood's (checked against scipy's Poisson distribution), small counts are judged by the exact test (scipy's
binomial test) and say "can't tell" when they cannot tell."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from metforward.questions import youth_violence
from metforward.store.database import Database


@pytest.fixture(scope="module")
def lambeth(web_store: Path) -> list[dict[str, object]]:
    with Database(web_store, read_only=True) as db:
        answer = youth_violence.ask(db, youth_violence.Query(area="Lambeth"))
    assert answer.query["before"] == "2022-01:2022-12" and answer.query["after"] == "2023-01:2023-12"
    return answer.items


@pytest.mark.corpus
def test_homicide_lines_equal_the_raw_file(lambeth: list[dict[str, object]], corpus: Path) -> None:
    raw = pd.read_csv(corpus / "datastore/MPS_Homicides_2003-2023_victims.csv", dtype=str)
    raw = raw[raw.Borough.str.strip() == "Lambeth"]
    year = pd.to_datetime(raw["Recorded Date"], format="%b-%y").dt.year
    young = raw["Age Group"].isin(["0 to 12", "13 to19", "20 to 24"])
    rows = {r["line"]: r for r in lambeth}
    for line, mask in (
        ("homicide-victims-under-25", young),
        ("teenage-homicide-victims", raw["Age Group"] == "13 to19"),
    ):
        expected = [int(raw[mask & (year == y)]["Count of Victims"].astype(int).sum()) for y in (2022, 2023)]
        assert [rows[line]["before"], rows[line]["after"]] == expected


def test_each_count_has_its_garwood_interval(lambeth: list[dict[str, object]]) -> None:
    for row in lambeth:
        for period in ("before", "after"):
            k = int(row[period])  # type: ignore[call-overload]
            low, high = float(row[f"{period}_low"]), float(row[f"{period}_high"])  # type: ignore[arg-type]
            # Garwood: P(X >= k | low) = 2.5% and P(X <= k | high) = 2.5%
            assert math.isclose(stats.poisson.cdf(k, high), 0.025, rel_tol=1e-6)
            if k:
                assert math.isclose(stats.poisson.sf(k - 1, low), 0.025, rel_tol=1e-6)
            else:
                assert low == 0.0


def test_small_counts_are_judged_exactly_and_honestly(lambeth: list[dict[str, object]]) -> None:
    for row in lambeth:
        if row["method"] != "poisson":
            continue
        a, b = int(row["after"]), int(row["before"])  # type: ignore[call-overload]
        if a + b:
            assert math.isclose(float(row["p_value"]), stats.binomtest(a, a + b, 0.5).pvalue, rel_tol=1e-9)  # type: ignore[arg-type]
    homicides = next(r for r in lambeth if r["line"] == "homicide-victims-under-25")
    assert homicides["method"] == "poisson" and homicides["verdict"] == "can't tell"
    assert float(homicides["ci_high"]) > 5 * float(homicides["ci_low"])  # type: ignore[arg-type]


def test_a_period_before_the_dashboard_cannot_tell(web_store: Path) -> None:
    with Database(web_store, read_only=True) as db:
        answer = youth_violence.ask(db, youth_violence.Query(before="2019-01:2019-12", after="2020-01:2020-12"))
    knife = next(r for r in answer.items if r["line"] == "knife-injury-victims-1-24")
    assert knife["months_before"] == 0 and knife["verdict"] == "can't tell" and knife["before_low"] is None
    homicides = next(r for r in answer.items if r["line"] == "homicide-victims-under-25")
    assert homicides["months_before"] == homicides["months_after"] == 12
