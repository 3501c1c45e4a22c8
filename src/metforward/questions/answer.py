"""What every question returns: an :class:`Answer`, and the one JSON envelope every face shows it in.

The envelope (``Answer.to_json()``; ``--json`` on the command line; the body of ``/api/v1`` routes,
which add the paging fields ``limit``, ``offset`` and ``next`` and page ``items``)::

    {
      "attribution": "...",           # the licence and sources (OGL v3.0)
      "question": "compare",          # which question
      "query": {...},                 # the query as answered, defaults filled in
      "meta": {...},                  # what the answer rests on: method, periods, completeness, loads used
      "notes": ["..."],               # what a reader must know (missing months, cautions)
      "total": 32,                    # rows in all
      "items": [{...}, ...]           # the rows
    }

Documented with each question's fields in ``docs/reference/json.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from metforward import ATTRIBUTION

if TYPE_CHECKING:  # pandas is optional for the Python API
    import pandas as pd

#: The top-level keys of the envelope, in order.
ENVELOPE = ("attribution", "question", "query", "meta", "notes", "total", "items")


def jsonable(value: Any) -> Any:
    """``value`` as JSON-safe data: a result's own ``as_dict()`` when it has one, other dataclasses field by
    field, dates as ISO text, NaN and infinity as null, tuples and sets as lists, numpy scalars as numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    model_dump = getattr(value, "model_dump", None)  # a pydantic model
    if callable(model_dump):
        return model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        as_dict = getattr(value, "as_dict", None)
        raw = as_dict() if callable(as_dict) else {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return jsonable(raw)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # a numpy scalar
        return jsonable(value.item())
    return str(value)


@dataclass(frozen=True)
class Answer:
    """The answer to one question: JSON-safe rows (``items``, in ``columns`` order), what they rest on
    (``meta``), notes for the reader, and the query as answered. ``result`` keeps the kernel's own result
    object for faces that draw more than the rows (a Rich table's caption, a page's chart); it is not
    part of the JSON."""

    question: str
    query: dict[str, Any]
    items: list[dict[str, Any]]
    columns: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    result: Any = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The envelope (see the module's docstring): JSON-safe, the same object the API and ``--json`` give."""
        return {
            "attribution": ATTRIBUTION,
            "question": self.question,
            "query": jsonable(self.query),
            "meta": jsonable(self.meta),
            "notes": list(self.notes),
            "total": len(self.items),
            "items": jsonable(self.items),
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """The rows as dicts, every column present, in ``columns`` order (then any others)."""
        order = list(self.columns) + [k for r in self.items for k in r if k not in self.columns]
        seen = list(dict.fromkeys(order))
        return [{k: row.get(k) for k in seen} for row in self.items]

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table (the columns even when there are no rows), with the attribution and
        the question in the schema's metadata."""
        rows = self.to_rows()
        names = list(rows[0]) if rows else list(self.columns)
        if rows:
            table = pa.Table.from_pylist([jsonable(r) for r in rows])
        else:
            table = pa.table({name: pa.array([], pa.null()) for name in names})
        return table.replace_schema_metadata({"attribution": ATTRIBUTION, "question": self.question})

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (pandas must be installed); the attribution in ``df.attrs``."""
        frame: pd.DataFrame = self.to_arrow().to_pandas()
        frame.attrs.update({"attribution": ATTRIBUTION, "question": self.question, "notes": list(self.notes)})
        return frame
