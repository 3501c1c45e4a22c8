"""GeoJSON map layers under /api/v1/geo: area choropleths, hot-spot cells, hot streets, repeat locations.

Every layer is an RFC 7946 FeatureCollection in WGS84 (longitude, latitude), served as
``application/geo+json``, with a ``metforward`` member saying what it shows, the period, the months
with data and the suppression rule, and an ``attribution``. The hot-spot, hot-street and repeat
layers are the ones the ``hotspots``, ``hotstreets`` and ``repeats`` commands compute (the same
functions of :mod:`metforward.analyse.crime_map`); the area layers count police.uk street crimes as
``compare`` does (the cube's home-force rule), with an exact Poisson interval for each count (Garwood
1936) and the rate per 1,000 residents per year over the months with data.

Boundaries are simplified for the web: in British National Grid with a tolerance of
:data:`SIMPLIFY_METRES` (topology kept), then back to WGS84 with coordinates rounded to five
decimals (about a metre). The simplified shapes are cached in memory per store load version.

References
----------
Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28(3/4):437-442.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import defaultdict
from typing import Annotated, Any, Literal

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from scipy.stats import chi2

from metforward import ATTRIBUTION
from metforward.analyse import crime_map
from metforward.analyse.compare import CompareError, Period
from metforward.analyse.geo import shape_to_bng, shape_to_wgs84
from metforward.domain.periods import month_text, parse_month
from metforward.errors import NotFound
from metforward.present import maps
from metforward.store import cubes, places
from metforward.store.database import Database
from metforward.store.places import Place
from metforward.store.queries import areas as area_queries
from metforward.web.api.common import Categories
from metforward.web.app import context, get_db
from metforward.web.errors import API_ERRORS, ErrorDetail, WebError

router = APIRouter(tags=["map"])

GEOJSON = "application/geo+json"
#: Tolerance of the boundary simplification, metres in British National Grid.
SIMPLIFY_METRES = 15.0
#: Decimals kept in WGS84 coordinates (5: about 1 m at London's latitude).
DECIMALS = 5
LEVELS = ("borough", "ward", "lsoa")
MEASURES = ("count", "rate")
VERDICT_WORDS = {"hot": "hot spot", "cold": "cold spot", "none": "neither hot nor cold"}
STREET_WORDS = {"up": "up", "down": "down", "can't tell": "can't tell"}


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
        description="What the layer shows: period, months with data, measure, suppression rule, notes."
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


# --- boundaries, simplified and cached ------------------------------------------------------------

_cache: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
_lock = threading.Lock()


def simplify(wkb: bytes) -> str:
    """A stored WGS84 boundary as compact GeoJSON geometry text, simplified in British National Grid."""
    shape = shapely.simplify(shape_to_bng(wkb), SIMPLIFY_METRES, preserve_topology=True)
    back = shapely.transform(shape_to_wgs84(shape), lambda xy: np.round(xy, DECIMALS))
    return json.dumps(shapely.geometry.mapping(back), separators=(",", ":"))


def london_codes(db: Database, level: str) -> list[str]:
    """The codes of ``level`` in London, from the LSOA lookups (boroughs: E09)."""
    return area_queries.london_codes(db, level)


def boundaries(db: Database, level: str, load_version: str) -> dict[str, tuple[str, str]]:
    """London's boundaries at ``level``: code -> (name, simplified GeoJSON geometry text), cached per load."""
    key = (load_version, level)
    with _lock:
        if key in _cache:
            return _cache[key]
    shapes = places.area_shapes(db, level, london_codes(db, level))
    built = {code: (name, simplify(wkb)) for code, (name, wkb) in sorted(shapes.items())}
    with _lock:
        for old in [k for k in _cache if k[0] != load_version]:
            del _cache[old]
        _cache[key] = built
    return built


# --- helpers --------------------------------------------------------------------------------------


def _period(month: str | None, period: str | None, default: dt.date | None) -> Period:
    if month and period:
        raise WebError(
            422,
            "invalid_parameter",
            "give a month or a period, not both",
            [ErrorDetail(field="query.period", message="drop one of month and period")],
        )
    text = period or month
    if not text:
        if default is None:
            raise WebError(400, "no_data", "no police.uk street data is loaded: ingest some first")
        return Period(default, default)
    try:
        return Period.parse(text)
    except CompareError as exc:
        field = "query.period" if period else "query.month"
        raise WebError(422, "invalid_parameter", str(exc), [ErrorDetail(field=field, message=str(exc))]) from exc


def _place(db: Database, area: str) -> Place:
    try:
        return places.resolve_place(db, area)
    except NotFound as exc:
        raise WebError(404, "not_found", str(exc), [ErrorDetail(field="query.area", message=str(exc))]) from exc


def loaded_months(db: Database) -> list[dt.date]:
    """Every month with police.uk street data loaded."""
    return cubes.months_present(db, source="police-uk", first=dt.date(1900, 1, 1), last=dt.date(2999, 12, 1))


def loaded_categories(db: Database) -> list[str]:
    """Every police.uk crime type in the data loaded."""
    found: set[str] = set()
    for types in cubes.force_categories(db, first=dt.date(1900, 1, 1), last=dt.date(2999, 12, 1)).values():
        found |= types
    return sorted(found)


def poisson_interval(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood 1936) interval for the mean of a Poisson count."""
    alpha = 1 - confidence
    low = 0.0 if count == 0 else float(chi2.ppf(alpha / 2, 2 * count)) / 2
    high = float(chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
    return low, high


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


def _layer(layer: dict[str, Any]) -> Response:
    layer["attribution"] = ATTRIBUTION
    return Response(json.dumps(layer, separators=(",", ":"), default=str), media_type=GEOJSON)


# --- area choropleths -----------------------------------------------------------------------------


def area_figures(
    db: Database, *, level: str, period: Period, categories: list[str] | None
) -> tuple[dict[str, dict[str, Any]], list[dt.date]]:
    """Crimes in each London area of ``level`` in ``period``: count, its interval, months, population, rate.

    Counts are the cube's (each area's home force, as ``compare``); the months behind an area are those
    in which its forces published the crime types asked for (a missing month lowers the exposure, it is
    not a zero). Rates are crimes per 1,000 residents per year over those months.
    """
    raw = cubes.period_counts(
        db,
        source="police-uk",
        level=level,
        before=(period.first, period.last),
        after=(period.first, period.last),
        by=("category",),
    )
    wanted = set(categories) if categories else None
    counts: dict[str, int] = defaultdict(int)
    forces: dict[str, set[str]] = defaultdict(set)
    for code, _name, category, _before, after, row_forces in raw:
        if wanted is None or category in wanted:
            counts[code] += int(after)
            forces[code] |= set(row_forces or [])
    covered = cubes.coverage(db, first=period.first, last=period.last)
    force_months: dict[str, set[dt.date]] = defaultdict(set)
    for (force, category), months in covered.items():
        if wanted is None or category in wanted:
            force_months[force] |= months
    every = set().union(*force_months.values()) if force_months else set()
    year = period.last.year
    if level == "ward":
        lsoa_people = cubes.population(db, level="lsoa", year=year)
        people: dict[str, float] = defaultdict(float)
        for lsoa, ward in area_queries.london_lsoa_wards(db):
            if lsoa in lsoa_people:
                people[ward] += lsoa_people[lsoa]
    else:
        people = defaultdict(float, cubes.population(db, level=level, year=year))
    out: dict[str, dict[str, Any]] = {}
    for code in london_codes(db, level):
        months = set().union(*(force_months[f] for f in forces[code])) if forces.get(code) else every
        n = counts.get(code, 0)
        pop = people.get(code) or None
        low, high = poisson_interval(n)
        scale = 12 / len(months) / pop * 1000 if pop and months else None
        out[code] = {
            "count": n,
            "count_low": round(low, 3),
            "count_high": round(high, 3),
            "months_with_data": len(months),
            "population": pop,
            "rate_per_1000": None if scale is None else round(n * scale, 3),
            "rate_low": None if scale is None else round(low * scale, 3),
            "rate_high": None if scale is None else round(high * scale, 3),
        }
    present = sorted(every)
    return out, present


@router.get(
    "/geo/areas",
    response_model=FeatureCollection,
    response_class=GeoJSONResponse,
    responses=_GEO_DOC,
    summary="Borough, ward or LSOA boundaries with a crime count or rate (choropleth)",
)
def geo_areas(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    level: Annotated[Literal["borough", "ward", "lsoa"], Query(description="borough, ward or lsoa")] = "borough",
    measure: Annotated[Literal["count", "rate"], Query(description="count, or rate per 1,000 residents a year")] = (
        "count"
    ),
    month: Annotated[str | None, Query(description="One month YYYY-MM (default: the latest loaded).")] = None,
    period: Annotated[str | None, Query(description="Months YYYY-MM:YYYY-MM (instead of month).")] = None,
    category: Annotated[Categories, Query(description="police.uk crime type (repeat; default all).")] = None,
) -> Response:
    """Every London area of ``level`` with its police.uk street crime in the month or period.

    Properties: ``value`` (the measure) with ``value_low``/``value_high`` (exact 95% Poisson interval),
    the count and its interval, the rate per 1,000 residents a year and its interval, the population
    and the months with data. Counts of 1 and 2 are suppressed (null, ``suppressed: true``).
    """
    months = loaded_months(db)
    spell = _period(month, period, months[-1] if months else None)
    known = loaded_categories(db)
    for c in category or []:
        if c not in known:
            message = f"no police.uk crime type {c!r} is loaded; one of: {', '.join(known)}"
            raise WebError(422, "invalid_parameter", message, [ErrorDetail(field="query.category", message=message)])
    shapes = boundaries(db, level, context(request).load_version)
    figures, present = area_figures(db, level=level, period=spell, categories=category)
    features = []
    for code, fig in figures.items():
        if code not in shapes:
            continue
        name, geometry = shapes[code]
        hidden = 0 < fig["count"] < maps.SUPPRESS_BELOW
        props = {"code": code, "name": name, **fig, "suppressed": hidden}
        if hidden:
            props.update(count=None, count_low=None, count_high=None, rate_per_1000=None, rate_low=None, rate_high=None)
        key = "count" if measure == "count" else "rate"
        props["value"] = props["count"] if measure == "count" else props["rate_per_1000"]
        props["value_low"], props["value_high"] = props[f"{key}_low"], props[f"{key}_high"]
        features.append(
            '{"type":"Feature","geometry":'
            + geometry
            + ',"properties":'
            + json.dumps(props, separators=(",", ":"))
            + "}"
        )
    about = {
        "layer": f"police.uk street crimes by {level}",
        "level": level,
        "measure": measure,
        "measure_text": "crimes" if measure == "count" else "crimes per 1,000 residents per year",
        "interval": "exact 95% Poisson interval (Garwood 1936)",
        "period": str(spell),
        "months_asked": spell.months,
        "months_present": [month_text(m) for m in present],
        "categories": category or "all",
        "areas": len(features),
        "areas_without_boundary": len([c for c in figures if c not in shapes]),
        "suppressed_below": maps.SUPPRESS_BELOW,
        "simplified": f"{SIMPLIFY_METRES:g} m in British National Grid, {DECIMALS} decimals",
        "crs": "WGS84 longitude/latitude (EPSG:4326, RFC 7946)",
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
    db: Annotated[Database, Depends(get_db)],
    area: Annotated[str, Query(description="A borough, ward or LSOA name or GSS code.", min_length=1)],
    month: Annotated[str | None, Query(description="One month YYYY-MM (default: the latest loaded).")] = None,
    period: Annotated[str | None, Query(description="Months YYYY-MM:YYYY-MM (instead of month).")] = None,
    category: Annotated[Categories, Query(description="police.uk crime type (repeat; default all).")] = None,
    cell: Annotated[float, Query(ge=50, le=2000, description="Grid cell size in metres.")] = 250.0,
    units: Annotated[Literal["grid", "lsoa"], Query(description="grid or lsoa")] = "grid",
) -> Response:
    """Each cell (or LSOA) with its count, Gi* z, p and q (Benjamini-Hochberg) and verdict in words."""
    place = _place(db, area)
    months = loaded_months(db)
    spell = _period(month, period, months[-1] if months else None)
    try:
        result = crime_map.hot_spots(db, place, spell, units=units, cell_size=cell, categories=category)
    except (crime_map.MapError, ValueError) as exc:
        raise WebError(400, "cannot_answer", str(exc)) from exc
    layer = maps.hotspot_layer(result)
    for feature in layer["features"]:
        feature["properties"]["verdict"] = VERDICT_WORDS[feature["properties"]["class"]]
    layer["metforward"]["notes"] = result.notes
    layer["metforward"]["months_present"] = [month_text(m) for m in result.coverage.present]
    return _layer(layer)


@router.get(
    "/geo/hotstreets",
    response_model=FeatureCollection,
    response_class=GeoJSONResponse,
    responses=_GEO_DOC,
    summary="Hot streets as points, ranked, with change on the previous period (as the hotstreets command)",
)
def geo_hotstreets(
    db: Annotated[Database, Depends(get_db)],
    area: Annotated[str, Query(description="A borough, ward or LSOA name or GSS code.", min_length=1)],
    month: Annotated[str | None, Query(description="One month YYYY-MM (default: the latest loaded).")] = None,
    period: Annotated[str | None, Query(description="Months YYYY-MM:YYYY-MM (instead of month).")] = None,
    category: Annotated[Categories, Query(description="police.uk crime type (repeat; default all).")] = None,
    rank_by: Annotated[Literal["count", "harm"], Query(description="count or harm")] = "count",
    top: Annotated[int, Query(ge=1, le=5000, description="How many streets (best ranked first).")] = 200,
) -> Response:
    """Each street (a police.uk Location in a ward) at the count-weighted mean of its snap points."""
    place = _place(db, area)
    months = loaded_months(db)
    spell = _period(month, period, months[-1] if months else None)
    try:
        result = crime_map.hot_streets(db, place, spell, categories=category, rank_by=rank_by)
    except (crime_map.MapError, ValueError) as exc:
        raise WebError(400, "cannot_answer", str(exc)) from exc
    layer = maps.street_layer(result)
    layer["features"] = layer["features"][:top]
    layer["metforward"].update(
        notes=result.notes,
        streets=result.street_count,
        months_present=[month_text(m) for m in result.coverage.present],
        months_asked=result.coverage.asked,
    )
    return _layer(layer)


@router.get(
    "/geo/repeats",
    response_model=FeatureCollection,
    response_class=GeoJSONResponse,
    responses=_GEO_DOC,
    summary="Repeat locations: snap points with crime in at least k of the last n months (as the repeats command)",
)
def geo_repeats(
    db: Annotated[Database, Depends(get_db)],
    area: Annotated[str, Query(description="A borough, ward or LSOA name or GSS code.", min_length=1)],
    end: Annotated[str | None, Query(description="Last month YYYY-MM (default: the latest the force published).")] = (
        None
    ),
    months: Annotated[int, Query(ge=1, le=36, description="Months to look back over (n).")] = 6,
    min_months: Annotated[int, Query(ge=1, le=36, description="Months with crime needed (k).")] = 3,
    category: Annotated[Categories, Query(description="police.uk crime type (repeat; default all).")] = None,
) -> Response:
    """Each repeat location as a point (a police.uk snap point), with its months, count and crime types."""
    place = _place(db, area)
    try:
        last = parse_month(end) if end else crime_map.latest_month(db, place, categories=category)
    except ValueError as exc:
        raise WebError(422, "invalid_parameter", str(exc), [ErrorDetail(field="query.end", message=str(exc))]) from exc
    if last is None:
        raise WebError(400, "no_data", "no police.uk street data is loaded for this area's force")
    try:
        found, cov = crime_map.repeat_locations(
            db, place, end=last, months=months, min_months=min_months, categories=category
        )
    except (crime_map.MapError, ValueError) as exc:
        raise WebError(400, "cannot_answer", str(exc)) from exc
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r.longitude, r.latitude]},
            "properties": {
                "location": r.location,
                "ward": r.ward_name,
                "months": r.months,
                "months_with_crime": len(r.months),
                "count": r.count,
                "categories": r.categories,
            },
        }
        for r in found
    ]
    about = {
        "layer": f"repeat locations: crime in at least {min_months} of the {months} months to {month_text(last)}",
        "area": place.name,
        "area_code": place.code,
        "end": month_text(last),
        "months": months,
        "min_months": min_months,
        "months_present": [month_text(m) for m in cov.present],
        "months_asked": cov.asked,
        "locations": "police.uk snap points: anonymised, never more precise than a snap point",
        "crs": "WGS84 longitude/latitude (EPSG:4326, RFC 7946)",
        "licence": "Open Government Licence v3.0",
    }
    return _layer({"type": "FeatureCollection", "metforward": about, "features": features})


@router.get("/geo/months", response_model=MonthsResponse, responses=API_ERRORS, summary="Months loaded (for the map)")
def geo_months(db: Annotated[Database, Depends(get_db)]) -> MonthsResponse:
    """Every month with police.uk street data, and the crime types loaded."""
    months = [month_text(m) for m in loaded_months(db)]
    return MonthsResponse(
        months=months,
        first=months[0] if months else None,
        last=months[-1] if months else None,
        categories=loaded_categories(db),
        attribution=ATTRIBUTION,
    )
