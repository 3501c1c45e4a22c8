"""Properties of the readers: valid rows round-trip; every row is loaded or rejected, never both or neither."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from metforward.ingest.pipeline import ingest_file
from metforward.ingest.readers import ReadOptions
from metforward.ingest.readers.policeuk import STREET
from metforward.ingest.sources import InputFile
from metforward.store.database import Database
from tests.strategies import Broken, broken_street_rows, street_rows, to_csv


def _ingest(data: bytes) -> tuple[Database, object]:
    folder = Path(tempfile.mkdtemp())
    path = folder / "2024-01-metropolitan-street.csv"
    path.write_bytes(data)
    db = Database(":memory:")
    return db, ingest_file(db, InputFile(path), ReadOptions())


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(street_rows(), min_size=1, max_size=30), bom=st.booleans(), crlf=st.booleans())
def test_valid_rows_round_trip(rows: list[dict[str, str]], bom: bool, crlf: bool) -> None:
    db, result = _ingest(to_csv(STREET, [[r[c] for c in STREET] for r in rows], bom=bom, crlf=crlf))
    assert result.error is None and result.rows_rejected == 0 and result.rows_loaded == len(rows)  # type: ignore[attr-defined]
    stored = db.execute(
        "SELECT crime_id, month, longitude, latitude, location, lsoa_code, crime_type, context FROM crimes ORDER BY line"
    )
    for row, got in zip(rows, stored, strict=True):
        crime_id, month, lon, lat, location, lsoa, crime_type, context = got
        assert crime_id == (row["Crime ID"] or None)
        assert month == dt.date(int(row["Month"][:4]), int(row["Month"][5:]), 1)
        assert (f"{lon:.6f}" if lon is not None else "") == row["Longitude"]
        assert (f"{lat:.6f}" if lat is not None else "") == row["Latitude"]
        assert location == (row["Location"] or None)
        assert lsoa == (row["LSOA code"] or None)
        assert crime_type == row["Crime type"]
        assert context == (row["Context"] or None)


@settings(max_examples=60, deadline=None)
@given(
    good=st.lists(street_rows(month="2024-01"), max_size=15),
    bad=st.lists(broken_street_rows(), min_size=1, max_size=8),
    seed=st.randoms(use_true_random=False),
)
def test_every_row_is_loaded_or_rejected_exactly_once(good: list[dict[str, str]], bad: list[Broken], seed) -> None:  # type: ignore[no-untyped-def]
    rows: list[tuple[list[str], Broken | None]] = [([r[c] for c in STREET], None) for r in good]
    rows += [(b.row, b) for b in bad]
    seed.shuffle(rows)
    db, result = _ingest(to_csv(STREET, [r for r, _ in rows]))
    assert result.rows_read == len(rows)  # type: ignore[attr-defined]
    assert (result.rows_loaded, result.rows_rejected) == (len(good), len(bad))  # type: ignore[attr-defined]
    rejected = {line: (field, reason) for line, field, reason in db.execute("SELECT line, field, reason FROM rejects")}
    loaded = {line for (line,) in db.execute("SELECT line FROM crimes")}
    assert not rejected.keys() & loaded
    assert rejected.keys() | loaded == set(range(2, len(rows) + 2))
    for index, (_, broken) in enumerate(rows):
        line = index + 2
        if broken is None:
            assert line in loaded
        else:
            field, reason = rejected[line]
            assert field == broken.field
            assert broken.reason in reason
