"""What is in the store: police.uk rows by kind, force and month (rows, rejects, completeness), each
series' months and gaps, the London Datastore counts, the reference tables, and the load version.

The one place ``metforward status``, ``/api/v1/status``, the data page and the welcome page read it.
The rows (``items``) are the police.uk months; ``meta`` holds the series, the Datastore and reference
tables, the rejects and the store's load version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metforward.domain.forces import FORCES
from metforward.errors import BadRequest
from metforward.questions.answer import Answer
from metforward.questions.base import Question
from metforward.store import catalog
from metforward.store.catalog import MonthCoverage, SeriesCoverage
from metforward.store.database import Database
from metforward.store.queries import status as status_queries

#: The police.uk kinds the store holds.
KINDS = ("street", "outcomes", "stop-and-search")
#: The keys of each row (``not_yet_placed`` on stop-and-search rows only).
COLUMNS = (
    "kind",
    "force",
    "month",
    "rows",
    "rejected",
    "no_lsoa_share",
    "no_coordinates_share",
    "not_yet_placed",
)


@dataclass(frozen=True)
class Query:
    """Which police.uk rows to show (every kind and force by default); the Datastore and reference
    tables are always shown."""

    kind: str | None = None
    force: str | None = None

    def check(self) -> None:
        """:class:`BadRequest` for a kind or force metforward does not know."""
        if self.kind is not None and self.kind not in KINDS:
            raise BadRequest(
                f"kind: {self.kind!r} is not a police.uk kind; give one of: {', '.join(KINDS)}", field="kind"
            )
        if self.force is not None and self.force not in FORCES:
            raise BadRequest(f"force: {self.force!r} is not a police.uk force id (e.g. metropolitan)", field="force")


@dataclass(frozen=True)
class Status:
    """What the store holds (the result the faces draw)."""

    police: list[MonthCoverage]
    series: list[SeriesCoverage]
    datastore: list[dict[str, object]]
    reference: list[dict[str, object]]
    rejected_rows: int
    loads_with_rejects: int
    live_loads: int
    load_version: str

    @property
    def pending(self) -> int:
        """Searches with coordinates not yet placed against the current boundaries."""
        return sum(r.pending for r in self.police)


def read_status(db: Database, query: Query) -> Status:
    """Everything ``status`` shows, from the store's catalog."""
    rows = [
        r
        for r in catalog.police_coverage(db)
        if (query.kind is None or r.kind == query.kind) and (query.force is None or r.force == query.force)
    ]
    rejected, with_rejects = status_queries.reject_counts(db)
    return Status(
        police=rows,
        series=catalog.series(rows),
        datastore=catalog.datastore_coverage(db),
        reference=catalog.reference_coverage(db),
        rejected_rows=int(rejected),
        loads_with_rejects=int(with_rejects),
        live_loads=int(status_queries.live_load_count(db)),
        load_version=status_queries.load_version(db),
    )


def ask(db: Database, query: Query) -> Answer:
    """What is in the store (the police.uk rows ``query`` selects)."""
    query.check()
    status = read_status(db, query)
    meta: dict[str, Any] = {
        "load_version": status.load_version,
        "series": [s.as_dict() for s in status.series],
        "datastore": status.datastore,
        "reference": status.reference,
        "rejected_rows": status.rejected_rows,
        "loads_with_rejects": status.loads_with_rejects,
        "live_loads": status.live_loads,
        "not_yet_placed": status.pending,
    }
    notes = []
    if not status.police:
        notes.append("no police.uk data loaded" + (" for this selection" if query.kind or query.force else ""))
    if status.pending:
        notes.append(
            f"{status.pending:,} searches with coordinates are not yet placed against the current boundaries: "
            "the next metforward ingest or fetch places them"
        )
    return Answer(
        question="status",
        query={"kind": query.kind, "force": query.force},
        items=[r.as_dict() for r in status.police],
        columns=COLUMNS,
        meta=meta,
        notes=notes,
        result=status,
    )


QUESTION = Question(
    name="status",
    query=Query,
    ask=ask,
    command=("status",),
    route="/status",
    summary="What is loaded: rows, rejects, completeness and missing months by source, force and month.",
    example={"force": "metropolitan"},
)

__all__ = ["KINDS", "QUESTION", "Query", "Status", "ask", "read_status"]


def store_is_empty(db: Database) -> bool:
    """Whether the store holds no loads at all (``serve --load-if-empty`` loads the sample then)."""
    return catalog.is_empty(db)


def police_months_loaded(db: Database) -> int:
    """How many (kind, force, month) of police.uk data the store holds (0: pages will say what to load)."""
    return len(catalog.police_coverage(db))
