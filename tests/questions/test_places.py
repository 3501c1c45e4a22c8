"""The place questions: hot streets and repeat locations against independent group-bys of the raw rows; the
hotspots, map and near-repeat commands' outputs."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from metforward.analyse.compare import Period
from metforward.cli import app
from metforward.ingest.pipeline import ingest_paths
from metforward.questions.hotstreets import hot_streets
from metforward.questions.repeats import repeat_locations
from metforward.store.database import Database
from metforward.store.places import resolve_place

runner = CliRunner()
CITY = "E09000001"


def read_csv(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def city_wards(lookups: Path) -> dict[str, str]:
    """LSOA 2021 code -> best-fit ward 2024 code, for the City's LSOAs (straight from the ONS file)."""
    rows = read_csv(lookups / "LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz")
    return {r["LSOA21CD"]: r["WD24CD"] for r in rows if r["LAD24CD"] == CITY}


@pytest.fixture(scope="module")
def city(corpus: Path, sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, list[dict[str, str]]]:
    folders = [corpus / "policeuk" / "city-of-london" / "street" / f"2024-{m:02d}" for m in range(1, 13)]
    db = Database(tmp_path_factory.mktemp("city") / "city.duckdb")
    ingest_paths(db, [*folders, sample / "lookups"])
    raw = [row for folder in folders for path in sorted(folder.iterdir()) for row in read_csv(path)]
    return db, raw


def test_hot_streets_on_the_city_equal_an_independent_group_by(
    city: tuple[Database, list[dict[str, str]]], sample: Path
) -> None:
    db, raw = city
    wards = city_wards(sample / "lookups")
    now: Counter[tuple[str, str]] = Counter()
    before: Counter[tuple[str, str]] = Counter()
    for row in raw:
        if row["Longitude"] and row["LSOA code"] in wards:
            key = (row["Location"], wards[row["LSOA code"]])
            (now if row["Month"] >= "2024-07" else before)[key] += 1
    result = hot_streets(db, resolve_place(db, "City of London"), Period.parse("2024-07:2024-12"))
    assert {(s.location, s.ward_code): s.count for s in result.streets} == dict(now)
    assert {(s.location, s.ward_code): s.previous for s in result.streets} == {k: before[k] for k in now}
    assert result.total == sum(now.values())
    ranked = sorted(now.values(), reverse=True)
    running, half = 0, 0
    for i, n in enumerate(ranked, start=1):
        running += n
        if running * 2 >= result.total:
            half = i
            break
    assert result.streets_for_half == half
    assert [s.count for s in result.streets] == ranked
    assert result.streets[-1].cumulative_share == pytest.approx(1.0)
    for s in result.streets:
        assert s.verdict in ("up", "down", "can't tell")
        assert s.q_value is not None and (s.verdict == "can't tell") == (s.q_value >= 0.05)
    by_harm = hot_streets(db, resolve_place(db, CITY), Period.parse("2024-07:2024-12"), rank_by="harm")
    harms = [s.harm for s in by_harm.streets]
    assert harms == sorted(harms, reverse=True)


def test_repeat_locations_equal_an_independent_count_of_months(
    city: tuple[Database, list[dict[str, str]]], sample: Path
) -> None:
    db, raw = city
    wards = city_wards(sample / "lookups")
    months: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in raw:
        if row["Longitude"] and row["LSOA code"] in wards and row["Month"] >= "2024-07":
            months[(row["Longitude"], row["Latitude"])].add(row["Month"])
    for k in (3, 6):
        found, coverage = repeat_locations(
            db, resolve_place(db, CITY), end=dt.date(2024, 12, 1), months=6, min_months=k
        )
        expected = {p: sorted(m) for p, m in months.items() if len(m) >= k}
        got = {(f"{r.longitude:.6f}", f"{r.latitude:.6f}"): r.months for r in found}
        assert got == expected
        assert coverage.asked == 6 and coverage.missing == 0
        assert [len(r.months) for r in found] == sorted((len(r.months) for r in found), reverse=True)


@pytest.fixture(scope="module")
def sample_db(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("maps") / "m.duckdb")
    result = runner.invoke(
        app, ["--db", path, "ingest", str(sample / "policeuk"), str(sample / "lookups"), str(sample / "boundaries")]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["--db", path, "ingest", str(sample / "population")]).exit_code == 0
    return path


def test_hotspots_json_lists_every_cell_with_the_documented_keys(sample_db: str, tmp_path: Path) -> None:
    out = runner.invoke(
        app,
        ["--db", sample_db, "hotspots", "--area", "Westminster", "--period", "2024-01:2024-12", "--json",
         "--geojson", str(tmp_path / "h.geojson")],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    cells = json.loads(out.stdout)["items"]
    assert {tuple(c) for c in cells} == {("x", "y", "cell_size", "count", "z", "p_value", "q_value", "class")}
    assert sum(c["count"] for c in cells) == 3004  # every Met burglary in Westminster in the sample's 2024
    assert any(c["count"] == 0 for c in cells) and all(c["x"] % 250 == 0 and c["y"] % 250 == 0 for c in cells)
    assert {c["class"] for c in cells} <= {"hot", "cold", "none"}
    hot = [c for c in cells if c["class"] == "hot"]
    assert hot and all(c["q_value"] < 0.05 and c["z"] > 0 for c in hot)
    layer = json.loads((tmp_path / "h.geojson").read_text())
    assert len(layer["features"]) == len(cells)
    assert "Open Government Licence" in layer["metforward"]["attribution"]
    lon, lat = layer["features"][0]["geometry"]["coordinates"][0][0]
    assert -0.3 < lon < 0.0 and 51.4 < lat < 51.6  # WGS84
    small = [f["properties"] for f in layer["features"] if f["properties"]["suppressed"]]
    assert small and all(p["count"] is None for p in small)
    assert not any(f["properties"]["count"] in (1, 2) for f in layer["features"])


def test_hotspots_on_lsoas_and_with_permutations_are_reproducible(sample_db: str) -> None:
    args = ["--db", sample_db, "hotspots", "--area", "Westminster", "--period", "2024-01:2024-12", "--json"]
    first = runner.invoke(app, [*args, "--units", "lsoa", "--permutations", "99", "--seed", "7"])
    second = runner.invoke(app, [*args, "--units", "lsoa", "--permutations", "99", "--seed", "7"])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    rows = json.loads(first.stdout)["items"]
    assert len(rows) == 123 and sum(r["count"] for r in rows) == 3004
    assert all(r["p_value"] >= 1 / 100 for r in rows)


def test_map_layers_carry_rates_harm_and_suppression(sample_db: str, tmp_path: Path) -> None:
    target = tmp_path / "lsoa.geojson"
    out = runner.invoke(
        app, ["--db", sample_db, "map", "--area", "Westminster", "--period", "2024-01:2024-12", "--out", str(target)]
    )
    assert out.exit_code == 0, out.output
    layer = json.loads(target.read_text())
    props = [f["properties"] for f in layer["features"]]
    assert len(props) == 123 and all(f["geometry"] for f in layer["features"])
    shown = [p for p in props if p["count"]]
    assert shown and all(p["rate_per_1000"] > 0 and p["harm"] > 0 for p in shown)
    assert all(p["count"] is None for p in props if p["suppressed"])
    open_out = runner.invoke(
        app,
        ["--db", sample_db, "map", "--area", "Westminster", "--period", "2024-01:2024-12", "--out",
         str(tmp_path / "all.geojson"), "--no-suppress"],
    )  # fmt: skip
    assert open_out.exit_code == 0
    everything = json.loads((tmp_path / "all.geojson").read_text())
    assert sum(f["properties"]["count"] for f in everything["features"]) == 3004
    total = sum(f["properties"]["count"] for f in everything["features"])  # the LSOA layer's crimes
    layers: dict[tuple[str, str], dict[str, Any]] = {}
    for name in ("ward", "streets", "hotspots"):
        for suppress, flags in (("shown", []), ("full", ["--no-suppress"])):
            result = runner.invoke(
                app,
                ["--db", sample_db, "map", "--area", "Westminster", "--period", "2024-01:2024-12", "--layer", name,
                 "--out", str(tmp_path / f"{name}-{suppress}.geojson"), *flags],
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            layers[name, suppress] = json.loads((tmp_path / f"{name}-{suppress}.geojson").read_text())
    for name in ("ward", "streets", "hotspots"):
        shown, full = layers[name, "shown"], layers[name, "full"]
        meta = shown["metforward"]
        assert (meta["area_code"], meta["period"]) == ("E09000033", "2024-01:2024-12")
        assert len(shown["features"]) == len(full["features"]) > 0
        assert all(f["geometry"]["coordinates"] for f in shown["features"])
        # every crime of the LSOA layer is in each layer once, and suppression hides exactly the counts 1 and 2
        assert sum(f["properties"]["count"] for f in full["features"]) == total
        for s, a in zip(shown["features"], full["features"], strict=True):
            small = 1 <= a["properties"]["count"] < meta["suppressed_below"]
            assert s["properties"]["suppressed"] is small
            assert s["properties"]["count"] == (None if small else a["properties"]["count"])
    wards = [f["properties"] for f in layers["ward", "full"]["features"]]
    assert {f["geometry"]["type"] for f in layers["ward", "shown"]["features"]} <= {"Polygon", "MultiPolygon"}
    assert len({w["code"] for w in wards}) == len(wards) and all(w["code"].startswith("E05") for w in wards)
    for w in wards:  # a year of crimes per 1,000 residents
        assert w["rate_per_1000"] == pytest.approx(1000 * w["count"] / w["population"], abs=1e-3)
    # the streets layer is the hotstreets command's ranking, drawn at its snap points
    streets = runner.invoke(app, ["--db", sample_db, "hotstreets", "--area", "Westminster",
                                  "--period", "2024-01:2024-12", "--json"])  # fmt: skip
    assert streets.exit_code == 0, streets.output
    ranked = json.loads(streets.stdout)
    drawn = layers["streets", "full"]
    assert drawn["metforward"]["total"] == ranked["meta"]["crimes"] == total
    assert drawn["metforward"]["streets_for_half"] == ranked["meta"]["streets_for_half"]
    assert [
        (f["properties"]["rank"], f["properties"]["location"], f["properties"]["count"]) for f in drawn["features"]
    ] == [(r["rank"], r["location"], r["count"]) for r in ranked["items"]]
    assert all(f["geometry"]["type"] == "Point" for f in drawn["features"])
    # hot spots: a cell is hot (or cold) exactly when its Gi* q value is below alpha, and the sample has hot cells
    cells = [f["properties"] for f in layers["hotspots", "full"]["features"]]
    alpha = layers["hotspots", "full"]["metforward"]["alpha"]
    for c in cells:
        expected = "none" if c["q_value"] is None or c["q_value"] >= alpha else ("hot" if c["z"] > 0 else "cold")
        assert c["class"] == expected, c
    hot = [c for c in cells if c["class"] == "hot"]
    assert hot and sum(c["count"] for c in hot) / len(hot) > 2 * sum(c["count"] for c in cells) / len(cells)


def test_unknown_area_and_bad_period_say_what_to_do(sample_db: str) -> None:
    out = runner.invoke(app, ["--db", sample_db, "hotstreets", "--area", "Atlantis", "--period", "2024-01:2024-12"])
    assert out.exit_code == 1 and "no borough, ward or LSOA called 'Atlantis'" in out.output
    out = runner.invoke(app, ["--db", sample_db, "hotstreets", "--area", "Westminster", "--period", "2024-13"])
    assert out.exit_code == 2


def test_near_repeat_on_the_sample_says_it_works_in_months(sample_db: str) -> None:
    args = ["--db", sample_db, "near-repeat", "--area", "Westminster", "--period", "2024-01:2024-12"]
    out = runner.invoke(app, [*args, "--permutations", "99", "--seed", "3", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    meta = data["meta"]
    assert meta["time_unit"] == "month" and "months, not days" in data["notes"][0]
    assert (meta["months_with_data"], meta["months_asked"]) == (12, 12)
    assert meta["events"] == 3004 and meta["pairs"] == 3004 * 3003 // 2
    assert sum(c["observed"] for c in data["items"]) == meta["pairs"]
    assert {c["time_band"] for c in data["items"]} >= {"same month", "1 month"}
    again = runner.invoke(app, [*args, "--permutations", "99", "--seed", "3", "--json"])
    assert again.stdout == out.stdout
    table = runner.invoke(app, [*args, "--permutations", "99"])
    assert table.exit_code == 0 and "same location" in table.stdout and "Open Government Licence" in table.stdout


def test_repeats_end_by_default_at_the_last_month_of_the_areas_force(sample_db: str) -> None:
    # the sample's City rows run to 2024-12, as do the Met's: ask with and without --end and compare
    default = runner.invoke(app, ["--db", sample_db, "repeats", "--area", "City of London", "--json"])
    explicit = runner.invoke(
        app, ["--db", sample_db, "repeats", "--area", "City of London", "--end", "2024-12", "--json"]
    )
    assert default.exit_code == 0, default.output
    assert default.stdout == explicit.stdout and json.loads(default.stdout)["items"]
