"""The map explorer (``/map``): MapLibre GL over the boundaries, with a server-rendered fallback list.

The GET parameters (layer, measure, month, category, area) say what is shown, so a view can be
shared as a link; the page says it in words, and lists the top areas (or cells, streets,
locations) of the current layer for anyone without JavaScript or WebGL. The map itself draws the
GeoJSON layers of :mod:`metforward.web.api.geo`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from metforward.analyse import crime_map
from metforward.analyse.compare import Period
from metforward.domain.periods import month_text
from metforward.errors import MetforwardError
from metforward.store.database import Database
from metforward.web.api import geo
from metforward.web.app import API_PREFIX, context, get_db, render
from metforward.web.errors import ErrorDetail, WebError

router = APIRouter()

LAYERS = {
    "borough": "crime by borough",
    "ward": "crime by ward",
    "lsoa": "crime by LSOA (small area)",
    "hotspots": "hot and cold spots (Gi*, 250 m grid)",
    "hotstreets": "hot streets",
    "repeats": "repeat locations (crime in 3 of the last 6 months)",
}
AREA_LAYERS = ("borough", "ward", "lsoa")
TOP = 10


def _fallback(
    db: Database, request: Request, layer: str, measure: str, period: Period, categories: list[str] | None, area: str
) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and notes of the list shown beside (or instead of) the map."""
    if layer in AREA_LAYERS:
        shapes = geo.boundaries(db, layer, context(request).load_version)
        figures, _ = geo.area_figures(db, level=layer, period=period, categories=categories)
        key = "count" if measure == "count" else "rate_per_1000"
        ranked = sorted(
            ((c, f) for c, f in figures.items() if f[key] is not None and f["count"] >= 3),
            key=lambda cf: -float(cf[1][key]),
        )[:TOP]
        rows = []
        for code, f in ranked:
            name = shapes.get(code, (code, ""))[0]
            if measure == "count":
                rows.append([name, code, f"{f['count']:,}", f"{f['count_low']:.0f} to {f['count_high']:.0f}"])
            else:
                rows.append([name, code, f"{f['rate_per_1000']:.1f}", f"{f['rate_low']:.1f} to {f['rate_high']:.1f}"])
        head = ["Area", "Code", "Crimes" if measure == "count" else "Crimes per 1,000 a year", "95% interval"]
        return head, rows, ["Counts of 1 and 2 are not listed (suppressed)."]
    place = geo._place(db, area)
    try:
        if layer == "hotspots":
            spots = crime_map.hot_spots(db, place, period, categories=categories)
            records = [r for r in crime_map.cell_records(spots) if r["class"] != "none"]
            records.sort(key=lambda r: -abs(float(r["z"] or 0)))  # type: ignore[arg-type]
            rows = [
                [
                    f"{int(float(r['x']))}, {int(float(r['y']))}",  # type: ignore[arg-type]
                    geo.VERDICT_WORDS[str(r["class"])],
                    f"{float(r['z']):+.2f}",  # type: ignore[arg-type]
                    f"{float(r['q_value']):.3f}",  # type: ignore[arg-type]
                ]
                for r in records[:TOP]
            ]
            notes = [*spots.notes, f"{len(records)} cells are hot or cold spots at a false discovery rate of 0.05."]
            return ["Cell (easting, northing of its centre)", "Verdict", "Gi* z", "q"], rows, notes
        if layer == "hotstreets":
            streets = crime_map.hot_streets(db, place, period, categories=categories)
            rows = [
                [s.location, s.ward_name or "-", f"{s.count:,}" if s.count >= 3 else "1 or 2", s.verdict]
                for s in streets.streets[:TOP]
            ]
            return ["Street", "Ward", "Crimes", "Change on the period before"], rows, streets.notes
        found, _ = crime_map.repeat_locations(db, place, end=period.last, categories=categories)
        rows = [[r.location, r.ward_name or "-", str(len(r.months)), f"{r.count:,}"] for r in found[:TOP]]
        return ["Location (snap point)", "Ward", "Months with crime", "Crimes"], rows, []
    except MetforwardError as exc:
        return [], [], [str(exc)]


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    layer: Annotated[str, Query()] = "borough",
    measure: Annotated[str, Query()] = "count",
    month: Annotated[str | None, Query()] = None,
    category: Annotated[str | None, Query()] = None,
    area: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """The map explorer."""
    if layer not in LAYERS:
        message = f"layer is one of {', '.join(LAYERS)}, not {layer!r}"
        raise WebError(422, "invalid_parameter", message, [ErrorDetail(field="query.layer", message=message)])
    if measure not in geo.MEASURES:
        raise WebError(
            422,
            "invalid_parameter",
            "measure is count or rate",
            [ErrorDetail(field="query.measure", message="count or rate")],
        )
    months = geo.loaded_months(db)
    period = geo._period(month or None, None, months[-1] if months else None)
    categories = geo.loaded_categories(db)
    chosen = [category] if category else None
    if category and category not in categories:
        message = f"no police.uk crime type {category!r} is loaded"
        raise WebError(422, "invalid_parameter", message, [ErrorDetail(field="query.category", message=message)])
    boroughs = sorted(
        ((name, code) for code, (name, _) in geo.boundaries(db, "borough", context(request).load_version).items()),
    )
    if not area:
        figures, _ = geo.area_figures(db, level="borough", period=period, categories=chosen)
        busiest = max(figures.items(), key=lambda cf: cf[1]["count"], default=None)
        area = busiest[0] if busiest else (boroughs[0][1] if boroughs else "")
    area_name = next((n for n, c in boroughs if c == area), area)
    head, rows, notes = _fallback(db, request, layer, measure, period, chosen, area)
    what = LAYERS[layer]
    if layer in AREA_LAYERS:
        what = f"{what}: {'number of crimes' if measure == 'count' else 'crimes per 1,000 residents a year'}"
    else:
        what = f"{what} in {area_name}"
    month_value = month_text(period.last)
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
        "months": ",".join(month_text(m) for m in months),
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
        months=[month_text(m) for m in months],
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
