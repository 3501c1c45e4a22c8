"""What every reader shares: the protocol, options, and turning checks into a :class:`Load`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.domain.forces import force_id, parse_file_name
from metforward.errors import InputFileError
from metforward.ingest.csvtable import ParsedCsv
from metforward.ingest.sources import InputData, Limits
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load


@dataclass(frozen=True)
class ReadOptions:
    """Choices the user makes for a whole ingest run."""

    force: str | None = None  # police.uk force id, for files that do not say
    #: Size and row limits per input (``--max-file-mb``, ``--max-rows``, or their environment variables).
    limits: Limits = field(default_factory=Limits.from_env)
    today: dt.date | None = None  # the clock for "months in the future" (None: the real date)

    @property
    def current_month(self) -> dt.date:
        """The first day of the current month: no data can be of a later month."""
        return (self.today or dt.date.today()).replace(day=1)


class Reader(Protocol):
    """A reader turns one publisher format into canonical rows."""

    kind: str
    description: str

    def matches(self, header: list[str]) -> bool:
        """True when ``header`` is this reader's format."""
        ...

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Read the whole input into a load (rows, rejects and provenance)."""
        ...


class SniffingReader(Reader, Protocol):
    """A reader of a non-CSV format (GeoJSON, GeoPackage), recognised from the file's first bytes."""

    def sniff(self, data: bytes) -> bool:
        """True when ``data`` is this reader's format."""
        ...


def same_columns(header: list[str], expected: list[str]) -> bool:
    """Case- and space-insensitive equality of two headers."""
    return [h.strip().lower() for h in header] == [e.lower() for e in expected]


def months_of(dates: pa.ChunkedArray | pa.Array) -> list[dt.date]:
    """The distinct months (first days) in a date32 array."""
    return sorted(d for d in pc.unique(dates).to_pylist() if d is not None)


def file_force(inp: InputData, options: ReadOptions, reported_by: pa.ChunkedArray | None = None) -> str:
    """Which force a police.uk file belongs to.

    In order: the ``--force`` option; the most common ``Reported by`` in the rows; the
    data.police.uk file name (``2024-01-metropolitan-street.csv``). Otherwise a clear error.
    """
    if options.force:
        return options.force
    if reported_by is not None and len(reported_by):
        # value_counts lists values in order of first appearance: a tie goes to the first one seen
        counts = pc.value_counts(reported_by.filter(pc.not_equal(reported_by, "")))
        if len(counts):
            most = int(np.argmax(counts.field("counts").to_numpy()))
            return force_id(counts.field("values")[most].as_py())
    parsed = parse_file_name(inp.source.name)
    if parsed is not None:
        return parsed[1]
    raise InputFileError(
        inp.source.display,
        "cannot tell which police force this file is from (no 'Reported by' column and the name is "
        "not data.police.uk's YYYY-MM-<force>-<kind>.csv); pass --force, e.g. --force metropolitan",
    )


def file_month(
    inp: InputData, checks: RowChecks, months: pa.ChunkedArray, field: str, options: ReadOptions
) -> dt.date | None:
    """The one month a police.uk file holds; rows of any other month are rejected (naming ``field``).

    A data.police.uk file holds one month of one force: ``2024-01-metropolitan-street.csv`` holds
    January 2024 (for stop and search, the searches made that month in London time). The month is
    taken from the file's name, or where the name is not data.police.uk's, from the month most of
    its (not yet rejected) rows carry (a tie goes to the earliest). A row of another month is not
    this file's to load: it is rejected, so it cannot replace (or erase) another month's rows. A
    file whose month is after the current month (see ``options.today``) is refused whole. None:
    no row has a month (every row already rejected) and the name gives none.
    """
    named = parse_file_name(inp.source.name)
    month: dt.date | None = None
    if named is not None:
        month = dt.date.fromisoformat(named[0] + "-01")
    else:
        kept = pc.filter(months, pa.array(~checks.rejected)) if checks.rejected.any() else months
        if len(kept):
            counts = pc.value_counts(kept)
            values = counts.field("values").to_pylist()
            tally = counts.field("counts").to_pylist()
            month = min(zip(values, tally, strict=True), key=lambda vc: (-vc[1], vc[0]))[0]
    if month is None:
        return None
    if month > options.current_month:
        raise InputFileError(
            inp.source.display,
            f"this file is of {month:%Y-%m}, after the current month {options.current_month:%Y-%m}: a month "
            "in the future cannot have been published; check the file's name and its Month column",
        )
    other = np.asarray(pc.fill_null(pc.not_equal(months, pa.scalar(month, pa.date32())), True), dtype=bool)
    checks.reject(
        other,
        field,
        pc.utf8_trim_whitespace(checks.column(field)),
        f"{field} is not this file's month {month:%Y-%m} (a police.uk file holds one month; "
        "load the row from its own month's file)",
    )
    return month


def police_load(
    kind: str,
    table: str,
    inp: InputData,
    parsed: ParsedCsv,
    rows: pa.Table,
    rejects: pa.Table,
    force: str,
    month: dt.date | None,
) -> Load:
    """A police.uk load whose rows replace the whole (``table``, ``force``, ``month``) unit.

    Every row is of ``month`` (see :func:`file_month`). A file from which no row loads replaces
    nothing (the month keeps the rows it had).
    """
    months = [month] if month is not None else []
    unit = {"force": force, "month": month} if month is not None and rows.num_rows else None
    all_rejects = pa.concat_tables([parsed.malformed, rejects]).sort_by("line")
    return Load(
        kind=kind,
        source_path=str(inp.source.path),
        member=inp.source.member,
        sha256=inp.sha256,
        bytes=inp.stored_bytes,
        rows_read=parsed.rows_read,
        batches=[Batch(table, rows, replace_unit=unit)],
        rejects=all_rejects,
        force=force,
        months=months,
    )
