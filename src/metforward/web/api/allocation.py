"""``/allocation``: officers shared among the boroughs (or BCUs) by a resource allocation formula, the
envelope of ``metforward allocate --json`` (``items`` one row per area; ``meta`` the formula, indicators,
baseline, Monte Carlo and, with ``explain``, the explanation of one area)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.questions import allocation as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, Envelope, Limit, Offset, Paging
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["allocation"])

#: The most Monte Carlo draws a request may ask for (each costs time on the server).
MAX_DRAWS = 10_000


class AllocationBody(Envelope[dict[str, Any]]):
    """A page of areas with their need share, whole officers (summing to the total), 95% range, damping,
    adjustment, current strength and change, and year-to-year stability; ``meta`` says what they rest on."""


@router.get("/allocation", response_model=AllocationBody, responses=API_ERRORS, summary="Resource allocation formula")
def allocation(
    request: Request,
    formula: Annotated[
        Literal["mpa", "demand-share"] | None,
        Query(description="A formula shipped with metforward (docs/allocation.md); none: give weights and total."),
    ] = None,
    total: Annotated[int | None, Query(ge=1, le=1_000_000, description="Officers to share out.")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Year of the indicators.")] = None,
    level: Annotated[Literal["borough", "bcu"], Query(description="The 32 boroughs or the Met's 12 BCUs.")] = "borough",
    set: Annotated[  # noqa: A002  (the CLI's option)
        list[str] | None,
        Query(max_length=40, description="Changes to the formula, e.g. need.weight=0.4 (repeat)."),
    ] = None,
    weights: Annotated[
        str | None, Query(max_length=400, description="Indicator weights, e.g. population=1,crime=1.")
    ] = None,
    method: Annotated[Literal["hamilton", "webster"] | None, Query(description="Apportionment method.")] = None,
    explain: Annotated[str | None, Query(max_length=100, description="An area to explain (a borough or BCU).")] = None,
    draws: Annotated[int, Query(ge=1, le=MAX_DRAWS, description="Monte Carlo draws for the ranges.")] = question.DRAWS,
    seed: Annotated[int, Query(ge=0, le=2**31, description="Seed of the Monte Carlo draws.")] = question.Query.seed,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Officers by area under a resource allocation formula, with ranges, damping, adjustments and stability."""
    query = question.Query(formula, total, year, level, tuple(set or ()), weights, method, explain, draws, seed)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), AllocationBody)
