"""GeoJSON map layers (RFC 7946, WGS84) for choropleths, hot-spot cells, hot streets and repeat
locations, and the one rule for a choropleth's classes.

Every layer carries, beside its features, a ``metforward`` member saying what it shows, the period,
the coordinate reference (always WGS84 longitude/latitude, as RFC 7946 requires), the attribution
and the suppression rule: a count from 1 to ``suppress_below - 1`` (default: 1 or 2) is published
as null with ``"suppressed": true``, unless the caller asks for no suppression
(``suppress_below=0``). Zero stays zero: it discloses nothing. Points are police.uk snap points
(anonymised locations), never anything more precise.

Choropleth classes (:func:`class_breaks`) are made here and only here: the web map, the ``map``
command's layers and the reports' maps all shade an area by :class:`Classes`, so an area sits in
the same class, in the same colour, wherever the same figures are drawn.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from metforward import ATTRIBUTION
from metforward.analyse.crime_map import AreaFigure, HotSpotMap
from metforward.analyse.geo import shape_to_bng, shape_to_wgs84
from metforward.analyse.streets import HotStreets, RepeatLocation

#: Counts below this are suppressed in published layers unless asked otherwise.
SUPPRESS_BELOW = 3
#: A sequential, colour-blind-safe ramp (five stops of viridis; Nuñez, Anderton and Renslow 2018), lowest first.
RAMP = ("#440154", "#3B528B", "#21918C", "#5EC962", "#FDE725")
#: The colour of an area with no figure (suppressed, or no population for a rate).
NO_VALUE = "#D9D9D9"
#: Tolerance of the web's boundary simplification, metres in British National Grid.
SIMPLIFY_METRES = 15.0
#: Decimals kept in the web's WGS84 coordinates (5: about 1 m at London's latitude).
DECIMALS = 5
CRS = "WGS84 longitude/latitude (EPSG:4326, RFC 7946)"
LOCATIONS = "police.uk snap points: anonymised, never more precise than a snap point"


# --- choropleth classes -------------------------------------------------------------------------


def figure_text(value: float) -> str:
    """A class boundary in words: whole numbers as they are, others to one decimal (or none from 100)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


@dataclass(frozen=True)
class Classes:
    """Choropleth classes: class 0 is below ``cuts[0]``, class i (i >= 1) from ``cuts[i - 1]`` to below
    ``cuts[i]``, the last from the last cut up; ``colours`` one per class, lowest first."""

    cuts: tuple[float, ...]
    colours: tuple[str, ...]

    def index(self, value: float | None) -> int | None:
        """The class of ``value`` (None for no value)."""
        if value is None or not math.isfinite(value) or not self.colours:
            return None
        return sum(1 for c in self.cuts if value >= c)

    def colour(self, value: float | None, missing: str = NO_VALUE) -> str:
        """The colour of ``value``'s class (``missing`` for no value)."""
        i = self.index(value)
        return missing if i is None else self.colours[i]

    def labels(self) -> list[str]:
        """Each class in words: "below 4.4", "4.4 to below 7.7", ..., "16.7 or more" (one class: "all areas")."""
        if not self.cuts:
            return ["all areas"] if self.colours else []
        edges = [figure_text(c) for c in self.cuts]
        middle = [f"{lo} to below {hi}" for lo, hi in zip(edges, edges[1:], strict=False)]
        return [f"below {edges[0]}", *middle, f"{edges[-1]} or more"]

    def as_dict(self) -> dict[str, Any]:
        """The classes as a layer's ``metforward.classes``: cuts, colours and labels, lowest first."""
        return {"cuts": list(self.cuts), "colours": list(self.colours), "labels": self.labels(), "none": NO_VALUE}


def class_breaks(values: Iterable[float | None], classes: int = len(RAMP)) -> Classes:
    """Quantile classes of ``values`` (None and NaN left out): up to ``classes`` of them, the cuts taken
    among the values above the lowest, so that many areas at the minimum (often 0) still leave classes;
    fewer classes when values repeat. Colours: the top of :data:`RAMP` (the highest class is yellow)."""
    ordered = sorted(float(v) for v in values if v is not None and math.isfinite(v))
    if not ordered:
        return Classes((), ())
    above = [v for v in ordered if v > ordered[0]]
    cuts: list[float] = []
    for i in range(1, classes):
        if not above:
            break
        v = above[min(len(above) - 1, (i * len(above)) // classes)]
        if not cuts or v > cuts[-1]:
            cuts.append(v)
    return Classes(tuple(cuts), RAMP[len(RAMP) - len(cuts) - 1 :])


# --- shared pieces -----------------------------------------------------------------------------


def _count(value: int, suppress_below: int) -> tuple[int | None, bool]:
    hidden = 0 < value < suppress_below
    return (None if hidden else int(value)), hidden


def _num(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def about_answer(answer: Any) -> dict[str, Any]:
    """What a layer drawn from an :class:`~metforward.questions.answer.Answer` says of it: the question,
    the query as answered and its notes (the layer's ``metforward`` member carries them)."""
    return {"question": answer.question, "query": answer.to_json()["query"], "notes": list(answer.notes)}


def collection(features: Iterable[dict[str, Any]], about: dict[str, Any], suppress_below: int) -> dict[str, Any]:
    """A FeatureCollection with its ``metforward`` member (``about``, the CRS, the suppression rule, the licence)."""
    return {
        "type": "FeatureCollection",
        "metforward": {
            **about,
            "crs": CRS,
            "suppressed_below": suppress_below,
            "suppression": (
                f"counts from 1 to {suppress_below - 1} are shown as null with suppressed=true"
                if suppress_below > 1
                else "none (asked for)"
            ),
            "locations": LOCATIONS,
            "attribution": ATTRIBUTION,
            "licence": "Open Government Licence v3.0",
        },
        "features": list(features),
    }


def _rounded(geometry: shapely.Geometry) -> dict[str, Any]:
    mapping: dict[str, Any] = shapely.geometry.mapping(shapely.set_precision(geometry, 1e-6))
    return mapping


def simplify(wkb: bytes) -> str:
    """A stored WGS84 boundary as compact GeoJSON geometry text for the web, simplified in British National Grid."""
    shape = shapely.simplify(shape_to_bng(wkb), SIMPLIFY_METRES, preserve_topology=True)
    back = shapely.transform(shape_to_wgs84(shape), lambda xy: np.round(xy, DECIMALS))
    return json.dumps(shapely.geometry.mapping(back), separators=(",", ":"))


# --- layers ------------------------------------------------------------------------------------


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
    return collection(features, about, suppress_below)


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
    return collection(features, about, suppress_below)


def repeat_layer(found: Sequence[RepeatLocation], about: dict[str, Any]) -> dict[str, Any]:
    """Each repeat location as a point (its snap point) with its months, count and crime types."""
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
    extra = {"crs": CRS, "locations": LOCATIONS, "attribution": ATTRIBUTION, "licence": "Open Government Licence v3.0"}
    return {"type": "FeatureCollection", "metforward": {**about, **extra}, "features": features}


def with_bbox(layer: dict[str, Any], extent: Sequence[float] | None) -> dict[str, Any]:
    """``layer`` with an RFC 7946 ``bbox`` (west, south, east, north): ``extent`` (its area's, so that a map
    can zoom to the area chosen) widened to take in every feature; no ``bbox`` with neither."""
    boxes = [list(extent)] if extent is not None else []
    shapes = [shapely.geometry.shape(f["geometry"]) for f in layer["features"] if f.get("geometry")]
    if shapes:
        boxes.append([float(v) for v in shapely.total_bounds(shapes)])
    if boxes:
        scale = 10**DECIMALS  # rounded outwards, so that the bbox still holds every coordinate
        layer["bbox"] = [
            math.floor(min(b[0] for b in boxes) * scale) / scale,
            math.floor(min(b[1] for b in boxes) * scale) / scale,
            math.ceil(max(b[2] for b in boxes) * scale) / scale,
            math.ceil(max(b[3] for b in boxes) * scale) / scale,
        ]
    return layer


def label_layer(labels: Iterable[tuple[str, str, float, float]], about: dict[str, Any]) -> dict[str, Any]:
    """Area names as points to write them at (code, name, longitude, latitude): a map's labels."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"code": c, "name": n},
        }
        for c, n, lon, lat in labels
    ]
    extra = {"crs": CRS, "attribution": ATTRIBUTION, "licence": "Open Government Licence v3.0"}
    return {"type": "FeatureCollection", "metforward": {**about, **extra}, "features": features}


#: The figures an area layer hides with a suppressed count (each would give the count away).
_HIDDEN = ("count", "count_low", "count_high", "rate_per_1000", "rate_low", "rate_high", "harm")
#: The interval of each measure's value.
_INTERVAL = {"count": ("count_low", "count_high"), "rate": ("rate_low", "rate_high"), "harm": (None, None)}
#: The figure each measure shades by.
_VALUE = {"count": "count", "rate": "rate_per_1000", "harm": "harm"}


def area_properties(
    rows: Sequence[Mapping[str, Any]], *, measure: str = "count", suppress_below: int = SUPPRESS_BELOW
) -> tuple[list[dict[str, Any]], Classes]:
    """The properties of each area of a choropleth (the rows of the ``map`` question): its figures,
    ``suppressed``, the ``value`` of ``measure`` (count, rate or harm) with its interval, and its class
    (``band``) among the values shown, by :func:`class_breaks`."""
    low_key, high_key = _INTERVAL[measure]
    props = []
    for row in rows:
        hidden = 0 < row["count"] < suppress_below
        p = {**row, "suppressed": hidden}
        if hidden:
            p.update(dict.fromkeys(_HIDDEN))
        p["value"] = p[_VALUE[measure]]
        p["value_low"] = p[low_key] if low_key else None
        p["value_high"] = p[high_key] if high_key else None
        props.append(p)
    classes = class_breaks(p["value"] for p in props)
    for p in props:
        p["band"] = classes.index(p["value"])
    return props, classes


def area_layer(
    figures: Sequence[AreaFigure],
    *,
    about: dict[str, Any],
    measure: str = "count",
    suppress_below: int = SUPPRESS_BELOW,
) -> dict[str, Any]:
    """Areas as polygons (their ``shape``, WGS84) with count, rate per 1,000 residents per year, harm and
    their intervals, shaded by ``measure`` (a choropleth)."""
    props, classes = area_properties([f.as_dict() for f in figures], measure=measure, suppress_below=suppress_below)
    features = [
        {"type": "Feature", "geometry": _rounded(f.shape) if f.shape is not None else None, "properties": p}
        for f, p in zip(figures, props, strict=True)
    ]
    return collection(features, {**about, "measure": measure, "classes": classes.as_dict()}, suppress_below)
