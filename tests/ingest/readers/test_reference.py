"""Boundaries, lookups and population: real files, replacement, rejects, and placing searches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from metforward.ingest.pipeline import ingest_paths
from metforward.ingest.placement import place_searches
from metforward.store.database import Database

BOUNDARIES = [
    ("boroughs/london_boroughs_33_BNG_EPSG27700.geojson", "borough", "gla", 33),
    ("boroughs/london_boroughs_33_WGS84.geojson", "borough", "gla", 33),
    ("boroughs/ons_LAD_May2024_BGC_london_33.gpkg", "borough", "2024", 33),
    ("wards/ons_Wards_Dec2024_BGC_london_684_WGS84.geojson", "ward", "2024", 684),
    ("wards/london_wards_2018_London_Ward_CityMerged_WGS84.geojson", "ward", "gla", 633),
    ("lsoa2021/ons_LSOA_Dec2021_BGC_london_4994.gpkg", "lsoa", "2021", 4994),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "level", "vintage", "features"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_boundary_files_load_in_wgs84_with_their_areas(
    corpus: Path, db: Database, name: str, level: str, vintage: str, features: int
) -> None:
    (result,) = ingest_paths(db, [corpus / "boundaries" / name]).files
    assert (result.error, result.kind, result.rows_loaded, result.rows_rejected) == (None, "boundaries", features, 0)
    rows = db.execute(
        "SELECT level, vintage, count(*), count(DISTINCT code), min(code), max(code) FROM areas GROUP BY ALL"
    )
    assert rows[0][:4] == (level, vintage, features, features)
    # stored in WGS84 whatever the file's CRS (the .gpkg files and one .geojson are in EPSG:27700)
    geometry = shapely.from_wkb([g for (g,) in db.execute("SELECT geometry FROM areas")])
    west, south, east, north = shapely.total_bounds(geometry)
    assert -0.52 < west < -0.50 and 51.27 < south < 51.30 and 0.33 < east < 0.34 and 51.68 < north < 51.70
    assert shapely.is_valid(geometry).all()
    if level == "borough":
        assert rows[0][4:] == ("E09000001", "E09000033")
        smallest, largest = db.execute("SELECT min(area_km2), max(area_km2) FROM areas")[0]
        assert 2.6 < smallest < 3.0 and 148 < largest < 152  # City of London 2.7 to 2.9 km2, Bromley ~150 km2


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    [
        "boroughs/london_boroughs_33_BNG_EPSG27700.geojson",
        "boroughs/london_boroughs_33_WGS84.geojson",
        "wards/london_wards_2018_London_Ward_CityMerged_WGS84.geojson",
    ],
)
def test_areas_agree_with_the_published_hectares(corpus: Path, db: Database, name: str) -> None:
    path = corpus / "boundaries" / name
    features = json.loads(path.read_text())["features"]
    # The borough polygons stop at mean high water: their HECTARES includes the tidal Thames, which
    # NONLD_AREA measures (HECTARES alone is up to 8% more, e.g. Bexley). The ward polygons include
    # the water (NONLD_AREA is 0 for most), so for them HECTARES - NONLD_AREA is not their area.
    clipped = "boroughs" in name
    published = {
        f["properties"]["GSS_CODE"]: f["properties"]["HECTARES"] - (f["properties"]["NONLD_AREA"] if clipped else 0)
        for f in features
    }
    ingest_paths(db, [path])
    stored = dict(db.execute("SELECT code, area_km2 FROM areas"))
    assert stored.keys() == published.keys()
    for code, km2 in stored.items():
        assert km2 == pytest.approx(published[code] / 100, rel=0.01), code


@pytest.mark.corpus
def test_ons_and_gla_borough_sets_are_kept_apart_and_cover_the_same_london(corpus: Path, db: Database) -> None:
    ingest_paths(
        db,
        [
            corpus / "boundaries/boroughs/ons_LAD_May2024_BGC_london_33.gpkg",
            corpus / "boundaries/boroughs/london_boroughs_33_WGS84.geojson",
        ],
    )
    totals = dict(db.execute("SELECT vintage, sum(area_km2) FROM areas WHERE level = 'borough' GROUP BY vintage"))
    # single boroughs differ by up to 8% (ONS generalised 2024 lines vs the GLA's older, full-resolution
    # ones); London as a whole agrees: 1,583 vs 1,573 km2
    assert totals.keys() == {"2024", "gla"}
    assert totals["2024"] == pytest.approx(totals["gla"], rel=0.01)


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
def test_the_london_output_area_lookup_gives_lsoas_and_wards(corpus: Path, db: Database) -> None:
    (result,) = ingest_paths(db, [corpus / "lookups/london_OA21_LSOA21_LSOA11_MSOA21_WD24_LAD22_lookup.csv.gz"]).files
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == ("lookup-lsoa", 26559, 26559, 0)
    # one row per (LSOA 2011, LSOA 2021) pair, not per output area
    assert db.execute("SELECT count(*), count(DISTINCT lsoa21_code), count(DISTINCT lsoa11_code) FROM lsoa_lookup")[
        0
    ] == (5016, 4994, 4835)
    assert db.execute(
        "SELECT vintage, count(*), count(DISTINCT ward_code), count(DISTINCT lad_code) FROM lsoa_wards GROUP BY ALL"
    ) == [("2024", 4994, 684, 33)]
    assert db.execute(
        "SELECT count(*), count(ward_code), count(DISTINCT borough_code) FROM lsoa_places WHERE lsoa_code = lsoa21_code"
    ) == [(4994, 4994, 33)]


@pytest.mark.corpus
def test_population_estimates(corpus: Path, db: Database) -> None:
    summary = ingest_paths(db, [corpus / "population/GLA_Borough-MYE-1981-2015.csv"])
    assert summary.files[0].rows_rejected == 0
    assert db.scalar("SELECT count(*) FROM population WHERE level = 'borough'") == 33 * 35
    assert db.scalar("SELECT population FROM population WHERE area_code = 'E09000003' AND year = 2015") == 379805.573713
    assert db.scalar("SELECT count(*) FROM population WHERE level = 'region'") == 35  # the London total row
    assert db.scalar("SELECT count(DISTINCT area_code) FROM population WHERE level = 'borough'") == 33


@pytest.mark.corpus
def test_lsoa_population_estimates_add_up_to_the_gla_london_total(corpus: Path, db: Database) -> None:
    population = corpus / "population"
    summary = ingest_paths(
        db,
        [
            population / "ons_SAPE_LSOA21_population_density_mid2011-mid2022_EW.csv.gz",
            population / "GLA_Borough-MYE-1981-2015.csv",
            corpus / "lookups/LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz",
        ],
    )
    assert [(f.kind, f.rows_read, f.rows_rejected) for f in summary.files] == [
        ("population-lsoa", 35672, 0),
        ("population-borough", 34, 0),
        ("lookup-ward", 35672, 0),
    ]
    # one row per LSOA and year: only the Population columns, not People per Sq Km
    assert db.execute(
        "SELECT count(*), count(DISTINCT area_code), min(year), max(year) FROM population WHERE level = 'lsoa'"
    ) == [(35672 * 12, 35672, 2011, 2022)]
    assert db.scalar("SELECT population FROM population WHERE area_code = 'E01000001' AND year = 2022") == 1795
    london_2015 = db.scalar(
        "SELECT sum(population) FROM population p JOIN lsoa_places l ON l.lsoa_code = p.area_code "
        "WHERE p.level = 'lsoa' AND p.year = 2015 AND l.borough_code LIKE 'E09%'"
    )
    gla_2015 = db.scalar("SELECT population FROM population WHERE area_code = 'E12000007' AND year = 2015")
    assert london_2015 == pytest.approx(gla_2015, rel=0.01)  # 8,659,545 vs 8,685,178


def test_bad_lookup_and_population_lines_are_rejected_with_line_and_reason(tmp_path: Path, db: Database) -> None:
    lookup = tmp_path / "lookup.csv"
    lookup.write_text(
        "\ufeffLSOA21CD,LSOA21NM,WD24CD,WD24NM,LAD24CD,LAD24NM\n"
        "E01000001,City of London 001A,E05009300,Aldgate,E09000001,City of London\n"
        "E0100002,City of London 001B,E05009300,Aldgate,E09000001,City of London\n"
        "E01000003,City of London 001C,E05009300,Aldgate,,City of London\n",
        encoding="utf-8",
    )
    boroughs = tmp_path / "pop.csv"
    boroughs.write_text(
        '"GSS.Code","Borough","2014","2015"\n"E09000001","City of London",6872,7160\n'
        '"E09000002","Barking and Dagenham",198682.5,n/a\n'
    )
    lsoas = tmp_path / "sape.csv"
    lsoas.write_text(
        "LSOA 2021 Code,LSOA 2021 Name,Area Sq Km,Mid-2021: Population,Mid-2021: People per Sq Km,"
        "Mid-2022: Population,Mid-2022: People per Sq Km\n"
        'E01000001,City of London 001A,0.1298,"1,573",12118.6,"1,795",13828.9\n'
        "E01000002,City of London 001B,0.2283,1407,6162.9,,7319.3\n"
    )
    summary = ingest_paths(db, [lookup, boroughs, lsoas])
    assert [(f.kind, f.rows_read, f.rows_loaded, f.rows_rejected) for f in summary.files] == [
        ("lookup-ward", 3, 1, 2),
        ("population-borough", 2, 1, 1),
        ("population-lsoa", 2, 1, 1),
    ]
    rejects = db.execute("SELECT line, field, value, reason FROM rejects ORDER BY load_id, line")
    assert rejects[:2] == [
        (3, "LSOA21CD", "E0100002", "bad GSS code in LSOA21CD (expected e.g. E01000001)"),
        (4, "LAD24CD", "", "LAD24CD is empty; every row needs one"),
    ]
    assert rejects[2] == (3, "2015", "n/a", "bad number in 2015 (expected a population count)")
    assert rejects[3][:3] == (3, "Mid-2022: Population", "")
    # the rejected line's good years are not loaded either: a line is loaded or rejected whole
    assert db.execute("SELECT area_code, year, population FROM population ORDER BY source, area_code, year") == [
        ("E09000001", 2014, 6872.0),
        ("E09000001", 2015, 7160.0),
        ("E01000001", 2021, 1573.0),  # thousands separators removed
        ("E01000001", 2022, 1795.0),
    ]


def _feature(properties: dict[str, object], geometry: dict[str, object] | None) -> dict[str, object]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _square(x: float, y: float, size: float = 0.01) -> dict[str, object]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_bad_boundary_features_are_rejected_with_feature_number_and_reason(tmp_path: Path, db: Database) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[-0.1, 51.5], [-0.09, 51.51], [-0.09, 51.5], [-0.1, 51.51], [-0.1, 51.5]]],
    }
    features = [
        _feature({"LAD24CD": "E09000001", "LAD24NM": "City of London"}, _square(-0.1, 51.51)),
        _feature({"LAD24NM": "no code"}, _square(-0.2, 51.5)),
        _feature({"LAD24CD": "London", "LAD24NM": "?"}, _square(-0.3, 51.5)),
        _feature({"LAD24CD": "E09000002", "LAD24NM": "no geometry"}, None),
        _feature({"LAD24CD": "E09000003", "LAD24NM": "a point"}, {"type": "Point", "coordinates": [-0.2, 51.6]}),
        _feature({"LAD24CD": "E09000004", "LAD24NM": "a bow tie"}, bowtie),
        _feature({"LAD24CD": "E09000005", "LAD24NM": "Brent"}, _square(-0.25, 51.55)),
    ]
    geo = tmp_path / "areas.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    (result,) = ingest_paths(db, [geo]).files
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == ("boundaries", 7, 2, 5)
    rejects = db.execute("SELECT line, field, value, reason FROM rejects ORDER BY line")
    assert [r[:2] for r in rejects] == [
        (2, "LAD24CD"),
        (3, "LAD24CD"),
        (4, "geometry"),
        (5, "geometry"),
        (6, "geometry"),
    ]
    assert rejects[0][2:] == (None, "no area code in LAD24CD; every feature needs one")
    assert rejects[1][2:] == ("London", "bad GSS code in LAD24CD (expected e.g. E09000001)")
    assert rejects[2][3] == "no geometry (missing or empty)"
    assert rejects[3][2].startswith("POINT") and rejects[3][3].startswith("not a polygon")
    assert rejects[4][3].startswith("invalid polygon: Self-intersection")
    assert db.execute("SELECT level, code, name, vintage FROM areas ORDER BY code") == [
        ("borough", "E09000001", "City of London", "2024"),
        ("borough", "E09000005", "Brent", "2024"),
    ]


def test_a_boundary_file_without_a_code_column_is_not_loaded(tmp_path: Path, db: Database) -> None:
    geo = tmp_path / "areas.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature({"id": 1}, _square(0, 51))]}))
    (result,) = ingest_paths(db, [geo]).files
    assert result.error is not None and "no area code column" in result.error and "LADnnCD" in result.error
    assert db.scalar("SELECT count(*) FROM loads") == 0


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
    assert with_xy > 5_000  # 8,686 in January 2024
    assert placed > 0.95 * with_xy
    assert london == placed  # every placed search's LSOA is in a London borough
    with db.transaction():
        assert place_searches(db) == 0  # nothing left that a polygon contains
