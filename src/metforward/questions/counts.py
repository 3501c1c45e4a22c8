"""police.uk street-level counts by borough (from each row's LSOA) and crime type, every month loaded.

The one place ``metforward counts`` reads them. It takes no options, so it has no example that
narrows anything and is not in the registry the parity test walks; its ``--json`` is still the envelope.
"""

from __future__ import annotations

from dataclasses import dataclass

from metforward.domain.periods import month_text
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store import catalog
from metforward.store.database import Database

COLUMNS = ("borough_code", "borough", "crime_type", "count")


@dataclass(frozen=True)
class Query:
    """Every borough and crime type, every month loaded (no options)."""


def ask(db: Database, query: Query) -> Answer:
    """Street-level crimes by borough and crime type; rows without an LSOA in the lookups under borough ``-``."""
    rows = catalog.police_counts_by_borough(db)
    first, last = catalog.police_months(db)
    return Answer(
        question="counts",
        query={},
        items=[dict(zip(COLUMNS, row, strict=True)) for row in rows],
        columns=COLUMNS,
        meta={
            "first_month": month_text(first) if first else None,
            "last_month": month_text(last) if last else None,
            "loads": loads_used(db, ("street",)),
        },
        notes=[] if rows else ["no police.uk street data loaded"],
    )


QUESTION = Question(
    name="counts",
    query=Query,
    ask=ask,
    command=("counts",),
    route=None,
    summary="police.uk street-level crimes by borough and crime type, every month loaded.",
)

__all__ = ["COLUMNS", "QUESTION", "Query", "ask"]
