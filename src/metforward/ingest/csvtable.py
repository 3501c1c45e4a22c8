"""Parsing a CSV file into string columns, keeping every row's physical line number.

The fast path is pyarrow's multithreaded reader. Line numbers are exact on that path only when
the file has no blank lines, no quoted line breaks and no malformed rows; the newline count
tells, and any other file goes through Python's ``csv`` module, which tracks lines itself.
Rows with the wrong number of fields become rejects, never silent drops.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

LINE = "__line"


@dataclass(frozen=True)
class ParsedCsv:
    """String columns named as the header says, plus ``__line`` (1-based; the header is line 1)."""

    header: list[str]
    table: pa.Table
    malformed: pa.Table  # rejects: line, field, value, reason
    rows_read: int


def decode_header(data: bytes) -> list[str]:
    """The header row's fields, with a UTF-8 byte-order mark and surrounding spaces removed."""
    end = data.find(b"\n")
    if end < 0 or b"\r" in data[:end].rstrip(b"\r"):  # classic-Mac line endings (CR only)
        end = data.find(b"\r")
    first = data if end < 0 else data[:end]
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = first.decode("cp1252")
    rows = list(csv.reader([text.rstrip("\r")]))
    return unique_names([field.strip() for field in rows[0]]) if rows else []


def unique_names(names: list[str]) -> list[str]:
    """Make repeated (or empty) column names unique: ``Persons``, ``Persons_2``, ``column_9``."""
    seen: dict[str, int] = {}
    result = []
    for index, name in enumerate(names, start=1):
        base = name or f"column_{index}"
        seen[base] = seen.get(base, 0) + 1
        result.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return result


def _encoding(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def parse_csv(data: bytes, header: list[str], *, delimiter: str = ",") -> ParsedCsv:
    """Parse ``data`` (a whole decompressed CSV file whose first line is ``header``)."""
    encoding = _encoding(data)
    invalid: list[object] = []

    def on_invalid(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, encoding=encoding, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return _parse_slow(data, header, encoding, delimiter)
    expected_newlines = table.num_rows + 1 if data.endswith(b"\n") else table.num_rows
    if invalid or data.count(b"\n") != expected_newlines:
        return _parse_slow(data, header, encoding, delimiter)
    lines = pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64))
    return ParsedCsv(header, table.append_column(LINE, lines), empty_rejects(), table.num_rows)


def _parse_slow(data: bytes, header: list[str], encoding: str, delimiter: str) -> ParsedCsv:
    text = data.decode(encoding).removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader, None)
    width = len(header)
    columns: list[list[str]] = [[] for _ in range(width)]
    lines: list[int] = []
    bad_lines: list[int] = []
    bad_values: list[str] = []
    bad_reasons: list[str] = []
    start = reader.line_num + 1
    for record in reader:
        if record:  # a blank line is not a row; a line of empty fields is (as on the fast path)
            if len(record) == width:
                for column, value in zip(columns, record, strict=True):
                    column.append(value)
                lines.append(start)
            else:
                bad_lines.append(start)
                bad_values.append(delimiter.join(record)[:200])
                bad_reasons.append(f"wrong number of fields: expected {width}, found {len(record)}")
        start = reader.line_num + 1
    table = pa.table({name: pa.array(col, pa.string()) for name, col in zip(header, columns, strict=True)})
    table = table.append_column(LINE, pa.array(lines, pa.int64()))
    malformed = pa.table(
        {
            "line": pa.array(bad_lines, pa.int64()),
            "field": pa.array([None] * len(bad_lines), pa.string()),
            "value": pa.array(bad_values, pa.string()),
            "reason": pa.array(bad_reasons, pa.string()),
        }
    )
    return ParsedCsv(header, table, malformed, table.num_rows + malformed.num_rows)


def empty_rejects() -> pa.Table:
    """A rejects table with no rows."""
    return pa.table(
        {
            "line": pa.array([], pa.int64()),
            "field": pa.array([], pa.string()),
            "value": pa.array([], pa.string()),
            "reason": pa.array([], pa.string()),
        }
    )
