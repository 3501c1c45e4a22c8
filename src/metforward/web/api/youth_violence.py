"""``/strands/youth-violence``: the youth-violence strand, the envelope of ``metforward youth-violence --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.questions import youth_violence as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, MONTH, PERIOD, Envelope, Limit, Offset, Paging, Row
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["strands"])


class YouthBody(Envelope[Row]):
    """One row per area and line (knife-injury victims aged 1-24, homicide victims under 25, ...): the comparison's
    columns, the line's id and the exact (Garwood) interval of each period's count; ``meta.basket`` gives each
    line's sources and caveat."""


@router.get("/strands/youth-violence", response_model=YouthBody, responses=API_ERRORS, summary="Youth violence strand")
def youth_violence(
    request: Request,
    area: Annotated[
        str | None, Query(max_length=100, description="A borough (name or GSS code); default London.")
    ] = None,
    level: Annotated[
        Literal["force", "borough"], Query(description="force: London; borough: every borough.")
    ] = "force",
    before: Annotated[str | None, Query(pattern=PERIOD, description="First period, YYYY-MM:YYYY-MM.")] = None,
    after: Annotated[str | None, Query(pattern=PERIOD, description="Second period, YYYY-MM:YYYY-MM.")] = None,
    around: Annotated[
        str | None, Query(pattern=MONTH, description="Instead of before/after: a month YYYY-MM to compare around.")
    ] = None,
    window: Annotated[int, Query(ge=1, le=240, description="With around: months on each side.")] = 12,
    alpha: Annotated[float, Query(ge=0.0001, le=0.5, description="Significance level for the verdict.")] = 0.05,
    method: Annotated[
        Literal["auto", "quasi", "poisson"],
        Query(description="auto: exact Poisson test unless the months show extra-Poisson variation (default)."),
    ] = "auto",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Knife-injury victims aged 1-24 and homicide victims under 25: two periods compared, exact intervals."""
    query = question.Query(area, level, before, after, around, window, alpha, method)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), YouthBody)
