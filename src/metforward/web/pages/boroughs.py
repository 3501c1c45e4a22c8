"""``/boroughs`` and ``/boroughs/{borough}``: the borough list and the borough page.

The borough page is the web face of the Local Policing Summary: every figure comes from
:func:`metforward.analyse.reports.summary_data` (targets checked as ``metforward targets check``
does, crime against the year before, the monthly trend, hot streets and the Gi* hot-spot map,
sanction detection, stop and search, public confidence, completeness), so it equals the PDF and
the CLI ``--json`` numbers. Charts and the map are the report's own SVG helpers.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from metforward.analyse.reports import ReportError, SummaryData, parse_year, resolve_borough, summary_data
from metforward.analyse.reports import summary_inputs as report_inputs
from metforward.analyse.targets import TargetResult, TargetsFile
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.present.report import map_svg, trend_chart
from metforward.questions.targets_file import TargetsFileError, load_targets
from metforward.store.database import Database
from metforward.store.queries import status as status_queries
from metforward.web.app import context, get_db
from metforward.web.errors import WebError
from metforward.web.pages.overview import invalid, page, slug

router = APIRouter()

_LOCK = threading.Lock()
_BUILDING: dict[tuple[str, str, str, str], threading.Lock] = {}
_LONDON: dict[tuple[str, str, int], dict[str, TargetResult]] = {}
_SUMMARIES: OrderedDict[tuple[str, str, str, str], tuple[SummaryData, str | None, dict[str, Any]]] = OrderedDict()
#: Borough summaries kept in memory (each a few hundred kB at most).
SUMMARIES_KEPT = 64


def borough_param(text: str) -> tuple[str, str]:
    """A borough's GSS code and name from a slug, name or code; 404 when it is not a London borough."""
    try:
        return resolve_borough(text)
    except ReportError as exc:
        raise WebError(404, "not_found", str(exc)) from exc


def year_param(db: Database, text: str | None) -> str:
    """``?year=2024/25`` or ``2024``; by default the latest calendar year of police.uk street data.

    (The last year with a December loaded; without street data, the year before the latest
    Datastore month.)
    """
    if text:
        try:
            return parse_year(text).label
        except ReportError as exc:
            raise invalid("year", str(exc).replace("--year ", "")) from exc
    last = status_queries.latest_street_month(db)
    if isinstance(last, dt.date):
        return str(last.year if last.month == 12 else last.year - 1)
    latest = status_queries.latest_datastore_month(db)
    return str((latest.year if isinstance(latest, dt.date) else dt.date.today().year) - 1)


class TargetsProblem(Exception):
    """The configured targets file cannot be read (shown on the page, not a server error)."""


def targets_file(request: Request) -> tuple[TargetsFile | None, str | None, dict[str, TargetResult], str]:
    """The configured targets file (Settings.targets_file), its name, the London results kept for this
    load version and file version (London targets are the same on every borough page), and that version."""
    path = context(request).settings.targets_file
    if path is None:
        return None, None, {}, "none"
    try:
        stat = Path(path).stat()
        parsed = load_targets(Path(path))
    except OSError as exc:
        raise TargetsProblem(f"the targets file {path} cannot be read: {exc}") from exc
    except TargetsFileError as exc:
        raise TargetsProblem(f"the targets file {exc.path} is not valid: " + "; ".join(exc.problems)) from exc
    key = (context(request).load_version, str(path), stat.st_mtime_ns)
    with _LOCK:
        if key not in _LONDON:
            _LONDON.clear()
            _LONDON[key] = {}
        london = _LONDON[key]
    return parsed, Path(path).name, london, f"{path}|{stat.st_mtime_ns}"


def borough_summary(request: Request, db: Database, borough: str, year: str | None) -> tuple[SummaryData, str | None]:
    """The summary data of the borough page (and its downloads), with the targets file's name."""
    data, name, _figures = _summary_entry(request, db, borough, year)
    return data, name


def _summary_entry(
    request: Request, db: Database, borough: str, year: str | None
) -> tuple[SummaryData, str | None, dict[str, Any]]:
    """The summary data, the targets file's name, and the page's drawn figures (filled by the page).

    Kept (at most :data:`SUMMARIES_KEPT`, least recently used dropped) under the store's load
    version and the targets file's version, so new loads or a changed targets file are seen at once.
    """
    code, _name = borough_param(borough)
    label = year_param(db, year)
    try:
        targets, name, london, version = targets_file(request)
        problem = None
    except TargetsProblem as exc:
        targets, name, london, version, problem = None, None, {}, "problem", str(exc)
    key = (context(request).load_version, code, label, version)
    with _LOCK:
        if key in _SUMMARIES:
            _SUMMARIES.move_to_end(key)
            return _SUMMARIES[key]
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:  # concurrent first requests for one borough wait for one computation
        with _LOCK:
            if key in _SUMMARIES:
                _SUMMARIES.move_to_end(key)
                return _SUMMARIES[key]
        try:
            return _build_summary(db, key, code, label, targets, name, london, problem)
        finally:
            with _LOCK:
                _BUILDING.pop(key, None)


def _build_summary(
    db: Database,
    key: tuple[str, str, str, str],
    code: str,
    label: str,
    targets: TargetsFile | None,
    name: str | None,
    london: dict[str, TargetResult],
    problem: str | None,
) -> tuple[SummaryData, str | None, dict[str, Any]]:
    data = summary_data(db, code, label, targets, london)
    if problem:
        data.notes.insert(0, problem)
    entry: tuple[SummaryData, str | None, dict[str, Any]] = (data, name, {})
    with _LOCK:
        for old in [k for k in _SUMMARIES if k[0] != key[0]]:
            del _SUMMARIES[old]
        _SUMMARIES[key] = entry
        while len(_SUMMARIES) > SUMMARIES_KEPT:
            _SUMMARIES.popitem(last=False)
    return entry


@router.get("/boroughs", response_class=HTMLResponse)
def boroughs(
    request: Request, borough: Annotated[str | None, Query(description="Go to this borough's page")] = None
) -> Response:
    """The 32 London boroughs policed by the Met (and the City of London), with links; ``?borough=`` goes there."""
    if borough:
        return RedirectResponse(f"/boroughs/{slug(borough_param(borough)[1])}", status_code=303)
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
    db: Annotated[Database, Depends(get_db)],
    year: Annotated[str | None, Query(description="2024/25 (April to March) or 2024")] = None,
) -> HTMLResponse:
    """One borough: targets and verdicts, trends, hot streets and spots, outcomes, searches, confidence."""
    data, targets_name, drawn = _summary_entry(request, db, borough, year)
    if "page" in drawn:  # the rendered page, kept with its summary (same load version, same targets)
        return HTMLResponse(drawn["page"])
    if not drawn:
        drawn.update(figures(data))
    values: dict[str, Any] = {
        "d": data,
        "slug": slug(data.borough_name),
        "year": data.year.label,
        "inputs": report_inputs(data),
        "targets_name": targets_name,
        "streets": data.streets.streets[:10] if data.streets else [],
        **drawn,
    }
    response = page(
        request, "borough.html", title=f"{data.borough_name}, {data.year.label}", active="/boroughs", **values
    )
    drawn["page"] = bytes(response.body)
    return response
