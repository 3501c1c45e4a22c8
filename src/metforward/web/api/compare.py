"""``/compare``: two periods by area and category, the rows of ``metforward compare --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.analyse.compare import CompareRow
from metforward.questions import compare as question
from metforward.questions.basket_file import BUILT_IN
from metforward.web.answers import api_response
from metforward.web.api.common import (
    DEFAULT_LIMIT,
    MONTH,
    PERIOD,
    DatastoreKind,
    Envelope,
    Force,
    Limit,
    Offset,
    Paging,
)
from metforward.web.app import context
from metforward.web.errors import API_ERRORS, ErrorDetail, WebError

router = APIRouter(tags=["compare"])


def basket_of(request: Request, name: str | None) -> str | None:
    """The basket an API ``basket`` names: a built-in one, or the server's own basket file by its name (a
    request never names a file of its own); a 422 listing the names otherwise."""
    if name is None:
        return None
    own = context(request).settings.basket_file
    if own is not None and name in (own.stem, own.name):
        return str(own)
    if name in BUILT_IN:
        return name
    allowed = [*BUILT_IN, *([own.stem] if own is not None else [])]
    message = f"{name!r} is not a basket this server has; give one of: {', '.join(allowed)}"
    raise WebError(422, "invalid_parameter", f"basket: {message}", [ErrorDetail(field="basket", message=message)])


class CompareBody(Envelope[CompareRow]):
    """A page of comparison rows (the items of ``metforward compare --json``), the query as answered, and what
    the rows rest on (``meta``: Datastore kind, months present and missing, population year, method, loads)."""


@router.get("/compare", response_model=CompareBody, responses=API_ERRORS, summary="Compare two periods")
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
    basket: Annotated[
        str | None,
        Query(
            max_length=60,
            description="Compare the lines of a headline basket instead of categories: a built-in basket "
            f"({', '.join(BUILT_IN)}) or the server's basket (its file name without .yaml); level force: London.",
        ),
    ] = None,
) -> Response:
    """Counts in two periods by area and category: rate ratio, interval, p and q values, verdict, completeness."""
    query = question.Query(
        before, after, around, window, level, area, source, by, force, kind, alpha, method, basket_of(request, basket)
    )
    return api_response(request, question.QUESTION, query, Paging(limit, offset), CompareBody)
