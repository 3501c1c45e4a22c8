"""``/strands/visible-policing``: the visible-policing strand, the envelope of ``metforward visible-policing --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.questions import visible_policing as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, Envelope, Limit, Offset, Paging, Row
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["strands"])


class AccessBody(Envelope[Row]):
    """London and each borough (``level=borough``) or each LSOA (``level=lsoa``): residents, the distance to the
    nearest open front counter before and after the 2013 closures, and those beyond the threshold; ``meta``: the
    counters, the population years and how each LSOA's residents are placed."""


@router.get(
    "/strands/visible-policing", response_model=AccessBody, responses=API_ERRORS, summary="Visible policing strand"
)
def visible_policing(
    request: Request,
    area: Annotated[
        str | None, Query(max_length=100, description="A borough (name or GSS code); default London.")
    ] = None,
    level: Annotated[
        Literal["borough", "lsoa"], Query(description="Rows: boroughs (with London) or LSOAs.")
    ] = "borough",
    year: Annotated[int, Query(ge=1990, le=2100, description="Residents of this year (ONS LSOA estimates).")] = 2013,
    threshold_km: Annotated[float, Query(gt=0, le=50, description="Residents further than this (km).")] = 2.0,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Distance from residents to the nearest open police front counter before and after 2013, share beyond 2 km."""
    query = question.Query(area, level, year, threshold_km)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), AccessBody)
