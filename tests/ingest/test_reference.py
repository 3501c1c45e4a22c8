"""Boundaries, lookups and population: real files, replacement, rejects, and placing searches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database

BOUNDARIES = [
    ("boroughs/london_boroughs_33_BNG_EPSG27700.geojson", "borough", "gla", 33),
    ("boroughs/london_boroughs_33_WGS84.geojson", "borough", "gla", 33),
    ("boroughs/ons_LAD_May2024_BGC_london_33.gpkg", "borough", "2024", 33),
    ("wards/ons_Wards_Dec2024_BGC_london_684_WGS84.geojson", "ward", "2024", 684),
    ("lsoa2021/ons_LSOA_Dec2021_BGC_london_4994.gpkg", "lsoa", "2021", 4994),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "level", "vintage", "features"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_boundary_files_load_in_wgs84_with_their_areas(
    corpus: Path, db: Database, name: str, level: str, vintage: str, features: int
) -> None:
    (result,) = ingest_paths(db, [corpus / "boundaries" / name]).files
    assert (result.error, result.kind, result.rows_loaded, result.rows_rejected) == (None, "boundaries", features, 0)
    rows = db.execute("SELECT level, vintage, count(*), min(code), max(code) FROM areas GROUP BY ALL")
    assert rows[0][:3] == (level, vintage, features)
    if level == "borough":
        assert rows[0][3:] == ("E09000001", "E09000033")
        # the geometry is WGS84: every area's bounding box lies around London
        lon, lat = db.execute("SELECT min(area_km2), max(area_km2) FROM areas")[0]
        assert 2.0 < lon < 3.5 and 140 < lat < 160  # City of London ~2.9 km2, Bromley ~150 km2


@pytest.mark.corpus
def test_borough_areas_agree_with_the_published_hectares(corpus: Path, db: Database) -> None:
    path = corpus / "boundaries/boroughs/london_boroughs_33_BNG_EPSG27700.geojson"
    features = json.loads(path.read_text())["features"]
    # the polygons exclude water below mean high water, which HECTARES includes and NONLD_AREA measures
    land = {f["properties"]["GSS_CODE"]: f["properties"]["HECTARES"] - f["properties"]["NONLD_AREA"] for f in features}
    ingest_paths(db, [path])
    for code, km2 in db.execute("SELECT code, area_km2 FROM areas"):
        assert km2 == pytest.approx(land[code] / 100, rel=0.01)


@pytest.mark.corpus
def test_reloading_a_boundary_set_replaces_it(corpus: Path, db: Database) -> None:
    path = corpus / "boundaries/wards/ons_Wards_Dec2024_BGC_london_684_WGS84.geojson"
    ingest_paths(db, [path])
    ingest_paths(db, [path])
    assert db.scalar("SELECT count(*) FROM areas") == 684
    assert db.execute("SELECT replaced_by FROM loads ORDER BY load_id") == [(2,), (None,)]


@pytest.mark.corpus
def test_lookups_place_every_london_lsoa_in_a_ward_and_borough(corpus: Path, db: Database) -> None:
    lookups = corpus / "lookups"
    summary = ingest_paths(
        db,
        [
            lookups / "LSOA11_to_LSOA21_to_LAD22_exact_fit_lookup_EW_v3.csv.gz",
            lookups / "LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz",
        ],
    )
    assert [(f.kind, f.rows_read, f.rows_rejected) for f in summary.files] == [
        ("lookup-lsoa", 35796, 0),
        ("lookup-ward", 35672, 0),
    ]
    london = db.execute(
        "SELECT count(*), count(ward_code), count(DISTINCT borough_code) FROM lsoa_places "
        "WHERE lsoa21_code = lsoa_code AND borough_code LIKE 'E09%'"
    )[0]
    assert london == (4994, 4994, 33)
    # a 2011 code that was split in 2021 still finds its borough
    split = db.execute("SELECT lsoa11_code FROM lsoa_lookup WHERE change = 'S' LIMIT 1")[0][0]
    assert db.scalar("SELECT borough_code FROM lsoa_places WHERE lsoa_code = ?", [split]) is not None


@pytest.mark.corpus
def test_population_estimates(corpus: Path, db: Database) -> None:
    summary = ingest_paths(db, [corpus / "population/GLA_Borough-MYE-1981-2015.csv"])
    assert summary.files[0].rows_rejected == 0
    assert db.scalar("SELECT count(*) FROM population WHERE level = 'borough'") == 33 * 35
    assert db.scalar("SELECT population FROM population WHERE area_code = 'E09000003' AND year = 2015") == 379805.573713
    assert db.scalar("SELECT count(*) FROM population WHERE level = 'region'") == 35  # the London total row


def test_bad_reference_rows_are_rejected_with_line_and_reason(tmp_path: Path, db: Database) -> None:
    lookup = tmp_path / "lookup.csv"
    lookup.write_text(
        "LSOA21CD,LSOA21NM,WD24CD,WD24NM,LAD24CD,LAD24NM\n"
        "E01000001,City of London 001A,E05009300,Aldgate,E09000001,City of London\n"
        "E0100002,City of London 001B,E05009300,Aldgate,E09000001,City of London\n"
    )
    population = tmp_path / "pop.csv"
    population.write_text(
        '"GSS.Code","Borough","2014","2015"\n"E09000001","City of London",6872,7160\n'
        '"E09000002","Barking and Dagenham",198682.5,n/a\n'
    )
    geo = tmp_path / "areas.geojson"
    geo.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"LAD24CD": "E09000001", "LAD24NM": "City of London"},
                        "geometry": {"type": "Point", "coordinates": [-0.09, 51.51]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"LAD24CD": "London", "LAD24NM": "?"},
                        "geometry": {"type": "Point", "coordinates": [-0.1, 51.5]},
                    },
                ],
            }
        )
    )
    summary = ingest_paths(db, [lookup, population, geo])
    assert [(f.rows_read, f.rows_loaded, f.rows_rejected) for f in summary.files] == [(2, 1, 1), (2, 1, 1), (2, 1, 1)]
    rejects = db.execute("SELECT line, field, reason FROM rejects ORDER BY load_id")
    assert rejects[0] == (3, "LSOA21CD", "bad GSS code in LSOA21CD (expected e.g. E01000001)")
    assert rejects[1][:2] == (3, "2015") and "bad number" in rejects[1][2]
    assert rejects[2] == (2, "LAD24CD", "bad GSS code in LAD24CD")


@pytest.mark.corpus
def test_searches_are_placed_in_lsoas_from_their_coordinates(corpus: Path, db: Database) -> None:
    ingest_paths(
        db,
        [
            corpus / "policeuk/metropolitan/stop-and-search/2024-01",
            corpus / "boundaries/lsoa2021/ons_LSOA_Dec2021_BGC_london_4994.gpkg",
            corpus / "lookups/LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz",
        ],
    )
    with_xy, placed, london = db.execute(
        "SELECT count(*) FILTER (WHERE latitude IS NOT NULL), count(lsoa_code), "
        "count(*) FILTER (WHERE borough_code LIKE 'E09%') FROM searches_placed"
    )[0]
    assert placed > 0.95 * with_xy
    assert london == placed
