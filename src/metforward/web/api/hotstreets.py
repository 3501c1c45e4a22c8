"""``/hotstreets``: an area's streets ranked by count or harm, as ``metforward hotstreets --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from metforward.analyse import crime_map
from metforward.analyse.compare import Period
from metforward.analyse.crime_map import Street
from metforward.store.database import Database
from metforward.web.api.common import PERIOD, Categories, Force, Page, Paging, resolve_area
from metforward.web.app import get_db
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["hotstreets"])


class HotStreetsPage(Page[Street]):
    """A page of ranked streets (``items``: the ``rows`` of the CLI) and the concentration of crime."""

    area_code: str
    area_name: str
    period: str
    previous_period: str
    crimes: int = Field(
        description="Crimes with a location in the period (the CLI's 'total'; here 'total' counts streets)."
    )
    streets: int
    streets_for_half: int
    months_with_data: int
    months_asked: int
    notes: list[str]


@router.get("/hotstreets", response_model=HotStreetsPage, responses=API_ERRORS, summary="Hot streets of an area")
def hot_streets(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    paging: Annotated[Paging, Depends()],
    area: Annotated[
        str, Query(max_length=100, description="A borough, ward or LSOA name or GSS code (e.g. Westminster).")
    ],
    period: Annotated[str, Query(pattern=PERIOD, description="Months YYYY-MM:YYYY-MM (e.g. 2024-01:2024-12).")],
    category: Annotated[
        Categories, Query(description="police.uk crime type (repeat for several; default all).")
    ] = None,
    rank_by: Annotated[Literal["count", "harm"], Query(description="Rank streets by count or by harm.")] = "count",
    force: Annotated[
        Force, Query(max_length=60, description="Only this force's rows (default: the force policing the area).")
    ] = None,
    method: Annotated[
        Literal["quasi", "poisson"],
        Query(
            description="Change on the previous period: quasi: allow for the month-to-month variation of each "
            "street's counts (default); poisson: the exact Poisson test."
        ),
    ] = "quasi",
) -> dict[str, object]:
    """Streets ranked by count or harm, with change on the previous period and the concentration of crime."""
    spell = Period.parse(period)
    place = resolve_area(db, area)
    result = crime_map.hot_streets(
        db, place, spell, categories=category or None, rank_by=rank_by, force=force, method=method
    )
    return {
        **paging.page(request, result.streets),
        "area_code": place.code,
        "area_name": place.name,
        "period": str(spell),
        "previous_period": str(result.previous_period),
        "crimes": result.total,
        "streets": result.street_count,
        "streets_for_half": result.streets_for_half,
        "months_with_data": len(result.coverage.present),
        "months_asked": result.coverage.asked,
        "notes": result.notes,
    }
