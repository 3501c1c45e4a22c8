"""The visible-policing strand: distances equal a direct shapely/pyproj computation from the raw corpus files (the ONS
LSOA GeoPackage in British National Grid, the counters' WGS84 positions), and the before and after shares add up."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from metforward.questions import visible_policing
from metforward.store.database import Database


@pytest.fixture(scope="module")
def answers(web_store: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    with Database(web_store, read_only=True) as db:
        boroughs = visible_policing.ask(db, visible_policing.Query()).to_json()
        lsoas = visible_policing.ask(db, visible_policing.Query(level="lsoa")).to_json()
    return boroughs, lsoas["items"]


@pytest.mark.corpus
def test_distances_equal_a_direct_computation(
    answers: tuple[dict[str, object], list[dict[str, object]]], corpus: Path
) -> None:
    import pyogrio

    _, lsoas = answers
    sample = lsoas[:: max(1, len(lsoas) // 25)]
    frame = pyogrio.read_dataframe(corpus / "boundaries/lsoa2021/ons_LSOA_Dec2021_BGC_london_4994.gpkg")
    shapes = dict(zip(frame["LSOA21CD"], frame.geometry, strict=True))
    raw = pd.read_csv(
        io.BytesIO((corpus / "other/MOPAC_2013_police_front_counters_keep_cut.csv").read_bytes().replace(b"\r", b"\n"))
    )
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
        raw.longitude.to_numpy(), raw.latitude.to_numpy()
    )
    before = np.column_stack([x, y])[raw.current.str.upper() != "CLOSED"]
    after = np.column_stack([x, y])[raw.proposed.str.upper() != "CLOSED"]
    for row in sample:
        shape = shapes[row["lsoa_code"]]
        point = shapely.centroid(shape)
        if not shapely.contains(shape, point):
            point = shapely.point_on_surface(shape)
        for sites, key in ((before, "distance_before_m"), (after, "distance_after_m")):
            direct = float(np.min(np.hypot(sites[:, 0] - point.x, sites[:, 1] - point.y)))
            assert abs(direct - float(row[key])) <= 2.0, (row["lsoa_code"], key, direct, row[key])  # type: ignore[arg-type]
    assert len(sample) >= 20


def test_the_shares_add_up(answers: tuple[dict[str, object], list[dict[str, object]]]) -> None:
    boroughs, lsoas = answers
    rows = boroughs["items"]
    assert isinstance(rows, list)
    london, parts = rows[0], rows[1:]
    assert london["area_code"] == "london" and len(parts) == 3  # the sample's LSOAs: Camden, Hackney, Westminster
    assert abs(london["population"] - sum(p["population"] for p in parts)) <= len(parts)
    for area in rows:
        for when in ("before", "after"):
            share = area[f"share_beyond_{when}"]
            assert math.isclose(share, area[f"beyond_{when}"] / area["population"], abs_tol=1e-4)
            assert 0 <= share <= 1
        # residents beyond after = beyond before + those who crossed outwards - those who crossed inwards
        assert (
            abs(area["beyond_after"] - (area["beyond_before"] + area["newly_beyond"] - area["no_longer_beyond"])) <= 2
        )
    beyond = sum(r["population"] for r in lsoas if r["beyond_after"])
    assert abs(beyond - london["beyond_after"]) <= len(lsoas)
    assert all(r["distance_after_m"] >= r["distance_before_m"] or r["nearest_after"] for r in lsoas)
    meta = boroughs["meta"]
    assert isinstance(meta, dict) and (meta["counters_before"], meta["counters_after"]) == (136, 71)


def test_no_counters_loaded_is_no_data(db: Database) -> None:
    from metforward.errors import NoData

    with pytest.raises(NoData, match="front counters"):
        visible_policing.ask(db, visible_policing.Query())
