"""``/confidence``: MOPAC Public Attitude Survey measures with intervals, year-on-year changes and gaps,
as ``metforward confidence --json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from metforward.analyse.confidence import (
    DESIGN_NOTE,
    ConfidenceError,
    figures,
    find_measure,
    gaps,
    measures,
    year_on_year,
)
from metforward.domain.areas import borough_code
from metforward.domain.periods import period_end
from metforward.store.database import Database
from metforward.web.api.common import Page, Paging, Row
from metforward.web.app import get_db
from metforward.web.errors import API_ERRORS, ErrorDetail, WebError

router = APIRouter(tags=["confidence"])

END = r"^[12]\d{3}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$"


class ConfidencePage(Page[Row]):
    """A page of survey rows: the measures (no measure given), figures, year-on-year changes or gaps."""

    mode: Literal["measures", "figures", "change", "gap"]
    measure: str | None
    notes: list[str]


def _area(text: str | None) -> str | None:
    if text is None:
        return None
    if text.strip().lower() in ("london", "mps"):
        return "London"
    code = borough_code(text)
    if code is None:
        raise WebError(
            404,
            "not_found",
            f"area {text!r} is not London or a London borough (name or GSS code)",
            [ErrorDetail(field="query.area", message="not London or a borough")],
        )
    return code


def _end(text: str | None, name: str) -> dt.date | None:
    """A period end: YYYY-MM (the month's last day) or YYYY-MM-DD."""
    if text is None:
        return None
    try:
        return period_end(text)
    except ValueError as exc:
        raise WebError(
            422,
            "invalid_parameter",
            f"{name} must be a real date",
            [ErrorDetail(field=f"query.{name}", message=str(exc))],
        ) from exc


@router.get("/confidence", response_model=ConfidencePage, responses=API_ERRORS, summary="Public confidence (PAS)")
def confidence(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    paging: Annotated[Paging, Depends()],
    measure: Annotated[
        str | None,
        Query(max_length=200, description="Survey measure (a unique part of its name); none: list the measures."),
    ] = None,
    area: Annotated[
        str | None, Query(max_length=100, description="London or a borough (name or GSS code); default all.")
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
) -> dict[str, object]:
    """PAS measures by borough and quarter with Wilson intervals; year-on-year changes; gaps between groups."""
    code = _area(area)
    start, end = _end(first, "from"), _end(last, "to")
    level = 1 - alpha
    if measure is None:
        return {**paging.page(request, measures(db)), "mode": "measures", "measure": None, "notes": []}
    try:
        name = find_measure(db, measure)
    except ConfidenceError as exc:
        raise WebError(404, "not_found", str(exc).replace("\n  ", " | ")) from exc
    if gap is not None:
        gap_rows = gaps(db, name, gap[0], gap[1], area=code, n=n, confidence=level)
        notes = sorted({r.n_basis.split(";")[0] for r in gap_rows}) + [DESIGN_NOTE]
        return {**paging.page(request, gap_rows), "mode": "gap", "measure": name, "notes": notes}
    if change:
        if end is None:
            end = max((f.period_end for f in figures(db, name, area=code)), default=None)
            if end is None:
                raise WebError(404, "no_data", f"no figures of {name!r}{f' for {code}' if code else ''}")
        scope = "london" if code == "London" else "borough"
        changes = [
            c
            for c in year_on_year(db, name, end, level=scope, confidence=level)
            if code in (None, "London", c.area_code)
        ]
        notes = sorted({r.n_basis for r in changes}) + [DESIGN_NOTE]
        return {**paging.page(request, changes), "mode": "change", "measure": name, "notes": notes}
    rows = figures(db, name, area=code, start=start, end=end, n=n, confidence=level)
    notes = sorted({r.n_basis for r in rows}) + [DESIGN_NOTE]
    return {**paging.page(request, rows), "mode": "figures", "measure": name, "notes": notes}
