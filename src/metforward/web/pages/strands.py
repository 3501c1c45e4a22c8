"""``/strands/...``: the plan's strands, one page each, the web faces of their questions.

:data:`STRANDS` is the registry of strand pages (path, title, summary, question): each page is a thin face
of its question (:mod:`metforward.questions.youth_violence`, :mod:`metforward.questions.visible_policing`),
with the same numbers as its command's ``--json`` and its API route under ``/api/v1/strands/``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.questions import visible_policing, youth_violence
from metforward.questions.answer import Answer
from metforward.web.answers import answer
from metforward.web.pages.overview import CITY_OF_LONDON, page

router = APIRouter()

#: The strand pages: (path, title, one-line summary, question name).
STRANDS: tuple[tuple[str, str, str, str], ...] = (
    (
        "/strands/youth-violence",
        "Youth violence",
        "Knife-injury victims aged 1-24 and homicide victims under 25 (the seeds' teenage murders), with exact "
        "intervals for counts this small.",
        "youth-violence",
    ),
    (
        "/strands/visible-policing",
        "Visible and accessible policing",
        "How far residents live from the nearest open police front counter, before and after the 2013 closures.",
        "visible-policing",
    ),
)


def _boroughs() -> list[tuple[str, str]]:
    return sorted(((c, n) for c, n in LONDON_BOROUGHS.items() if c != CITY_OF_LONDON), key=lambda cn: cn[1])


@router.get("/strands/youth-violence", response_class=HTMLResponse)
def youth_violence_page(
    request: Request,
    area: Annotated[str | None, Query(max_length=100)] = None,
    before: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """Youth violence for London or a borough: the same rows as ``metforward youth-violence --json``."""
    query = youth_violence.Query(area or None, "force", before or None, after or None)
    found: Answer = answer(request, youth_violence.QUESTION, query)
    return page(
        request,
        "strand_youth.html",
        title="Youth violence",
        active="/strands/youth-violence",
        a=found,
        made=found.result,
        area=area or "",
        boroughs=_boroughs(),
        strand=STRANDS[0],
    )


@router.get("/strands/visible-policing", response_class=HTMLResponse)
def visible_policing_page(
    request: Request,
    area: Annotated[str | None, Query(max_length=100)] = None,
    year: Annotated[int, Query(ge=1990, le=2100)] = visible_policing.Query.year,
    threshold_km: Annotated[float, Query(gt=0, le=50)] = visible_policing.Query.threshold_km,
) -> HTMLResponse:
    """Distance to the nearest open front counter by borough (and by LSOA for a borough)."""
    boroughs = answer(request, visible_policing.QUESTION, visible_policing.Query(None, "borough", year, threshold_km))
    lsoas = None
    if area:
        lsoas = answer(request, visible_policing.QUESTION, visible_policing.Query(area, "lsoa", year, threshold_km))
    return page(
        request,
        "strand_access.html",
        title="Visible and accessible policing",
        active="/strands/visible-policing",
        a=boroughs,
        lsoas=lsoas,
        area=area or "",
        year=year,
        threshold_km=threshold_km,
        boroughs=_boroughs(),
        strand=STRANDS[1],
    )
