"""Coordinates between WGS84 and British National Grid, and shapes in either.

police.uk and the stored boundaries are in WGS84 (EPSG:4326: longitude, latitude in degrees);
distances and grids are measured in British National Grid (EPSG:27700: easting, northing in
metres). Every function says which it expects. Transformations use pyproj with ``always_xy``
(longitude first), so no axis-order surprise.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"

Floats = NDArray[np.float64]


@lru_cache(maxsize=2)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_bng(longitude: ArrayLike, latitude: ArrayLike) -> tuple[Floats, Floats]:
    """WGS84 longitude and latitude (degrees) to British National Grid easting and northing (metres)."""
    x, y = _transformer(WGS84, BNG).transform(np.asarray(longitude, float), np.asarray(latitude, float))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def to_wgs84(x: ArrayLike, y: ArrayLike) -> tuple[Floats, Floats]:
    """British National Grid easting and northing (metres) to WGS84 longitude and latitude (degrees)."""
    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def shape_to_bng(wkb: bytes) -> shapely.Geometry:
    """A WGS84 shape (WKB, as stored) in British National Grid."""
    geometry = shapely.from_wkb(wkb)
    return shapely.transform(geometry, lambda xy: np.column_stack(to_bng(xy[:, 0], xy[:, 1])))


def shape_to_wgs84(geometry: shapely.Geometry) -> shapely.Geometry:
    """A British National Grid shape in WGS84 (longitude, latitude)."""
    return shapely.transform(geometry, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1])))
