"""GeoJSON map layers under /api/v1/geo: area choropleths, hot-spot cells, hot streets, repeat locations.

Every layer is an RFC 7946 FeatureCollection in WGS84 (longitude, latitude), served as
``application/geo+json``, with a ``metforward`` member saying what it shows (the question and the
query it draws, the period, the months with data, the suppression rule, notes) and an
``attribution``. Each layer draws a question's answer, the same as the command's: the area layers
the ``map`` question's (:mod:`metforward.questions.maps`: counts as ``compare`` counts them, with
an exact Poisson interval, and the rate per 1,000 residents per year over the months with data),
the others the ``hotspots``, ``hotstreets`` and ``repeats`` questions'. The choropleth classes are
:func:`metforward.present.maps.class_breaks`' (the reports' too).

Boundaries are simplified for the web (:func:`metforward.present.maps.simplify`) and kept in the
web cache per store load version.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from metforward import ATTRIBUTION
from metforward.domain.periods import month_text
from metforward.present import maps
from metforward.questions import hotspots, hotstreets, repeats
from metforward.questions import maps as areas
from metforward.questions.places import loaded_categories, loaded_months
from metforward.web.answers import answer
from metforward.web.api.common import Categories, borrowed
from metforward.web.app import context
from metforward.web.cache import ResultCache
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["map"])

GEOJSON = "application/geo+json"
LEVELS = areas.LEVELS
MEASURES = ("count", "rate")
VERDICT_WORDS = {"hot": "hot spot", "cold": "cold spot", "none": "neither hot nor cold"}
#: Simplified boundaries by (load version, level), and the months and crime types loaded, per load version
#: (simplifying London's LSOAs takes seconds: once per load).
_boundaries: ResultCache = ResultCache(8)
#: Each area's bbox and ward labels by (load version, what, area): small, one per area asked for.
_places: ResultCache = ResultCache(128)


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


class Feature(BaseModel):
    """A GeoJSON Feature (RFC 7946): a WGS84 geometry and its figures."""

    type: Literal["Feature"]
    geometry: dict[str, Any] | None = Field(description="A GeoJSON geometry in WGS84 (longitude, latitude).")
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection with what it shows (``metforward``) and the attribution."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    metforward: dict[str, Any] = Field(
        description="What the layer shows: question and query, period, months with data, measure, classes, "
        "suppression rule, notes."
    )
    attribution: str


class MonthsResponse(BaseModel):
    """The months of police.uk street data loaded (for the map's period slider)."""

    months: list[str] = Field(description="Every month YYYY-MM with police.uk street data, oldest first.")
    first: str | None
    last: str | None
    categories: list[str] = Field(description="police.uk crime types in the data loaded.")
    attribution: str


#: Errors are JSON (the one error shape), not GeoJSON: say so, or the schema would claim geo+json.
_GEO_DOC: dict[int | str, dict[str, Any]] = {
    status: {**doc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
    for status, doc in API_ERRORS.items()
}

Month = Annotated[str | None, Query(description="One month YYYY-MM (default: the latest loaded).")]
Period = Annotated[str | None, Query(description="Months YYYY-MM:YYYY-MM (instead of month).")]
Area = Annotated[str, Query(description="A borough, ward or LSOA name or GSS code.", min_length=1)]
CategoryParam = Annotated[Categories, Query(description="police.uk crime type (repeat; default all).")]


def boundaries(request: Request, level: str) -> dict[str, tuple[str, str]]:
    """London's boundaries at ``level``: code -> (name, simplified GeoJSON geometry text), cached per load."""

    def make() -> dict[str, tuple[str, str]]:
        with borrowed(request).connection() as db:
            shapes = areas.boundaries(db, level)
        return {code: (name, maps.simplify(wkb)) for code, (name, wkb) in sorted(shapes.items())}

    return _boundaries.get((context(request).load_version, level), make)


def loaded(request: Request) -> tuple[list[str], list[str]]:
    """The months (YYYY-MM) and crime types of the police.uk street data loaded, cached per load."""

    def make() -> tuple[list[str], list[str]]:
        with borrowed(request).connection() as db:
            return [month_text(m) for m in loaded_months(db)], loaded_categories(db)

    return _boundaries.get((context(request).load_version, "loaded"), make)


def area_bounds(request: Request, area: str | None) -> tuple[float, float, float, float] | None:
    """The bbox of ``area``'s boundary (None: London's), cached per load."""

    def make() -> tuple[float, float, float, float] | None:
        with borrowed(request).connection() as db:
            return areas.bounds(db, area)

    return _places.get((context(request).load_version, "bounds", area), make)


def ward_labels(request: Request, area: str | None) -> list[tuple[str, str, float, float]]:
    """Each ward of ``area`` (None: London) with the point to write its name at, cached per load."""

    def make() -> list[tuple[str, str, float, float]]:
        with borrowed(request).connection() as db:
            return areas.ward_labels(db, area)

    return _places.get((context(request).load_version, "labels", area), make)


def _collection(features: list[str], about: dict[str, Any]) -> Response:
    meta = json.dumps(about, separators=(",", ":"), default=str)
    body = (
        '{"type":"FeatureCollection","metforward":'
        + meta
        + ',"attribution":'
        + json.dumps(ATTRIBUTION)
        + ',"features":['
        + ",".join(features)
        + "]}"
    )
    return Response(body, media_type=GEOJSON)


def _layer(request: Request, layer: dict[str, Any], found: Any) -> Response:
    """A place layer with what it draws, the attribution and the bbox of its area (the map zooms to it)."""
    maps.with_bbox(layer, area_bounds(request, layer["metforward"]["area_code"]))
    layer["metforward"] = {**maps.about_answer(found), **layer["metforward"]}
    layer["attribution"] = ATTRIBUTION
    return Response(json.dumps(layer, separators=(",", ":"), default=str), media_type=GEOJSON)


# --- area choropleths -----------------------------------------------------------------------------


@router.get(
    "/geo/areas",
    response_model=FeatureCollection,
    response_class=GeoJSONResponse,
    responses=_GEO_DOC,
    summary="Borough, ward or LSOA boundaries with a crime count or rate (choropleth)",
)
def geo_areas(
    request: Request,
    level: Annotated[
        Literal["borough", "ward", "lsoa"] | None, Query(description="borough (the default), ward or lsoa")
    ] = None,
    measure: Annotated[Literal["count", "rate"], Query(description="count, or rate per 1,000 residents a year")] = (
        "count"
    ),
    month: Month = None,
    period: Period = None,
    category: CategoryParam = None,
) -> Response:
    """Every London area of ``level`` with its police.uk street crime in the month or period.

    Properties: ``value`` (the measure) with ``value_low``/``value_high`` (exact 95% Poisson interval),
    its class ``band`` (``metforward.classes``: cuts, colours, labels), the count and its interval, the
    rate per 1,000 residents a year and its interval, harm, the population and the months with data.
    Counts of 1 and 2 are suppressed (null, ``suppressed: true``).
    """
    found = answer(request, areas.QUESTION, areas.Query(period=period, month=month, level=level, category=category))
    chosen = found.meta["level"]
    shapes = boundaries(request, chosen)
    drawn = [row for row in found.items if row["code"] in shapes]
    props, classes = maps.area_properties(drawn, measure=measure)
    features = []
    for p in props:
        name, geometry = shapes[p["code"]]
        p["name"] = name
        features.append(
            '{"type":"Feature","geometry":' + geometry + ',"properties":' + json.dumps(p, separators=(",", ":")) + "}"
        )
    about = {
        **maps.about_answer(found),
        "layer": f"police.uk street crimes by {chosen}",
        "level": chosen,
        "measure": measure,
        "measure_text": "crimes" if measure == "count" else "crimes per 1,000 residents per year",
        "interval": found.meta["interval"],
        "period": found.meta["period"],
        "months_asked": found.meta["months_asked"],
        "months_present": found.meta["months_present"],
        "categories": found.meta["categories"],
        "areas": len(features),
        "areas_without_boundary": len(found.items) - len(drawn),
        "classes": classes.as_dict(),
        "suppressed_below": maps.SUPPRESS_BELOW,
        "simplified": f"{maps.SIMPLIFY_METRES:g} m in British National Grid, {maps.DECIMALS} decimals",
        "crs": maps.CRS,
        "licence": "Open Government Licence v3.0",
    }
    return _collection(features, about)


# --- hot spots, hot streets, repeats --------------------------------------------------------------


@router.get(
    "/geo/hotspots",
    response_model=FeatureCollection,
    response_class=GeoJSONResponse,
    responses=_GEO_DOC,
    summary="Getis-Ord Gi* hot and cold spots on a grid (as the hotspots command)",
)
def geo_hotspots(
    request: Request,
    area: Area,
    month: Month = None,
    period: Period = None,
    category: CategoryParam = None,
    cell: Annotated[float, Query(ge=50, le=2000, description="Grid cell size in metres.")] = 250.0,
    units: Annotated[Literal["grid", "lsoa"], Query(description="grid or lsoa")] = "grid",
) -> Response:
    """Each cell (or LSOA) with its count, Gi* z, p and q (Benjamini-Hochberg) and verdict in words."""
    query = hotspots.Query(area, period, month, category, units=units, cell_size=cell)
    found = answer(request, hotspots.QUESTION, query)
    layer = maps.hotspot_layer(found.result)
    for feature in layer["features"]:
        feature["properties"]["verdict"] = VERDICT_WORDS[feature["properties"]["class"]]
    layer["metforward"]["months_present"] = found.meta["months_present"]
    return _layer(request, layer, found)


@router.get(
    "/geo/hotstreets",
    response_model=FeatureCollection,
    response_class=GeoJSONResponse,
    responses=_GEO_DOC,
    summary="Hot streets as points, ranked, with change on the previous period (as the hotstreets command)",
)
def geo_hotstreets(
    request: Request,
    area: Area,
    month: Month = None,
    period: Period = None,
    category: CategoryParam = None,
    rank_by: Annotated[Literal["count", "harm"], Query(description="count or harm")] = "count",
    top: Annotated[int, Query(ge=1, le=5000, description="How many streets (best ranked first).")] = 200,
) -> Response:
    """Each street (a police.uk Location in a ward) at the count-weighted mean of its snap points."""
    found = answer(request, hotstreets.QUESTION, hotstreets.Query(area, period, month, category, rank_by=rank_by))
    layer = maps.street_layer(found.result)
    layer["features"] = layer["features"][:top]
    layer["metforward"].update(
        streets=found.meta["streets"],
        months_present=found.meta["months_present"],
        months_asked=found.meta["months_asked"],
    )
    return _layer(request, layer, found)


@router.get(
    "/geo/repeats",
    response_model=FeatureCollection,
    response_class=GeoJSONResponse,
    responses=_GEO_DOC,
    summary="Repeat locations: snap points with crime in at least k of the last n months (as the repeats command)",
)
def geo_repeats(
    request: Request,
    area: Area,
    end: Annotated[str | None, Query(description="Last month YYYY-MM (default: the latest the force published).")] = (
        None
    ),
    months: Annotated[int, Query(ge=1, le=36, description="Months to look back over (n).")] = 6,
    min_months: Annotated[int, Query(ge=1, le=36, description="Months with crime needed (k).")] = 3,
    category: CategoryParam = None,
) -> Response:
    """Each repeat location as a point (a police.uk snap point), with its months, count and crime types."""
    found = answer(request, repeats.QUESTION, repeats.Query(area, end, months, min_months, category))
    meta = found.meta
    about = {
        "layer": f"repeat locations: crime in at least {min_months} of the {months} months to {meta['end']}",
        "area": meta["area_name"],
        "area_code": meta["area_code"],
        "end": meta["end"],
        "months": months,
        "min_months": min_months,
        "months_present": meta["months_present"],
        "months_asked": meta["months_asked"],
    }
    locations, _coverage = found.result
    return _layer(request, maps.repeat_layer(locations, about), found)


@router.get(
    "/geo/labels",
    response_model=FeatureCollection,
    response_class=GeoJSONResponse,
    responses=_GEO_DOC,
    summary="Ward names as points to write them at (the map's labels), with the area's bbox",
)
def geo_labels(
    request: Request,
    area: Annotated[str | None, Query(description="A borough, ward or LSOA name or GSS code (default: London).")] = (
        None
    ),
) -> Response:
    """Each ward of the area as a point inside it (shapely's point on surface) with its code and name."""
    labels = ward_labels(request, area)
    layer = maps.label_layer(labels, {"layer": "ward names", "area": area or "London", "wards": len(labels)})
    layer["attribution"] = ATTRIBUTION
    return Response(
        json.dumps(maps.with_bbox(layer, area_bounds(request, area)), separators=(",", ":")), media_type=GEOJSON
    )


@router.get("/geo/months", response_model=MonthsResponse, responses=API_ERRORS, summary="Months loaded (for the map)")
def geo_months(request: Request) -> MonthsResponse:
    """Every month with police.uk street data, and the crime types loaded."""
    months, categories = loaded(request)
    return MonthsResponse(
        months=months,
        first=months[0] if months else None,
        last=months[-1] if months else None,
        categories=categories,
        attribution=ATTRIBUTION,
    )
