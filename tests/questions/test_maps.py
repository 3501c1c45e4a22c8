"""The map question: one version of the figures by area, whichever face shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward.analyse.crime_map import MapError
from metforward.cli import app
from metforward.errors import BadRequest
from metforward.questions import maps
from metforward.store.database import Database

runner = CliRunner()
PERIOD = "2024-01:2024-12"
FIGURES = ("count", "count_low", "count_high", "months_with_data", "population", "rate_per_1000", "rate_low",
           "rate_high", "harm")  # fmt: skip


@pytest.mark.parametrize("level", ["lsoa", "ward"])
def test_the_map_command_and_the_web_map_give_the_same_figures(
    web_store: Path, client: TestClient, tmp_path: Path, level: str
) -> None:
    out = tmp_path / "layer.geojson"
    args = ["--db", str(web_store), "map", "--area", "Westminster", "--period", PERIOD, "--layer", level]
    done = runner.invoke(app, [*args, "--json", "--out", str(out), "--no-suppress"])
    assert done.exit_code == 0, done.output
    items = json.loads(done.stdout)["items"]
    web = client.get("/api/v1/geo/areas", params={"level": level, "period": PERIOD}).json()
    london = {f["properties"]["code"]: f["properties"] for f in web["features"]}
    assert items and {r["code"] for r in items} <= set(london)
    for row in items:
        shown = london[row["code"]]
        if not shown["suppressed"]:
            assert {k: shown[k] for k in FIGURES} == {k: row[k] for k in FIGURES}, row["code"]
    drawn = {f["properties"]["code"]: f["properties"] for f in json.loads(out.read_text())["features"]}
    assert all({k: drawn[r["code"]][k] for k in FIGURES} == {k: r[k] for k in FIGURES} for r in items)
    assert json.loads(out.read_text())["metforward"]["question"] == "map"


def test_london_by_borough_is_the_default_and_the_city_is_its_own_forces(web_store: Path) -> None:
    with Database(web_store, read_only=True) as db:
        answer = maps.ask(db, maps.Query(period=PERIOD))
    assert answer.meta["level"] == "borough" and answer.meta["area_name"] == "London"
    assert len(answer.items) == 33
    city = next(r for r in answer.items if r["code"] == "E09000001")
    assert city["count"] > 0 and city["count_low"] < city["count"] < city["count_high"]
    assert city["months_with_data"] == 12


def test_a_category_not_loaded_and_a_level_not_known_are_refused(web_store: Path) -> None:
    with Database(web_store, read_only=True) as db, pytest.raises(BadRequest) as refused:
        maps.ask(db, maps.Query(period=PERIOD, category=["Jaywalking"]))
    assert refused.value.field == "category"
    with pytest.raises(MapError):
        maps.Query(level="county")


def test_an_area_has_its_bounds_and_each_ward_a_label_point_inside_it(web_store: Path) -> None:
    with Database(web_store, read_only=True) as db:
        london = maps.bounds(db, None)
        camden = maps.bounds(db, "Camden")
        labels = maps.ward_labels(db, "Camden")
        shapes = maps.boundaries(db, "ward")
        every = maps.ward_labels(db)
    assert london is not None and camden is not None
    west, south, east, north = camden
    assert london[0] < west < east < london[2] and london[1] < south < north < london[3]
    assert (east - west) < (london[2] - london[0]) / 4  # a borough, not London
    assert len(labels) > 10 and "Kentish Town South" in {name for _code, name, _lon, _lat in labels}
    for code, _name, lon, lat in labels:
        assert west <= lon <= east and south <= lat <= north
        assert shapely.from_wkb(shapes[code][1]).contains(shapely.Point(lon, lat)), code  # inside its ward
    assert {code for code, *_ in labels} < {code for code, *_ in every} and len(every) == len(shapes)
