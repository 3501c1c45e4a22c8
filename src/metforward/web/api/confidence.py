"""``/confidence``: MOPAC Public Attitude Survey measures with intervals, year-on-year changes and gaps,
the body of ``metforward confidence --json``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.questions import confidence as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, Envelope, Limit, Offset, Paging, Row
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["confidence"])

END = r"^[12]\d{3}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$"


class ConfidenceBody(Envelope[Row]):
    """A page of survey rows: the measures (no measure given), figures, year-on-year changes or gaps, the
    query as answered, what they rest on (``meta``: mode, measure, confidence level, loads) and the notes
    (the respondents assumed where none are published, the survey's design)."""


@router.get("/confidence", response_model=ConfidenceBody, responses=API_ERRORS, summary="Public confidence (PAS)")
def confidence(
    request: Request,
    measure: Annotated[
        str | None,
        Query(max_length=200, description="Survey measure (a unique part of its name); none: list the measures."),
    ] = None,
    area: Annotated[
        str | None, Query(max_length=100, description="London (or MPS) or a borough (name or GSS code); default all.")
    ] = None,
    first: Annotated[
        str | None, Query(alias="from", pattern=END, description="First period end, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    last: Annotated[
        str | None, Query(alias="to", pattern=END, description="Last period end, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    gap: Annotated[
        list[str] | None,
        Query(
            min_length=2,
            max_length=2,
            description="Gap between two respondent groups, given twice: gap=White British&gap=Black (a - b).",
        ),
    ] = None,
    change: Annotated[
        bool, Query(description="Year-on-year change to 'to' (default the latest) by borough, with BH q.")
    ] = False,
    n: Annotated[
        float | None, Query(gt=0, le=1e7, description="Respondents per figure where the source publishes none.")
    ] = None,
    alpha: Annotated[
        float, Query(ge=0.0001, le=0.5, description="(0.0001 to 0.5) 1 - confidence level; BH level for change.")
    ] = 0.05,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """PAS measures by borough and quarter with Wilson intervals; year-on-year changes; gaps between groups."""
    query = question.Query(measure, area, first, last, (gap[0], gap[1]) if gap else None, change, n, alpha)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), ConfidenceBody)
