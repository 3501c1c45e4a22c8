"""``/outcomes``: sanction detection rates, the body of ``metforward outcomes --json`` (police.uk or the MPS dashboard)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.analyse.outcomes import BY, DASHBOARD_BY
from metforward.questions import outcomes as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, PERIOD, Categories, Envelope, Force, Limit, Offset, Paging, Row
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["outcomes"])

By = Literal["borough", "ward", "category", "month"]


class OutcomesBody(Envelope[Row]):
    """A page of outcome rows (grouping keys first, then the figures; the one row for every crime selected
    when not grouped), the query as answered, and what the rows rest on (``meta``: source, area, forces,
    outcome months loaded, loads, ``total_row`` for every crime selected; the dashboard: crime type,
    months with data, refresh dates)."""


@router.get("/outcomes", response_model=OutcomesBody, responses=API_ERRORS, summary="Sanction detection rates")
def outcomes(
    request: Request,
    period: Annotated[str, Query(pattern=PERIOD, description="Months the crimes were recorded in, YYYY-MM:YYYY-MM.")],
    area: Annotated[
        str,
        Query(
            max_length=100,
            description="London (or MPS, all), or a borough, ward or LSOA name or GSS code (dashboard: London or "
            "a borough).",
        ),
    ] = question.Query.area,
    by: Annotated[
        list[By] | None,
        Query(description=f"Group by (repeat): {', '.join(BY)} (dashboard: {', '.join(DASHBOARD_BY)})."),
    ] = None,
    category: Annotated[Categories, Query(description="police.uk crime type (repeat; default all).")] = None,
    force: Annotated[
        Force, Query(max_length=60, description="Only this force's crimes (default: the area's force).")
    ] = None,
    source: Annotated[
        Literal["police-uk", "dashboard"],
        Query(description="police-uk (outcomes joined to crimes) or dashboard (MPS Monthly Crime Dashboard)."),
    ] = "police-uk",
    crime_type: Annotated[
        str | None, Query(max_length=100, description="Dashboard crime type, e.g. 'Knife Crime' (source=dashboard).")
    ] = None,
    crime_subtype: Annotated[
        str | None, Query(max_length=100, description="Dashboard crime subtype (default: the type's own total).")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Sanction detection rates with Wilson intervals, time to a sanction, and what is still under investigation."""
    query = question.Query(
        period, area, tuple(by or ()), tuple(category or ()), force, source, crime_type, crime_subtype
    )
    return api_response(request, question.QUESTION, query, Paging(limit, offset), OutcomesBody)
