"""``/strands/...``: the plan's strands, the bodies of ``metforward vawg``, ``business-crime`` and ``fairness``
with ``--json`` (one route per strand; the registry is :data:`metforward.questions.strands.STRANDS`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.questions import business_crime, fairness, vawg
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, PERIOD, Envelope, Limit, Offset, Paging, Row
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["strands"])

Area = Annotated[str | None, Query(max_length=100, description="London (default) or a borough: name or GSS code.")]
Before = Annotated[
    str | None, Query(pattern=PERIOD, description="YYYY-MM:YYYY-MM (default: the 12 months before `after`).")
]
After = Annotated[
    str | None, Query(pattern=PERIOD, description="YYYY-MM:YYYY-MM (default: the last 12 months with data).")
]
Method = Annotated[
    Literal["quasi", "poisson"],
    Query(description="quasi (allows for month-to-month variation; default) or poisson (exact)."),
]
Alpha = Annotated[float, Query(gt=0, lt=1, description="Significance level of the verdicts (with BH q values).")]
Confidence = Annotated[float, Query(gt=0, lt=1, description="Confidence level of the intervals.")]


class StrandBody(Envelope[Row]):
    """A page of a strand's rows (keys first, then the figures), the query as answered, and what the rows rest on
    (``meta``: the periods and the months present in each, the method, the loads used)."""


@router.get(
    "/strands/vawg", response_model=StrandBody, responses=API_ERRORS, summary="Violence against women and girls"
)
def vawg_route(
    request: Request,
    measure: Annotated[Literal["offences", "victims"], Query(description="offences or victims.")] = "offences",
    by: Annotated[
        Literal["borough", "ward", "type", "month", "age", "ethnicity"],
        Query(description="borough, ward (with area), type (offences), month, age or ethnicity (victims)."),
    ] = "borough",
    area: Area = None,
    before: Before = None,
    after: After = None,
    method: Method = "quasi",
    alpha: Alpha = vawg.Query.alpha,
    confidence: Confidence = vawg.Query.confidence,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Offences and victims by borough, ward, type, age and ethnic appearance, a period against the one before."""
    query = vawg.Query(measure, by, area, before, after, method, alpha, confidence)
    return api_response(request, vawg.QUESTION, query, Paging(limit, offset), StrandBody)


@router.get("/strands/business-crime", response_model=StrandBody, responses=API_ERRORS, summary="Business crime")
def business_crime_route(
    request: Request,
    by: Annotated[
        Literal["borough", "section", "group", "month"], Query(description="borough, section, group or month.")
    ] = "borough",
    area: Area = None,
    before: Before = None,
    after: After = None,
    method: Method = "quasi",
    alpha: Alpha = business_crime.Query.alpha,
    confidence: Confidence = business_crime.Query.confidence,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Offences against businesses with verdicts, and the positive outcome rate with its interval."""
    query = business_crime.Query(by, area, before, after, method, alpha, confidence)
    return api_response(request, business_crime.QUESTION, query, Paging(limit, offset), StrandBody)


@router.get("/strands/fairness", response_model=StrandBody, responses=API_ERRORS, summary="Fairness in outcomes")
def fairness_route(
    request: Request,
    by: Annotated[Literal["ethnicity", "disposal"], Query(description="ethnicity or disposal.")] = "ethnicity",
    period: Annotated[
        str | None, Query(pattern=PERIOD, description="YYYY-MM:YYYY-MM (default: the last 12 months of custody data).")
    ] = None,
    disposal: Annotated[str | None, Query(max_length=60, description="Only this disposal.")] = None,
    age_group: Annotated[str | None, Query(max_length=30, description="Adult or Child (default both).")] = None,
    offence_group: Annotated[str | None, Query(max_length=60, description="Only this offence group.")] = None,
    reference: Annotated[
        Literal["White", "Asian", "Black", "Other"], Query(description="The group the ratios are to.")
    ] = "White",
    confidence: Confidence = fairness.Query.confidence,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Custody disposals by ethnicity per 1,000 residents, ratios to White with intervals, beside stop and search."""
    query = fairness.Query(by, period, disposal, age_group, offence_group, reference, confidence)
    return api_response(request, fairness.QUESTION, query, Paging(limit, offset), StrandBody)
