"""``/outcomes``: sanction detection rates, as ``metforward outcomes --json`` (police.uk or the MPS dashboard)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from metforward.analyse.compare import Period
from metforward.analyse.outcomes import BY, DASHBOARD_BY, dashboard_rates, sanction_rates
from metforward.questions.answer import jsonable
from metforward.store.database import Database
from metforward.web.api.common import PERIOD, Categories, Force, Page, Paging, Row, london_or_area, months
from metforward.web.app import get_db
from metforward.web.errors import API_ERRORS, ErrorDetail, WebError

router = APIRouter(tags=["outcomes"])

By = Literal["borough", "ward", "category", "month"]


class OutcomesPage(Page[Row]):
    """A page of outcome rows (grouping keys first, then the figures) with the total and what they rest on."""

    source: str
    area_code: str
    area_name: str
    period: str
    by: list[str]
    notes: list[str]
    total_row: Row = Field(description="The figures for every crime selected (the CLI's 'total').")
    forces: list[str] | None = Field(None, description="police-uk: the forces whose crimes count.")
    outcome_months: list[str] | None = Field(None, description="police-uk: first and last outcome month loaded.")
    loads: list[Row] | None = Field(None, description="police-uk: the loads the figures rest on.")
    crime_type: str | None = Field(None, description="dashboard: the crime type.")
    crime_subtype: str | None = Field(None, description="dashboard: the crime subtype.")
    months_with_data: int | None = Field(None, description="dashboard: months of the period with data.")
    months_asked: int | None = Field(None, description="dashboard: months in the period.")
    refresh_dates: list[str] | None = Field(None, description="dashboard: when the dashboard files were refreshed.")


@router.get("/outcomes", response_model=OutcomesPage, responses=API_ERRORS, summary="Sanction detection rates")
def outcomes(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    paging: Annotated[Paging, Depends()],
    period: Annotated[str, Query(pattern=PERIOD, description="Months the crimes were recorded in, YYYY-MM:YYYY-MM.")],
    area: Annotated[
        str,
        Query(
            max_length=100,
            description="London, or a borough, ward or LSOA name or GSS code (dashboard: London or a borough).",
        ),
    ] = "London",
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
) -> dict[str, object]:
    """Sanction detection rates with Wilson intervals, time to a sanction, and what is still under investigation."""
    spell = Period.parse(period)
    place = london_or_area(db, area)
    groups = list(dict.fromkeys(by or ()))
    if source == "dashboard":
        if not crime_type:
            raise WebError(
                422,
                "invalid_parameter",
                "source=dashboard needs crime_type (e.g. Knife Crime)",
                [ErrorDetail(field="query.crime_type", message="missing")],
            )
        if place is not None and place.level != "borough":
            raise WebError(422, "invalid_parameter", "the dashboard is read at borough level: give London or a borough")
        bad = [g for g in groups if g not in DASHBOARD_BY]
        if bad:
            raise WebError(
                422, "invalid_parameter", f"the dashboard groups by {' or '.join(DASHBOARD_BY)}, not {bad[0]}"
            )
        dash = dashboard_rates(
            db,
            None if place is None else place.code,
            spell,
            crime_type=crime_type,
            crime_subtype=crime_subtype,
            by=groups,
        )
        rows = dash.rows if dash.rows else [dash.total]
        return {
            **paging.page(request, rows),
            "source": "MPS Monthly Crime Dashboard",
            "area_code": dash.area_code,
            "area_name": dash.area_name,
            "period": str(dash.period),
            "by": groups,
            "notes": dash.notes,
            "total_row": jsonable(dash.total),
            "crime_type": dash.crime_type,
            "crime_subtype": dash.crime_subtype,
            "months_with_data": len(dash.months_present),
            "months_asked": dash.period.months,
            "refresh_dates": [d.isoformat() for d in dash.refresh_dates if d],
        }
    bad = [g for g in groups if g not in BY]
    if bad:
        raise WebError(422, "invalid_parameter", f"police.uk outcomes group by {', '.join(BY)}, not {bad[0]}")
    result = sanction_rates(db, place, spell, by=groups, categories=category or None, force=force)
    return {
        **paging.page(request, result.rows if result.by else [result.total]),
        "source": "police-uk",
        "area_code": result.area_code,
        "area_name": result.area_name,
        "period": str(result.period),
        "by": list(result.by),
        "notes": result.notes,
        "total_row": jsonable(result.total),
        "forces": result.forces,
        "outcome_months": months(result.outcome_months) if result.outcome_months else None,
        "loads": [
            {**jsonable(x), "first_month": f"{x.first_month:%Y-%m}", "last_month": f"{x.last_month:%Y-%m}"}
            for x in result.loads
        ],
    }
