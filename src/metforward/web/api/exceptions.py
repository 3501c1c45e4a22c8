"""``/exceptions``: performance by exception, as ``metforward exceptions --json`` (``items`` are its flags)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from metforward.analyse.exceptions import MIN_CHANGE, ExceptionFlag, exceptions
from metforward.domain.periods import parse_month
from metforward.store.database import Database
from metforward.web.api.common import MONTH, Force, Page, Paging
from metforward.web.app import context, get_db
from metforward.web.cache import ResultCache
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["exceptions"])

#: The three screens take about 200 ms on the sample; a report holds until the next load.
_results = ResultCache(64)


class ExceptionsPage(Page[ExceptionFlag]):
    """A page of flagged borough x category cells, ranked, with what was tested."""

    latest: str
    recent: str
    baseline: str
    tests: dict[str, int]
    flagged: dict[str, int]
    tested: int
    by_chance: float
    kind: str | None
    alpha: float
    min_change: float
    method: str
    summary: str
    notes: list[str]


@router.get("/exceptions", response_model=ExceptionsPage, responses=API_ERRORS, summary="Performance by exception")
def exception_flags(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    paging: Annotated[Paging, Depends()],
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
    ] = MIN_CHANGE * 100,
    method: Annotated[
        Literal["quasi", "poisson"],
        Query(description="Trend screen: quasi (allows for month-to-month variation) or the exact poisson test."),
    ] = "quasi",
) -> dict[str, object]:
    """Borough x category cells that are unusual: a significant rise on their own baseline, a rate outside
    the funnel of London's, or a latest month outside their own control limits."""
    last = parse_month(latest) if latest else None
    key = (context(request).load_version, source, by, last, months, baseline_months, force, alpha, min_change, method)
    report = _results.get(
        key,
        lambda: exceptions(
            db,
            source=source,
            by=by,
            latest=last,
            months=months,
            baseline_months=baseline_months,
            force=force,
            alpha=alpha,
            min_change=min_change / 100,
            method=method,
        ),
    )
    return {**paging.page(request, report.flags), **report.as_dict()}
