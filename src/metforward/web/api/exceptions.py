"""``/exceptions``: performance by exception, as ``metforward exceptions --json`` (``items`` are its flags)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from metforward.analyse.exceptions import ExceptionFlag, exceptions
from metforward.domain.periods import month_text, parse_month
from metforward.store.database import Database
from metforward.web.api.common import MONTH, Force, Page, Paging, ResultCache
from metforward.web.app import context, get_db
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
    kind: str | None
    alpha: float
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
) -> dict[str, object]:
    """Borough x category cells that are unusual: a significant rise on their own baseline, a rate outside
    the funnel of London's, or a latest month outside their own control limits."""
    last = parse_month(latest) if latest else None
    key = (context(request).load_version, source, by, last, months, baseline_months, force, alpha)
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
        ),
    )
    return {
        **paging.page(request, report.flags),
        "latest": month_text(report.latest),
        "recent": str(report.recent),
        "baseline": str(report.baseline),
        "tests": report.tests,
        "kind": report.kind,
        "alpha": report.alpha,
        "notes": report.notes,
    }
