"""The one rule for choropleth classes: its quantiles, and the same class for an area on the web map and
in a report's map drawn from the same figures."""

from __future__ import annotations

import re

import pytest
import shapely
from fastapi.testclient import TestClient

from metforward.present.charts import choropleth_svg
from metforward.present.maps import RAMP, class_breaks


def test_classes_are_quantiles_above_the_lowest_value() -> None:
    values = [0.0] * 50 + [float(v) for v in range(1, 51)]
    classes = class_breaks(values)
    assert classes.cuts == (11.0, 21.0, 31.0, 41.0)  # many zeros still leave five classes
    assert classes.colours == RAMP
    assert [classes.index(v) for v in (0.0, 10.9, 11.0, 40.0, 41.0, 1e9)] == [0, 0, 1, 3, 4, 4]
    assert classes.index(None) is None and classes.index(float("nan")) is None
    assert classes.labels() == ["below 11", "11 to below 21", "21 to below 31", "31 to below 41", "41 or more"]


def test_repeated_values_give_fewer_classes_and_the_top_colours() -> None:
    classes = class_breaks([1.5, 1.5, 2.5, 2.5, None])
    assert classes.cuts == (2.5,) and classes.colours == RAMP[-2:]
    assert classes.labels() == ["below 2.5", "2.5 or more"]
    assert class_breaks([3.0, 3.0]).labels() == ["all areas"]
    assert class_breaks([]).labels() == [] and class_breaks([None]).index(1.0) is None


@pytest.mark.parametrize(
    ("level", "measure", "period"), [("borough", "rate", "2024-01:2024-12"), ("lsoa", "count", "2024-06")]
)
def test_the_web_layer_classes_equal_the_reports(client: TestClient, level: str, measure: str, period: str) -> None:
    response = client.get("/api/v1/geo/areas", params={"level": level, "measure": measure, "period": period})
    assert response.status_code == 200, response.text
    layer = response.json()
    classes = layer["metforward"]["classes"]
    props = [f["properties"] for f in layer["features"]]
    assert len(classes["colours"]) >= 4 and any(p["value"] is None for p in props) is (level == "lsoa")  # suppressed
    areas = [
        (p["code"], p["name"], shapely.geometry.shape(f["geometry"]), p["value"])
        for f, p in zip(layer["features"], props, strict=True)
    ]
    svg = str(choropleth_svg(None, areas, title="the same figures", unit="u"))
    drawn = re.findall(r'fill="(#[0-9A-F]{6})" stroke="#ffffff" stroke-width="0.4"><title>[^<]* \((E\d{8})\)', svg)
    report = {code: fill for fill, code in drawn}
    assert set(report) == {p["code"] for p in props}
    for p in props:
        if p["value"] is None:
            assert p["band"] is None and report[p["code"]] == "#FFFFFF"
        else:  # the same class, in the same colour
            assert report[p["code"]] == classes["colours"][p["band"]], p
    assert len({p["band"] for p in props if p["band"] is not None}) == len(classes["colours"])
    assert "; ".join(classes["labels"]) in svg  # the report's legend says what the web's says
