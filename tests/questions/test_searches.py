"""Stop and search: counts against the raw rows, placement against an independent spatial join,
rates and ratios against statsmodels and simulation, the target source, the CLI and the Census reader."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward.analyse.searches import CENSUS_GROUPS, NOT_STATED
from metforward.analyse.targets import ACHIEVED, CANT_TELL, MISSED
from metforward.cli import app
from metforward.ingest.pipeline import ingest_paths
from metforward.questions import searches as S
from metforward.questions.targets import check_targets
from metforward.questions.targets_file import TargetsFileError, parse_targets
from metforward.store.database import Database
from tests.conftest import SampleStores

runner = CliRunner()
SEARCH_MONTHS = ("2024-01", "2024-02", "2024-03")
CENSUS = "census/census2021_TS021_ethnic_group_8cat_by_UTLA_EW_ons_custom.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> str:
    """The whole sample, ingested through the CLI (a copy of the session's template)."""
    return str(sample_stores.copy(name="searches"))


@pytest.fixture(scope="module")
def raw_sample(sample: Path) -> list[dict[str, str]]:
    return [
        row for m in SEARCH_MONTHS for row in read_csv(sample / f"policeuk/{m}/{m}-metropolitan-stop-and-search.csv.gz")
    ]


# --- counts and placement ----------------------------------------------------------------------


def test_month_totals_equal_the_raw_rows_on_the_sample(store: str, raw_sample: list[dict[str, str]]) -> None:
    with Database(store, read_only=True) as db:
        rows = S.search_counts(db, S.selection(db), ["month"])
        cov = S.coverage(db, S.selection(db))
        assert sum(r["count"] for r in S.search_counts(db, S.selection(db))) == len(raw_sample)
    per_file = {m: len(read_csv_rows) for m, read_csv_rows in _by_file(raw_sample).items()}
    assert {r["month"]: r["count"] for r in rows} == per_file
    assert cov.searches == len(raw_sample)
    assert cov.no_location == sum(1 for r in raw_sample if not r["Latitude"])
    assert [m.strftime("%Y-%m") for m in cov.months] == list(SEARCH_MONTHS)


def _by_file(raw: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Raw rows by the file (month) they came in: the file is cut by London-time month, as the store's month is."""
    out: dict[str, list[dict[str, str]]] = {}
    for row in raw:
        local = dt.datetime.fromisoformat(row["Date"]).astimezone(ZoneInfo("Europe/London"))
        out.setdefault(local.strftime("%Y-%m"), []).append(row)
    return out


def test_counts_by_ethnicity_object_and_outcome_equal_a_group_by_of_the_raw_rows(
    store: str, raw_sample: list[dict[str, str]]
) -> None:
    with Database(store, read_only=True) as db:
        sel = S.selection(db)
        by_object = S.search_counts(db, sel, ["object", "outcome"])
        by_self = S.search_counts(db, sel, ["self-defined"])
        mapped = S.search_counts(db, sel, ["ethnicity"])
    expected = Counter((r["Object of search"] or None, r["Outcome"] or None) for r in raw_sample)
    assert {(r["object_of_search"], r["outcome"]): r["count"] for r in by_object} == dict(expected)
    raw_self = Counter(r["Self-defined ethnicity"] or None for r in raw_sample)
    assert {r["self_defined_ethnicity"]: r["count"] for r in by_self} == dict(raw_self)
    assert sum(r["count"] for r in mapped) == len(raw_sample)
    groups = {r["ethnicity"] for r in mapped}
    assert groups <= {*CENSUS_GROUPS, NOT_STATED, None}  # nothing unmapped
    black = sum(n for text, n in raw_self.items() if text and text.startswith("Black"))
    assert next(r["count"] for r in mapped if r["ethnicity"] == "Black") == black


def test_every_sample_search_is_in_exactly_one_borough_or_counted_outside(store: str) -> None:
    with Database(store, read_only=True) as db:
        cov = S.coverage(db, S.selection(db))
        boroughs = S.search_counts(db, S.selection(db), ["borough"])
        placed = sum(int(r["count"]) for r in boroughs if r["borough_code"] is not None)  # type: ignore[call-overload]
        unplaced = next(int(r["count"]) for r in boroughs if r["borough_code"] is None)  # type: ignore[call-overload]
        hackney = S.search_counts(db, S.selection(db, area="Hackney"))[0]["count"]
    assert placed + unplaced == cov.searches
    assert unplaced == cov.no_location + cov.outside
    assert 0 < cov.outside < 0.01 * cov.searches  # 111 of 29,549: points outside London
    assert {r["borough_code"] for r in boroughs} - {None} <= {f"E0900000{i}" for i in range(1, 10)} | {
        f"E090000{i}" for i in range(10, 34)
    }
    assert hackney == next(r["count"] for r in boroughs if r["borough_code"] == "E09000012")
    # by LSOA and ward too (the LSOA output name once bound to the table's own column): same total
    with Database(store, read_only=True) as db:
        for level in ("lsoa", "ward"):
            rows = S.search_counts(db, S.selection(db, area="Hackney"), [level])
            assert sum(int(r["count"]) for r in rows) == hackney  # type: ignore[call-overload]
            assert len(rows) > 10
    # `metforward status` counts the same searches as not placed
    status = json.loads(runner.invoke(app, ["--db", store, "status", "--json"]).stdout)
    months = [m for m in status["items"] if m["kind"] == "stop-and-search"]
    assert sum(round(m["no_lsoa_share"] * m["rows"]) for m in months) == unplaced


@pytest.mark.corpus
def test_corpus_months_total_the_raw_rows_and_place_like_an_independent_spatial_join(
    corpus: Path, tmp_path: Path
) -> None:
    import geopandas as gpd

    months = ("2016-07", "2021-08", "2023-11")
    folders = [corpus / "policeuk/metropolitan/stop-and-search" / m for m in months]
    boroughs_file = corpus / "boundaries/boroughs/ons_LAD_May2024_BGC_london_33.gpkg"
    db = Database(tmp_path / "c.duckdb")
    summary = ingest_paths(
        db,
        [
            *folders,
            boroughs_file,
            corpus / "boundaries/wards/ons_Wards_Dec2024_BGC_london_684.gpkg",
            corpus / "lookups/LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz",
        ],
    )
    assert summary.ok
    raw = [row for folder in folders for path in sorted(folder.iterdir()) for row in read_csv(path)]
    counts = {r["month"]: r["count"] for r in S.search_counts(db, S.selection(db), ["month"])}
    expected = {m: len(rows) for m, rows in _by_file(raw).items()}
    assert counts == expected and set(counts) == set(months)
    cov = S.coverage(db, S.selection(db))
    assert cov.searches == len(raw)

    # independent: a GeoPandas spatial join of the raw points with the borough polygons in EPSG:27700
    located = [r for r in raw if r["Latitude"]]
    points = gpd.GeoDataFrame(
        {"i": range(len(located))},
        geometry=gpd.points_from_xy([float(r["Longitude"]) for r in located], [float(r["Latitude"]) for r in located]),
        crs=4326,
    ).to_crs(27700)
    polygons = gpd.read_file(boroughs_file).to_crs(27700)
    joined = gpd.sjoin(points, polygons, predicate="intersects", how="inner")
    inside = joined["i"].nunique()
    per_borough = joined.sort_values("LAD24CD").drop_duplicates("i")["LAD24CD"].value_counts().to_dict()
    assert cov.no_location == len(raw) - len(located)
    assert cov.outside == len(located) - inside
    stored = {r["borough_code"]: r["count"] for r in S.search_counts(db, S.selection(db), ["borough"])}
    assert stored.pop(None) == cov.no_location + cov.outside
    assert stored == per_borough
    # each row once: one borough, one ward, and the ward in that borough (ONS lookup)
    assert db.scalar("SELECT count(*) FROM searches WHERE borough_code IS NULL AND ward_code IS NOT NULL") == 0
    assert db.scalar("SELECT count(*) FROM searches WHERE borough_code IS NOT NULL AND ward_code IS NULL") == 0
    assert (
        db.scalar(
            "SELECT count(*) FROM searches s JOIN (SELECT DISTINCT ward_code, lad_code FROM lsoa_wards) w "
            "USING (ward_code) WHERE w.lad_code <> s.borough_code"
        )
        == 0
    )
    db.close()


# --- rates -------------------------------------------------------------------------------------


def test_arrest_rates_equal_statsmodels_wilson_and_the_raw_rows(store: str, raw_sample: list[dict[str, str]]) -> None:
    from statsmodels.stats.proportion import proportion_confint

    with Database(store, read_only=True) as db:
        rows, notes = S.search_rates(db, S.selection(db), ["gender"])
    raw = Counter(r["Gender"] or None for r in raw_sample)
    arrests = Counter(r["Gender"] or None for r in raw_sample if r["Outcome"] in S.ARREST_OUTCOMES)
    for row in rows:
        n, k = raw[row["gender"]], arrests[row["gender"]]  # type: ignore[index]
        assert (row["count"], row["arrests"]) == (n, k)
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert row["arrest_rate"] == pytest.approx(k / n)
        assert (row["arrest_low"], row["arrest_high"]) == (pytest.approx(low), pytest.approx(high))
    # the Met publishes "outcome linked" only as False or empty: no find rate, and it says so
    assert not any(r["Outcome linked to object of search"].lower() == "true" for r in raw_sample)
    assert all(r["find_rate"] is None for r in rows) and "find rate not measurable" in notes[0]


def test_the_find_rate_counts_linked_outcomes_other_than_no_further_action(db: Database) -> None:
    db.run(
        "INSERT INTO searches (load_id, line, force, month, search_type, occurred_at, outcome, outcome_linked) VALUES "
        "(1, 2, 'metropolitan', DATE '2024-01-01', 'Person search', TIMESTAMPTZ '2024-01-01 10:00:00+00', 'Arrest', true), "
        "(1, 3, 'metropolitan', DATE '2024-01-01', 'Person search', TIMESTAMPTZ '2024-01-01 10:00:00+00', "
        "'A no further action disposal', true), "
        "(1, 4, 'metropolitan', DATE '2024-01-01', 'Person search', TIMESTAMPTZ '2024-01-01 10:00:00+00', 'Arrest', false), "
        "(1, 5, 'metropolitan', DATE '2024-01-01', 'Person search', TIMESTAMPTZ '2024-01-01 10:00:00+00', "
        "'Community resolution', NULL)"
    )
    (row,), notes = S.search_rates(db, S.Selection())
    assert (row["count"], row["arrests"], row["finds"], row["positive_outcomes"]) == (4, 2, 1, 3)
    assert row["find_rate"] == pytest.approx(0.25) and notes == []


# --- disproportionality ------------------------------------------------------------------------


def test_the_ratio_interval_and_p_value_equal_the_exact_conditional_reference() -> None:
    from statsmodels.stats.proportion import proportion_confint
    from statsmodels.stats.rates import confint_poisson_2indep, test_poisson_2indep

    from metforward.analyse.poisson import compare_poisson

    for white, black, pw, pb in (
        (8554, 6507, 4731172.0, 1188374.0),
        (701, 592, 112732.0, 16455.0),
        (12, 3, 5000.0, 900.0),
    ):
        c = compare_poisson([white], [black], [pw], [pb])
        # exact conditional p value: statsmodels' exact-cond test (black vs white)
        ref = test_poisson_2indep(black, pb, white, pw, method="exact-cond")
        assert c.p_value[0] == pytest.approx(ref.pvalue, rel=1e-6)
        # exact interval: Clopper-Pearson (statsmodels "beta") of black / (black + white), mapped to the ratio
        low, high = proportion_confint(black, black + white, alpha=0.05, method="beta")
        assert c.ci_low[0] == pytest.approx(low / (1 - low) * pw / pb, rel=1e-9)
        assert c.ci_high[0] == pytest.approx(high / (1 - high) * pw / pb, rel=1e-9)
        # and close to statsmodels' score interval (no exact-cond interval there) when counts are large
        if white > 500:
            s_low, s_high = confint_poisson_2indep(black, pb, white, pw, method="score")
            assert c.ci_low[0] == pytest.approx(s_low, rel=0.02) and c.ci_high[0] == pytest.approx(s_high, rel=0.02)


def test_the_ratio_interval_covers_a_known_ratio_in_simulation() -> None:
    from metforward.analyse.poisson import compare_poisson

    rng = np.random.default_rng(20240101)
    true_ratio, pw, pb, rate = 3.0, 50_000.0, 12_000.0, 0.002
    white = rng.poisson(rate * pw, 4000)
    black = rng.poisson(rate * true_ratio * pb, 4000)
    c = compare_poisson(white, black, np.full(4000, pw), np.full(4000, pb))
    covered = np.mean((c.ci_low <= true_ratio) & (true_ratio <= c.ci_high))
    assert 0.95 <= covered <= 0.98  # exact intervals are conservative: at least nominal coverage
    assert np.median(c.rate_ratio) == pytest.approx(true_ratio, rel=0.03)


def test_disproportionality_on_the_sample_rests_on_census_counts(store: str, sample: Path) -> None:
    census = read_csv(sample / "population/census2021_TS021_ethnic_group_london.csv.gz")
    white = sum(float(r["Observation"]) for r in census if r["Ethnic group"].startswith("White"))
    with Database(store, read_only=True) as db:
        sel = S.selection(db)
        d = S.disproportionality(db, sel)
        counts = {r["ethnicity"]: r["count"] for r in S.search_counts(db, sel, ["ethnicity"])}
        officer = S.disproportionality(db, sel, field="officer-defined")
        with pytest.raises(S.SearchError, match="by borough only"):
            S.disproportionality(db, S.selection(db, area="E05013806"))  # a Westminster ward
    rows = {r["group"]: r for r in d.rows}
    assert rows["White"]["population"] == white and rows["White"]["ratio"] == 1.0
    assert d.not_stated == counts["Not stated"] and d.missing == counts[None]
    assert sum(r["searches"] for r in d.rows) + d.not_stated + d.missing == d.searches  # type: ignore[misc]
    black = rows["Black"]
    expected = (black["searches"] / black["population"]) / (rows["White"]["searches"] / white)  # type: ignore[operator]
    assert black["ratio"] == pytest.approx(expected)
    assert black["ci_low"] < black["ratio"] < black["ci_high"]  # type: ignore[operator]
    assert {r["group"] for r in officer.rows} == {"Asian", "Black", "White", "Other"}  # no Mixed: in Other


# --- targets and CLI ---------------------------------------------------------------------------


def test_the_target_source_gives_verdicts(store: str) -> None:
    period = {"from": "2024-01", "to": "2024-03"}
    parsed = parse_targets(
        {
            "version": 1,
            "targets": [
                {
                    "id": "arrests",
                    "type": "rate",
                    "area": "London",
                    "at_least": 15,
                    "measure": {"source": "stop-and-search", "measure": "arrest-rate", **period},
                },
                {
                    "id": "finds",
                    "type": "rate",
                    "area": "Westminster",
                    "at_least": 20,
                    "measure": {"source": "stop-and-search", "measure": "find-rate", **period},
                },
                {
                    "id": "dispro",
                    "type": "level",
                    "area": "London",
                    "at_most": 2,
                    "measure": {
                        "source": "stop-and-search",
                        "measure": "disproportionality",
                        "group": "Black",
                        **period,
                    },
                },
            ],
        }
    )
    with Database(store, read_only=True) as db:
        results = {r.id: r for r in check_targets(db, parsed)}
    assert results["arrests"].verdict == ACHIEVED and results["arrests"].ci_low > 15  # type: ignore[operator]
    assert results["finds"].verdict == CANT_TELL and "not measurable" in results["finds"].basis
    assert results["dispro"].verdict == MISSED and results["dispro"].unit == "ratio"
    assert results["dispro"].ci_low > 2  # type: ignore[operator]
    with pytest.raises(TargetsFileError, match="'measure' must be one of arrest-rate"):
        parse_targets(
            {
                "version": 1,
                "targets": [
                    {
                        "id": "x",
                        "type": "rate",
                        "area": "London",
                        "at_least": 1,
                        "measure": {"source": "stop-and-search"},
                    }
                ],
            },
            "t.yaml",
        )


def test_cli_json_rows_carry_keys_and_count(store: str) -> None:
    result = runner.invoke(app, ["--db", store, "searches", "--by", "month", "--by", "borough", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= {"items", "meta", "attribution", "notes"} and "coverage" in out["meta"]
    assert set(out["items"][0]) == {"month", "borough_code", "borough_name", "count"}
    assert sum(r["count"] for r in out["items"]) == out["meta"]["coverage"]["searches"]
    coverage = out["meta"]["coverage"]
    assert coverage["months"] == list(SEARCH_MONTHS) and coverage["outside_every_borough"] > 0
    rates = json.loads(runner.invoke(app, ["--db", store, "searches", "--rates", "--json"]).stdout)
    assert {"count", "arrest_rate", "arrest_low", "arrest_high", "find_rate"} <= set(rates["items"][0])
    dispro = runner.invoke(app, ["--db", store, "searches", "--disproportionality"])
    assert dispro.exit_code == 0 and "Black" in dispro.stdout and "Census 2021" in dispro.stdout
    bad = runner.invoke(app, ["--db", store, "searches", "--by", "colour"])
    assert bad.exit_code == 1 and "unknown --by colour" in bad.output


# --- Census reader -----------------------------------------------------------------------------


def test_census_reader_loads_every_group_and_rejects_does_not_apply(corpus: Path, db: Database) -> None:
    path = corpus / CENSUS
    (result,) = ingest_paths(db, [path]).files
    raw = read_csv(path)
    assert result.error is None and result.rows_read == len(raw)
    assert result.rows_rejected == sum(1 for r in raw if r["Ethnic group"] == "Does not apply")
    assert result.rows_loaded == db.scalar("SELECT count(*) FROM population_groups")
    reasons = db.execute("SELECT DISTINCT field, reason FROM rejects")
    assert reasons == [
        ("Ethnic group", 'ONS "Does not apply" category (code -8): not an ethnic group (it counts no usual residents)')
    ]
    # against the DERIVED borough sums of the MSOA table (ONS perturbs small cells: within 0.1% or 5 people)
    derived = read_csv(corpus / "census/DERIVED_census2021_TS021_ethnic_group_london_boroughs_from_MSOA.csv")
    black = dict(
        db.execute("SELECT area_code, sum(population) FROM population_groups WHERE group_name = 'Black' GROUP BY 1")
    )
    for row in derived:
        expected = float(row["Ethnic group: Black, Black British, Black Welsh, Caribbean or African"])
        assert black[row["geography code"]] == pytest.approx(expected, rel=1e-3, abs=5)
    assert db.scalar("SELECT count(DISTINCT area_code) FROM population_groups WHERE area_code LIKE 'E09%'") == 33


def test_mps_means_the_met_in_every_face(web_store: Path, client: TestClient) -> None:
    """The one area resolver: ``--area MPS`` (which the command used to reject) is London, as in the API."""
    args = ["--db", str(web_store), "searches", "--by", "month", "--json"]
    london = json.loads(runner.invoke(app, args).stdout)
    mps = runner.invoke(app, [*args, "--area", "MPS"])
    assert mps.exit_code == 0, mps.output
    assert json.loads(mps.stdout)["items"] == london["items"]
    assert (
        json.loads(mps.stdout)["meta"]["area"]
        == london["meta"]["area"]
        == "London (Metropolitan Police searches), every month loaded"
    )
    assert client.get("/api/v1/searches", params={"by": "month", "area": "MPS"}).json()["items"] == london["items"]


def test_a_bad_month_range_is_a_usage_error_in_every_face(web_store: Path, client: TestClient) -> None:
    """One typed error: the command exits 2 (it used to exit 1) where the API answers 422."""
    done = runner.invoke(app, ["--db", str(web_store), "searches", "--from", "2024-03", "--to", "2024-01", "--json"])
    assert done.exit_code == 2 and json.loads(done.stdout)["error"]["code"] == "invalid_parameter"
    response = client.get("/api/v1/searches", params={"from": "2024-03", "to": "2024-01"})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "query.to"
