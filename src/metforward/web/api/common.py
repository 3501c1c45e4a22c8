"""What every /api/v1 resource shares: the paged list model, paging parameters, the attribution,
JSON-safe serialisation of the analyse results, and area resolution to clean 4xx errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import AfterValidator, BaseModel, Field

from metforward import ATTRIBUTION
from metforward.analyse.compare import DATASTORE_PREFERENCE
from metforward.domain.categories import ALL_CRIME_TYPES
from metforward.domain.forces import FORCES
from metforward.domain.periods import month_text
from metforward.errors import MetforwardError
from metforward.store.database import Database
from metforward.store.places import Place, resolve_place
from metforward.store.pool import ReadPool
from metforward.web.app import context, link
from metforward.web.errors import ErrorDetail, WebError

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


class ResultCache:
    """A small LRU cache of analyse results keyed by the store's load version and the question.

    The store is read-only between loads, so a result stays true until the load version changes;
    a new load makes every old key unreachable (they age out). Thread-safe: routes run in a pool.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], R]) -> R:
        """The cached result for ``key`` (include the load version in it), made by ``make()`` on a miss.

        Concurrent misses on one key wait for a single ``make()`` (no stampede of identical queries
        when a cold server meets many clients at once).
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                found: R = self._items[key]
                return found
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    done: R = self._items[key]
                    return done
            try:
                value = make()
            finally:
                with self._lock:
                    self._building.pop(key, None)
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value


def json_response(model: type[BaseModel], body: Mapping[str, Any]) -> bytes:
    """``body`` validated against ``model`` and serialised, for a route that caches its responses."""
    return model.model_validate(body).model_dump_json().encode()


def borrowed(request: Request) -> ReadPool:
    """The store pool, for a route that borrows a connection only when it must (on a cache miss)."""
    pool = context(request).pool
    if pool is None:
        raise WebError(503, "store_closed", "the store is not open; the app is starting or stopping")
    return pool


def jsonable(value: Any) -> Any:
    """``value`` as JSON-safe data: an analyse result's own ``as_dict()`` when it has one (so the
    field names are the CLI ``--json`` names), other dataclasses field by field, dates as ISO text,
    NaN and infinity as null, tuples and sets as lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
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


def months(values: Sequence[dt.date]) -> list[str]:
    """Months as ``YYYY-MM`` text."""
    return [month_text(m) for m in values]


def resolve_area(db: Database, text: str) -> Place:
    """The borough, ward or LSOA ``text`` (a name or GSS code) names: 404 when none, 422 when ambiguous."""
    if not text.strip():
        raise WebError(
            422,
            "invalid_parameter",
            "give an area name or GSS code",
            [ErrorDetail(field="query.area", message="empty")],
        )
    try:
        return resolve_place(db, text)
    except MetforwardError as exc:
        message = str(exc)
        if " are called " in message:
            raise WebError(422, "ambiguous_area", message, [ErrorDetail(field="query.area", message=message)]) from exc
        if message.startswith("no ") and "lookups are loaded" not in message:
            raise WebError(404, "not_found", message) from exc
        raise WebError(400, "cannot_answer", message) from exc


def london_or_area(db: Database, text: str | None) -> Place | None:
    """``None`` for London (or no area), else the area ``text`` names (see :func:`resolve_area`)."""
    if text is None or text.strip().lower() in ("london", "all", "mps", ""):
        return None
    return resolve_area(db, text)
