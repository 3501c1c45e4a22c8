"""``/``: the London overview, the web face of ``metforward report bulletin``.

"Results so far" (the financial year to date against the same months a year earlier), the
performance-by-exception list, the notable borough changes and the completeness of the data all
come from :func:`metforward.analyse.bulletin.bulletin_data`, so they equal the bulletin's and the
matching commands' ``--json`` numbers. The borough table and its choropleth show one category of
the same comparison at borough level (:func:`metforward.analyse.compare.compare` with the
bulletin's :func:`~metforward.analyse.bulletin.results_spec`), coloured by the chosen measure.

This module also holds the helpers the other page modules share (:func:`page`, parameter parsing).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from metforward.analyse.bulletin import BulletinData, bulletin_data, results_spec
from metforward.analyse.compare import CompareError, CompareRow
from metforward.analyse.exceptions import MIN_CHANGE
from metforward.analyse.geo import shape_to_bng
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import month_text, parse_month
from metforward.present.report import OKABE_ITO, num, pct, signed, svg_path
from metforward.questions.compare import compare
from metforward.store import catalog, cubes
from metforward.store.database import Database
from metforward.store.places import area_shapes
from metforward.web.app import context, get_db, render
from metforward.web.errors import ErrorDetail, WebError

router = APIRouter()

#: The City of London: its own force, so not among the Met's 32 boroughs.
CITY_OF_LONDON = "E09000001"
#: What the borough table and map can be coloured by.
MEASURES = {
    "change": "% change on the same months a year earlier",
    "count": "crimes recorded in the financial year to date",
}
#: Diverging classes for a % change (blue down, vermillion up; Okabe-Ito ends, light middles).
CHANGE_CLASSES = (
    (-math.inf, -10.0, OKABE_ITO["blue"], "down 10% or more"),
    (-10.0, -2.0, "#9DC3E6", "down 2% to 10%"),
    (-2.0, 2.0, "#F2F2F2", "within 2%"),
    (2.0, 10.0, "#F4B183", "up 2% to 10%"),
    (10.0, math.inf, OKABE_ITO["vermillion"], "up 10% or more"),
)
#: Sequential blues for counts (five quantile classes).
COUNT_COLOURS = ("#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C")


def slug(name: str) -> str:
    """A borough name in a URL: ``Kensington and Chelsea`` -> ``kensington-and-chelsea``."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def page(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page with the report number formats as filters (``num``, ``pct``, ``signed``) and ``slug``."""
    env = context(request).templates.env
    if "signed" not in env.filters:
        env.filters.update(num=num, pct=pct, signed=signed, slug=slug)
    return render(request, template, status_code=status_code, **values)


def invalid(field: str, message: str) -> WebError:
    """A 422 naming the parameter and what to give instead."""
    return WebError(422, "invalid_parameter", f"{field}: {message}", [ErrorDetail(field=field, message=message)])


def month_param(text: str | None, default: dt.date) -> dt.date:
    """``?month=YYYY-MM`` (empty: ``default``)."""
    if not text:
        return default
    try:
        return parse_month(text.strip())
    except ValueError as exc:
        raise invalid("month", f"{text!r} is not a month; give YYYY-MM, e.g. 2025-03") from exc


#: How to load the overview's source, in the words of every page and message that needs it.
LOAD_DATASTORE = (
    "download the MPS borough-level crime file from the London Datastore (data.london.gov.uk) "
    "and load it with metforward ingest FILE"
)


def datastore_month(db: Database) -> dt.date | None:
    """The latest month of the Datastore borough counts (the bulletin's source), None when none are loaded."""
    return cubes.latest_month(db, source="datastore", kind="datastore-borough") or cubes.latest_month(
        db, source="datastore"
    )


def latest_datastore_month(db: Database) -> dt.date:
    """The latest month of the Datastore borough counts (the bulletin's source); 404 when none are loaded."""
    latest = datastore_month(db)
    if latest is None:
        raise WebError(404, "no_data", f"no London Datastore borough counts are loaded: {LOAD_DATASTORE}")
    return latest


def welcome(request: Request, db: Database) -> HTMLResponse:
    """``/`` on a store without the overview's source: what is loaded, and the commands that load the rest."""
    today = dt.date.today()
    last = dt.date(today.year, today.month, 1) - dt.timedelta(days=70)  # police.uk publishes a month or two late
    first = dt.date(last.year - 1, last.month, 1) + dt.timedelta(days=31)
    police = catalog.series(catalog.police_coverage(db))
    datastore = catalog.datastore_coverage(db)
    reference = catalog.reference_coverage(db)
    return page(
        request,
        "welcome.html",
        title="Welcome" if police or datastore or reference else "Nothing is loaded yet",
        active="/",
        police=police,
        datastore=datastore,
        reference=reference,
        fetch_from=month_text(first),
        fetch_to=month_text(last),
    )


@dataclass(frozen=True)
class BoroughValue:
    """One borough's row of the borough table: the comparison row of the chosen category and its class."""

    code: str
    name: str
    row: CompareRow | None
    value: float | None
    colour: str
    label: str


@dataclass(frozen=True)
class BoroughTable:
    """The borough table and map: one category, one measure, every borough."""

    month: dt.date
    measure: str
    category: str
    categories: list[str]
    values: list[BoroughValue]
    legend: list[tuple[str, str]]
    notes: list[str]


def borough_table(db: Database, month: dt.date, measure: str, category: str | None, alpha: float) -> BoroughTable:
    """The bulletin's borough-level comparison for one category, classed for the map."""
    if measure not in MEASURES:
        raise invalid("measure", f"{measure!r} is not a measure; give one of {', '.join(MEASURES)}")
    notes: list[str] = []
    try:
        rows = compare(db, results_spec(month, level="borough", alpha=alpha)).rows
    except CompareError as exc:
        rows, notes = [], [str(exc)]
    categories = sorted({r.category for r in rows})
    if category and category not in categories:
        raise invalid("category", f"{category!r} is not a category of the data; give one of {', '.join(categories)}")
    chosen = category or ("BURGLARY" if "BURGLARY" in categories else (categories[0] if categories else ""))
    mine = {r.area_code: r for r in rows if r.category == chosen}
    raw: list[tuple[str, str, CompareRow | None, float | None]] = []
    for code, name in sorted(LONDON_BOROUGHS.items(), key=lambda kv: kv[1]):
        if code == CITY_OF_LONDON:  # policed by the City of London Police, not in the MPS figures
            continue
        row = mine.get(code)
        value = None if row is None else (row.change_pct if measure == "change" else float(row.after))
        raw.append((code, name, row, value))
    if measure == "change":
        legend = [(colour, label) for _lo, _hi, colour, label in CHANGE_CLASSES]

        def classify(v: float) -> tuple[str, str]:
            for lo, hi, colour, label in CHANGE_CLASSES:
                if lo <= v < hi:
                    return colour, label
            return CHANGE_CLASSES[-1][2], CHANGE_CLASSES[-1][3]

    else:
        present = sorted(v for *_, v in raw if v is not None)
        cuts = [present[min(len(present) - 1, (len(present) * i) // 5)] for i in range(1, 5)] if present else []
        bounds = [present[0] if present else 0.0, *cuts, present[-1] if present else 0.0]
        legend = [(COUNT_COLOURS[i], f"{bounds[i]:,.0f} to {bounds[i + 1]:,.0f}") for i in range(5)] if present else []

        def classify(v: float) -> tuple[str, str]:
            i = sum(1 for c in cuts if v >= c)
            return legend[i]

    values = []
    for code, name, row, value in raw:
        colour, label = classify(value) if value is not None else ("#FFFFFF", "no data")
        values.append(BoroughValue(code, name, row, value, colour, label))
    if any(v.value is None for v in values):
        legend.append(("#FFFFFF", "no data"))
    return BoroughTable(month, measure, chosen, categories, values, legend, notes)


_SHAPES: dict[str, dict[str, shapely.Geometry]] = {}


def borough_shapes(db: Database, load_version: str) -> dict[str, shapely.Geometry]:
    """Borough boundaries in British National Grid, simplified to 40 m (kept for one load version)."""
    if load_version not in _SHAPES:
        shapes = {
            code: shapely.simplify(shape_to_bng(wkb), 40.0, preserve_topology=True)
            for code, (_name, wkb) in area_shapes(db, "borough", sorted(LONDON_BOROUGHS)).items()
        }
        _SHAPES.clear()
        _SHAPES[load_version] = shapes
    return _SHAPES[load_version]


def choropleth_svg(table: BoroughTable, shapes: dict[str, shapely.Geometry], *, width: int = 600) -> Markup:
    """The boroughs coloured by the table's classes, each with its name and value as a tooltip.

    The legend is HTML beside the map (:func:`swatch` draws its colours), so it stays readable at any size.
    """
    drawn = [v for v in table.values if v.code in shapes]
    if not drawn:
        return Markup("")
    x0, y0, x1, y1 = shapely.total_bounds([shapes[v.code] for v in drawn])
    k = width / max(x1 - x0, 1.0)
    height = math.ceil((y1 - y0) * k)
    title = f"{table.category}: {MEASURES[table.measure]}, by borough"
    description = (
        f"Map of the 32 London boroughs coloured by {MEASURES[table.measure]} for {table.category}. "
        "Each borough's value is in the table beside the map."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(description)}" '
        f'viewBox="0 0 {width} {height}" class="mf-choropleth">',
        f"<title>{html.escape(title)}</title>",
    ]
    for v in drawn:
        shown = "no data" if v.value is None else (signed(v.value) + "%" if table.measure == "change" else num(v.value))
        out.append(
            f'<path d="{svg_path(shapes[v.code], x0, y1, k)}" fill="{v.colour}" stroke="#0b0c0c" '
            f'stroke-width="0.6"><title>{html.escape(v.name)}: {html.escape(shown)}</title></path>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def swatch(colour: str) -> Markup:
    """A 16-pixel square of ``colour`` (an SVG attribute: the CSP forbids inline styles)."""
    return Markup(
        '<svg class="mf-swatch" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">'
        f'<rect x="0.5" y="0.5" width="15" height="15" fill="{html.escape(colour)}" stroke="#505a5f"/></svg>'
    )


_OVERVIEWS: OrderedDict[tuple[str, dt.date, str, str | None, float, float], dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()
#: Overviews kept in memory (month x measure x category), for the current load version only.
OVERVIEWS_KEPT = 32


def overview_data(
    db: Database,
    load_version: str,
    month: str | None,
    measure: str,
    category: str | None,
    alpha: float,
    *,
    min_change: float = MIN_CHANGE,
) -> dict[str, Any]:
    """Everything the overview shows (shared with the downloads), kept under the store's load version.

    ``min_change``: the exceptions' smallest change worth flagging, as a share.
    """
    chosen = month_param(month, latest_datastore_month(db))
    key = (load_version, chosen, measure, category or None, alpha, min_change)
    with _LOCK:
        if key in _OVERVIEWS:
            _OVERVIEWS.move_to_end(key)
            return _OVERVIEWS[key]
    data: BulletinData = bulletin_data(db, chosen, alpha=alpha, min_change=min_change)
    boroughs = borough_table(db, chosen, measure, category, alpha)
    values = {"b": data, "boroughs": boroughs, "month_text": month_text(chosen)}
    with _LOCK:
        for old in [k for k in _OVERVIEWS if k[0] != load_version]:
            del _OVERVIEWS[old]
        _OVERVIEWS[key] = values
        while len(_OVERVIEWS) > OVERVIEWS_KEPT:
            _OVERVIEWS.popitem(last=False)
    return values


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    month: Annotated[str | None, Query(description="The latest month, YYYY-MM")] = None,
    measure: Annotated[str, Query()] = "change",
    category: Annotated[str | None, Query()] = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
    min_change: Annotated[
        float, Query(ge=0, le=1000, description="Exceptions: smallest change from the expectation worth flagging, %")
    ] = MIN_CHANGE * 100,
) -> HTMLResponse:
    """The London overview (a welcome page saying what to load while its source is not loaded)."""
    if datastore_month(db) is None:
        return welcome(request, db)
    values = overview_data(
        db, context(request).load_version, month, measure, category, alpha, min_change=min_change / 100
    )
    shapes = borough_shapes(db, context(request).load_version)
    return page(
        request,
        "overview.html",
        title="London: results so far",
        active="/",
        measures=MEASURES,
        map_svg=choropleth_svg(values["boroughs"], shapes),
        swatch=swatch,
        latest=month_text(latest_datastore_month(db)),
        **values,
    )
