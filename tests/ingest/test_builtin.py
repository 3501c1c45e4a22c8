"""Reference data built into the package: shipped, loaded on first use, never over the user's, replaced by real files."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward import ATTRIBUTION
from metforward.cli import app
from metforward.ingest import builtin
from metforward.ingest.pipeline import ingest_paths, load_built_in
from metforward.store.catalog import reference_coverage
from metforward.store.database import Database
from tests.ingest.test_fetch import Archive, Server, archive, server  # noqa: F401  (the loopback server, reused)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "src" / "metforward" / "ingest" / "reference_data"
runner = CliRunner()


def _street(tmp_path: Path) -> Path:
    """One real City of London street row (police.uk layout), as a file of its own."""
    path = tmp_path / "in" / "2024-01-city-of-london-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
        "Last outcome category,Context\n"
        "abc1,2024-01,City of London Police,City of London Police,-0.106220,51.518275,On or near B500,"
        "E01000916,Camden 027B,Other theft,,\n"
    )
    return path


def _sources(db: Database) -> dict[tuple[str, str], str]:
    """(table, what) -> source of the reference data, as ``status`` shows it."""
    return {(str(r["table"]), str(r["what"])): str(r["source"]) for r in reference_coverage(db)}


def _rows(out: object) -> list[dict[str, object]]:
    """The rows of a question's ``--json`` output (the envelope's ``items``)."""
    rows = out["items"] if isinstance(out, dict) else out
    assert isinstance(rows, list)
    return rows


def test_the_files_ship_in_the_package_small_and_attributed() -> None:
    names = sorted(p.name for p in DATA.iterdir())
    assert names == sorted([*(item.file for item in builtin.FILES), "README.md"])
    total = sum((DATA / item.file).stat().st_size for item in builtin.FILES)
    assert total < 1_000_000  # 385 kB: the five files together
    # the wheel and the sdist take them: package-data names them
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["metforward"]
    for item in builtin.FILES:
        assert any(fnmatch(f"ingest/reference_data/{item.file}", p) for p in patterns), item.file
        with builtin.path(item) as path:
            assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzipped, read through the normal path
    readme = (DATA / "README.md").read_text()
    assert "Open Government Licence v3.0" in readme and "Contains OS data © Crown copyright" in readme
    assert "Contains OS data © Crown copyright and database right" in ATTRIBUTION


def test_a_fresh_store_gets_them_at_the_end_of_an_ingest_and_status_names_them(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["--db", db, "ingest", str(_street(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [f["path"] for f in out["built_in"]] == [item.source_path for item in builtin.FILES]
    assert [(f["kind"], f["rows_loaded"], f["rows_rejected"]) for f in out["built_in"]] == [
        ("lookup-lsoa", 5016, 0),
        ("lookup-ward", 4994, 0),
        ("boundaries", 33, 0),
        ("boundaries", 684, 0),
        ("boundaries", 4994, 0),
    ]
    assert out["rows_read"] == 1  # the totals count the files given
    with Database(db, read_only=True) as store:
        assert store.execute("SELECT source_path FROM loads WHERE kind <> 'street' ORDER BY load_id") == [
            (item.source_path,) for item in builtin.FILES
        ]
        # the row's LSOA (Camden 027B) is placed in its ward and borough
        assert store.execute("SELECT ward_name, borough_name FROM crimes_placed") == [
            ("Holborn & Covent Garden", "Camden")
        ]
        london = "SELECT count(DISTINCT borough_code) FROM lsoa_places WHERE borough_code LIKE 'E09%'"
        assert store.scalar(london) == 33
    status = json.loads(runner.invoke(app, ["--db", db, "status", "--json"]).stdout)
    assert {(r["what"], r["source"]) for r in status["meta"]["reference"]} == {
        ("borough boundaries (2024)", "built-in"),
        ("ward boundaries (2024)", "built-in"),
        ("lsoa boundaries (2021)", "built-in"),
        ("LSOA 2011 -> LSOA 2021", "built-in"),
        ("LSOA 2021 -> ward (2024) -> borough", "built-in"),
    }
    table = runner.invoke(app, ["--db", db, "status"], env={"COLUMNS": "200"}).stdout
    assert "built-in" in table
    # a second run finds them there and loads none again
    again = runner.invoke(app, ["--db", db, "ingest", str(_street(tmp_path)), "--json"])
    assert json.loads(again.stdout)["built_in"] == []


def test_a_run_that_loads_nothing_loads_no_built_ins(tmp_path: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n")
    db = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["--db", db, "ingest", str(bad), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["built_in"] == []
    with Database(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM loads") == 0


def test_only_what_the_store_lacks_is_loaded_and_the_users_data_is_untouched(
    tmp_path: Path, sample: Path, db: Database
) -> None:
    boroughs = sample / "boundaries" / "boroughs_2024.geojson"
    wards = sample / "lookups" / "LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz"
    ingest_paths(db, [boroughs, wards])
    mine = db.execute("SELECT load_id, code, geometry FROM areas ORDER BY code")
    summary = ingest_paths(db, [_street(tmp_path)], built_in_reference=True)
    assert [f.path for f in summary.built_in] == [
        "built-in:london_lsoa11_lsoa21_lad22.csv.gz",
        "built-in:london_ward24_boundaries.geojson.gz",
        "built-in:london_lsoa21_boundaries.geojson.gz",
    ]
    assert db.execute("SELECT load_id, code, geometry FROM areas WHERE level = 'borough' ORDER BY code") == mine
    assert db.scalar("SELECT count(*) FROM lsoa_wards") == 35672  # the user's England and Wales lookup, whole
    assert db.scalar("SELECT count(*) FROM loads WHERE replaced_by IS NOT NULL") == 0
    assert _sources(db)[("areas", "borough boundaries (2024)")] == "file"
    assert load_built_in(db) == []  # nothing is lacking now


def test_real_files_loaded_later_replace_the_built_ins_whatever_their_vintage(tmp_path: Path, db: Database) -> None:
    ingest_paths(db, [_street(tmp_path)], built_in_reference=True)
    built = dict(db.execute("SELECT source_path, load_id FROM loads WHERE starts_with(source_path, 'built-in:')"))
    # a GLA-style ward set (vintage "gla"): one ward, replacing the built-in ward set (2024), not beside it
    ring = [[-0.11, 51.51], [-0.10, 51.51], [-0.10, 51.52], [-0.11, 51.52], [-0.11, 51.51]]
    ward = {
        "type": "Feature",
        "properties": {"GSS_CODE": "E05000138", "NAME": "Holborn and Covent Garden"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    geo = tmp_path / "wards.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [ward]}))
    # a 2025 ward lookup of two London LSOAs: those two built-in 2024 rows go, the rest stay
    lookup = tmp_path / "wards25.csv"
    lookup.write_text(
        "LSOA21CD,LSOA21NM,WD25CD,WD25NM,LAD25CD,LAD25NM\n"
        "E01000001,City of London 001A,E05009300,Aldgate,E09000001,City of London\n"
        "E01000916,Camden 027B,E05013660,Holborn and Covent Garden,E09000007,Camden\n"
    )
    (ward_load, lookup_load) = [f.load_id for f in ingest_paths(db, [geo, lookup], built_in_reference=True).files]
    assert db.execute("SELECT code, vintage FROM areas WHERE level = 'ward'") == [("E05000138", "gla")]
    replaced = dict(
        db.execute("SELECT source_path, replaced_by FROM loads WHERE starts_with(source_path, 'built-in:')")
    )
    assert replaced["built-in:london_ward24_boundaries.geojson.gz"] == ward_load
    assert replaced["built-in:london_lsoa21_ward24_lad24.csv.gz"] == lookup_load
    assert replaced["built-in:london_lsoa21_boundaries.geojson.gz"] is None
    assert db.scalar("SELECT replaces FROM loads WHERE load_id = ?", [ward_load]) == [
        built["built-in:london_ward24_boundaries.geojson.gz"]
    ]
    assert db.execute("SELECT vintage, count(*) FROM lsoa_wards GROUP BY ALL ORDER BY ALL") == [
        ("2024", 4992),
        ("2025", 2),
    ]
    assert db.scalar("SELECT ward_name FROM crimes_placed") == "Holborn and Covent Garden"
    sources = _sources(db)
    assert sources[("areas", "ward boundaries (gla)")] == "file"
    assert sources[("lsoa_wards", "LSOA 2021 -> ward (2024) -> borough")] == "built-in"
    assert sources[("lsoa_wards", "LSOA 2021 -> ward (2025) -> borough")] == "file"
    # the full LSOA 2011 -> 2021 lookup of the sample replaces the built-in one by its keys
    ingest_paths(db, [REPO / "sample" / "lookups" / "LSOA11_to_LSOA21_to_LAD22_exact_fit_lookup_EW_v3.csv.gz"])
    assert db.scalar(
        "SELECT replaced_by IS NOT NULL FROM loads WHERE source_path = 'built-in:london_lsoa11_lsoa21_lad22.csv.gz'"
    )
    assert (
        db.scalar(
            "SELECT count(*) FROM lsoa_lookup l JOIN loads USING (load_id) WHERE starts_with(source_path, 'built-in:')"
        )
        == 0
    )


@pytest.mark.corpus
def test_a_fresh_store_with_one_police_uk_file_answers_london_questions(corpus: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    month = corpus / "policeuk" / "city-of-london" / "street" / "2024-01"
    loaded = runner.invoke(app, ["--db", db, "ingest", str(month)])
    assert loaded.exit_code == 0, loaded.output
    assert "built-in London reference data" in loaded.stdout
    area = ["--area", "City of London", "--period", "2024-01"]
    # before this change: "no LSOA lookups are loaded: ingest the ONS LSOA lookups first"
    cells = _rows(json.loads(runner.invoke(app, ["--db", db, "hotspots", *area, "--json"]).stdout))
    assert len(cells) > 50 and sum(int(str(c["count"])) for c in cells) == 623  # every crime with a location
    assert any(c["class"] == "hot" for c in cells)
    lsoas = _rows(json.loads(runner.invoke(app, ["--db", db, "hotspots", *area, "--units", "lsoa", "--json"]).stdout))
    assert [c["lsoa_code"] for c in lsoas][:2] == ["E01000001", "E01000002"] and len(lsoas) == 6
    streets = _rows(json.loads(runner.invoke(app, ["--db", db, "hotstreets", *area, "--json"]).stdout))
    assert streets[0]["location"] == "On or near Bishopsgate" and streets[0]["ward_name"] == "Walbrook"
    wards = runner.invoke(
        app, ["--db", db, "compare", "--level", "ward", "--before", "2024-01:2024-01", "--after", "2024-01:2024-01"]
    )
    assert wards.exit_code == 0 and "Aldersgate" in wards.stdout
    layer = tmp_path / "lsoa.geojson"
    drawn = runner.invoke(app, ["--db", db, "map", *area, "--layer", "lsoa", "--out", str(layer)])
    assert drawn.exit_code == 0, drawn.output
    assert len(json.loads(layer.read_text())["features"]) == 6


@pytest.mark.corpus
def test_generalised_boundaries_place_searches_as_the_ons_files_do(corpus: Path, tmp_path: Path) -> None:
    searches = corpus / "policeuk" / "metropolitan" / "stop-and-search" / "2024-01"
    placed = "SELECT line, lsoa_code, borough_code FROM searches_placed WHERE latitude IS NOT NULL ORDER BY line"
    with Database(tmp_path / "ons.duckdb") as ons:
        ingest_paths(
            ons,
            [
                searches,
                corpus / "boundaries/lsoa2021/ons_LSOA_Dec2021_BGC_london_4994.gpkg",
                corpus / "lookups/LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz",
            ],
        )
        want = ons.execute(placed)
    with Database(tmp_path / "built.duckdb") as built:
        ingest_paths(built, [searches], built_in_reference=True)
        got = built.execute(placed)
    assert len(want) == 8686
    # every search in the same LSOA and borough (the simplification moved no edge past a search;
    # 7 decimal places keep the snap points that lie on an LSOA edge on the same side)
    assert got == want
    assert sum(1 for _, lsoa, _ in got if lsoa is None) == 30  # outside London: the same 30 both ways


@pytest.mark.corpus
def test_the_shipped_files_are_what_the_script_builds_from_the_corpus(corpus: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_reference.py"), "--corpus", str(corpus), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "tolerance 10 m" in done.stdout
    for item in builtin.FILES:
        assert (tmp_path / item.file).read_bytes() == (DATA / item.file).read_bytes(), item.file
    assert (tmp_path / "README.md").read_text() == (DATA / "README.md").read_text()
    lsoas = json.loads(gzip.decompress((DATA / "london_lsoa21_boundaries.geojson.gz").read_bytes()))
    assert set(lsoas["features"][0]["properties"]) == {"LSOA21CD", "LSOA21NM"}


@pytest.mark.corpus
def test_fetch_loads_the_built_ins_into_a_fresh_store(server: Server, archive: Archive, tmp_path: Path) -> None:  # noqa: F811
    db = str(tmp_path / "f.duckdb")
    args = ["--db", db, "fetch", "--force", "city-of-london", "--from", "2024-02", "--to", "2024-02"]
    args += ["--kind", "street", "--base-url", server.url, "--cache", str(tmp_path / "cache"), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [f["path"] for f in out["built_in"]] == [item.source_path for item in builtin.FILES]
    with Database(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM crimes_placed WHERE borough_code = 'E09000001'") > 500
