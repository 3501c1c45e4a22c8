"""What placing stop-and-search points reads and writes: boundary polygons, the lookups, the points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from metforward.store import placements
from metforward.store.database import Database

_LOOKUP_COLUMN = {"ward": "ward_code", "lsoa": "lsoa21_code"}


def newest_vintage(db: Database, level: str) -> str | None:
    """The newest year-numbered vintage of ``level`` (ONS "2024"); a GLA set ("gla") only where no ONS set is loaded."""
    vintage = db.scalar(
        "SELECT vintage FROM areas WHERE level = ? AND geometry IS NOT NULL GROUP BY vintage "
        "ORDER BY try_cast(vintage AS INTEGER) DESC NULLS LAST, vintage DESC LIMIT 1",
        [level],
    )
    return None if vintage is None else str(vintage)


def polygons(db: Database, level: str, vintage: str) -> pa.Table:
    """The ``code`` and WKB ``geometry`` of every area of ``level`` in ``vintage``, by code."""
    return db.arrow(
        "SELECT code, geometry FROM areas WHERE level = ? AND vintage = ? AND geometry IS NOT NULL ORDER BY code",
        [level, vintage],
    )


def lookup_boroughs(db: Database, level: str) -> dict[Any, Any]:
    """Ward or LSOA (``level``) code -> borough code, from the ONS lookups."""
    column = _LOOKUP_COLUMN[level]
    return dict(db.execute(f"SELECT DISTINCT {column}, borough_code FROM lsoa_places WHERE {column} IS NOT NULL"))


def search_points(db: Database, load_ids: Sequence[int] | None) -> pa.Table:
    """The searches with coordinates of ``load_ids`` (None: all) and their codes so far.

    Columns: load_id, line, longitude, latitude, borough_code, ward_code, lsoa_code.
    """
    where, params = placements.searches_where(load_ids)
    return db.arrow(
        "SELECT load_id, line, longitude, latitude, borough_code, ward_code, lsoa_code FROM searches "
        f"WHERE latitude IS NOT NULL AND longitude IS NOT NULL{where}",
        params,
    )


def write_codes(db: Database, update: pa.Table, columns: Sequence[str]) -> None:
    """Set ``columns`` of the searches named by ``update``'s (load_id, line) to ``update``'s values."""
    sets = ", ".join(f"{column} = p.{column}" for column in columns)
    db.register("_placed", update)
    try:
        db.run(
            f"UPDATE searches SET {sets} FROM _placed p WHERE searches.load_id = p.load_id AND searches.line = p.line"
        )
    finally:
        db.unregister("_placed")


def replaced_in_run(db: Database, load_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """Police.uk loads of ``load_ids`` replaced by another of ``load_ids`` (the same unit twice in one run).

    Each row: kind, force, old source_path, old member, new source_path, new member; oldest first.
    """
    marks = ", ".join("?" for _ in load_ids)
    return db.execute(
        f"SELECT old.kind, old.force, old.source_path, old.member, new.source_path, new.member "
        f"FROM loads old JOIN loads new ON old.replaced_by = new.load_id "
        f"WHERE old.load_id IN ({marks}) AND new.load_id IN ({marks}) AND old.kind IN "
        "('street', 'outcomes', 'stop-and-search') ORDER BY old.load_id",
        [*load_ids, *load_ids],
    )
