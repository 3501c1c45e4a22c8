"""GeoJSON map layers (RFC 7946, WGS84) for choropleths, hot-spot cells and hot streets.

Every layer carries, beside its features, a ``metforward`` member saying what it shows, the period,
the coordinate reference (always WGS84 longitude/latitude, as RFC 7946 requires), the attribution
and the suppression rule: a count from 1 to ``suppress_below - 1`` (default: 1 or 2) is published
as null with ``"suppressed": true``, unless the caller asks for no suppression
(``suppress_below=0``). Zero stays zero: it discloses nothing. Points are police.uk snap points
(anonymised locations), never anything more precise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import shapely

from metforward import ATTRIBUTION
from metforward.analyse.crime_map import AreaFigure, HotSpotMap, HotStreets
from metforward.analyse.geo import shape_to_wgs84

#: Counts below this are suppressed in published layers unless asked otherwise.
SUPPRESS_BELOW = 3


def _count(value: int, suppress_below: int) -> tuple[int | None, bool]:
    hidden = 0 < value < suppress_below
    return (None if hidden else int(value)), hidden


def _num(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _collection(features: Iterable[dict[str, Any]], about: dict[str, Any], suppress_below: int) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "metforward": {
            **about,
            "crs": "WGS84 longitude/latitude (EPSG:4326, RFC 7946)",
            "suppressed_below": suppress_below,
            "suppression": (
                f"counts from 1 to {suppress_below - 1} are shown as null with suppressed=true"
                if suppress_below > 1
                else "none (asked for)"
            ),
            "locations": "police.uk snap points: anonymised, never more precise than a snap point",
            "attribution": ATTRIBUTION,
            "licence": "Open Government Licence v3.0",
        },
        "features": list(features),
    }


def _rounded(geometry: shapely.Geometry) -> dict[str, Any]:
    mapping: dict[str, Any] = shapely.geometry.mapping(shapely.set_precision(geometry, 1e-6))
    return mapping


def hotspot_layer(m: HotSpotMap, *, suppress_below: int = SUPPRESS_BELOW) -> dict[str, Any]:
    """Every unit of a hot-spot map as a polygon with its count, z, p, q and class."""
    r = m.result
    p = r.p_used
    features = []
    for i, shape in enumerate(m.shapes):
        count, hidden = _count(int(r.counts[i]), suppress_below)
        props: dict[str, Any] = {"code": m.codes[i], "name": m.names[i], "count": count, "suppressed": hidden}
        if m.grid is not None:
            props.update(x=float(m.grid.x[i]), y=float(m.grid.y[i]), cell_size=m.grid.cell_size)
        props.update(z=_num(r.gi.z[i]), p_value=_num(p[i]), q_value=_num(r.q_value[i]), **{"class": r.classes[i]})
        features.append({"type": "Feature", "geometry": _rounded(shape_to_wgs84(shape)), "properties": props})
    about = {
        "layer": f"Getis-Ord Gi* hot spots ({m.units})",
        "area": m.place.name,
        "area_code": m.place.code,
        "period": str(m.period),
        "permutations": r.gi.permutations,
        "alpha": r.alpha,
        "months_with_data": len(m.coverage.present),
        "months_asked": m.coverage.asked,
    }
    return _collection(features, about, suppress_below)


def street_layer(h: HotStreets, *, suppress_below: int = SUPPRESS_BELOW) -> dict[str, Any]:
    """Each hot street as a point (the count-weighted mean of its snap points) with its figures."""
    features = []
    for s in h.streets:
        count, hidden = _count(s.count, suppress_below)
        previous, prev_hidden = _count(s.previous, suppress_below)
        props = {
            "rank": s.rank,
            "location": s.location,
            "ward": s.ward_name,
            "snap_points": s.snap_points,
            "count": count,
            "suppressed": hidden,
            "previous": previous,
            "previous_suppressed": prev_hidden,
            "harm": None if hidden else _num(s.harm, 1),
            "share": None if hidden else _num(s.share),
            "change_pct": None if hidden or prev_hidden else _num(s.change_pct, 2),
            "verdict": s.verdict,
        }
        point = {"type": "Point", "coordinates": [s.longitude, s.latitude]}
        features.append({"type": "Feature", "geometry": point, "properties": props})
    about = {
        "layer": f"hot streets ranked by {h.rank_by}",
        "area": h.place.name,
        "area_code": h.place.code,
        "period": str(h.period),
        "previous_period": str(h.previous_period),
        "total": h.total,
        "streets_for_half": h.streets_for_half,
    }
    return _collection(features, about, suppress_below)


def area_layer(
    figures: list[AreaFigure], *, level: str, about: dict[str, Any], suppress_below: int = SUPPRESS_BELOW
) -> dict[str, Any]:
    """LSOA or ward polygons with count, rate per 1,000 residents per year and harm (a choropleth)."""
    features = []
    for f in figures:
        count, hidden = _count(f.count, suppress_below)
        props = {
            "code": f.code,
            "name": f.name,
            "count": count,
            "suppressed": hidden,
            "rate_per_1000": None if hidden else f.rate_per_1000,
            "harm": None if hidden else f.harm,
            "population": f.population,
        }
        geometry = _rounded(f.shape) if f.shape is not None else None
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return _collection(features, {"layer": f"crime by {level}", **about}, suppress_below)
