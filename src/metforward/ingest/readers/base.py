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
from metforward.store.loading import Batch, Load


@dataclass(frozen=True)
class ReadOptions:
    """Choices the user makes for a whole ingest run."""

    force: str | None = None  # police.uk force id, for files that do not say
    #: Size and row limits per input (``--max-file-mb``, ``--max-rows``, or their environment variables).
    limits: Limits = field(default_factory=Limits.from_env)


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


def police_load(
    kind: str, table: str, inp: InputData, parsed: ParsedCsv, rows: pa.Table, rejects: pa.Table, force: str
) -> Load:
    """A police.uk load whose rows replace the same (force, months) of ``table``."""
    months = months_of(rows.column("month")) if rows.num_rows else []
    if not months:
        named = parse_file_name(inp.source.name)
        if named is not None:
            months = [dt.date.fromisoformat(named[0] + "-01")]
    all_rejects = pa.concat_tables([parsed.malformed, rejects]).sort_by("line")
    return Load(
        kind=kind,
        source_path=str(inp.source.path),
        member=inp.source.member,
        sha256=inp.sha256,
        bytes=inp.stored_bytes,
        rows_read=parsed.rows_read,
        batches=[Batch(table, rows, ("force", "month"))],
        rejects=all_rejects,
        force=force,
        months=months,
    )
