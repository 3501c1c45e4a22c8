"""What every /api/v1 resource shares: the paged list model, paging parameters, the attribution,
and the checks of closed vocabularies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import AfterValidator, BaseModel, Field

from metforward import ATTRIBUTION
from metforward.analyse.compare import DATASTORE_PREFERENCE
from metforward.domain.categories import ALL_CRIME_TYPES
from metforward.domain.forces import FORCES
from metforward.domain.periods import month_text
from metforward.questions.answer import jsonable
from metforward.store.pool import Generation, ReadPool
from metforward.web.app import context, link
from metforward.web.errors import WebError

T = TypeVar("T")
R = TypeVar("R")

#: One row of a table whose columns depend on the query (grouping keys first, then the figures).
Row = dict[str, str | int | float | list[str] | None]

#: A month ``YYYY-MM`` and a period ``YYYY-MM:YYYY-MM`` (or one month), as query-parameter patterns.
MONTH = r"^[12]\d{3}-(0[1-9]|1[0-2])$"
PERIOD = r"^[12]\d{3}-(0[1-9]|1[0-2])(:[12]\d{3}-(0[1-9]|1[0-2]))?$"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class Body(BaseModel):
    """Every body that carries data says where the data comes from."""

    attribution: str = Field(ATTRIBUTION, description="The licence and sources the figures rest on.")


class Page(Body, Generic[T]):
    """A page of a long list: ``items`` from ``offset``, ``total`` in all, ``next`` the URL of the next page."""

    items: list[T]
    total: int = Field(description="Items in the whole list.")
    limit: int = Field(description="The most items on one page.")
    offset: int = Field(description="Items skipped before this page.")
    next: str | None = Field(
        None,
        description="URL of the next page (null on the last page): on the server's configured base URL, else relative.",
    )


class Envelope(Page[T], Generic[T]):
    """The one body of every API route that answers a question: the envelope of ``--json`` and
    ``Answer.to_json()`` (question, query, meta, notes, total, items), with ``items`` paged."""

    question: str = Field(description="Which question this answers.")
    query: dict[str, Any] = Field(description="The query as answered, defaults filled in.")
    meta: dict[str, Any] = Field(description="What the answer rests on: method, periods, completeness, loads used.")
    notes: list[str] = Field(description="What a reader must know: missing months, cautions.")


#: The paging query parameters, for routes that take them directly rather than through :class:`Paging`.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1 to {MAX_LIMIT}).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]


def one_of(what: str, allowed: Collection[str]) -> AfterValidator:
    """A query-parameter check against a closed vocabulary: an unknown value (or any of a repeated
    parameter's values) is a 422 naming it and listing the allowed values."""

    def check(value: Any) -> Any:
        for item in value if isinstance(value, list) else [value]:
            if item is not None and item not in allowed:
                raise ValueError(f"{item!r} is not a {what}; give one of: {', '.join(allowed)}")
        return value

    return AfterValidator(check)


#: The closed vocabularies of the API's parameters (from ``domain``), checked in one place; a route
#: adds its own ``Query(description=...)``: ``force: Annotated[Force, Query(...)] = None``.
Force = Annotated[str | None, one_of("police.uk force id", FORCES)]
Categories = Annotated[list[str] | None, one_of("police.uk crime type", ALL_CRIME_TYPES)]
DatastoreKind = Annotated[str | None, one_of("London Datastore file kind", DATASTORE_PREFERENCE)]


class Paging:
    """The ``limit`` and ``offset`` query parameters (a FastAPI dependency)."""

    def __init__(self, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> None:
        self.limit = limit
        self.offset = offset

    def page(self, request: Request, items: Sequence[Any]) -> dict[str, Any]:
        """The paging fields for ``items`` (the whole list): this page's items, total, limit, offset, next."""
        end = self.offset + self.limit
        following = link(request, offset=end, limit=self.limit) if end < len(items) else None
        return {
            "attribution": ATTRIBUTION,
            "items": [jsonable(x) for x in items[self.offset : end]],
            "total": len(items),
            "limit": self.limit,
            "offset": self.offset,
            "next": following,
        }


def json_response(model: type[BaseModel], body: Mapping[str, Any]) -> bytes:
    """``body`` validated against ``model`` and serialised, for a route that caches its responses."""
    return model.model_validate(body).model_dump_json().encode()


def borrowed(request: Request) -> ReadPool | Generation:
    """The store pool, for a route that borrows a connection only when it must (on a cache miss)."""
    pool = context(request).pool
    if pool is None:
        raise WebError(503, "store_closed", "the store is not open; the app is starting or stopping")
    return pool


def months(values: Sequence[dt.date]) -> list[str]:
    """Months as ``YYYY-MM`` text."""
    return [month_text(m) for m in values]
