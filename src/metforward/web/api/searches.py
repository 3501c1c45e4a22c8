"""``/searches``: stop and search counts, rates and ethnic disproportionality, the body of ``metforward searches --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.questions import searches as question
from metforward.questions.searches import BY
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, MONTH, Envelope, Force, Limit, Offset, Paging, Row
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["searches"])

#: The grouping keys of ``metforward searches --by``.
By = Literal[
    "month",
    "borough",
    "ward",
    "lsoa",
    "object",
    "legislation",
    "ethnicity",
    "self-defined",
    "officer-defined",
    "outcome",
    "type",
    "gender",
    "age",
]


class SearchesBody(Envelope[Row]):
    """A page of rows (grouping keys, then counts or rates; or one row per ethnic group), the query as
    answered, and what the rows rest on (``meta``: mode, the selection in words, its coverage, and for
    disproportionality the ethnicity field, reference group, searches left out and the denominator)."""


@router.get("/searches", response_model=SearchesBody, responses=API_ERRORS, summary="Stop and search")
def searches(
    request: Request,
    mode: Annotated[
        Literal["counts", "rates", "disproportionality"],
        Query(
            description="counts; rates (arrest, find, positive outcome with Wilson intervals); disproportionality "
            "(searches per 1,000 residents by ethnic group, Census 2021, and the ratio to White)."
        ),
    ] = "counts",
    by: Annotated[list[By] | None, Query(description=f"Group by (repeat): {', '.join(BY)}.")] = None,
    area: Annotated[
        str | None,
        Query(max_length=100, description="A borough, ward or LSOA: name or GSS code (default: London, the Met)."),
    ] = None,
    first: Annotated[str | None, Query(alias="from", pattern=MONTH, description="First month, YYYY-MM.")] = None,
    last: Annotated[str | None, Query(alias="to", pattern=MONTH, description="Last month, YYYY-MM.")] = None,
    force: Annotated[
        Force,
        Query(
            max_length=60, description="Only this force's searches (default: metropolitan for London, any for an area)."
        ),
    ] = None,
    ethnicity: Annotated[
        Literal["self-defined", "officer-defined"],
        Query(description="With disproportionality: self-defined (mapped to Census groups) or officer-defined."),
    ] = "self-defined",
    confidence: Annotated[
        float, Query(ge=0.5, le=0.9999, description="(0.5 to 0.9999) Confidence level of the intervals.")
    ] = 0.95,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Stop and search by month, area, ethnicity, object, outcome...; rates; disproportionality."""
    query = question.Query(mode, tuple(by or ()), area, first, last, force, ethnicity, confidence)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), SearchesBody)
