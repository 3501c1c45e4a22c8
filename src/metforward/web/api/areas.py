"""``/areas``: London's forces, boroughs, wards and LSOAs (2021) as the loaded lookups place them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from metforward.questions import areas as question
from metforward.web.answers import answer, api_response
from metforward.web.api.common import DEFAULT_LIMIT, Body, Envelope, Limit, Offset, Paging
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["areas"])

Level = Literal["force", "borough", "ward", "lsoa"]


class Area(BaseModel):
    """One area: its GSS code (a force's police.uk id), name, level and the area it sits in."""

    code: str
    name: str
    level: Level
    parent: str | None = None  # a ward's borough, an LSOA's ward (its borough when it has no ward)


class AreaPage(Envelope[Area]):
    """A page of areas."""


class AreaBody(Area, Body):
    """One area, with the attribution."""


@router.get("/areas", response_model=AreaPage, responses=API_ERRORS, summary="London's areas by level")
def list_areas(
    request: Request,
    level: Annotated[Level | None, Query(description="Only areas at this level (default: every level).")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Only areas whose name or code contains this text (any case).")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Forces, boroughs, wards and LSOAs with their GSS codes and the area each sits in."""
    return api_response(request, question.QUESTION, question.Query(level, q), Paging(limit, offset), AreaPage)


@router.get("/areas/{code}", response_model=AreaBody, responses=API_ERRORS, summary="One area")
def one_area(
    request: Request,
    code: Annotated[str, Path(max_length=40, description="A GSS code (e.g. E09000033) or a force id.")],
) -> AreaBody:
    """One area by its code; 404 when the loaded lookups do not know it."""
    found = answer(request, question.QUESTION, question.Query(code=code))
    return AreaBody.model_validate(found.items[0])
