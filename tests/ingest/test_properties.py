"""Properties of the readers, over generated files (strategies in ``tests/strategies.py``).

1. Valid rows round-trip: every row loaded, none rejected, values as written (trimmed, empty as NULL).
2. Conservation: rows read = loaded + rejected; each faulty row rejected once, at its line, naming
   its field and reason; no valid row rejected; loaded and rejected lines partition the data lines.
3. Idempotence: loading a file again replaces the first load's rows, and ``loads`` records it.
4. Line numbers are physical lines, also when quoted fields hold line breaks.
5. Datastore wide files: the long rows sum to the wide cells per area and month.

Each example gets its own in-memory store (Hypothesis cannot reset function-scoped fixtures).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metforward.domain.forces import force_id
from metforward.ingest.pipeline import FileResult, ingest_file
from metforward.ingest.readers import ReadOptions
from metforward.ingest.sources import InputFile
from metforward.store.database import Database
from metforward.store.loading import TABLES
from tests.strategies import (
    FORCE_NAMES,
    INVALID_CALENDAR_DATES,
    POLICE_FORMATS,
    SEARCH_FORMAT,
    STREET_FORMAT,
    WIDE_LAYOUTS,
    Corrupted,
    PoliceFormat,
    Row,
    WideTable,
    boolean_value,
    corrupted_wide_rows,
    csv_options,
    mixed_rows,
    months,
    row_values,
    trimmed,
    wide_rows,
    wide_tables,
    write_csv,
)

LONDON = ZoneInfo("Europe/London")
#: Examples build files and stores: slower than Hypothesis expects of a test.
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


@dataclass
class Scratch:
    """A throw-away store and folder for one Hypothesis example."""

    db: Database
    folder: Path

    def ingest(self, name: str, data: bytes) -> FileResult:
        path = self.folder / name
        path.write_bytes(data)
        result = ingest_file(self.db, InputFile(path), ReadOptions())
        assert result.error is None, result.error
        return result


@contextmanager
def scratch() -> Iterator[Scratch]:
    with tempfile.TemporaryDirectory() as folder, Database(":memory:") as db:
        yield Scratch(db, Path(folder))


def _columns(table: str) -> str:
    """The table's columns for reading back (``occurred_at`` as epoch seconds: no pytz here)."""
    return ", ".join("epoch(occurred_at)::BIGINT AS occurred_at" if c == "occurred_at" else c for c in TABLES[table])


def stored(db: Database, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` (without load_id) as dicts, in line order."""
    names = TABLES[table]
    return [dict(zip(names, r, strict=True)) for r in db.execute(f"SELECT {_columns(table)} FROM {table} ORDER BY ALL")]


# --------------------------------------------------------------------------------------------
# What a valid row must become
# --------------------------------------------------------------------------------------------


def _month(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def _degrees(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _instant(text: str) -> dt.datetime:
    """A ``Date`` as the reader means it: fraction dropped; no zone is UTC."""
    stamp, tail = text[:19], text[19:].lstrip(".0123456789")
    zone = dt.UTC if tail in ("", "Z") else dt.datetime.strptime(tail.replace(":", ""), "%z").tzinfo
    return dt.datetime.fromisoformat(stamp).replace(tzinfo=zone)


def expected_row(name: str, row: Row, force: str) -> dict[str, Any]:
    """The stored columns (coordinates as six-decimal text, occurred_at as epoch seconds) of a valid row."""
    if name == "stop-and-search":
        instant = _instant(row["Date"])
        local = instant.astimezone(LONDON)
        texts = {
            "operation": "Policing operation",
            "gender": "Gender",
            "age_range": "Age range",
            "self_defined_ethnicity": "Self-defined ethnicity",
            "officer_defined_ethnicity": "Officer-defined ethnicity",
            "legislation": "Legislation",
            "object_of_search": "Object of search",
            "outcome": "Outcome",
        }
        return {
            "force": force,
            "month": dt.date(local.year, local.month, 1),
            "search_type": row["Type"],
            "occurred_at": int(instant.timestamp()),
            "part_of_operation": boolean_value(row["Part of a policing operation"]),
            "latitude": row["Latitude"],
            "longitude": row["Longitude"],
            "outcome_linked": boolean_value(row["Outcome linked to object of search"]),
            "removal_of_clothing": boolean_value(row["Removal of more than just outer clothing"]),
            "lsoa_code": None,
            **{column: trimmed(row[source]) for column, source in texts.items()},
        }
    texts = {
        "crime_id": "Crime ID",
        "reported_by": "Reported by",
        "falls_within": "Falls within",
        "location": "Location",
        "lsoa_code": "LSOA code",
        "lsoa_name": "LSOA name",
        "crime_type": "Crime type",
        "last_outcome": "Last outcome category",
        "context": "Context",
        "outcome_type": "Outcome type",
    }
    table = POLICE_FORMATS[name].table
    return {
        "month": _month(row["Month"]),
        "force": force,
        "longitude": row["Longitude"],
        "latitude": row["Latitude"],
        **{c: trimmed(row.get(source, "")) for c, source in texts.items() if c in TABLES[table]},
    }


def comparable(got: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its coordinates as six-decimal text."""
    return {
        **got,
        "longitude": _degrees(got["longitude"]),
        "latitude": _degrees(got["latitude"]),
    }


# --------------------------------------------------------------------------------------------
# 1. Round trip
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(POLICE_FORMATS))
@settings(max_examples=40, deadline=None, suppress_health_check=SLOW)
@given(data=st.data(), options=csv_options())
def test_valid_rows_round_trip(name: str, data: st.DataObject, options: dict[str, bool]) -> None:
    fmt = POLICE_FORMATS[name]
    force_name = data.draw(st.sampled_from(FORCE_NAMES), label="force")
    month = data.draw(months(), label="month")  # a police.uk file holds one month: its rows are of it
    row_options: dict[str, Any] = {"force_name": force_name, "month": month}
    if name == "stop-and-search":
        row_options = {"zones": ("+00:00", "+01:00", "Z", ""), "fractions": True, "month": month}
    rows = data.draw(st.lists(fmt.rows(**row_options), max_size=25), label="rows")
    file = write_csv(fmt.header, [row_values(r, fmt.header) for r in rows], **options)
    # street and outcomes files name their force in "Reported by"; the others take it from the file name
    force = force_id(force_name) if "Reported by" in fmt.header else "metropolitan"
    with scratch() as s:
        result = s.ingest(fmt.file_name(month, gz=options["gz"]), file.data)
        assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == (
            fmt.kind,
            len(rows),
            len(rows),
            0,
        )
        assert s.db.scalar("SELECT count(*) FROM rejects") == 0
        got = stored(s.db, fmt.table)
    assert [g["line"] for g in got] == file.lines
    for row, line, have in zip(rows, file.lines, got, strict=True):
        want = expected_row(name, row, force)
        assert {k: v for k, v in comparable(have).items() if k in want} == want, f"line {line}: {row}"


# --------------------------------------------------------------------------------------------
# 2. Conservation (and 4. line numbers through quoted line breaks)
# --------------------------------------------------------------------------------------------


def check_conservation(
    s: Scratch, name: str, table: str, header: Sequence[str], rows: Sequence[Row | Corrupted], options: dict[str, bool]
) -> None:
    """Ingest ``rows`` and check every row is loaded or rejected once, at its physical line, for the right reason."""
    file = write_csv(header, [row_values(r, header) for r in rows], **options)
    result = s.ingest(name, file.data)
    bad = {line: r for line, r in zip(file.lines, rows, strict=True) if isinstance(r, Corrupted)}
    assert result.rows_read == len(rows)
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    assert result.rows_rejected == len(bad)
    assert s.db.scalar("SELECT count(*) FROM loads") == 1
    assert s.db.execute("SELECT rows_read, rows_loaded, rows_rejected FROM loads") == [
        (result.rows_read, result.rows_loaded, result.rows_rejected)
    ]
    rejects = s.db.execute("SELECT line, field, reason FROM rejects ORDER BY line")
    reject_lines = [line for line, _, _ in rejects]
    assert len(reject_lines) == len(set(reject_lines)), "a row rejected twice"
    assert set(reject_lines) == set(bad), "rejected lines are not the faulty rows' lines"
    for line, field, reason in rejects:
        broken = bad[line]
        assert (field, broken.reason in reason) == (broken.field, True), f"line {line} ({broken.fault}): {reason}"
    loaded = {line for (line,) in s.db.execute(f"SELECT DISTINCT line FROM {table}")}
    assert not loaded & set(reject_lines)
    assert loaded | set(reject_lines) == set(file.lines)


@pytest.mark.parametrize("name", list(POLICE_FORMATS))
@settings(max_examples=40, deadline=None, suppress_health_check=SLOW)
@given(data=st.data(), options=csv_options())
def test_every_row_is_loaded_or_rejected_once(name: str, data: st.DataObject, options: dict[str, bool]) -> None:
    fmt = POLICE_FORMATS[name]
    month = data.draw(months(), label="month")
    rows = data.draw(mixed_rows(fmt, max_size=25, force_name="Metropolitan Police Service", month=month), label="rows")
    with scratch() as s:
        check_conservation(s, fmt.file_name(month, gz=options["gz"]), fmt.table, fmt.header, rows, options)


@settings(max_examples=40, deadline=None, suppress_health_check=SLOW)
@given(data=st.data(), options=csv_options())
def test_every_datastore_row_is_loaded_or_rejected_once(data: st.DataObject, options: dict[str, bool]) -> None:
    table = data.draw(wide_tables(max_rows=0), label="layout")
    valid = wide_rows(table.layout, table.month_columns)
    rows = data.draw(st.lists(st.one_of(valid, corrupted_wide_rows(table)), max_size=20), label="rows")
    with scratch() as s:
        check_conservation(s, "datastore.csv", "area_counts", table.header, rows, options)


@pytest.mark.parametrize("fmt", [STREET_FORMAT, SEARCH_FORMAT], ids=["street", "stop-and-search"])
@settings(max_examples=40, deadline=None, suppress_health_check=SLOW)
@given(data=st.data(), crlf=st.booleans())
def test_line_numbers_survive_quoted_line_breaks(fmt: PoliceFormat, data: st.DataObject, crlf: bool) -> None:
    rows = data.draw(mixed_rows(fmt, max_size=20, newlines=True, month="2024-03"), label="rows")
    options = {"crlf": crlf, "gz": False, "bom": False, "quote_all": False}
    with scratch() as s:
        check_conservation(s, fmt.file_name("2024-03"), fmt.table, fmt.header, rows, options)


# --------------------------------------------------------------------------------------------
# 3. Idempotence
# --------------------------------------------------------------------------------------------


def _table_file(data: st.DataObject, name: str) -> tuple[str, str, bytes]:
    """A file of ``name`` (a police.uk format or "datastore") with at least one valid row: (table, file name, bytes)."""
    if name == "datastore":
        table: WideTable = data.draw(wide_tables(max_rows=0), label="layout")
        valid = wide_rows(table.layout, table.month_columns)
        rows: list[Row | Corrupted] = [
            data.draw(valid),
            *data.draw(st.lists(st.one_of(valid, corrupted_wide_rows(table)), max_size=10)),
        ]
        file = write_csv(table.header, [row_values(r, table.header) for r in rows])
        return "area_counts", "datastore.csv", file.data
    fmt = POLICE_FORMATS[name]
    month = data.draw(months(), label="month")
    rows = [data.draw(fmt.rows(month=month)), *data.draw(mixed_rows(fmt, max_size=15, month=month))]
    file = write_csv(fmt.header, [row_values(r, fmt.header) for r in rows])
    return fmt.table, fmt.file_name(month), file.data


@pytest.mark.parametrize("name", [*POLICE_FORMATS, "datastore"])
@settings(max_examples=20, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_loading_a_file_twice_is_loading_it_once(name: str, data: st.DataObject) -> None:
    table, file_name, content = _table_file(data, name)
    with scratch() as once:
        once.ingest(file_name, content)
        want = stored(once.db, table)
    with scratch() as twice:
        first = twice.ingest(file_name, content)
        second = twice.ingest(file_name, content)
        assert stored(twice.db, table) == want
        assert twice.db.scalar(f"SELECT list(DISTINCT load_id) FROM {table}") == [second.load_id]
        loads = twice.db.execute("SELECT load_id, replaces, replaced_by FROM loads ORDER BY load_id")
    assert loads == [(first.load_id, [], second.load_id), (second.load_id, [first.load_id], None)]


# --------------------------------------------------------------------------------------------
# 5. Datastore: long rows sum to the wide cells
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(WIDE_LAYOUTS))
@settings(max_examples=25, deadline=None, suppress_health_check=SLOW)
@given(data=st.data(), options=csv_options())
def test_datastore_totals_per_area_and_month_equal_the_wide_cells(
    layout: str, data: st.DataObject, options: dict[str, bool]
) -> None:
    table = data.draw(wide_tables(WIDE_LAYOUTS[layout]), label="table")
    file = write_csv(table.header, [row_values(r, table.header) for r in table.rows], **options)
    area = table.layout.area_column
    cells: Counter[tuple[str | None, dt.date]] = Counter()
    for row in table.rows:
        for column in table.month_columns:
            cells[(trimmed(row[area]), dt.date(int(column[:4]), int(column[4:]), 1))] += int(float(row[column]))
    key = "area_name" if table.layout.level == "borough" else "area_code"
    with scratch() as s:
        result = s.ingest("datastore.csv.gz" if options["gz"] else "datastore.csv", file.data)
        assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == (
            table.layout.kind,
            len(table.rows),
            len(table.rows),
            0,
        )
        assert s.db.scalar("SELECT count(*) FROM area_counts") == len(table.rows) * len(table.month_columns)
        sums = s.db.execute(f"SELECT {key}, month, sum(count)::BIGINT FROM area_counts GROUP BY ALL")
    assert {(a, m): n for a, m, n in sums} == dict(cells)


# --------------------------------------------------------------------------------------------
# Regressions: bugs the properties above found, now fixed
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("date", INVALID_CALENDAR_DATES)
def test_impossible_search_dates_are_rejected_rows(date: str) -> None:
    good = dict.fromkeys(SEARCH_FORMAT.header, "")
    good.update({"Type": "Person search", "Date": "2024-02-01T10:00:00+00:00", "Gender": "Male"})
    rows = [good, {**good, "Date": date}]
    file = write_csv(SEARCH_FORMAT.header, [row_values(r, SEARCH_FORMAT.header) for r in rows])
    with scratch() as s:
        path = s.folder / SEARCH_FORMAT.file_name("2024-02")
        path.write_bytes(file.data)
        result = ingest_file(s.db, InputFile(path), ReadOptions())
        assert (result.error, result.rows_loaded, result.rows_rejected) == (None, 1, 1)
        assert s.db.execute("SELECT line, field FROM rejects") == [(3, "Date")]
