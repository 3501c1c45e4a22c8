"""Placing stop-and-search points in boroughs, wards and LSOAs (police.uk searches carry no area code).

Each search with coordinates is placed, by point-in-polygon, in the borough (local authority),
electoral ward and LSOA 2021 whose polygon contains it, using the newest vintage of each level's
boundaries in the store. Points and polygons are both moved to British National Grid
(EPSG:27700) first, so the test is made in metres on the plane the boundaries are drawn on.

Rule on shared boundaries: a point is "in" every polygon it intersects (inside or on the edge);
where it touches several (it lies exactly on a shared edge or vertex), it goes to the one with
the lowest GSS code. So every placed search has exactly one borough, one ward and one LSOA.

The levels nest: the borough polygon decides, and the ward and LSOA are chosen among that
borough's (the ward or LSOA polygon holding the point if it belongs to the borough, else the
nearest of the borough's). Generalised (BGC) boundaries of different levels disagree by metres,
police.uk snap points often lie on the roads that are borough boundaries, and a few ONS ward
polygons (Dec 2024) overlap a neighbouring borough's polygon (May 2024) widely (Golborne, 60% in
Westminster's): on the full Met corpus 29,059 searches (3.8%, at 1,755 distinct points) fall in a
ward polygon of another borough. A ward's or LSOA's borough is taken from the ONS lookups where
loaded (else the borough holding a point on its surface).

Searches outside every polygon of a level (e.g. outside London, or outside the four sample
boroughs' LSOAs), and searches with no location, keep NULL in that level's column and are
counted as "outside every area" by ``metforward searches``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import shapely
from pyproj import Transformer

from metforward.store import placements
from metforward.store.database import Database
from metforward.store.queries import placement as placement_queries

logger = logging.getLogger(__name__)

#: Level of ``areas`` -> column of ``searches`` it fills.
LEVELS: dict[str, str] = {"borough": "borough_code", "ward": "ward_code", "lsoa": "lsoa_code"}

_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)


def _newest_vintage(db: Database, level: str) -> str | None:
    """The newest year-numbered vintage of ``level`` (ONS "2024"); a GLA set ("gla") only where no ONS set is loaded."""
    return placement_queries.newest_vintage(db, level)


def _to_bng(geoms: np.ndarray) -> np.ndarray:
    """Geometries in WGS84 longitude/latitude moved to British National Grid."""
    return np.asarray(shapely.transform(geoms, lambda xy: np.column_stack(_TO_BNG.transform(xy[:, 0], xy[:, 1]))))


def locate(points_bng: np.ndarray, polygons_bng: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The code of the polygon holding each point (lowest code on shared edges), or None.

    Parameters
    ----------
    points_bng
        Shapely points in EPSG:27700.
    polygons_bng
        Shapely polygons in EPSG:27700.
    codes
        The polygons' GSS codes (object array, same length as ``polygons_bng``).

    Returns
    -------
    numpy.ndarray
        Object array, one code (or None) per point.
    """
    out = np.full(len(points_bng), None, dtype=object)
    if len(points_bng) == 0 or len(polygons_bng) == 0:
        return out
    by_code = np.argsort(codes.astype(str), kind="stable")
    rank = np.empty(len(codes), dtype=np.int64)
    rank[by_code] = np.arange(len(codes))
    tree = shapely.STRtree(polygons_bng)
    point_index, polygon_index = tree.query(points_bng, predicate="intersects")
    if len(point_index) == 0:
        return out
    order = np.lexsort((rank[polygon_index], point_index))  # per point, lowest code first
    point_index, polygon_index = point_index[order], polygon_index[order]
    first = np.unique(point_index, return_index=True)[1]
    out[point_index[first]] = codes[polygon_index[first]]
    return out


def _within_borough(
    points_bng: np.ndarray,
    boroughs: np.ndarray,
    polygons_bng: np.ndarray,
    codes: np.ndarray,
    borough_polygons: np.ndarray,
    borough_codes: np.ndarray,
    known: dict[str, str],
) -> np.ndarray:
    """Codes of the ward or LSOA polygons holding the points, kept inside each point's borough.

    Each polygon's borough is the one the ONS lookups in ``known`` give (code -> borough code), else
    the borough polygon holding a point on its surface. A point's
    ward (or LSOA) is the polygon that holds it if that polygon is in the point's borough;
    otherwise (generalised boundaries of different levels disagree by a few metres, and
    police.uk snap points often lie on boundary roads) the nearest polygon of the point's
    borough. Points with no borough get no ward or LSOA.
    """
    owner = locate(shapely.point_on_surface(polygons_bng), borough_polygons, borough_codes)
    owner = np.array([known.get(c, o) for c, o in zip(codes.tolist(), owner.tolist(), strict=True)], dtype=object)
    found = locate(points_bng, polygons_bng, codes)
    owner_of_code = dict(zip(codes.tolist(), owner.tolist(), strict=True))
    result = np.full(len(points_bng), None, dtype=object)
    agree = np.array(
        [b is not None and c is not None and owner_of_code[c] == b for c, b in zip(found, boroughs, strict=True)],
        dtype=bool,
    )
    result[agree] = found[agree]
    fix = ~agree & np.array([b is not None for b in boroughs], dtype=bool)
    for borough in sorted({str(b) for b in boroughs[fix]}):
        mine = np.flatnonzero(owner == borough)
        if len(mine) == 0:
            continue
        rows = np.flatnonzero(fix & (boroughs == borough))
        tree = shapely.STRtree(polygons_bng[mine])
        nearest = tree.query_nearest(points_bng[rows], all_matches=False)
        result[rows[nearest[0]]] = codes[mine[nearest[1]]]
    return result


def _polygons(db: Database, level: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The newest vintage of ``level`` as (polygons in EPSG:27700, codes), or None if none is loaded."""
    vintage = _newest_vintage(db, level)
    if vintage is None:
        return None
    areas = placement_queries.polygons(db, level, vintage)
    polygons = _to_bng(shapely.from_wkb(areas.column("geometry").to_numpy(zero_copy_only=False)))
    return polygons, np.asarray(areas.column("code").to_numpy(zero_copy_only=False), dtype=object)


@dataclass
class Boundaries:
    """The polygons (and the lookups' ward and LSOA boroughs) placement uses, read once per version.

    One ``Boundaries`` is kept for a whole ingest run, so placing each stop-and-search file inside
    its own load transaction does not read and project every polygon again. It is read again
    when the boundaries or lookups in the store change (their loads differ); call :meth:`forget`
    after a rolled-back transaction.
    """

    _key: str | None = None
    _levels: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _known: dict[str, dict[str, str]] = field(default_factory=dict)

    def read(self, db: Database) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, dict[str, str]]]:
        """The polygons by level and the lookups' code -> borough by level, for the store as it is now."""
        key = placements.placement_version(db)
        if key != self._key:
            self._levels = {}
            for level in LEVELS:
                polygons = _polygons(db, level)
                if polygons is not None:
                    self._levels[level] = polygons
            self._known = {level: placement_queries.lookup_boroughs(db, level) for level in ("ward", "lsoa")}
            self._key = key
        return self._levels, self._known

    def forget(self) -> None:
        """Read everything again next time (after a transaction that may have changed them rolled back)."""
        self._key = None


def place_searches(db: Database, *, load_ids: Sequence[int] | None = None, boundaries: Boundaries | None = None) -> int:
    """Place the searches of ``load_ids`` (None: every search) in the newest boundaries loaded, and record it.

    The borough is the borough polygon holding the point. Where borough boundaries are loaded,
    the ward and LSOA are then chosen among that borough's wards and LSOAs (see
    :func:`_within_borough`), so the three levels always nest; where none are, wards and LSOAs
    are placed by their own polygons alone. Every search of the loads is placed afresh, and the
    loads are recorded as placed against the current boundaries (``search_placements``). Call
    inside the transaction that loaded the searches (or the boundaries), so that loading and
    placing are stored together or not at all.

    Parameters
    ----------
    db
        The store.
    load_ids
        The stop-and-search loads to place; None for every search in the store.
    boundaries
        Polygons kept from an earlier call in the same run (read from the store if None).

    Returns
    -------
    int
        The number of (search, level) codes given by this call that were not there before.
    """
    started = time.perf_counter()
    levels, known = (boundaries or Boundaries()).read(db)
    points = placement_queries.search_points(db, load_ids)
    placed = 0
    if points.num_rows:
        placed = _place(db, points, levels, known)
    placements.mark_placed(db, load_ids)
    logger.info("placed %d searches in %.1f s", points.num_rows, time.perf_counter() - started)
    return placed


def _place(
    db: Database,
    points: pa.Table,
    levels: dict[str, tuple[np.ndarray, np.ndarray]],
    known: dict[str, dict[str, str]],
) -> int:
    x, y = _TO_BNG.transform(points.column("longitude").to_numpy(), points.column("latitude").to_numpy())
    geoms = shapely.points(x, y)
    empty = np.full(points.num_rows, None, dtype=object)
    found: dict[str, np.ndarray] = dict.fromkeys(LEVELS.values(), empty)
    boroughs = levels.get("borough")
    if boroughs is not None:
        found["borough_code"] = locate(geoms, *boroughs)
    for level in ("ward", "lsoa"):
        polygons = levels.get(level)
        if polygons is None:
            continue
        if boroughs is None:
            found[LEVELS[level]] = locate(geoms, *polygons)
        else:
            found[LEVELS[level]] = _within_borough(geoms, found["borough_code"], *polygons, *boroughs, known[level])
    new = {
        column: sum(
            1
            for old, code in zip(points.column(column).to_pylist(), codes, strict=True)
            if old is None and code is not None
        )
        for column, codes in found.items()
    }
    update = pa.table(
        {
            "load_id": points.column("load_id"),
            "line": points.column("line"),
            **{column: pa.array(codes.tolist(), pa.string()) for column, codes in found.items()},
        }
    )
    placement_queries.write_codes(db, update, list(found))
    logger.info("new codes: %s", ", ".join(f"{n} in a {column.removesuffix('_code')}" for column, n in new.items()))
    return sum(new.values())
