"""The area-measure readers: the sample's files load whole, and every faulty row is rejected with its line,
field and reason (rows read = loaded + rejected)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database

IMD = "Local Authority District code (2019),Local Authority District name (2019),IMD - Average rank ,IMD - Average score \n"
DENSITY = "Code,Name,Year,Source,Population,Inland_Area _Hectares,Total_Area_Hectares,Population_per_hectare,Square_Kilometres,Population_per_square_kilometre\n"
PTAL = "Ward Code,Ward Name,AvPTAI2015,PTAL\n"


def load(db: Database, path: Path) -> tuple[int, int, int, list[tuple[object, ...]]]:
    (result,) = ingest_paths(db, [path]).files
    assert result.error is None, result.error
    rejects = db.execute("SELECT line, field, reason FROM rejects ORDER BY line")
    return result.rows_read, result.rows_loaded, result.rows_rejected, rejects


@pytest.mark.parametrize(
    ("name", "text", "kind_rows", "rejected"),
    [
        (
            "imd.csv",
            IMD + "E09000002,Barking and Dagenham,25551.85,32.768\nE09000003,Barnet,13803.35,lots\nX1,Nowhere,1,2\n",
            3,
            {(3, "IMD - Average score"), (4, "Local Authority District code (2019)")},
        ),
        (
            "density.csv",
            DENSITY
            + "E09000001,City of London,2024,GLA Population Projections,8600,290.4,314.9,29.6,2.9,2961\nE09000002,Barking,20x4,ONS MYE,1,1,1,1,1,1\n",
            2,
            {(3, "Year")},
        ),
        (
            "ptal.csv",
            PTAL
            + "E05000405,Chessington South,1.743083,1a\nE05099999,Atlantis,5.0,2\nE05000414,Tolworth and Hook Rise,3.64,9z\n",
            3,
            {(3, "Ward Code"), (4, "PTAL")},
        ),
    ],
)
def test_faulty_rows_are_rejected_with_their_place(
    db: Database, tmp_path: Path, name: str, text: str, kind_rows: int, rejected: set[tuple[int, str]]
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    read, loaded, rejected_n, rejects = load(db, path)
    assert read == kind_rows and loaded + rejected_n == read
    assert {(line, field) for line, field, _ in rejects} == rejected
    assert all(reason for *_, reason in rejects)


def test_the_sample_files_load_whole(db: Database, sample: Path) -> None:
    for path, rows in (
        (sample / "deprivation" / "GLA_ID2019_for_London__sheet_Borough_summary_measures.csv.gz", 33),
        (sample / "population" / "GLA_housing-density-borough_1999-2050.csv.gz", 1872),
        (sample / "other" / "Ward2014_AvPTAI2015_PTAL.csv.gz", 630),
    ):
        (result,) = ingest_paths(db, [path]).files
        assert result.error is None and result.rows_read == result.rows_loaded == rows, (path.name, result)
    score = db.execute(
        "SELECT value, year FROM area_measures WHERE dataset = 'deprivation-borough' AND area_code = 'E09000002' "
        "AND measure = 'IMD - Average score'"
    )
    assert score == [(32.768, 2019)]
    wards = db.scalar("SELECT count(*) FROM area_measures WHERE dataset = 'ptal-ward' AND borough_code IS NOT NULL")
    assert wards == 630
