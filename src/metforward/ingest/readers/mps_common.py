"""What the readers of the MPS dashboards on the London Datastore share (violence against women and girls,
business crime, custody, homicide proceedings): headers told by their column names whatever their case and
punctuation, dates checked cell by cell, months after the current one refused, borough names turned into
GSS codes by the one name table (:func:`metforward.domain.areas.borough_code`), and the load.

The MPS publishes these dashboards as workbooks (or CSV files) whose column names vary in case and
punctuation between releases and mirrors (``Recorded Date (Months)``, ``recorded_date_months``): a
column is known by its name with everything but letters and digits removed, lower-cased.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.domain.areas import borough_code
from metforward.ingest.csvtable import ParsedCsv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

#: ``YYYY-MM-DD`` (a time of midnight allowed, as spreadsheet exports write it), and the first of a month.
_DAY = r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?: 00:00:00(?:\.0+)?)?$"
_FIRST = r"^\d{4}-(?:0[1-9]|1[0-2])-01(?: 00:00:00(?:\.0+)?)?$"


def key(name: str) -> str:
    """A column name without case, spaces or punctuation: ``Ethnicity (4+1)`` -> ``ethnicity41``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def columns(header: Sequence[str], required: Sequence[str], optional: Collection[str] = ()) -> dict[str, str] | None:
    """Each expected column's key -> its name in ``header``, when the header holds every ``required`` column
    and nothing but those and the ``optional`` ones (each once); else None."""
    found: dict[str, str] = {}
    allowed = set(required) | set(optional)
    for name in header:
        k = key(name)
        if k not in allowed or k in found:
            return None
        found[k] = name
    return found if all(r in found for r in required) else None


def mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow boolean array as a NumPy bool array, nulls as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def days(checks: RowChecks, column: str, *, required: bool = True, first_of_month: bool = False) -> pa.ChunkedArray:
    """A ``YYYY-MM-DD`` column (a time of midnight allowed) as date32; a bad date rejects its row (as does an
    empty one when ``required``); empty is null. ``first_of_month``: the day must be the 1st."""
    raw = pc.utf8_trim_whitespace(checks.column(column))
    empty = mask(pc.equal(raw, ""))
    good = mask(pc.match_substring_regex(raw, _FIRST if first_of_month else _DAY))
    text = pc.utf8_slice_codeunits(raw, 0, 10)
    stamps = pc.strptime(pc.if_else(pa.array(good), text, "1970-01-01"), "%Y-%m-%d", "s", error_is_null=True)
    parsed = pc.cast(stamps, pa.date32())
    # 2024-02-30 matches the pattern, and Arrow reads it as 2024-03-01: a real date writes back the same
    real = mask(pc.equal(pc.strftime(stamps, "%Y-%m-%d"), text))
    what = "the first of a month, YYYY-MM-01" if first_of_month else "a date, YYYY-MM-DD"
    if required:
        checks.reject(empty, column, raw, f"{column} is empty; every row needs one")
    checks.reject(~empty & ~(good & real), column, raw, f"bad date in {column} (expected {what})")
    return pc.if_else(pa.array(good & real), parsed, pa.scalar(None, pa.date32()))


def month_start(dates: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """The first day of each date's month (nulls stay null)."""
    return pc.floor_temporal(dates, unit="month")


def not_future(checks: RowChecks, column: str, months: pa.Array | pa.ChunkedArray, options: ReadOptions) -> None:
    """Reject the rows whose month is after the current month: it cannot have been published."""
    later = mask(pc.greater(months, pa.scalar(options.current_month, pa.date32())))
    checks.reject(
        later,
        column,
        pc.utf8_trim_whitespace(checks.column(column)),
        f"{column} is after the current month {options.current_month:%Y-%m}: a month in the future cannot have "
        "been published",
    )


def borough_codes(names: pa.ChunkedArray | pa.Array) -> pa.Array:
    """GSS codes of borough names (``Barking & Dagenham``, ``Kingston Upon Thames``); null where a name is
    none of London's boroughs (the publishers' ``Other``, ``Unknown``, ``Heathrow``)."""
    lookup = {name: borough_code(name) for name in pc.unique(names).to_pylist() if name}
    return pa.array([lookup.get(n) if n else None for n in names.to_pylist()], pa.string())


def dashboard_load(
    kind: str, inp: InputData, parsed: ParsedCsv, checks: RowChecks, table: str, rows: pa.Table, key: Sequence[str]
) -> Load:
    """The load of one MPS dashboard file: its rows into ``table``, replacing the rows of the same ``key``
    values (the measure and month: a newer release replaces the months it holds), every reject with its line."""
    months: list[dt.date] = sorted(m for m in pc.unique(rows.column("month")).to_pylist() if m is not None)
    return Load(
        kind=kind,
        source_path=str(inp.source.path),
        member=inp.source.member,
        sha256=inp.sha256,
        bytes=inp.stored_bytes,
        rows_read=parsed.rows_read,
        batches=[Batch(table, rows, tuple(key))],
        rejects=pa.concat_tables([parsed.malformed, checks.rejects()]).sort_by("line"),
        months=months,
    )
