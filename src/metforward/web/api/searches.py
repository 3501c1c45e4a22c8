"""``/searches``: stop and search counts, rates and ethnic disproportionality, as ``metforward searches --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from metforward.analyse.searches import (
    BY,
    Selection,
    coverage,
    disproportionality,
    search_counts,
    search_rates,
)
from metforward.domain.periods import parse_month
from metforward.questions.answer import jsonable
from metforward.store.database import Database
from metforward.web.api.common import MONTH, Force, Page, Paging, Row, london_or_area
from metforward.web.app import get_db
from metforward.web.errors import API_ERRORS, ErrorDetail, WebError

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


class SearchesPage(Page[Row]):
    """A page of rows (grouping keys, then counts or rates) with the selection's coverage and notes."""

    mode: Literal["counts", "rates", "disproportionality"]
    area: str = Field(description="The selection in words.")
    coverage: Row = Field(description="Searches, months with data, searches without a location or outside London.")
    notes: list[str]
    ethnicity_field: str | None = None
    reference: str | None = None
    searches: int | None = None
    not_stated: int | None = None
    missing: int | None = None
    unmapped: int | None = None
    left_out: int | None = None
    denominator: str | None = None
    confidence: float | None = None


@router.get("/searches", response_model=SearchesPage, responses=API_ERRORS, summary="Stop and search")
def searches(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    paging: Annotated[Paging, Depends()],
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
) -> dict[str, object]:
    """Stop and search by month, area, ethnicity, object, outcome...; rates; disproportionality."""
    groups = list(dict.fromkeys(by or ()))
    start, end = (parse_month(first) if first else None), (parse_month(last) if last else None)
    if start and end and end < start:
        raise WebError(
            422,
            "invalid_parameter",
            f"to {last} is before from {first}",
            [ErrorDetail(field="query.to", message="before from")],
        )
    if mode == "disproportionality" and groups:
        raise WebError(422, "invalid_parameter", "disproportionality is by ethnic group: leave out by")
    sel = Selection(london_or_area(db, area), start, end, force)
    cov = coverage(db, sel)
    extra: dict[str, object] = {}
    notes: list[str] = []
    if mode == "disproportionality":
        result = disproportionality(db, sel, field=ethnicity, confidence=confidence)
        rows = result.rows
        notes = [f"denominator: {result.denominator}", *result.notes]
        extra = {k: v for k, v in result.as_dict().items() if k not in ("notes", "area")}
    elif mode == "rates":
        rows, notes = search_rates(db, sel, groups, confidence=confidence)
    else:
        rows = search_counts(db, sel, groups)
    return {
        **paging.page(request, rows),
        **extra,
        "mode": mode,
        "area": sel.describe(),
        "coverage": jsonable(cov),
        "notes": notes,
    }
