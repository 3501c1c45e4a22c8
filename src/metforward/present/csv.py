"""The one CSV writer: rows of plain values, lists joined with "; ", mappings as ``key=value; ...``.

The command line's ``--csv``, the web's ``.csv`` downloads and ``Answer`` exports all write through
:func:`write_csv`, so a table reads the same wherever it is downloaded from.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO


def cell(value: Any) -> Any:
    """One value as a CSV cell: lists and sets joined with "; ", mappings as ``key=value`` pairs.

    >>> cell(["a", "b"]), cell({"x": 1}), cell(2.5)
    ('a; b', 'x=1', 2.5)
    """
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(map(str, value))
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def write_csv(out: TextIO, rows: Iterable[Mapping[str, Any]], columns: Sequence[str] = ()) -> None:
    """Write ``rows`` as CSV to ``out``: the header is the first row's keys (``columns`` when there are no
    rows, so an empty answer still says what it would hold)."""
    rows = list(rows)
    fields = list(rows[0]) if rows else list(columns)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: cell(v) for k, v in r.items()} for r in rows)


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] = ()) -> str:
    """``rows`` as CSV text (see :func:`write_csv`)."""
    out = io.StringIO()
    write_csv(out, rows, columns)
    return out.getvalue()
