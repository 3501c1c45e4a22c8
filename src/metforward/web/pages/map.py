"""The map explorer (``/map``): MapLibre GL over the boundaries, with a server-rendered fallback list.

The GET parameters (layer, measure, month, category, area) say what is shown, so a view can be
shared as a link; the page says it in words, and lists the top areas (or cells, streets,
locations) of the current layer for anyone without JavaScript or WebGL. The map itself draws the
GeoJSON layers of :mod:`metforward.web.api.geo`; the list shows the same questions' answers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from metforward.analyse.streets import HotStreets
from metforward.domain.periods import Period
from metforward.errors import BadRequest, MetforwardError
from metforward.present.maps import SUPPRESS_BELOW
from metforward.questions import hotspots, hotstreets, repeats
from metforward.questions import maps as areas
from metforward.web.answers import answer
from metforward.web.api import geo
from metforward.web.app import API_PREFIX, context, render

router = APIRouter()

LAYERS = {
    "borough": "crime by borough",
    "ward": "crime by ward",
    "lsoa": "crime by LSOA (small area)",
    "hotspots": "hot and cold spots (Gi*, 250 m grid)",
    "hotstreets": "hot streets",
    "repeats": "repeat locations (crime in 3 of the last 6 months)",
}
AREA_LAYERS = areas.LEVELS
TOP = 10

Rows = tuple[list[str], list[list[str]], list[str]]


def _area_rows(request: Request, layer: str, measure: str, period: str, categories: list[str] | None) -> Rows:
    found = answer(request, areas.QUESTION, areas.Query(period=period, level=layer, category=categories))
    names = geo.boundaries(request, layer)
    key = "count" if measure == "count" else "rate_per_1000"
    ranked = sorted(
        (r for r in found.items if r[key] is not None and r["count"] >= SUPPRESS_BELOW), key=lambda r: -float(r[key])
    )[:TOP]
    rows = []
    for r in ranked:
        name = names.get(r["code"], (r["name"], ""))[0]
        if measure == "count":
            rows.append([name, r["code"], f"{r['count']:,}", f"{r['count_low']:.0f} to {r['count_high']:.0f}"])
        else:
            rows.append([name, r["code"], f"{r['rate_per_1000']:.1f}", f"{r['rate_low']:.1f} to {r['rate_high']:.1f}"])
    head = ["Area", "Code", "Crimes" if measure == "count" else "Crimes per 1,000 a year", "95% interval"]
    return head, rows, ["Counts of 1 and 2 are not listed (suppressed)."]


def _place_rows(request: Request, layer: str, period: Period, categories: list[str] | None, area: str) -> Rows:
    if layer == "hotspots":
        spots = answer(request, hotspots.QUESTION, hotspots.Query(area, str(period), category=categories))
        records = sorted((r for r in spots.items if r["class"] != "none"), key=lambda r: -abs(float(r["z"] or 0)))
        rows = [
            [f"{int(r['x'])}, {int(r['y'])}", geo.VERDICT_WORDS[r["class"]], f"{r['z']:+.2f}", f"{r['q_value']:.3f}"]
            for r in records[:TOP]
        ]
        notes = [*spots.notes, f"{len(records)} cells are hot or cold spots at a false discovery rate of 0.05."]
        return ["Cell (easting, northing of its centre)", "Verdict", "Gi* z", "q"], rows, notes
    if layer == "hotstreets":
        found = answer(request, hotstreets.QUESTION, hotstreets.Query(area, str(period), category=categories))
        streets: HotStreets = found.result
        rows = [
            [s.location, s.ward_name or "-", f"{s.count:,}" if s.count >= SUPPRESS_BELOW else "1 or 2", s.verdict]
            for s in streets.streets[:TOP]
        ]
        return ["Street", "Ward", "Crimes", "Change on the period before"], rows, list(found.notes)
    end = str(period).split(":")[-1]
    located = answer(request, repeats.QUESTION, repeats.Query(area, end, category=categories))
    rows = [[r["location"], r["ward_name"] or "-", str(len(r["months"])), f"{r['count']:,}"] for r in located.items]
    return ["Location (snap point)", "Ward", "Months with crime", "Crimes"], rows[:TOP], []


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    layer: Annotated[str, Query()] = "borough",
    measure: Annotated[str, Query()] = "count",
    month: Annotated[str | None, Query()] = None,
    category: Annotated[str | None, Query()] = None,
    area: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """The map explorer."""
    if layer not in LAYERS:
        raise BadRequest(f"layer is one of {', '.join(LAYERS)}, not {layer!r}", field="layer")
    if measure not in geo.MEASURES:
        raise BadRequest("measure is count or rate", field="measure")
    months, categories = geo.loaded(request)
    if category and category not in categories:
        raise BadRequest(f"no police.uk crime type {category!r} is loaded", field="category")
    chosen = [category] if category else None
    busiest = answer(request, areas.QUESTION, areas.Query(month=month or None, level="borough", category=chosen))
    period = Period.parse(busiest.meta["period"])
    boroughs = sorted((name, code) for code, (name, _) in geo.boundaries(request, "borough").items())
    if not area:
        top = max(busiest.items, key=lambda r: r["count"], default=None)
        area = top["code"] if top else (boroughs[0][1] if boroughs else "")
    area_name = next((n for n, c in boroughs if c == area), area)
    if layer in AREA_LAYERS:
        head, rows, notes = _area_rows(request, layer, measure, str(period), chosen)
    else:
        try:
            head, rows, notes = _place_rows(request, layer, period, chosen, area)
        except MetforwardError as exc:
            head, rows, notes = [], [], [str(exc)]
    what = LAYERS[layer]
    if layer in AREA_LAYERS:
        what = f"{what}: {'number of crimes' if measure == 'count' else 'crimes per 1,000 residents a year'}"
    else:
        what = f"{what} in {area_name}"
    month_value = str(period).split(":")[-1]
    summary = (
        f"Showing {what}, {category or 'all crime types'}, "
        f"{'the 6 months to ' if layer == 'repeats' else ''}{month_value}."
    )
    data: dict[str, Any] = {
        "layer": layer,
        "measure": measure,
        "month": month_value,
        "category": category or "",
        "area": area,
        "months": ",".join(months),
        "api": API_PREFIX,
        "tiles": context(request).settings.tile_url or "",
    }
    return render(
        request,
        "map.html",
        title="Map explorer",
        active="/map",
        layers=LAYERS,
        layer=layer,
        measure=measure,
        month=month_value,
        months=months,
        category=category or "",
        categories=categories,
        area=area,
        boroughs=boroughs,
        summary=summary,
        head=head,
        rows=rows,
        notes=notes,
        data=data,
        area_layer=layer in AREA_LAYERS,
    )
