"""``/hotstreets``: an area's streets ranked by count or harm, the envelope of ``metforward hotstreets --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.analyse.streets import Street
from metforward.questions import hotstreets as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, PERIOD, Categories, Envelope, Force, Limit, Offset, Paging
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["hotstreets"])


class HotStreetsBody(Envelope[Street]):
    """A page of ranked streets (the items of ``metforward hotstreets --json``), the query as answered, and
    what they rest on (``meta``: the area, the periods, crimes, streets, how many hold half, months with
    data, method, loads)."""


@router.get("/hotstreets", response_model=HotStreetsBody, responses=API_ERRORS, summary="Hot streets of an area")
def hot_streets(
    request: Request,
    area: Annotated[
        str, Query(max_length=100, description="A borough, ward or LSOA name or GSS code (e.g. Westminster).")
    ],
    period: Annotated[str, Query(pattern=PERIOD, description="Months YYYY-MM:YYYY-MM (e.g. 2024-01:2024-12).")],
    category: Annotated[
        Categories, Query(description="police.uk crime type (repeat for several; default all).")
    ] = None,
    rank_by: Annotated[Literal["count", "harm"], Query(description="Rank streets by count or by harm.")] = "count",
    force: Annotated[
        Force, Query(max_length=60, description="Only this force's rows (default: the force policing the area).")
    ] = None,
    method: Annotated[
        Literal["quasi", "poisson"],
        Query(
            description="Change on the previous period: quasi: allow for the month-to-month variation of each "
            "street's counts (default); poisson: the exact Poisson test."
        ),
    ] = "quasi",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Streets ranked by count or harm, with change on the previous period and the concentration of crime."""
    query = question.Query(area, period, category=category, rank_by=rank_by, force=force, method=method)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), HotStreetsBody)
