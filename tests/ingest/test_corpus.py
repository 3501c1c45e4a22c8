"""Ingest of the whole shared corpus, checked against counts made independently with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from metforward.domain.forces import parse_file_name
from metforward.ingest.pipeline import IngestSummary, ingest_paths
from metforward.store.database import Database

pytestmark = pytest.mark.corpus

LONDON = ZoneInfo("Europe/London")
TABLE = {"street": "crimes", "outcomes": "outcomes", "stop-and-search": "searches"}


def _rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8-sig")
    return [r for r in csv.DictReader(io.StringIO(text, newline="")) if any(v for v in r.values())]


def _kind(row: dict[str, str]) -> str:
    if "Type" in row:
        return "stop-and-search"
    return "outcomes" if "Outcome type" in row else "street"


def _month(row: dict[str, str]) -> str:
    if "Date" in row:
        when = dt.datetime.fromisoformat(row["Date"]).astimezone(LONDON)
        return f"{when.year:04d}-{when.month:02d}"
    return row["Month"]


def independent_counts(root: Path) -> Counter[tuple[str, str, str]]:
    """Rows per (kind, force, month), the later file (in path order) winning where two cover the same."""
    latest: dict[tuple[str, str, str], int] = {}
    for path in sorted(p for p in root.rglob("*") if p.name.endswith((".csv", ".csv.gz"))):
        rows = _rows(path)
        parsed = parse_file_name(path.name)
        assert parsed is not None, path
        force = parsed[1]
        latest.update(Counter((_kind(r), force, _month(r)) for r in rows))
    return Counter(latest)


@pytest.fixture(scope="module")
def loaded(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, IngestSummary]:
    database = Database(tmp_path_factory.mktemp("corpus") / "corpus.duckdb")
    summary = ingest_paths(database, [corpus / "policeuk", corpus / "lookups"])
    yield database, summary
    database.close()


def test_every_police_file_loads_with_rows_conserved(loaded: tuple[Database, IngestSummary]) -> None:
    _, summary = loaded
    police = [f for f in summary.files if f.kind in TABLE]
    assert len(police) >= 260
    assert all(f.error is None for f in police), [f for f in police if f.error]
    for f in police:
        assert f.rows_read == f.rows_loaded + f.rows_rejected


def test_counts_per_kind_force_month_match_an_independent_count(
    loaded: tuple[Database, IngestSummary], corpus: Path
) -> None:
    db, _ = loaded
    expected = independent_counts(corpus / "policeuk")
    actual: Counter[tuple[str, str, str]] = Counter()
    for kind, table in TABLE.items():
        for force, month, n in db.execute(
            f"SELECT force, strftime(month, '%Y-%m'), count(*) FROM {table} GROUP BY ALL"
        ):
            actual[(kind, force, month)] = n
    assert actual == expected
    assert sum(expected.values()) > 1_700_000


def test_every_row_with_an_lsoa_gets_a_borough(loaded: tuple[Database, IngestSummary]) -> None:
    db, _ = loaded
    for view in ("crimes_placed", "outcomes_placed"):
        with_lsoa, placed, wards = db.execute(
            f"SELECT count(*) FILTER (WHERE lsoa_code IS NOT NULL), count(borough_code), count(ward_code) FROM {view}"
        )[0]
        assert with_lsoa > 0
        assert placed == with_lsoa, f"{view}: {with_lsoa - placed} rows with an LSOA code have no borough"
        assert wards == with_lsoa


def test_a_month_loaded_twice_keeps_the_last_load_and_says_so(loaded: tuple[Database, IngestSummary]) -> None:
    db, summary = loaded
    replaced = db.execute(
        "SELECT old.kind, old.months, new.kind, new.months FROM loads old JOIN loads new ON old.replaced_by = new.load_id "
        "WHERE old.kind = 'street'"
    )
    # the City's 2023-10 .. 2023-12 street files are in the corpus twice (two downloads); each pair is one unit
    assert sorted(str(m[0])[:7] for _, m, _, _ in replaced) == ["2023-10", "2023-11", "2023-12"]
    assert all(
        old_kind == new_kind and old_months == new_months for old_kind, old_months, new_kind, new_months in replaced
    )
    assert len([w for w in summary.warnings if "came twice in this run" in w]) == 3
    # and only one copy of each month is in the store
    assert (
        db.scalar(
            "SELECT count(*) FROM (SELECT DISTINCT load_id FROM crimes WHERE force = 'city-of-london' "
            "AND month BETWEEN DATE '2023-10-01' AND DATE '2023-12-01')"
        )
        == 3
    )
