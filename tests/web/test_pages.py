"""The server-rendered pages: status, content, the CLI's numbers, downloads, and no JavaScript needed."""

from __future__ import annotations

import csv
import io
import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward import ATTRIBUTION
from metforward.cli import app as cli_app
from tests.web.conftest import TARGETS

BEFORE, AFTER = "2023-01:2023-12", "2024-01:2024-12"


@pytest.fixture(scope="module")
def cli_store(web_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the web store for the CLI (DuckDB lets one process open a file in one mode only)."""
    copy = tmp_path_factory.mktemp("pages-cli") / "sample.duckdb"
    shutil.copyfile(web_store, copy)
    return copy


def _cli(store: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli_app, ["--db", str(store), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _soup(client: TestClient, url: str, status: int = 200) -> BeautifulSoup:
    r = client.get(url)
    assert r.status_code == status, r.text[:2000]
    assert r.headers["content-type"].startswith("text/html")
    return BeautifulSoup(r.text, "html.parser")


def _table(soup: BeautifulSoup, caption_part: str) -> list[list[str]]:
    """The body rows (cell texts) of the table whose caption contains ``caption_part``."""
    for table in soup.find_all("table"):
        caption = table.find("caption")
        if caption and caption_part in caption.get_text(" "):
            body = table.find("tbody")
            return [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in body.find_all("tr")]
    raise AssertionError(f"no table captioned {caption_part!r}")


def _csv(client: TestClient, url: str) -> list[dict[str, str]]:
    r = client.get(url)
    assert r.status_code == 200, r.text[:2000]
    assert r.headers["content-type"].startswith("text/csv")
    assert "Open Government Licence" in r.headers["x-attribution"]
    return list(csv.DictReader(io.StringIO(r.text)))


def _same(a: object, b: str) -> bool:
    """A JSON value and its CSV text are the same figure."""
    if a is None:
        return b == ""
    if isinstance(a, float):
        return b != "" and abs(float(b) - a) <= 1e-12 * max(1.0, abs(a))
    return str(a) == b


def _no_scripts_needed(soup: BeautifulSoup) -> None:
    """Content is in the HTML (no JS required): no inline script or style, forms submit by GET."""
    assert ATTRIBUTION in soup.get_text(" ")
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/static/"), script
    assert not soup.find_all("style") and not soup.find_all(style=True)
    for form in soup.find_all("form"):
        assert form.get("method") == "get" and form.find("button", type="submit")


def test_overview_results_equal_the_cli_compare(client: TestClient, cli_store: Path) -> None:
    soup = _soup(client, "/?month=2025-06")
    _no_scripts_needed(soup)
    assert "Results so far" in soup.h1.get_text() and "June 2025" in soup.h1.get_text()
    rows = _table(soup, "Metropolitan Police Service, London Datastore")
    expected = _cli(
        cli_store, "compare", "--level", "force", "--source", "datastore", "--by", "major",
        "--before", "2024-04:2024-06", "--after", "2025-04:2025-06", "--json",
    )["items"]  # fmt: skip
    assert len(rows) == len(expected) > 5
    for cells, e in zip(rows, expected, strict=True):
        assert cells[0] == e["category"]
        assert cells[1] == f"{e['before']:,}" and cells[2] == f"{e['after']:,}"
        assert cells[3] == f"{e['change_pct']:+.1f}%"
        assert cells[5] == f"{e['ci_low']:,.2f} to {e['ci_high']:,.2f}"
        assert cells[7] == e["verdict"]
    # the CSV download is the same rows, exactly
    for row, e in zip(_csv(client, "/results.csv?month=2025-06"), expected, strict=True):
        assert all(_same(e[k], row[k]) for k in e), (row, e)
    # exceptions and completeness are shown; the borough table lists all 32 boroughs with a word verdict
    assert "Performance by exception" in soup.get_text()
    boroughs = _table(soup, "by borough")
    assert len(boroughs) == 32
    assert {r[3] for r in boroughs} <= {"up", "down", "can't tell"}
    assert soup.find("svg", attrs={"role": "img"}) is not None


def test_overview_defaults_to_the_latest_month_and_checks_its_parameters(client: TestClient) -> None:
    soup = _soup(client, "/")
    assert soup.find("input", id="month")["value"] == "2026-02"  # the latest Datastore borough month in the sample
    counts = _soup(client, "/?measure=count&category=ROBBERY")
    header = [th.get_text() for th in counts.find_all("th")]
    assert "crimes" in header and "Boroughs: ROBBERY" in counts.get_text()
    for bad in ("/?month=2025-13", "/?measure=colour", "/?category=NOT%20A%20CATEGORY"):
        r = client.get(bad)
        assert r.status_code == 422, bad
        assert "Sorry, there is a problem" in r.text


def test_boroughs_geojson_carries_the_measure(client: TestClient) -> None:
    r = client.get("/boroughs.geojson", params={"month": "2025-06", "measure": "change", "category": "BURGLARY"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["metforward"]["attribution"] == ATTRIBUTION
    assert len(body["features"]) == 32
    westminster = next(f for f in body["features"] if f["properties"]["code"] == "E09000033")
    p = westminster["properties"]
    assert (
        p["category"] == "BURGLARY" and p["value"] == p["change_pct"] and p["verdict"] in ("up", "down", "can't tell")
    )
    assert westminster["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_borough_list_and_chooser(client: TestClient) -> None:
    soup = _soup(client, "/boroughs")
    _no_scripts_needed(soup)
    links = {a["href"] for a in soup.find_all("a")}
    assert "/boroughs/kensington-and-chelsea" in links and "/boroughs/westminster/summary.pdf" in links
    r = client.get("/boroughs?borough=E09000007", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/boroughs/camden"
    assert client.get("/boroughs/atlantis").status_code == 404


def test_borough_page_equals_the_cli(client: TestClient, cli_store: Path) -> None:
    soup = _soup(client, "/boroughs/westminster?year=2024")
    _no_scripts_needed(soup)
    assert soup.h1.get_text(strip=True) == "Westminster, 2024"
    # crime against the year before: metforward compare --json, the command the caption names
    rows = _table(soup, "(before) against")
    expected = _cli(
        cli_store, "compare", "--before", BEFORE, "--after", AFTER, "--area", "E09000033",
        "--source", "datastore", "--by", "major", "--datastore-kind", "datastore-borough", "--json",
    )["items"]  # fmt: skip
    assert [r[0] for r in rows] == [e["category"] for e in expected]
    assert [r[1] for r in rows] == [f"{e['before']:,}" for e in expected]
    assert [r[7] for r in rows] == [e["verdict"] for e in expected]
    for row, e in zip(_csv(client, "/boroughs/westminster/summary.csv?year=2024&table=compare"), expected, strict=True):
        assert all(_same(e[k], row[k]) for k in e), (row, e)
    # targets: metforward targets check --json, for the targets of London and Westminster up to 2024
    checked = {t["id"]: t for t in _cli(cli_store, "targets", "check", str(TARGETS), "--json")["items"]}
    shown = _csv(client, "/boroughs/westminster/summary.csv?year=2024&table=targets")
    assert shown and {r["area"] for r in shown} <= {"London", "Westminster"}
    for row in shown:
        t = checked[row["id"]]
        assert row["verdict"] == t["verdict"] and _same(t["observed"], row["observed"]), (row, t)
    targets = _table(soup, "Targets for London and Westminster")
    assert [r[-1] for r in targets] == [r["verdict"] for r in shown]
    # every section is there, with figures, and the PDF links
    text = soup.get_text(" ")
    for heading in ("Hot streets and hot spots", "Sanction detection", "Stop and search", "Public confidence"):
        assert heading in text
    assert "Not shown" not in text  # the sample has every source for Westminster in 2024
    hrefs = {a["href"] for a in soup.find_all("a")}
    assert "/boroughs/westminster/summary.pdf?year=2024" in hrefs and "/boroughs/westminster/jem.pdf" in hrefs
    assert len(soup.find_all("svg")) >= 2  # the trend chart and the hot-spot map
    streets = _csv(client, "/boroughs/westminster/summary.csv?year=2024&table=streets")
    top = _table(soup, "streets with most crime")[0]
    assert top[1] == streets[0]["location"] and top[3] == f"{int(streets[0]['count']):,}"


def test_borough_page_says_what_is_missing(client: TestClient) -> None:
    soup = _soup(client, "/boroughs/bromley?year=2010/11")
    text = soup.get_text(" ")
    assert "Not shown: the store has no" in text  # no police.uk data for 2010/11 in the sample
    assert "Crime this year and last" in text
    assert client.get("/boroughs/bromley?year=20x").status_code == 422


def test_borough_page_is_fast_when_warm(client: TestClient) -> None:
    assert client.get("/boroughs/camden?year=2024").status_code == 200  # first: computes and keeps
    times = []
    for _ in range(5):
        started = time.perf_counter()
        assert client.get("/boroughs/camden?year=2024").status_code == 200
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.5, times


def test_summary_pdf(client: TestClient) -> None:
    r = client.get("/boroughs/city-of-london/summary.pdf?year=2024")
    assert r.status_code == 200, r.text[:1000]
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")


def test_compare_page_equals_the_cli_and_keeps_its_choices(client: TestClient, cli_store: Path) -> None:
    url = (
        "/compare?source=police-uk&level=borough&area=Camden&before=2023-01:2023-12&after=2024-01:2024-12"
        "&category=Burglary"
    )
    soup = _soup(client, url)
    _no_scripts_needed(soup)
    assert soup.find("input", id="area")["value"] == "Camden"
    assert soup.find("input", id="before")["value"] == "2023-01:2023-12"
    assert soup.find("input", attrs={"value": "Burglary"}).has_attr("checked")
    expected = _cli(
        cli_store,
        "compare",
        "--source",
        "police-uk",
        "--area",
        "Camden",
        "--before",
        BEFORE,
        "--after",
        AFTER,
        "--json",
    )["items"]
    burglary = [e for e in expected if e["category"] == "Burglary"]
    rows = _table(soup, "Same figures as")
    assert len(rows) == len(burglary) == 1
    assert rows[0][2] == f"{burglary[0]['before']:,}" and rows[0][8] == burglary[0]["verdict"]
    assert soup.find("svg", attrs={"role": "img"}) is not None  # the chart
    download = soup.find("a", string="This table (CSV)")["href"]
    got = _csv(client, download)
    assert len(got) == 1 and all(_same(burglary[0][k], got[0][k]) for k in burglary[0])
    # all categories without a filter; an unknown area is a 404 (as in the API) with the reason, the form kept
    full = _csv(client, "/compare.csv?source=police-uk&area=Camden&before=2023-01:2023-12&after=2024-01:2024-12")
    assert len(full) == len(expected)
    bad = client.get("/compare?area=Atlantis")
    assert bad.status_code == 404 and "Atlantis" in bad.text and 'id="area"' in bad.text
    assert client.get("/compare?before=2024-13:2024-14").status_code == 422


def test_data_page_shows_coverage_sources_methods_versions(client: TestClient, cli_store: Path) -> None:
    soup = _soup(client, "/data")
    _no_scripts_needed(soup)
    status = _cli(cli_store, "status", "--json")
    rows = _table(soup, "police.uk data by source and force")
    assert [(r[0], r[1], r[4]) for r in rows] == [
        (s["kind"], s["force"], str(s["months"])) for s in status["meta"]["series"]
    ]
    grid = soup.find("table", class_="mf-grid")
    assert len(grid.find_all("td", class_="mf-grid__cell--loaded")) == sum(
        s["months"] for s in status["meta"]["series"]
    )
    text = soup.get_text(" ")
    assert "Open Government Licence" in text and "Getis and Ord (1992)" in text and "Benjamini and Hochberg" in text
    versions = json.loads(
        (Path(__file__).parents[2] / "src/metforward/web/static/vendor/versions.json").read_text(encoding="utf-8")
    )
    assert all(v in text for v in versions.values())
