"""Named monthly indicators from any monthly CSV: police strength, Special Constables, victim updates, ...

Two layouts are read:

* **wide**: a date column and one or more numeric columns, each column one named indicator
  (MOPAC's ``Date, Police Officer Strength, Police Staff Strength, PCSO Strength``);
* **long**: one row per indicator and date, with a name column (``name``, ``indicator`` or
  ``measure``), a date column (``month``, ``date``, ``as_at`` or ``period``), ``value`` and,
  for a share, ``n`` (the denominator; ``value`` is then the numerator). Optional ``unit``
  (added to the name: ``Special constables (headcount)``), ``area`` and ``source_file``/``table``
  columns (the Home Office workforce extract).

Dates and numbers are read as :mod:`.indicator_values` describes: ``YYYY-MM``, ``YYYY-MM-DD``,
``DD/MM/YYYY``, ``Mon-YY`` or ``Mon-YYYY``, one form per file; anything else is rejected as
unrecognised or ambiguous, with its line and field. Numbers may carry thousands separators
(``6,700``); ``..`` (the Home Office's "not available") is rejected as such.

Every input row is loaded or rejected once with file, line, field and reason. Where a long file
gives the same indicator, area and month twice, the figure from the later release (the
``source_file`` whose dates reach furthest) is kept and the other rejected as superseded; within
one release, the second is rejected as a duplicate. Loading an indicator again for an area
replaces all its earlier rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from metforward.domain.forces import area_code
from metforward.errors import InputFileError
from metforward.ingest.csvtable import LINE, ParsedCsv, decode_header, parse_csv
from metforward.ingest.readers.indicator_values import parse_date, parse_number
from metforward.ingest.sources import InputData, InputFile, read_input
from metforward.store.database import Database
from metforward.store.loading import REJECT_COLUMNS, Batch, Load, store_load

#: The area an indicator belongs to when the file and the user do not say: the Met (all London
#: but the City).
DEFAULT_AREA = "metropolitan"


@dataclass(frozen=True)
class IndicatorOptions:
    """How to read a generic monthly CSV (``metforward indicators load``)."""

    name: str | None = None  # wide: the indicator's name when one column is read
    columns: tuple[str, ...] = ()  # wide: the value columns (default: every column but the date)
    date_column: str | None = None  # default: the first column (wide) or month/date/as_at/period (long)
    unit: str | None = None  # e.g. FTE, headcount, hours
    area: str | None = None  # force id, force name or GSS code / borough name (default: the Met)
    source: str | None = None  # where the figures were published (default: the file's name)


@dataclass
class _Row:
    line: int
    name: str
    area: str
    month: dt.date
    value: float
    n: float | None
    unit: str | None
    source: str
    release: str | None = None
    date_field: str = ""


class _Collector:
    def __init__(self) -> None:
        self.rows: list[_Row] = []
        self.rejects: list[tuple[int, str | None, str | None, str]] = []

    def reject(self, line: int, field: str | None, value: str | None, reason: str) -> None:
        self.rejects.append((line, field, None if value is None else value[:200], reason))


def _find(header: Sequence[str], wanted: Sequence[str]) -> str | None:
    lowered = {h.strip().lower(): h for h in header}
    for name in wanted:
        if name in lowered:
            return lowered[name]
    return None


def is_long(header: Sequence[str]) -> bool:
    """A long file has a ``value`` column and a name column (``name``, ``indicator`` or ``measure``)."""
    return _find(header, ["value"]) is not None and _find(header, ["name", "indicator", "measure"]) is not None


def read_indicators(inp: InputData, header: list[str], options: IndicatorOptions, kind: str = "indicators") -> Load:
    """Read a wide or long monthly CSV into ``indicators`` rows (see the module docstring)."""
    parsed = parse_csv(inp.data, header)
    default_area = DEFAULT_AREA
    if options.area is not None:
        found = area_code(options.area)
        if found is None:
            raise InputFileError(
                inp.source.display,
                f"unknown area {options.area!r}: give a police force (metropolitan, city-of-london), "
                "a London borough name or a GSS code",
            )
        default_area = found
    source = options.source or inp.source.name
    out = _Collector()
    if is_long(header):
        _read_long(inp, parsed, options, default_area, source, out)
    else:
        _read_wide(inp, parsed, options, default_area, source, out)
    kept = _resolve_duplicates(out)
    rows = pa.table(
        {
            "line": pa.array([r.line for r in kept], pa.int64()),
            "name": pa.array([r.name for r in kept], pa.string()),
            "area_code": pa.array([r.area for r in kept], pa.string()),
            "month": pa.array([r.month for r in kept], pa.date32()),
            "value": pa.array([r.value for r in kept], pa.float64()),
            "n": pa.array([r.n for r in kept], pa.float64()),
            "unit": pa.array([r.unit for r in kept], pa.string()),
            "source": pa.array([r.source for r in kept], pa.string()),
        }
    )
    found_rejects = pa.table(
        {
            column: pa.array([r[i] for r in out.rejects], pa.int64() if column == "line" else pa.string())
            for i, column in enumerate(REJECT_COLUMNS)
        }
    )
    rejects = pa.concat_tables([parsed.malformed.select(list(REJECT_COLUMNS)), found_rejects]).sort_by("line")
    return Load(
        kind=kind,
        source_path=str(inp.source.path),
        member=inp.source.member,
        sha256=inp.sha256,
        bytes=inp.stored_bytes,
        rows_read=parsed.rows_read,
        batches=[Batch("indicators", rows, ("name", "area_code"))],
        rejects=rejects,
    )


def _columns(parsed: ParsedCsv) -> tuple[list[int], dict[str, list[str]]]:
    lines = [int(x) for x in parsed.table.column(LINE).to_pylist()]
    return lines, {h: [str(v) for v in parsed.table.column(h).to_pylist()] for h in parsed.header}


def _check_form(form: str | None, forms: dict[str, int], line: int, field: str, raw: str, out: _Collector) -> bool:
    """One date form per file: the first good date sets it; a row in another form is rejected."""
    assert form is not None
    if not forms:
        forms[form] = line
        return True
    first_form, first_line = next(iter(forms.items()))
    if form == first_form:
        return True
    out.reject(
        line,
        field,
        raw,
        f"date in the form {form}, but line {first_line} is {first_form}: dates in one file must share one form",
    )
    return False


def _read_wide(
    inp: InputData, parsed: ParsedCsv, options: IndicatorOptions, area: str, source: str, out: _Collector
) -> None:
    header = parsed.header
    date_column = options.date_column or header[0]
    if date_column not in header:
        raise InputFileError(inp.source.display, f"no date column {date_column!r} (columns: {', '.join(header)})")
    columns = list(options.columns) or [h for h in header if h != date_column]
    unknown = [c for c in columns if c not in header]
    if unknown:
        raise InputFileError(
            inp.source.display, f"no column {', '.join(map(repr, unknown))} (columns: {', '.join(header)})"
        )
    if not columns:
        raise InputFileError(inp.source.display, "no value columns besides the date; nothing to load")
    if options.name is not None and len(columns) != 1:
        raise InputFileError(
            inp.source.display,
            f"--name names one indicator but {len(columns)} columns would be read; pick one with --columns",
        )
    names = {c: (options.name if options.name is not None else c.strip()) for c in columns}
    lines, cells = _columns(parsed)
    forms: dict[str, int] = {}
    seen: dict[dt.date, int] = {}
    for i, line in enumerate(lines):
        raw = cells[date_column][i]
        month, form, problem = parse_date(raw)
        if problem is not None or month is None:
            out.reject(line, date_column, raw, problem or "bad date")
            continue
        if not _check_form(form, forms, line, date_column, raw, out):
            continue
        if month in seen:
            out.reject(line, date_column, raw, f"a second row for {month:%Y-%m} (first at line {seen[month]})")
            continue
        values: list[tuple[str, float]] = []
        fault = None
        for column in columns:
            value, why = parse_number(cells[column][i])
            if why is not None:
                fault = (column, cells[column][i], f"{why} in {column}")
                break
            if value is not None:
                values.append((column, value))
        if fault is not None:
            out.reject(line, *fault)
            continue
        seen[month] = line
        for column, value in values:
            out.rows.append(_Row(line, names[column], area, month, value, None, options.unit, source))


def _read_long(
    inp: InputData, parsed: ParsedCsv, options: IndicatorOptions, area: str, source: str, out: _Collector
) -> None:
    header = parsed.header
    name_column = _find(header, ["name", "indicator", "measure"])
    date_column = options.date_column or _find(header, ["month", "date", "as_at", "period"])
    value_column = _find(header, ["value"])
    assert name_column is not None and value_column is not None
    if date_column is None or date_column not in header:
        raise InputFileError(
            inp.source.display,
            "no date column (expected month, date, as_at or period); name it with --date-column",
        )
    n_column = _find(header, ["n", "denominator"])
    unit_column = _find(header, ["unit"])
    area_column = _find(header, ["area", "area_code", "force"])
    file_column = _find(header, ["source_file"])
    table_column = _find(header, ["table"])
    lines, cells = _columns(parsed)
    forms: dict[str, int] = {}
    for i, line in enumerate(lines):
        name = cells[name_column][i].strip()
        if not name:
            out.reject(line, name_column, "", f"{name_column} is empty; every row needs an indicator name")
            continue
        unit = (cells[unit_column][i].strip() or None) if unit_column else options.unit
        if unit_column and unit:
            name = f"{name} ({unit})"
        raw = cells[date_column][i]
        month, form, problem = parse_date(raw)
        if problem is not None or month is None:
            out.reject(line, date_column, raw, problem or "bad date")
            continue
        if not _check_form(form, forms, line, date_column, raw, out):
            continue
        row_area = area
        if area_column:
            given = cells[area_column][i]
            found = area_code(given) if given.strip() else area
            if found is None:
                out.reject(
                    line,
                    area_column,
                    given,
                    "unknown area (expected a police force, a London borough or a GSS code)",
                )
                continue
            row_area = found
        value, why = parse_number(cells[value_column][i])
        if why is not None or value is None:
            out.reject(line, value_column, cells[value_column][i], why or f"{value_column} is empty")
            continue
        n = None
        if n_column:
            n, why = parse_number(cells[n_column][i])
            if why is not None:
                out.reject(line, n_column, cells[n_column][i], why)
                continue
            if n is not None and not (n > 0 and 0 <= value <= n):
                out.reject(
                    line,
                    n_column,
                    cells[n_column][i],
                    "a share needs n > 0 and 0 <= value <= n (value is the numerator)",
                )
                continue
        release = cells[file_column][i].strip() if file_column else None
        row_source = " ".join(
            part for part in (release, cells[table_column][i].strip() if table_column else None) if part
        )
        out.rows.append(
            _Row(line, name, row_area, month, value, n, unit, row_source or source, release or None, date_column)
        )


def _resolve_duplicates(out: _Collector) -> list[_Row]:
    """Keep one figure per indicator, area and month: the later release's, else the first given."""
    reach: dict[str, dt.date] = {}
    for row in out.rows:
        if row.release is not None:
            reach[row.release] = max(reach.get(row.release, row.month), row.month)
    chosen: dict[tuple[str, str, dt.date], _Row] = {}
    for row in out.rows:
        key = (row.name, row.area, row.month)
        if key not in chosen:
            chosen[key] = row
            continue
        held = chosen[key]
        newer = (
            row.release is not None
            and held.release is not None
            and row.release != held.release
            and reach[row.release] > reach[held.release]
        )
        loser, winner = (held, row) if newer else (row, held)
        chosen[key] = winner
        if loser.release is not None and winner.release is not None and loser.release != winner.release:
            reason = (
                f"superseded: {loser.name} for {loser.area} in {loser.month:%Y-%m} is also in the later release "
                f"{winner.release} (line {winner.line}), whose figure {winner.value:g} is kept"
            )
        else:
            reason = (
                f"duplicate: {loser.name} for {loser.area} in {loser.month:%Y-%m} is already given at line "
                f"{winner.line}"
            )
        out.reject(loser.line, loser.date_field or None, repr(loser.value), reason)
    kept = {id(r) for r in chosen.values()}
    return [r for r in out.rows if id(r) in kept]


def load_indicator_file(db: Database, path: Path, options: IndicatorOptions) -> tuple[int, Load]:
    """Read ``path`` (CSV or CSV.gz) as indicators and store it in one transaction: ``(load_id, load)``."""
    inp = read_input(InputFile(path))
    header = decode_header(inp.data)
    if not header:
        raise InputFileError(inp.source.display, "the file is empty (no header row)")
    load = read_indicators(inp, header, options)
    return store_load(db, load), load
