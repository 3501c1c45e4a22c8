"""Named monthly indicators: loading real workforce files, rejects, replacement, targets, Wilson, CLI."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from metforward import ATTRIBUTION
from metforward.cli import app
from metforward.errors import InputFileError
from metforward.ingest.pipeline import ingest_paths
from metforward.ingest.readers.indicator_values import parse_date, parse_number
from metforward.ingest.readers.indicators import IndicatorOptions, load_indicator_file
from metforward.questions.indicators import find_indicator, list_indicators, series
from metforward.questions.targets import check_targets
from metforward.questions.targets_file import parse_targets
from metforward.store.database import Database

runner = CliRunner()
STRENGTH = "workforce/MOPAC_Police_Force_Strength_monthly.csv"
EXTRACT = "workforce/DERIVED_homeoffice_workforce_Met_London_extract_2014-2019.csv"
MONTHS = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}


def rows_of(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def stored(db: Database, name: str, area: str = "metropolitan") -> dict[dt.date, float]:
    rows = db.execute("SELECT month, value FROM indicators WHERE name = ? AND area_code = ?", [name, area])
    return {r[0]: r[1] for r in rows}


@pytest.fixture(scope="module")
def workforce(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = Database(tmp_path_factory.mktemp("workforce") / "w.duckdb")
    ingest_paths(db, [corpus / STRENGTH, corpus / EXTRACT])
    return db


def test_strength_file_every_row_loaded_with_the_files_values(workforce: Database, corpus: Path) -> None:
    raw = rows_of(corpus / STRENGTH)
    load = workforce.execute("SELECT rows_read, rows_loaded, rows_rejected FROM loads WHERE kind = 'mopac-strength'")
    assert load == [(len(raw), len(raw), 0)]
    for column in ("Police Officer Strength", "Police Staff Strength", "PCSO Strength"):
        expected = {
            dt.date(2000 + int(r["Date"][4:]), MONTHS[r["Date"][:3]], 1): float(r[column].replace(",", "")) for r in raw
        }
        assert stored(workforce, column) == expected
    units = workforce.execute("SELECT DISTINCT unit FROM indicators WHERE name = 'PCSO Strength'")
    assert units == [("FTE",)]


def test_home_office_extract_every_row_loaded_or_rejected(workforce: Database, corpus: Path) -> None:
    raw = rows_of(corpus / EXTRACT)
    ((load_id, read, loaded, rejected),) = workforce.execute(
        "SELECT load_id, rows_read, rows_loaded, rows_rejected FROM loads WHERE kind = 'homeoffice-workforce'"
    )
    assert read == len(raw) and loaded + rejected == read
    assert workforce.scalar("SELECT count(*) FROM indicators WHERE load_id = ?", [load_id]) == loaded
    reasons = workforce.execute("SELECT reason FROM rejects WHERE load_id = ?", [load_id])
    na = sum(1 for r in raw if r["value"] == "..")
    assert sum(r[0].startswith("not available") for r in reasons) == na
    assert all(r[0].startswith(("not available", "superseded", "duplicate")) for r in reasons)
    # Met Special Constables, straight from the file (each as_at given once per release, same value)
    specials = {
        dt.date.fromisoformat(r["as_at"]).replace(day=1): float(r["value"])
        for r in raw
        if r["measure"] == "Special constables" and r["area"] == "Metropolitan Police"
    }
    assert stored(workforce, "Special constables (headcount)") == specials
    assert specials[dt.date(2014, 9, 1)] == 3966 and specials[dt.date(2019, 9, 1)] == 1838
    # a revised figure: the later release (Sep 2016) wins over the Sep 2015 one for 2015-09
    officers = stored(workforce, "Police officers (FTE)")
    revised = [
        r
        for r in raw
        if r["measure"] == "Police officers" and r["area"] == "Metropolitan Police" and r["as_at"] == "2015-09-30"
    ]
    kept = [float(r["value"]) for r in revised if r["source_file"] == "homeoffice_police-workforce-tables-sep16.ods"]
    assert len(revised) == 2 and officers[dt.date(2015, 9, 1)] == kept[0]


def test_series_missing_months_and_trend(workforce: Database) -> None:
    info = find_indicator(workforce, "special constables (headcount)")
    result = series(workforce, info)
    assert len(result.points) == 11 and len(result.missing) == 61 - 11
    assert result.trend is not None
    assert (result.trend.earlier_value, result.trend.latest_value, result.trend.change) == (2062, 1838, -224)
    names = {(i.name, i.area_code) for i in list_indicators(workforce)}
    assert ("Special constables (headcount)", "city-of-london") in names
    assert ("Police Officer Strength", "metropolitan") in names


def test_targets_on_indicators(workforce: Database) -> None:
    measure = {"source": "indicator", "name": "Special constables (headcount)"}
    targets = parse_targets(
        {
            "version": 1,
            "targets": [
                {"id": "specials", "type": "level", "at_least": 6700, "measure": {**measure, "at": "2015-03"}},
                {"id": "specials-2012", "type": "level", "at_least": 6700, "measure": {**measure, "at": "2012-03"}},
                {"id": "specials-may", "type": "level", "at_least": 3000, "measure": {**measure, "at": "2016-05"}},
                {
                    "id": "officers",
                    "type": "level",
                    "at_least": 32000,
                    "measure": {"source": "indicator", "name": "Police Officer Strength", "period": "2015-04:2016-03"},
                },
            ],
        }
    )
    by_id = {r.id: r for r in check_targets(workforce, targets)}
    specials = by_id["specials"]
    assert (specials.verdict, specials.observed, specials.ci_low, specials.ci_high) == ("missed", 3659, 3659, 3659)
    assert specials.margin == 3659 - 6700 and "a count, no sampling error" in specials.basis
    assert by_id["specials-2012"].verdict == "can't tell" and "no figure for 2012-03" in by_id["specials-2012"].basis
    may = by_id["specials-may"]
    assert may.verdict == "achieved" and may.observed == 3271 and "at 2016-03, the latest month" in may.basis
    expected_mean = (
        sum(
            v
            for m, v in stored(workforce, "Police Officer Strength").items()
            if dt.date(2015, 4, 1) <= m <= dt.date(2016, 3, 1)
        )
        / 12
    )
    assert by_id["officers"].observed == pytest.approx(expected_mean, abs=1e-3)


def test_bad_measure_specs_are_listed() -> None:
    with pytest.raises(Exception, match="exactly one of 'at'") as info:
        parse_targets(
            {
                "version": 1,
                "targets": [
                    {"id": "x", "type": "level", "at_least": 1, "measure": {"source": "indicator", "name": "a"}}
                ],
            }
        )
    assert "targets[0]" in str(info.value)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2015-03", dt.date(2015, 3, 1)),
        ("2015-03-31", dt.date(2015, 3, 1)),
        ("31/03/2015", dt.date(2015, 3, 1)),
        ("Mar-15", dt.date(2015, 3, 1)),
        ("Mar-2015", dt.date(2015, 3, 1)),
        ("September 2019", dt.date(2019, 9, 1)),
    ],
)
def test_date_forms(text: str, month: dt.date) -> None:
    assert parse_date(text)[0] == month


@pytest.mark.parametrize("text", ["03/15", "1/2/13", "2015/03", "2015-13", "31/02/2015", "Foo-15", ""])
def test_bad_or_ambiguous_dates(text: str) -> None:
    found, _, problem = parse_date(text)
    assert found is None and problem


def test_numbers() -> None:
    assert parse_number("6,700") == (6700.0, None)
    assert parse_number(" 31181.5 ") == (31181.5, None)
    assert parse_number("")[0] is None and parse_number("")[1] is None
    assert parse_number("1,23,4")[1] and parse_number("abc")[1] and parse_number("..")[1]


def test_rejects_name_line_and_field(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "patrol.csv"
    path.write_text(
        "Month,Patrol hours,Victim updates\n"
        '2024-01,"1,200",50\n'  # 2: good, thousands separator
        "2024-13,1300,51\n"  # 3: bad month
        "2024-02,abc,52\n"  # 4: bad number in Patrol hours
        "01/03/2024,1400,53\n"  # 5: another date form
        "2024-02,1500,\n"  # 6: good, Victim updates empty (missing for that month)
        "2024-02,1600,54\n"  # 7: second row for 2024-02
    )
    _, load = load_indicator_file(db, path, IndicatorOptions(unit="hours"))
    rejects = {r["line"]: (r["field"], r["reason"]) for r in load.rejects.to_pylist()}
    assert set(rejects) == {3, 4, 5, 7}
    assert rejects[3] == ("Month", "not a real date in the form YYYY-MM")
    assert rejects[4] == ("Patrol hours", "bad number (expected e.g. 6700, 6,700 or 31181.5) in Patrol hours")
    assert rejects[5][0] == "Month" and "one form" in rejects[5][1]
    assert rejects[7][0] == "Month" and "first at line 6" in rejects[7][1]
    assert load.rows_read == 6 and load.rows_loaded == 2
    assert stored(db, "Patrol hours") == {dt.date(2024, 1, 1): 1200.0, dt.date(2024, 2, 1): 1500.0}
    assert stored(db, "Victim updates") == {dt.date(2024, 1, 1): 50.0}
    assert db.scalar("SELECT count(*) FROM rejects WHERE source = ?", [str(path)]) == 4


def test_failed_load_leaves_store_unchanged(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Month,A,B\n2024-01,1,2\n")
    load_indicator_file(db, path, IndicatorOptions())
    before = db.scalar("SELECT count(*) FROM indicators")
    with pytest.raises(InputFileError, match="no column 'C'"):
        load_indicator_file(db, path, IndicatorOptions(columns=("C",)))
    with pytest.raises(InputFileError, match="--name names one indicator"):
        load_indicator_file(db, path, IndicatorOptions(name="X"))
    assert db.scalar("SELECT count(*) FROM indicators") == before == 2


def test_reload_replaces_the_indicator(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "specials.csv"
    path.write_text("Date,Specials\nMar-12,5000\nApr-12,5100\n")
    first, _ = load_indicator_file(db, path, IndicatorOptions(name="Special Constables"))
    path.write_text("Date,Specials\nApr-12,5150\nMay-12,5200\n")
    second, _ = load_indicator_file(db, path, IndicatorOptions(name="Special Constables"))
    assert stored(db, "Special Constables") == {dt.date(2012, 4, 1): 5150.0, dt.date(2012, 5, 1): 5200.0}
    assert db.scalar("SELECT replaced_by FROM loads WHERE load_id = ?", [first]) == second
    # another area is a different series, not a replacement
    load_indicator_file(db, path, IndicatorOptions(name="Special Constables", area="city-of-london"))
    assert len(stored(db, "Special Constables")) == 2


def test_share_indicator_wilson_against_statsmodels(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "updates.csv"
    path.write_text(
        "name,month,value,n\n"
        "Victims updated within 28 days,2010-04,412,600\n"
        "Victims updated within 28 days,2010-05,399,580\n"
        "Victims updated within 28 days,2010-06,700,650\n"  # numerator above n: rejected
    )
    _, load = load_indicator_file(db, path, IndicatorOptions())
    assert load.rejects.column("line").to_pylist() == [4] and load.rejects.column("field").to_pylist() == ["n"]
    info = find_indicator(db, "Victims updated within 28 days")
    point = series(db, info).points[0]
    low, high = proportion_confint(412, 600, alpha=0.05, method="wilson")
    assert point.low == pytest.approx(100 * low, abs=1e-9) and point.high == pytest.approx(100 * high, abs=1e-9)
    targets = parse_targets(
        {
            "version": 1,
            "alpha": 0.1,
            "targets": [
                {
                    "id": "updates",
                    "type": "rate",
                    "at_least": 70,
                    "measure": {
                        "source": "indicator",
                        "name": "Victims updated within 28 days",
                        "period": "2010-04:2010-06",
                    },
                }
            ],
        }
    )
    (result,) = check_targets(db, targets)
    low, high = proportion_confint(811, 1180, alpha=0.1, method="wilson")
    assert result.observed == pytest.approx(100 * 811 / 1180, abs=1e-3)
    assert (result.ci_low, result.ci_high) == (pytest.approx(100 * low, abs=1e-3), pytest.approx(100 * high, abs=1e-3))
    assert result.verdict == "can't tell" and "811 of 1180" in result.basis


def test_cli_load_list_show_json(sample: Path, tmp_path: Path) -> None:
    store = ["--db", str(tmp_path / "cli.duckdb")]
    file = sample / "workforce" / "MOPAC_Police_Force_Strength_monthly.csv.gz"
    loaded = runner.invoke(
        app,
        [
            *store,
            "indicators",
            "load",
            str(file),
            "--columns",
            "PCSO Strength",
            "--name",
            "PCSOs",
            "--unit",
            "FTE",
            "--json",
        ],
    )
    assert loaded.exit_code == 0, loaded.output
    summary = json.loads(loaded.output)
    assert summary["indicators"] == ["PCSOs"] and summary["rows_rejected"] == 0 and summary["rows_loaded"] == 155
    listed = runner.invoke(app, [*store, "indicators", "list", "--json"])
    data = json.loads(listed.output)
    assert data["attribution"] == ATTRIBUTION
    assert [(i["name"], i["area_code"], i["months"], i["missing"]) for i in data["items"]] == [
        ("PCSOs", "metropolitan", 155, 0)
    ]
    shown = runner.invoke(
        app, [*store, "indicators", "show", "PCSOs", "--from", "2025-03", "--to", "2026-03", "--json"]
    )
    series_json = json.loads(shown.output)
    raw = {r["Date"]: float(r["PCSO Strength"]) for r in rows_of(file)}
    assert [p["value"] for p in series_json["items"]] == [
        raw[k]
        for k in (
            "Mar-25",
            "Apr-25",
            "May-25",
            "Jun-25",
            "Jul-25",
            "Aug-25",
            "Sep-25",
            "Oct-25",
            "Nov-25",
            "Dec-25",
            "Jan-26",
            "Feb-26",
            "Mar-26",
        )
    ]
    assert (
        series_json["meta"]["trend"]["change"] == raw["Mar-26"] - raw["Mar-25"]
        and series_json["attribution"] == ATTRIBUTION
    )
    table = runner.invoke(app, [*store, "indicators", "show", "PCSOs"])
    assert table.exit_code == 0 and ATTRIBUTION in " ".join(table.output.split())
    missing = runner.invoke(app, [*store, "indicators", "show", "Nothing"])
    assert missing.exit_code == 1 and "no indicator 'Nothing'" in missing.output


def test_the_list_can_be_of_one_area(web_store: Path) -> None:
    args = ["--db", str(web_store), "indicators", "list", "--json"]
    every = json.loads(runner.invoke(app, args).stdout)["items"]
    city = runner.invoke(app, [*args, "--area", "City of London Police"])
    assert city.exit_code == 0, city.output
    items = json.loads(city.stdout)["items"]
    assert items == [i for i in every if i["area_code"] == "city-of-london"] and items
