"""``/compare``: two periods by area and category, the rows of ``metforward compare --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from metforward.analyse.compare import (
    CompareError,
    CompareRow,
    CompareSpec,
    CompareTable,
    Period,
    compare,
    resolve_areas,
)
from metforward.store.database import Database
from metforward.web.api.common import (
    DEFAULT_LIMIT,
    MONTH,
    PERIOD,
    DatastoreKind,
    Force,
    Limit,
    Offset,
    Page,
    Paging,
    ResultCache,
    borrowed,
    json_response,
    months,
)
from metforward.web.app import context
from metforward.web.errors import API_ERRORS, ErrorDetail, WebError

router = APIRouter(tags=["compare"])

#: compare() takes 55-125 ms on the sample (about 25 queries); a result holds until the next load.
#: Tables are keyed by the question (every page of it), bodies by the URL: a repeated request
#: costs neither a query nor a validation, and borrows no connection.
_tables: ResultCache = ResultCache(128)
_bodies: ResultCache = ResultCache(512)


class SpecOut(BaseModel):
    """The comparison as asked (after defaults)."""

    before: str
    after: str
    source: str
    level: str
    area: str | None
    force: str | None
    by: str
    kind: str | None
    alpha: float
    method: str


class ComparePage(Page[CompareRow]):
    """A page of comparison rows (the objects of ``metforward compare --json``) and what they rest on."""

    spec: SpecOut
    kind: str | None
    months_present_before: list[str]
    months_present_after: list[str]
    months_missing: list[str]
    population_year: int | None
    notes: list[str]
    method: str
    method_note: str


def _spec(
    before: str | None,
    after: str | None,
    around: str | None,
    window: int,
    **options: object,
) -> CompareSpec:
    if around:
        first, second = Period.around(around, window)
    elif before and after:
        first, second = Period.parse(before), Period.parse(after)
    else:
        raise WebError(
            422,
            "invalid_parameter",
            "give before and after (YYYY-MM:YYYY-MM), or around (YYYY-MM) with window",
            [ErrorDetail(field="query.before", message="missing"), ErrorDetail(field="query.after", message="missing")],
        )
    return CompareSpec(before=first, after=second, **options)  # type: ignore[arg-type]


@router.get("/compare", response_model=ComparePage, responses=API_ERRORS, summary="Compare two periods")
def compare_periods(
    request: Request,
    before: Annotated[str | None, Query(pattern=PERIOD, description="First period, YYYY-MM:YYYY-MM.")] = None,
    after: Annotated[str | None, Query(pattern=PERIOD, description="Second period, YYYY-MM:YYYY-MM.")] = None,
    around: Annotated[
        str | None, Query(pattern=MONTH, description="Instead of before/after: a month YYYY-MM to compare around.")
    ] = None,
    window: Annotated[int, Query(ge=1, le=240, description="With around: months on each side.")] = 21,
    level: Annotated[Literal["force", "borough", "ward", "lsoa"], Query(description="Area level.")] = "borough",
    area: Annotated[
        str | None, Query(max_length=100, description="One area: a name or GSS code (e.g. Westminster, E09000033).")
    ] = None,
    source: Annotated[
        Literal["police-uk", "datastore"], Query(description="Where the counts come from.")
    ] = "police-uk",
    by: Annotated[
        Literal["category", "major", "minor"] | None,
        Query(description="Categories: police-uk 'category'; datastore 'major' (default) or 'minor'."),
    ] = None,
    force: Annotated[
        Force, Query(max_length=60, description="police.uk: only this force's rows (e.g. metropolitan).")
    ] = None,
    kind: Annotated[
        DatastoreKind,
        Query(max_length=60, description="Datastore file kind (default: the best one covering the periods)."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    alpha: Annotated[
        float, Query(ge=0.0001, le=0.5, description="(0.0001 to 0.5) Significance level for the verdict (on q values).")
    ] = 0.05,
    method: Annotated[
        Literal["quasi", "poisson"],
        Query(
            description="quasi: allow for the month-to-month variation of the counts (default); "
            "poisson: the exact conditional Poisson test."
        ),
    ] = "quasi",
) -> Response:
    """Counts in two periods by area and category: rate ratio, exact interval, p and q values, verdict, completeness."""
    spec = _spec(
        before,
        after,
        around,
        window,
        source=source,
        level=level,
        area=area,
        force=force,
        by=by or ("category" if source == "police-uk" else "major"),
        kind=kind,
        alpha=alpha,
        method=method,
    )
    version = context(request).load_version
    paging = Paging(limit, offset)

    def answer() -> bytes:
        with borrowed(request).connection() as db:
            table = _tables.get((version, spec), lambda: _compare(db, spec))
        return json_response(ComparePage, _body(request, paging, table))

    asked = f"{request.url.path}?{request.url.query}"  # not the whole URL: the Host header is the client's
    return Response(_bodies.get((version, asked), answer), media_type="application/json")


def _compare(db: Database, spec: CompareSpec) -> CompareTable:
    try:
        return compare(db, spec)
    except CompareError as exc:
        if spec.area is not None:
            try:
                resolve_areas(db, spec)
            except CompareError:
                raise WebError(404, "not_found", str(exc)) from exc
        raise


def _body(request: Request, paging: Paging, table: CompareTable) -> dict[str, object]:
    spec = table.spec
    return {
        **paging.page(request, table.rows),
        "spec": {
            "before": str(spec.before),
            "after": str(spec.after),
            "source": spec.source,
            "level": spec.level,
            "area": spec.area,
            "force": spec.force,
            "by": spec.by,
            "kind": spec.kind,
            "alpha": spec.alpha,
            "method": spec.method,
        },
        "kind": table.kind,
        "months_present_before": months(table.months_present_before),
        "months_present_after": months(table.months_present_after),
        "months_missing": months(table.missing_months),
        "population_year": table.population_year,
        "notes": table.notes,
        "method": spec.method,
        "method_note": table.method_note,
    }
