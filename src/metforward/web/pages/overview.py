"""``/``: the London overview, the web face of ``metforward report bulletin``.

"Results so far" (the financial year to date against the same months a year earlier), the
performance-by-exception list, the notable borough changes and the completeness of the data all
come from the bulletin question (:mod:`metforward.questions.bulletin`), so they equal the bulletin's
and the matching commands' ``--json`` numbers. The borough table and its choropleth show one
category of the same comparison at borough level (the bulletin's borough rows), coloured by the
chosen measure. Every read goes through :func:`metforward.web.answers.answer` (cached by load version).

This module also holds the helpers the other page modules share (:func:`page`, parameter parsing).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from metforward.analyse.compare import CompareRow
from metforward.analyse.geo import shape_to_bng
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import month_text
from metforward.errors import BadRequest
from metforward.present.charts import OKABE_ITO, svg_path
from metforward.present.report import num, pct, signed
from metforward.questions import areas, bulletin, status
from metforward.web.answers import answer
from metforward.web.api.common import borrowed
from metforward.web.app import context, render
from metforward.web.cache import ResultCache
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


def app_basket(request: Request) -> str | None:
    """The app's headline basket file (``serve --basket``), None for the built-in seeds' table."""
    path = context(request).settings.basket_file
    return None if path is None else str(path)


def welcome(request: Request, loaded: status.Status) -> HTMLResponse:
    """``/`` on a store without the overview's source: what is loaded, and the commands that load the rest."""
    today = dt.date.today()
    last = dt.date(today.year, today.month, 1) - dt.timedelta(days=70)  # police.uk publishes a month or two late
    first = dt.date(last.year - 1, last.month, 1) + dt.timedelta(days=31)
    police, datastore, reference = loaded.series, loaded.datastore, loaded.reference
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


def check_measure(measure: str) -> None:
    """:class:`BadRequest` for a measure the borough table cannot be coloured by."""
    if measure not in MEASURES:
        raise BadRequest(f"measure: {measure!r} is not a measure; give one of {', '.join(MEASURES)}", field="measure")


def borough_table(month: dt.date, rows: list[CompareRow], measure: str, category: str | None) -> BoroughTable:
    """The bulletin's borough-level comparison (``rows``) for one category, classed for the map."""
    check_measure(measure)
    notes: list[str] = [] if rows else ["no borough-level comparison could be made for these months"]
    categories = sorted({r.category for r in rows})
    if category and category not in categories:
        raise BadRequest(
            f"category: {category!r} is not a category of the data; give one of {', '.join(categories)}",
            field="category",
        )
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


#: Borough boundaries by load version: as loaded (WGS84 WKB, for the GeoJSON download) and for the choropleth.
_shapes = ResultCache(8)


def borough_boundaries(request: Request) -> dict[str, tuple[str, bytes]]:
    """Every London borough's boundary as loaded: code -> (name, WKB in WGS84) (kept for the load version)."""

    def make() -> dict[str, tuple[str, bytes]]:
        with borrowed(request).connection() as db:
            return areas.boundaries(db, "borough", sorted(LONDON_BOROUGHS))

    return _shapes.get((context(request).load_version, "wgs84"), make)


def borough_shapes(request: Request) -> dict[str, shapely.Geometry]:
    """Borough boundaries in British National Grid, simplified to 40 m (kept for the load version)."""

    def make() -> dict[str, shapely.Geometry]:
        return {
            code: shapely.simplify(shape_to_bng(wkb), 40.0, preserve_topology=True)
            for code, (_name, wkb) in borough_boundaries(request).items()
        }

    return _shapes.get((context(request).load_version, "bng"), make)


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


def overview_data(
    request: Request,
    month: str | None,
    measure: str,
    category: str | None,
    alpha: float,
    *,
    min_change: float = bulletin.Query.min_change,
) -> dict[str, Any]:
    """Everything the overview shows (shared with the downloads): the bulletin's answer and the borough table.

    ``min_change``: the exceptions' smallest change worth flagging, as a share.
    """
    check_measure(measure)
    query = bulletin.Query(month, alpha, min_change, app_basket(request))
    made: bulletin.Bulletin = answer(request, bulletin.QUESTION, query).result
    data = made.data
    boroughs = borough_table(data.month, data.boroughs, measure, category)
    return {"b": data, "boroughs": boroughs, "month_text": month_text(data.month), "latest": made.latest}


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    month: Annotated[str | None, Query(description="The latest month, YYYY-MM")] = None,
    measure: Annotated[str, Query()] = "change",
    category: Annotated[str | None, Query()] = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = bulletin.Query.alpha,
    min_change: Annotated[
        float, Query(ge=0, le=1000, description="Exceptions: smallest change from the expectation worth flagging, %")
    ] = bulletin.Query.min_change * 100,
) -> HTMLResponse:
    """The London overview (a welcome page saying what to load while its source is not loaded)."""
    loaded: status.Status = answer(request, status.QUESTION, status.Query()).result
    if not loaded.datastore:
        return welcome(request, loaded)
    values = overview_data(request, month, measure, category, alpha, min_change=min_change / 100)
    latest = values.pop("latest")
    return page(
        request,
        "overview.html",
        title="London: results so far",
        active="/",
        measures=MEASURES,
        map_svg=choropleth_svg(values["boroughs"], borough_shapes(request)),
        swatch=swatch,
        latest=month_text(latest) if latest else values["month_text"],
        **values,
    )
