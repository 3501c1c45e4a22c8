"""Placing stop-and-search points in LSOA 2021 polygons (police.uk searches carry no LSOA code).

A point is placed in the LSOA whose polygon contains it (on a shared boundary: the first of the
polygons it touches, by code). Points outside every loaded LSOA, and searches with no location,
stay unplaced and are counted by ``metforward status``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import shapely

from metforward.store.database import Database


def place_searches(db: Database) -> int:
    """Give an LSOA 2021 code to every unplaced search with coordinates; return how many were placed.

    Uses the newest vintage of LSOA boundaries in the store (``areas`` rows of level ``lsoa``);
    does nothing if none are loaded. Each search is keyed by its ``load_id`` and ``line``. Call
    inside a transaction.

    Parameters
    ----------
    db
        The store.

    Returns
    -------
    int
        The number of searches given an LSOA code by this call.
    """
    # the newest year-numbered vintage (ONS "2021"); a GLA set ("gla") only where no ONS set is loaded
    vintage = db.scalar(
        "SELECT vintage FROM areas WHERE level = 'lsoa' GROUP BY vintage "
        "ORDER BY try_cast(vintage AS INTEGER) DESC NULLS LAST, vintage DESC LIMIT 1"
    )
    if vintage is None:
        return 0
    areas = db.arrow(
        "SELECT code, geometry FROM areas WHERE level = 'lsoa' AND vintage = ? AND geometry IS NOT NULL ORDER BY code",
        [vintage],
    )
    points = db.arrow(
        "SELECT load_id, line, longitude, latitude FROM searches "
        "WHERE lsoa_code IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL"
    )
    if points.num_rows == 0:
        return 0
    polygons = shapely.from_wkb(areas.column("geometry").to_numpy(zero_copy_only=False))
    tree = shapely.STRtree(polygons)
    geoms = shapely.points(points.column("longitude").to_numpy(), points.column("latitude").to_numpy())
    point_index, polygon_index = tree.query(geoms, predicate="intersects")
    order = np.lexsort((polygon_index, point_index))
    point_index, polygon_index = point_index[order], polygon_index[order]
    first = np.unique(point_index, return_index=True)[1]
    placed_points, placed_polygons = point_index[first], polygon_index[first]
    if len(placed_points) == 0:
        return 0
    codes = areas.column("code").to_numpy(zero_copy_only=False)[placed_polygons]
    placed = pa.table(
        {
            "load_id": points.column("load_id").take(pa.array(placed_points)),
            "line": points.column("line").take(pa.array(placed_points)),
            "code": pa.array(codes, pa.string()),
        }
    )
    db.register("_placed", placed)
    try:
        db.run(
            "UPDATE searches SET lsoa_code = p.code FROM _placed p "
            "WHERE searches.load_id = p.load_id AND searches.line = p.line"
        )
    finally:
        db.unregister("_placed")
    return len(placed_points)
