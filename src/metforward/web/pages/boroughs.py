"""``/boroughs`` and ``/boroughs/{borough}``: the borough list and the borough page.

The borough page is the web face of the Local Policing Summary: every figure comes from
the summary question (:mod:`metforward.questions.reports`: targets checked as ``metforward targets check``
does, crime against the year before, the monthly trend, hot streets and the Gi* hot-spot map,
sanction detection, stop and search, public confidence, completeness), so it equals the PDF and
the CLI ``--json`` numbers. Charts and the map are the report's own SVG helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from metforward.analyse.reports import SummaryData, resolve_borough, summary_inputs
from metforward.analyse.targets import TargetResult
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.present.charts import map_svg, trend_chart
from metforward.questions import reports
from metforward.questions.answer import Answer
from metforward.web.api.common import borrowed
from metforward.web.app import context
from metforward.web.cache import ResultCache
from metforward.web.pages.overview import app_basket, page, slug

router = APIRouter()

#: Borough summaries (each a few hundred kB at most) and their rendered pages, keyed by the load version,
#: the query and the targets file's version; the London targets' results, the same on every borough page.
_summaries = ResultCache(64)
_pages = ResultCache(64)
_london = ResultCache(4)


def targets_version(request: Request) -> tuple[str | None, str]:
    """The configured targets file (Settings.targets_file) and its version (its modification time), so a
    changed file is seen at once."""
    path = context(request).settings.targets_file
    if path is None:
        return None, "none"
    try:
        return str(path), str(Path(path).stat().st_mtime_ns)
    except OSError:
        return str(path), "unreadable"  # the summary says so in its notes


def summary_answer(request: Request, borough: str, year: str | None) -> Answer:
    """The summary of the borough page (and its downloads), from the cache while the store's data and the
    targets file are unchanged. London targets are checked once for every borough page."""
    targets, version = targets_version(request)
    query = reports.Query(resolve_borough(borough)[0], year, targets, app_basket(request))
    load = context(request).load_version

    def make() -> Answer:
        london: dict[str, TargetResult] = _london.get((load, targets, version), dict)
        with borrowed(request).connection() as db:
            return reports.ask(db, query, london=london)

    return _summaries.get((load, query, version), make)


def borough_summary(request: Request, borough: str, year: str | None) -> tuple[SummaryData, str | None]:
    """The summary data of the borough page (and its downloads), with the targets file's name."""
    found = summary_answer(request, borough, year)
    data: SummaryData = found.result
    targets = found.query["targets"]
    return data, Path(targets).name if targets and data.targets_title is not None else None


@router.get("/boroughs", response_class=HTMLResponse)
def boroughs(
    request: Request, borough: Annotated[str | None, Query(description="Go to this borough's page")] = None
) -> Response:
    """The 32 London boroughs policed by the Met (and the City of London), with links; ``?borough=`` goes there."""
    if borough:
        return RedirectResponse(f"/boroughs/{slug(resolve_borough(borough)[1])}", status_code=303)
    rows = sorted(((name, code, slug(name)) for code, name in LONDON_BOROUGHS.items()), key=lambda r: r[0])
    return page(request, "boroughs.html", title="Boroughs", active="/boroughs", rows=rows)


def figures(data: SummaryData) -> dict[str, Markup | None]:
    """The trend chart and the hot-spot map of the page (the report's own SVG helpers)."""
    return {
        "trend_svg": (
            trend_chart(data.trend.months, data.trend.this_year, data.trend.previous_year, data.borough_name)
            if data.trend
            else None
        ),
        "map_svg": (
            map_svg(
                data.map.outline,
                data.map.cells,
                title=f"Hot spots of crime in {data.borough_name}, {data.year.period}",
                wards=data.map.wards,
            )
            if data.map
            else None
        ),
    }


@router.get("/boroughs/{borough}", response_class=HTMLResponse)
def borough_page(
    request: Request,
    borough: str,
    year: Annotated[str | None, Query(description="2024/25 (April to March) or 2024")] = None,
) -> HTMLResponse:
    """One borough: targets and verdicts, trends, hot streets and spots, outcomes, searches, confidence."""
    data, targets_name = borough_summary(request, borough, year)

    def draw() -> bytes:
        values: dict[str, Any] = {
            "d": data,
            "slug": slug(data.borough_name),
            "year": data.year.label,
            "inputs": summary_inputs(data),
            "targets_name": targets_name,
            "streets": data.streets.streets[:10] if data.streets else [],
            **figures(data),
        }
        response = page(
            request, "borough.html", title=f"{data.borough_name}, {data.year.label}", active="/boroughs", **values
        )
        return bytes(response.body)

    targets, version = targets_version(request)
    key = (context(request).load_version, data.borough_code, data.year.label, targets, version)
    return HTMLResponse(_pages.get(key, draw))
