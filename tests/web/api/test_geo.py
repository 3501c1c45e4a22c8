"""The map API: valid GeoJSON, the CLI's numbers, sizes in bytes, and 4xx errors in the one shape."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward.cli import app as cli_app

GEO = "/api/v1/geo"


@pytest.fixture(scope="module")
def cli_store(web_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the web store for the CLI (DuckDB lets one process open a file in one mode only)."""
    copy = tmp_path_factory.mktemp("geo-cli") / "sample.duckdb"
    shutil.copyfile(web_store, copy)
    return copy


def _cli(store: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli_app, ["--db", str(store), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _valid(body: dict[str, Any]) -> None:
    assert body["type"] == "FeatureCollection"
    assert "Open Government Licence" in body["attribution"]
    for f in body["features"]:
        assert f["type"] == "Feature"
        geometry = f["geometry"]
        assert geometry["type"] in ("Point", "Polygon", "MultiPolygon")
        flat = json.dumps(geometry["coordinates"]).replace("[", " ").replace("]", " ").replace(",", " ").split()
        values = [float(v) for v in flat]
        lons, lats = values[0::2], values[1::2]
        assert all(-1.0 < x < 0.6 for x in lons) and all(51.2 < y < 51.8 for y in lats)  # London, WGS84 lon/lat


def test_area_layers_are_geojson_small_and_match_compare(client: TestClient, cli_store: Path) -> None:
    sizes = {}
    for level in ("borough", "ward", "lsoa"):
        r = client.get(f"{GEO}/areas", params={"level": level, "period": "2024-01:2024-12"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/geo+json")
        body = r.json()
        _valid(body)
        sizes[level] = len(r.content)
        assert body["metforward"]["months_present"][0] == "2024-01"
    assert len(json.loads(client.get(f"{GEO}/areas", params={"level": "borough"}).content)["features"]) == 33
    assert sizes["borough"] < 40_000 and sizes["ward"] < 500_000 and sizes["lsoa"] < 300_000, sizes
    rows = _cli(
        cli_store,
        "compare",
        "--before",
        "2024-01:2024-12",
        "--after",
        "2024-01:2024-12",
        "--level",
        "borough",
        "--json",
    )["items"]
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["area_code"]] = totals.get(row["area_code"], 0) + row["after"]
    body = client.get(f"{GEO}/areas", params={"level": "borough", "period": "2024-01:2024-12"}).json()
    api = {f["properties"]["code"]: f["properties"]["count"] for f in body["features"]}
    assert totals and {c: api[c] for c in totals} == totals
    burglary = [r for r in rows if r["category"] == "Burglary" and r["rate_after_per_1000"] is not None]
    body = client.get(
        f"{GEO}/areas",
        params={"level": "borough", "measure": "rate", "period": "2024-01:2024-12", "category": "Burglary"},
    ).json()
    props = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert burglary
    for row in burglary:
        assert props[row["area_code"]]["value"] == row["rate_after_per_1000"]
        assert props[row["area_code"]]["value_low"] < row["rate_after_per_1000"] < props[row["area_code"]]["value_high"]


def test_hotspots_equal_the_cli(client: TestClient, cli_store: Path) -> None:
    r = client.get(f"{GEO}/hotspots", params={"area": "Westminster", "period": "2024-01:2024-06"})
    assert r.status_code == 200, r.text
    body = r.json()
    _valid(body)
    cli = _cli(cli_store, "hotspots", "--area", "Westminster", "--period", "2024-01:2024-06", "--json")["items"]
    assert len(cli) == len(body["features"])
    by_cell = {(c["x"], c["y"]): c for c in cli}
    hot = 0
    for f in body["features"]:
        p = f["properties"]
        ref = by_cell[(p["x"], p["y"])]
        assert p["class"] == ref["class"]
        assert p["verdict"] in ("hot spot", "cold spot", "neither hot nor cold")
        hot += p["class"] == "hot"
        for key in ("z", "p_value", "q_value"):
            assert (p[key] is None) == (ref[key] is None)
            if p[key] is not None:
                assert abs(p[key] - ref[key]) < 1e-6
        assert p["count"] == ref["count"] or (p["suppressed"] and 0 < ref["count"] < 3)
    assert hot > 0


def test_hotstreets_and_repeats_equal_the_cli(client: TestClient, cli_store: Path) -> None:
    body = client.get(f"{GEO}/hotstreets", params={"area": "Camden", "period": "2024-01:2024-06", "top": 5000}).json()
    _valid(body)
    cli = _cli(cli_store, "hotstreets", "--area", "Camden", "--period", "2024-01:2024-06", "--json")
    assert body["metforward"]["total"] == cli["meta"]["crimes"]
    assert len(body["features"]) == len(cli["items"]) > 0
    for f, row in zip(body["features"], cli["items"], strict=True):
        p = f["properties"]
        assert (p["rank"], p["location"], p["verdict"]) == (row["rank"], row["location"], row["verdict"])
        assert p["count"] == row["count"] or (p["suppressed"] and row["count"] < 3)
        assert f["geometry"]["coordinates"] == [row["longitude"], row["latitude"]]
    body = client.get(f"{GEO}/repeats", params={"area": "Westminster", "end": "2024-12"}).json()
    _valid(body)
    cli = _cli(cli_store, "repeats", "--area", "Westminster", "--end", "2024-12", "--json")["items"]
    assert len(cli) == len(body["features"]) > 0
    for f, row in zip(body["features"], cli, strict=True):
        assert f["properties"]["count"] == row["count"] and f["properties"]["months"] == row["months"]
        assert f["geometry"]["coordinates"] == [row["longitude"], row["latitude"]]


def test_months(client: TestClient) -> None:
    body = client.get(f"{GEO}/months").json()
    assert body["first"] == "2023-01" and body["last"] == "2024-12" and len(body["months"]) == 24
    assert "Burglary" in body["categories"]


def test_errors_have_one_shape(client: TestClient) -> None:
    cases = [
        (f"{GEO}/areas?level=county", 422),
        (f"{GEO}/areas?month=2024-13", 422),
        (f"{GEO}/areas?month=2024-01&period=2024-01:2024-02", 422),
        (f"{GEO}/areas?category=Jaywalking", 422),
        (f"{GEO}/hotspots?area=Atlantis", 404),
        (f"{GEO}/hotspots", 422),
        (f"{GEO}/repeats?area=Westminster&months=3&min_months=5", 400),
    ]
    for url, status in cases:
        r = client.get(url)
        assert r.status_code == status, (url, r.text)
        error = r.json()["error"]
        assert error["status"] == status and error["code"] and error["message"]


def test_map_page_without_javascript(client: TestClient) -> None:
    r = client.get("/map", params={"layer": "ward", "measure": "rate", "month": "2024-06"})
    assert r.status_code == 200
    assert "Showing crime by ward: crimes per 1,000 residents a year, all crime types, 2024-06." in r.text
    assert 'id="map-fallback"' in r.text and "95% interval" in r.text
    r = client.get("/map", params={"layer": "hotspots", "area": "E09000033", "month": "2024-06"})
    assert "hot and cold spots" in r.text and "in Westminster" in r.text
    assert "hot spot" in r.text  # verdicts in words
    assert client.get("/map", params={"layer": "nope"}).status_code == 422


def _inside(point: list[float], bbox: list[float]) -> bool:
    return bbox[0] <= point[0] <= bbox[2] and bbox[1] <= point[1] <= bbox[3]


def test_place_layers_carry_their_area_bbox(client: TestClient) -> None:
    westminster = client.get(f"{GEO}/labels", params={"area": "Westminster"}).json()["bbox"]
    west, south, east, north = westminster
    assert -0.25 < west < east < -0.1 and 51.45 < south < north < 51.55  # Westminster, not London
    layers = [
        ("hotspots", {"area": "Westminster", "period": "2024-01:2024-06"}),
        ("hotstreets", {"area": "E09000033", "period": "2024-01:2024-06"}),
        ("repeats", {"area": "Westminster", "end": "2024-12"}),
    ]
    for path, params in layers:
        body = client.get(f"{GEO}/{path}", params=params).json()
        bbox = body["bbox"]
        assert len(bbox) == 4 and bbox[0] < bbox[2] and bbox[1] < bbox[3], (path, bbox)
        # RFC 7946: the bbox holds every feature; it is the borough's, widened only by cells on its edge
        assert bbox[0] <= west and bbox[1] <= south and bbox[2] >= east and bbox[3] >= north, (path, bbox)
        assert east - west > (bbox[2] - bbox[0]) * 0.8 and north - south > (bbox[3] - bbox[1]) * 0.8, (path, bbox)
        for f in body["features"]:
            flat = json.dumps(f["geometry"]["coordinates"]).replace("[", " ").replace("]", " ").replace(",", " ")
            values = [float(v) for v in flat.split()]
            assert all(_inside(list(xy), bbox) for xy in zip(values[0::2], values[1::2], strict=True)), path


def test_ward_labels_sit_inside_their_wards(client: TestClient) -> None:
    body = client.get(f"{GEO}/labels", params={"area": "Westminster"}).json()
    _valid(body)
    names = {f["properties"]["name"] for f in body["features"]}
    assert len(names) == 18 and {"Abbey Road", "Bayswater", "St James's"} <= names, names
    wards = client.get(f"{GEO}/areas", params={"level": "ward"}).json()["features"]
    shapes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in wards}
    for f in body["features"]:
        point = shapely.geometry.shape(f["geometry"])
        assert point.within(shapes[f["properties"]["code"]]), f["properties"]  # on the ward's surface
        assert _inside(f["geometry"]["coordinates"], body["bbox"])
    london = client.get(f"{GEO}/labels").json()
    assert len(london["features"]) == len(wards) and "Open Government Licence" in london["attribution"]
    assert client.get(f"{GEO}/labels", params={"area": "Atlantis"}).status_code == 404
