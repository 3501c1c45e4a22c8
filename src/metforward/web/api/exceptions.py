"""``/exceptions``: performance by exception, the envelope of ``metforward exceptions --json`` (``items``
are its flags, ``meta`` what was tested)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.analyse.exceptions import ExceptionFlag
from metforward.questions import exceptions as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, MONTH, Envelope, Force, Limit, Offset, Paging
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["exceptions"])


class ExceptionsBody(Envelope[ExceptionFlag]):
    """A page of flagged borough x category cells, ranked; ``meta`` says what was tested (latest month,
    recent and baseline periods, cells tested and flagged by each screen, the summary) and the loads used."""


@router.get("/exceptions", response_model=ExceptionsBody, responses=API_ERRORS, summary="Performance by exception")
def exception_flags(
    request: Request,
    source: Annotated[
        Literal["police-uk", "datastore"], Query(description="Where the counts come from.")
    ] = "police-uk",
    by: Annotated[
        Literal["category", "major", "minor"] | None,
        Query(description="Categories: police-uk 'category'; datastore 'major' (default) or 'minor'."),
    ] = None,
    latest: Annotated[
        str | None, Query(pattern=MONTH, description="The latest month to judge, YYYY-MM (default: the last loaded).")
    ] = None,
    months: Annotated[int, Query(ge=1, le=60, description="Months in the recent period (and the baseline).")] = 12,
    baseline_months: Annotated[
        int, Query(ge=3, le=120, description="Months of each series the SPC limits are drawn from.")
    ] = 24,
    force: Annotated[Force, Query(max_length=60, description="police.uk: only this force's rows.")] = None,
    alpha: Annotated[
        float, Query(ge=0.0001, le=0.5, description="(0.0001 to 0.5) False discovery rate for each screen.")
    ] = 0.05,
    min_change: Annotated[
        float,
        Query(
            ge=0,
            le=1000,
            description="Smallest change from the expectation worth flagging, in % (default 10: about the median "
            "year-on-year change of a borough x category cell).",
        ),
    ] = question.Query.min_change,
    method: Annotated[
        Literal["quasi", "poisson"],
        Query(description="Trend screen: quasi (allows for month-to-month variation) or the exact poisson test."),
    ] = "quasi",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Borough x category cells that are unusual: a significant rise on their own baseline, a rate outside
    the funnel of London's, or a latest month outside their own control limits."""
    query = question.Query(source, by, latest, months, baseline_months, force, alpha, min_change, method)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), ExceptionsBody)
