"""The JSON API on the sample store: shapes, paging, the one error shape, and the same numbers as the CLI's --json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward import ATTRIBUTION
from metforward.cli import app as cli_app
from metforward.settings import Settings
from metforward.web.api import reference
from metforward.web.app import create_app
from tests.web.conftest import TARGETS

runner = CliRunner()
API = "/api/v1"
PERIOD = "2024-01:2024-06"


@pytest.fixture(scope="module")
def cli_store(web_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A byte copy of the web store for the CLI: DuckDB will not open a file read-write in a process
    that holds read-only connections to it (the app's pool)."""
    path = tmp_path_factory.mktemp("cli") / "sample.duckdb"
    shutil.copyfile(web_store, path)
    return path


def cli_json(store: Path, *args: str) -> Any:
    result = runner.invoke(cli_app, ["--db", str(store), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def get(client: TestClient, path: str, status: int = 200, **params: Any) -> Any:
    response = client.get(API + path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    if status == 200:
        assert body["attribution"] == ATTRIBUTION
    else:
        assert set(body) == {"error"}
        assert set(body["error"]) == {"status", "code", "message", "details"}
        assert body["error"]["status"] == status and body["error"]["message"]
    return body


def every_item(client: TestClient, path: str, **params: Any) -> list[Any]:
    """Follow ``next`` through every page."""
    body = get(client, path, limit=1000, **params)
    items = list(body["items"])
    while body["next"]:
        response = client.get(body["next"])
        assert response.status_code == 200
        body = response.json()
        items += body["items"]
    assert len(items) == body["total"]
    return items


# --- areas and paging ---------------------------------------------------------------------------


def test_areas_are_paged_and_filtered(client: TestClient) -> None:
    first = get(client, "/areas", level="borough", limit=10)
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (33, 10, 0, 10)
    assert first["items"][0] == {"code": "E09000001", "name": "City of London", "level": "borough", "parent": None}
    assert "offset=10" in first["next"]
    rest = client.get(first["next"]).json()
    assert rest["offset"] == 10 and rest["items"][0]["code"] not in {a["code"] for a in first["items"]}
    last = get(client, "/areas", level="borough", limit=10, offset=30)
    assert len(last["items"]) == 3 and last["next"] is None
    assert get(client, "/areas", level="borough", offset=100)["items"] == []
    wards = get(client, "/areas", level="ward", q="west end")["items"]
    assert wards and all("west end" in w["name"].lower() and w["parent"].startswith("E09") for w in wards)
    forces = get(client, "/areas", level="force")["items"]
    assert {f["code"] for f in forces} == {"metropolitan", "city-of-london"}
    lsoa = get(client, "/areas", level="lsoa", limit=1)
    assert lsoa["total"] > 4000 and lsoa["items"][0]["parent"].startswith(("E05", "E09"))


def test_one_area_and_its_errors(client: TestClient) -> None:
    body = get(client, "/areas/E09000033")
    assert (body["name"], body["level"]) == ("Westminster", "borough")
    assert get(client, "/areas/e09000033")["code"] == "E09000033"
    assert get(client, "/areas/E09999999", 404)["error"]["code"] == "not_found"
    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"level": "county"}):
        error = get(client, "/areas", 422, **params)["error"]
        assert error["code"] == "invalid_parameter"
        assert error["details"] and error["details"][0]["field"].startswith("query.")
    assert get(client, "/nothing-here", 404)["error"]["code"] == "not_found"


# --- compare --------------------------------------------------------------------------------------


def test_compare_equals_the_cli(client: TestClient, cli_store: Path) -> None:
    args = {"before": "2024-01:2024-03", "after": "2024-04:2024-06", "level": "borough"}
    cli = cli_json(cli_store, "compare", "--before", args["before"], "--after", args["after"])["items"]
    items = every_item(client, "/compare", **args)
    assert items == cli and len(items) > 10
    page = get(client, "/compare", limit=5, offset=5, **args)
    assert page["items"] == cli[5:10] and page["total"] == len(cli)
    assert page["query"] == {
        "before": "2024-01:2024-03",
        "after": "2024-04:2024-06",
        "source": "police-uk",
        "level": "borough",
        "area": None,
        "force": None,
        "by": "category",
        "kind": None,
        "alpha": 0.05,
        "method": "quasi",
    }
    assert page["meta"]["months_present_before"] == ["2024-01", "2024-02", "2024-03"]
    assert page["meta"]["months_missing"] == [] and isinstance(page["notes"], list)
    assert page["meta"]["method"] == "quasi" and page["meta"]["method_note"].startswith("method: quasi-Poisson")
    assert {r["method"] for r in items} == {"quasi"} and all(r["dispersion_months"] for r in items)


def test_compare_method_poisson_equals_the_cli(client: TestClient, cli_store: Path) -> None:
    args = {"before": "2024-01:2024-03", "after": "2024-04:2024-06"}
    cli = cli_json(cli_store, "compare", "--before", args["before"], "--after", args["after"], "--method", "poisson")[
        "items"
    ]
    items = every_item(client, "/compare", method="poisson", **args)
    assert items == cli and {r["method"] for r in items} == {"poisson"} and {r["dispersion"] for r in items} == {1.0}
    quasi = every_item(client, "/compare", **args)
    # same counts and ratios; the quasi intervals are never narrower than the exact Poisson ones
    assert [(r["before"], r["after"], r["rate_ratio"]) for r in quasi] == [
        (r["before"], r["after"], r["rate_ratio"]) for r in items
    ]
    assert get(client, "/compare", 422, method="nb", **args)["error"]["details"][0]["field"] == "query.method"


def test_compare_one_area_around_a_month_equals_the_cli(client: TestClient, cli_store: Path) -> None:
    cli = cli_json(cli_store, "compare", "--around", "2024-04", "--window", "3", "--area", "Westminster")["items"]
    body = get(client, "/compare", around="2024-04", window=3, area="Westminster")
    assert body["items"] == cli and {r["area_code"] for r in cli} == {"E09000033"}
    assert body["query"]["before"] == "2024-01:2024-03"


def test_compare_errors(client: TestClient) -> None:
    assert get(client, "/compare", 422)["error"]["code"] == "invalid_parameter"
    assert get(client, "/compare", 422, before="2024-13:2024-14", after="2024-01:2024-02")["error"]["details"]
    assert get(client, "/compare", 422, around="2024-01", alpha=1.5)["error"]["details"][0]["field"] == "query.alpha"
    # a period that ends before it starts is malformed, like one with month 13: 422 (it was 400)
    assert get(client, "/compare", 422, before="2024-06:2024-01", after="2024-01:2024-02")["error"]["code"]
    missing = get(client, "/compare", 404, around="2024-04", window=3, area="Atlantis")["error"]
    assert "Atlantis" in missing["message"]


# --- targets, exceptions, hot streets -------------------------------------------------------------


def test_targets_equal_the_cli(client: TestClient, cli_store: Path) -> None:
    cli = cli_json(cli_store, "targets", "check", str(TARGETS))["items"]
    body = get(client, "/targets")
    assert body["items"] == cli and body["query"]["file"] == TARGETS.name and body["meta"]["title"]
    assert {r["verdict"] for r in cli} <= {"achieved", "missed", "can't tell"}
    assert get(client, "/targets", limit=1, offset=1)["items"] == cli[1:2]


def test_targets_without_a_targets_file_is_a_clear_404(web_store: Path) -> None:
    with TestClient(create_app(Settings(db_path=web_store)), raise_server_exceptions=False) as bare:
        error = get(bare, "/targets", 404)["error"]
    assert error["code"] == "no_targets" and "targets file" in error["message"]


def test_targets_are_checked_again_when_the_file_changes(web_store: Path, tmp_path: Path) -> None:
    """The one answer cache keys the targets on the file's version too: an edited file is read at once."""
    import os

    file = tmp_path / "targets.yaml"
    file.write_text(TARGETS.read_text(encoding="utf-8"), encoding="utf-8")
    with TestClient(create_app(Settings(db_path=web_store, targets_file=file))) as local:
        first = get(local, "/targets", limit=500)
        text = file.read_text(encoding="utf-8").replace('title: "', 'title: "Edited ', 1)
        file.write_text(text, encoding="utf-8")
        os.utime(file, ns=(file.stat().st_atime_ns, file.stat().st_mtime_ns + 10**9))
        second = get(local, "/targets", limit=500)
    assert second["meta"]["title"] == "Edited " + first["meta"]["title"]
    assert second["items"] == first["items"] and second["query"]["file"] == "targets.yaml"


def test_exceptions_equal_the_cli(client: TestClient, cli_store: Path) -> None:
    cli = cli_json(cli_store, "exceptions", "--months", "6")
    body = get(client, "/exceptions", months=6)
    assert body["items"] == cli["items"] and body["total"] == len(cli["items"])
    for key in ("latest", "recent", "baseline", "tests", "alpha", "min_change", "tested", "by_chance"):
        assert body["meta"][key] == cli["meta"][key], key
    assert body["notes"] == cli["notes"]
    assert get(client, "/exceptions", 422, latest="2024-1")["error"]["details"][0]["field"] == "query.latest"


def test_exceptions_min_change_equals_the_cli(client: TestClient, cli_store: Path) -> None:
    cli = cli_json(cli_store, "exceptions", "--months", "6", "--min-change", "0", "--method", "poisson")
    body = get(client, "/exceptions", months=6, min_change=0, method="poisson", limit=500)
    assert body["items"] == cli["items"] and body["meta"]["min_change"] == 0 and body["meta"]["method"] == "poisson"
    assert cli["meta"]["summary"] == body["meta"]["summary"] and "cells tested" in cli["meta"]["summary"]


def test_hot_streets_and_targets_take_the_method(client: TestClient, cli_store: Path) -> None:
    """``--method poisson`` on the CLI and ``method=poisson`` on the API give the exact test, and the same answers."""
    cli = cli_json(cli_store, "hotstreets", "--area", "Westminster", "--period", PERIOD, "--method", "poisson")
    assert cli["meta"]["method"] == "poisson" and {r["method"] for r in cli["items"]} == {"poisson"}
    body = get(client, "/hotstreets", area="Westminster", period=PERIOD, method="poisson", limit=5)
    assert body["items"] == cli["items"][:5]
    quasi = cli_json(cli_store, "targets", "check", str(TARGETS))["items"]
    exact = cli_json(cli_store, "targets", "check", str(TARGETS), "--method", "poisson")["items"]
    assert get(client, "/targets", method="poisson")["items"] == exact
    assert exact != quasi  # a reduction target's interval depends on the method


def test_hot_streets_equal_the_cli(client: TestClient, cli_store: Path) -> None:
    cli = cli_json(cli_store, "hotstreets", "--area", "Westminster", "--period", PERIOD)
    items = every_item(client, "/hotstreets", area="Westminster", period=PERIOD)
    assert items == cli["items"] and len(items) == cli["meta"]["streets"] > 100
    body = get(client, "/hotstreets", area="E09000033", period=PERIOD, limit=3)
    assert body["items"] == cli["items"][:3] and body["meta"]["crimes"] == cli["meta"]["crimes"]
    for key in ("area_code", "area_name", "period", "previous_period", "streets", "streets_for_half"):
        assert body["meta"][key] == cli["meta"][key], key
    assert body["notes"] == cli["notes"]
    assert get(client, "/hotstreets", 404, area="Atlantis", period=PERIOD)["error"]["code"] == "not_found"
    assert get(client, "/hotstreets", 422, area="Westminster")["error"]["details"][0]["field"] == "query.period"


# --- outcomes, searches, confidence, status -------------------------------------------------------


def test_outcomes_equal_the_cli(client: TestClient, cli_store: Path) -> None:
    cli = cli_json(cli_store, "outcomes", "--period", PERIOD, "--by", "borough")
    body = get(client, "/outcomes", period=PERIOD, by="borough", limit=1000)
    assert body["items"] == cli["items"] and body["meta"]["total_row"] == cli["meta"]["total_row"]
    for key in ("area_code", "area_name", "forces", "outcome_months", "loads"):
        assert body["meta"][key] == cli["meta"][key], key
    for key in ("period", "by"):
        assert body["query"][key] == cli["query"][key], key
    assert body["notes"] == cli["notes"]
    one = cli_json(cli_store, "outcomes", "--period", PERIOD, "--area", "Westminster")
    assert get(client, "/outcomes", period=PERIOD, area="Westminster")["items"] == one["items"]
    assert get(client, "/outcomes", 422, period=PERIOD, source="dashboard")["error"]["code"] == "invalid_parameter"
    assert get(client, "/outcomes", 404, period=PERIOD, area="Atlantis")["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "args"),
    [
        ({"by": ["borough", "month"]}, ["--by", "borough", "--by", "month"]),
        ({"mode": "rates", "by": "ethnicity"}, ["--rates", "--by", "ethnicity"]),
        ({"mode": "disproportionality", "area": "Westminster"}, ["--disproportionality", "--area", "Westminster"]),
        (
            {"from": "2024-02", "to": "2024-03", "by": "object"},
            ["--from", "2024-02", "--to", "2024-03", "--by", "object"],
        ),
    ],
)
def test_searches_equal_the_cli(client: TestClient, cli_store: Path, params: dict[str, Any], args: list[str]) -> None:
    cli = cli_json(cli_store, "searches", *args)
    body = get(client, "/searches", limit=1000, **params)
    assert body["items"] == cli["items"]
    for key in ("area", "coverage"):
        assert body["meta"][key] == cli["meta"][key], key
    assert body["notes"] == cli["notes"]
    for key in set(cli["meta"]) - {"area", "coverage"}:
        assert body["meta"][key] == cli["meta"][key], key


def test_searches_errors(client: TestClient) -> None:
    assert get(client, "/searches", 422, by="shoe-size")["error"]["details"][0]["field"].startswith("query.by")
    assert get(client, "/searches", 422, **{"from": "2024-03", "to": "2024-01"})["error"]["code"] == "invalid_parameter"
    assert get(client, "/searches", 422, mode="disproportionality", by="month")["error"]["code"]
    assert get(client, "/searches", 404, area="Atlantis")["error"]["code"] == "not_found"


def test_confidence_equals_the_cli(client: TestClient, cli_store: Path) -> None:
    listed = cli_json(cli_store, "confidence")["items"]
    body = get(client, "/confidence")
    assert body["meta"]["mode"] == "measures" and body["items"] == listed
    measure = listed[0]["measure"]
    cli = cli_json(cli_store, "confidence", "--measure", measure, "--area", "London")
    body = get(client, "/confidence", measure=measure, area="London", limit=1000)
    assert body["meta"]["mode"] == "figures" and body["items"] == cli["items"] and body["notes"] == cli["notes"]
    assert body["items"] and all(0 <= r["ci_low"] <= r["proportion"] <= r["ci_high"] <= 1 for r in body["items"])
    assert get(client, "/confidence", 404, measure="no such measure at all")["error"]["code"] == "not_found"
    assert get(client, "/confidence", 404, measure=measure, area="Atlantis")["error"]["code"] == "not_found"
    assert get(client, "/confidence", 422, measure=measure, gap="White")["error"]["code"] == "invalid_parameter"


def test_status_equals_the_cli_and_carries_the_load_version(client: TestClient, cli_store: Path) -> None:
    cli = cli_json(cli_store, "status")
    body = get(client, "/status", limit=1000)
    assert body["items"] == cli["items"]
    for key in ("series", "datastore", "reference"):
        assert body["meta"][key] == cli["meta"][key], key
    assert body["meta"]["load_version"] == client.get("/healthz").json()["load_version"]


# --- the reference page ---------------------------------------------------------------------------


def test_the_reference_page_documents_every_endpoint(web_store: Path) -> None:
    app = create_app(Settings(db_path=web_store, targets_file=TARGETS))
    app.include_router(reference.router)  # the lead wires it in web/pages/__init__.py
    with TestClient(app) as local:
        response = local.get("/api")
        schema = local.get(f"{API}/openapi.json").json()
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    assert "/api" not in {p.removeprefix(API) for p in schema["paths"]}  # the page itself is not in the schema
    for path, operations in schema["paths"].items():
        assert f"GET {path}" in html, path
        for parameter in operations["get"].get("parameters", []):
            assert f"<code>{parameter['name']}</code>" in html
    assert 'href="/api/v1/hotstreets?area=Westminster&amp;period=2024-01%3A2024-06"' in html
    assert ATTRIBUTION.split(".")[0] in html
