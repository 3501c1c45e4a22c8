"""Headline baskets on the bundled sample: every line of the seeds' table, for a borough and for London, equals an
independent sum of the raw files (pandas, straight from the shared corpus, not through the store); compare
--basket answers the same on the command line, the API and the Python API; the newsletter's 21-month form."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward.cli import app
from metforward.domain.periods import Period
from metforward.questions import compare
from metforward.questions.basket_file import resolve_basket
from metforward.questions.baskets import BasketSpec, compare_basket
from metforward.store.database import Database

BEFORE, AFTER = "2024-04:2025-01", "2025-04:2026-01"
WESTMINSTER = "E09000033"


@cache
def _frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _months(period: str) -> list[str]:
    return [f"{m:%Y-%m}" for m in Period.parse(period).month_list()]


def datastore_sum(corpus: Path, borough: str | None, period: str, part: dict[str, object], old: bool) -> int:
    """A Datastore line's count, from the wide borough files (old: the 2008-2016 file)."""
    names = (
        [corpus / "datastore/MPS_Borough_Level_Crime_Historic_2008-2016.csv"]
        if old
        else [corpus / "datastore/fenneh_recorded-crime-borough-historical.csv.gz",
              corpus / "datastore/fenneh_recorded-crime-borough.csv.gz"]
    )  # fmt: skip
    total = 0
    for path in names:
        raw = _frame(path)
        where, major, minor = raw.columns[:3] if old else (raw.columns[2], raw.columns[0], raw.columns[1])
        rows = raw if borough is None else raw[raw[where] == borough]
        majors = [str(m).lower() for m in _listed(part.get("major"))]
        minors = [str(m).lower() for m in _listed(part.get("minor"))]
        if majors or minors:
            rows = rows[rows[major].str.lower().isin(majors) | rows[minor].str.lower().isin(minors)]
        for month in _months(period):
            column = month.replace("-", "")
            if column in rows.columns:
                total += int(rows[column].astype(int).sum())
    return total


def _listed(value: object) -> list[object]:
    return [] if value is None else value if isinstance(value, list) else [value]


@cache
def _dashboard(path: Path) -> dict[tuple[str, str, str, str], int]:
    """Offences of the dashboard's borough rows by (crime type, subtype, YYYY-MM-01, borough), lower-cased names."""
    raw = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        engine="pyarrow",
        usecols=["month_year", "area_type", "area_name", "crime_type", "crime_subtype", "measure", "count"],
    )
    rows = raw[(raw.area_type == "Borough") & (raw.measure == "Offences")]
    grouped = (
        rows.assign(n=rows["count"].astype(int))
        .groupby([rows.crime_type.str.lower(), rows.crime_subtype.str.lower(), "month_year", "area_name"])["n"]
        .sum()
    )
    return {k: int(v) for k, v in grouped.items()}


def dashboard_sum(corpus: Path, borough: str | None, period: str, crime_type: str, subtype: str) -> int:
    """A dashboard line's count from its borough rows: for the months of the newer knife-crime refresh, its rows
    (a later load replaces the same crime type and months), else the fuller extract's."""
    fuller = _dashboard(corpus / "datastore/fenneh_monthly-crime-dashboard_fuller_2021-08_2025-07.csv.gz")
    newer = _dashboard(corpus / "datastore/fenneh_monthly-crime-dashboard.csv.gz")
    kind = crime_type.lower()
    total = 0
    for month in _months(period):
        day = month + "-01"
        frame = newer if any(k[0] == kind and k[2] == day for k in newer) else fuller
        total += sum(
            n
            for (c, t, m, area), n in frame.items()
            if c == kind and t == subtype.lower() and m == day and (borough is None or area == borough)
        )
    return total


def homicide_sum(corpus: Path, borough: str | None, period: str, filters: dict[str, object]) -> int:
    raw = _frame(corpus / "datastore/MPS_Homicides_2003-2023_victims.csv")
    month = pd.to_datetime(raw["Recorded Date"], format="%b-%y").dt.strftime("%Y-%m")
    rows = raw[month.isin(_months(period))]
    columns = {"offence_type": "Homicide Offence Type", "age_group": "Age Group"}
    for key, values in filters.items():
        rows = rows[rows[columns[key]].str.strip().isin([str(v) for v in _listed(values)])]
    if borough is not None:
        rows = rows[rows.Borough.str.strip() == borough]
    return int(rows["Count of Victims"].astype(int).sum())


def expected(corpus: Path, line: dict[str, object], borough: str | None, period: str, old: bool) -> int:
    count = line["count"]
    assert isinstance(count, dict)
    source = count["source"]
    if source == "datastore":
        return datastore_sum(corpus, borough, period, count, old)
    if source == "dashboard":
        return dashboard_sum(corpus, borough, period, str(count["crime_type"]), str(count["subtype"]))
    return homicide_sum(corpus, borough, period, {k: v for k, v in count.items() if k != "source"})


def _raw_lines() -> list[dict[str, object]]:
    import yaml

    path = Path(__file__).resolve().parents[2] / "examples" / "results-so-far.yaml"
    lines: list[dict[str, object]] = yaml.safe_load(path.read_text(encoding="utf-8"))["lines"]
    return lines


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("borough", "before", "after", "old"),
    [
        ("Westminster", BEFORE, AFTER, False),
        (None, "2008-06:2010-02", "2010-03:2011-11", True),  # --around 2010-03 --window 21, London
    ],
)
def test_every_line_equals_the_raw_files(
    borough: str | None, before: str, after: str, old: bool, corpus: Path, web_store: Path
) -> None:
    spec = BasketSpec(
        Period.parse(before), Period.parse(after), "borough" if borough else "force", WESTMINSTER if borough else None
    )
    with Database(web_store, read_only=True) as db:
        table = compare_basket(db, resolve_basket("results-so-far"), spec)
    rows = {r.category: r for r in table.rows}
    checked = 0
    for line in _raw_lines():
        row = rows[str(line["title"])]
        if not row.months_before or not row.months_after:
            assert row.verdict == "can't tell" and row.before == row.after == 0
            continue
        assert (row.before, row.after) == (
            expected(corpus, line, borough, before, old),
            expected(corpus, line, borough, after, old),
        ), line["id"]
        checked += 1
    assert checked >= (9 if not old else 7)


def test_the_newsletters_form_reaches_back_where_the_data_do(web_store: Path) -> None:
    done = CliRunner().invoke(
        app,
        ["--db", str(web_store), "compare", "--basket", "results-so-far", "--level", "force"]
        + ["--around", "2010-03", "--window", "21", "--json"],
    )
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert body["query"]["before"] == "2008-06:2010-02" and body["query"]["after"] == "2010-03:2011-11"
    months = {r["category"]: (r["months_before"], r["months_after"]) for r in body["items"]}
    assert months["Robbery"] == months["Murder"] == (21, 21)
    assert months["Youth violence"] == months["Homophobic offences"] == (0, 0)  # the dashboard starts in 2021
    lines = {i["title"]: i for i in body["meta"]["basket"]["lines"]}
    assert lines["Residential burglary"]["source"] == (
        "London Datastore (datastore-borough-2008): minor Burglary in a Dwelling"
    )
    assert "a proxy" in lines["Youth violence"]["caveat"]


def test_cli_api_and_python_give_one_answer(web_store: Path, client: TestClient) -> None:
    options = {"basket": "results-so-far", "level": "borough", "area": "Westminster", "before": BEFORE, "after": AFTER}
    with Database(web_store, read_only=True) as db:
        direct = compare.ask(db, compare.Query(**options)).to_json()  # type: ignore[arg-type]
    assert direct["total"] == 11 and {r["area_code"] for r in direct["items"]} == {WESTMINSTER}
    args = [part for k, v in options.items() for part in (f"--{k}", v)]
    done = CliRunner().invoke(app, ["--db", str(web_store), "compare", *args, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == direct
    body = client.get("/api/v1/compare", params={**options, "limit": 100}).json()
    assert {k: v for k, v in body.items() if k not in ("limit", "offset", "next")} == direct
    for row in direct["items"]:  # every verdict is calibrated: an interval and q wherever there are months
        if row["months_before"] and row["months_after"]:
            assert row["q_value"] is not None and row["ci_low"] <= row["rate_ratio"] <= row["ci_high"]
            assert math.isfinite(row["dispersion"]) and row["dispersion"] >= 1


def test_an_api_request_cannot_name_a_file(client: TestClient) -> None:
    response = client.get("/api/v1/compare", params={"basket": "/etc/passwd", "before": BEFORE, "after": AFTER})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "basket"


def test_a_basket_at_ward_level_is_a_usage_error(web_store: Path) -> None:
    done = CliRunner().invoke(
        app,
        [
            "--db",
            str(web_store),
            "compare",
            "--basket",
            "results-so-far",
            "--level",
            "ward",
            "--before",
            BEFORE,
            "--after",
            AFTER,
        ],  # fmt: skip
    )
    assert done.exit_code == 2 and "level" in done.output
