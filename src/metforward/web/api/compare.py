"""``/compare``: two periods by area and category, the rows of ``metforward compare --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.analyse.compare import CompareRow
from metforward.questions import compare as question
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
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["compare"])


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
) -> Response:
    """Counts in two periods by area and category: rate ratio, interval, p and q values, verdict, completeness."""
    query = question.Query(before, after, around, window, level, area, source, by, force, kind, alpha, method)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), CompareBody)
