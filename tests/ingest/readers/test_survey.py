"""MOPAC Public Attitude Survey files: every row loaded or rejected, names resolved, values as published."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest

from metforward.domain.areas import borough_code
from metforward.ingest.pipeline import ingest_paths
from metforward.questions.confidence import unmatched_names
from metforward.store.database import Database

#: Header rows (beyond the first) of the files that have more than one.
EXTRA_HEADER_ROWS = {
    "MOPAC_PAS_2015-16_to_2020-21_neighbourhood_indicators_by_ethnicity.csv": 2,
    "MOPAC_PAS_2016_police_perceptions_by_neighbourhood.csv": 1,
}


def records(path: Path) -> list[list[str]]:
    """The file's records by Python's csv module (delimiter guessed from the first line), header included."""
    data = path.read_bytes()
    text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8-sig")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]


@pytest.fixture(scope="module")
def survey_db(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, dict[str, dict[str, int]]]:
    db = Database(tmp_path_factory.mktemp("survey") / "s.duckdb")
    summary = ingest_paths(db, [corpus / "survey"])
    assert summary.ok, summary.as_dict()
    results = {
        Path(f.path).name: {"read": f.rows_read, "loaded": f.rows_loaded, "rejected": f.rows_rejected}
        for f in summary.files
    }
    return db, results


def test_every_row_of_every_survey_file_is_loaded_or_rejected(
    corpus: Path, survey_db: tuple[Database, dict[str, dict[str, int]]]
) -> None:
    db, results = survey_db
    files = sorted(p.name for p in (corpus / "survey").glob("*.csv"))
    assert sorted(results) == files and len(files) == 8
    for name in files:
        data_rows = len(records(corpus / "survey" / name)) - 1 - EXTRA_HEADER_ROWS.get(name, 0)
        got = results[name]
        assert got["read"] == data_rows, name
        assert got["read"] == got["loaded"] + got["rejected"], name
    # rows that reached the store, counted by input line, equal the loaded rows of each file
    stored = dict(
        db.execute(
            "SELECT regexp_extract(l.source_path, '[^/]+$'), count(DISTINCT s.line) FROM survey s "
            "JOIN loads l USING (load_id) GROUP BY 1"
        )
    )
    assert stored == {name: r["loaded"] for name, r in results.items()}


def test_borough_names_all_resolve_and_suppressed_neighbourhoods_are_listed(
    corpus: Path, survey_db: tuple[Database, dict[str, dict[str, int]]]
) -> None:
    db, _ = survey_db
    reasons = [r[0] for r in db.execute("SELECT reason FROM rejects")]
    unmatched = sorted({r for r in reasons if "does not match" in r})
    assert (
        unmatched == [] and unmatched_names(db) == []
    )  # every borough name in the corpus resolves, including 'City of Westminster'
    names = {r[2] for r in records(corpus / "survey" / "PAS_Dashboard_Borough_2014Q4-2023Q4.csv")[1:]}
    assert {"City of Westminster", "Richmond Upon Thames", "Richmond upon Thames"} <= names
    assert all(borough_code(n) for n in names)
    codes = {r[0] for r in db.execute("SELECT DISTINCT area_code FROM survey WHERE level = 'borough'")}
    assert len(codes) == 32 and "E09000001" not in codes  # the MPS's 32 boroughs; the City has its own force
    # the ethnicity table's rejects are exactly its neighbourhoods with every cell empty
    name = "MOPAC_PAS_2015-16_to_2020-21_neighbourhood_indicators_by_ethnicity.csv"
    blank = sorted(r[0] for r in records(corpus / "survey" / name)[3:] if not any(c.strip() for c in r[1:]))
    rejected = sorted(
        r[0]
        for r in db.execute(
            "SELECT value FROM rejects JOIN loads l USING (load_id) WHERE l.source_path LIKE ?", [f"%{name}"]
        )
    )
    assert rejected == blank and len(blank) == 14


def test_decimal_comma_values_equal_the_files(
    corpus: Path, survey_db: tuple[Database, dict[str, dict[str, int]]]
) -> None:
    db, _ = survey_db
    for name, code_of in (
        ("PAS_Dashboard_Borough_2014Q4-2023Q4.csv", borough_code),
        ("PAS_Dashboard_MPS_total_2014Q4-2023Q4.csv", lambda _: "London"),
    ):
        expected = {}
        for line, row in enumerate(records(corpus / "survey" / name)[1:], start=2):
            day, month, year = row[0].split("/")
            expected[(line, f"{year}-{int(month):02d}-{int(day):02d}", code_of(row[2]), row[3])] = float(
                row[4].replace(",", ".")
            )
        got = {
            (line, str(end), code, measure): p
            for line, end, code, measure, p in db.execute(
                "SELECT line, period_end, area_code, measure, proportion FROM survey JOIN loads l USING (load_id) "
                "WHERE l.source_path LIKE ?",
                [f"%{name}"],
            )
        }
        assert got == expected, name
    # percentages and counts
    q131 = records(corpus / "survey" / "PAS_informed_local_Q131_monthly_counts.csv")[1]
    row = db.execute(
        "SELECT proportion, n, successes FROM survey WHERE measure = 'Informed local (Q131)' AND period_end = '2017-01-31'"
    )[0]
    fairly, not_at_all, very = (int(x) for x in q131[1:])
    assert row == (
        pytest.approx((fairly + very) / (fairly + not_at_all + very)),
        fairly + not_at_all + very,
        fairly + very,
    )


def test_unmatched_names_and_bad_numbers_are_rejects_naming_them(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "pas.csv"
    path.write_text(
        "Date,Survey,Borough,Measure,Proportion,MPS,,,,\n"
        '31/12/2014,PAS,Westminister,Trust MPS,"0,56","0,67",,,,\n'
        '31/12/2014,PAS,Barking And Dagenham,Trust MPS,"0,5x","0,67",,,,\n'
        '31/12/2014,PAS,Hammersmith & Fulham,Trust MPS,"0,61","0,67",,,,\n'
        '31/13/2014,PAS,Camden,Trust MPS,"0,61","0,67",,,,\n'
    )
    summary = ingest_paths(db, [path])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (4, 1, 3)
    rejects = db.execute("SELECT line, field, value, reason FROM rejects ORDER BY line")
    assert [r[:3] for r in rejects] == [
        (2, "Borough", "Westminister"),
        (3, "Proportion", "0,5x"),
        (5, "Date", "31/13/2014"),
    ]
    assert "'Westminister' does not match any London borough" in rejects[0][3]
    assert db.execute("SELECT area_code, proportion FROM survey") == [("E09000013", 0.61)]
    assert unmatched_names(db) == [(str(path), 2, "Westminister")]


def test_the_sample_holds_the_survey_files_unchanged(corpus: Path, sample: Path) -> None:
    for src in sorted((corpus / "survey").glob("*.csv")):
        assert gzip.decompress((sample / "survey" / (src.name + ".gz")).read_bytes()) == src.read_bytes()
