"""Which stop-and-search loads are placed in boroughs, wards and LSOAs, and against which boundaries.

Placing itself (point in polygon) is :mod:`metforward.ingest.placement`; this module keeps its
record (``search_placements``, migration 0006) so that unplaced work is never silent: a search
load without a record for the current boundaries and lookups is *pending*, shown by ``status``
and placed by the next writer (a lookups load leaves every search pending until the end of its
run; a boundaries load places every search again in its own transaction).
"""

from __future__ import annotations

from collections.abc import Sequence

from metforward.store.database import Database


def has_record(db: Database) -> bool:
    """True when the store has the placement record (a store older than migration 0006 has none)."""
    return bool(db.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'search_placements'"))


def placement_version(db: Database) -> str:
    """The boundaries and lookups in the store now, as the placement record names them."""
    return str(db.scalar("SELECT version FROM placement_version"))


def pending_loads(db: Database) -> list[int]:
    """Search loads with rows in the store whose searches are not placed against the current boundaries."""
    rows = db.execute(
        "SELECT DISTINCT s.load_id FROM searches s WHERE NOT EXISTS (SELECT 1 FROM search_placements p, "
        "placement_version b WHERE p.load_id = s.load_id AND p.boundaries = b.version) ORDER BY 1"
    )
    return [int(r[0]) for r in rows]


def mark_placed(db: Database, load_ids: Sequence[int] | None) -> None:
    """Record the searches of ``load_ids`` (None: every search load in the store) as placed now."""
    if load_ids is None:
        db.run("DELETE FROM search_placements")
        db.run(
            "INSERT INTO search_placements SELECT DISTINCT s.load_id, b.version, now()::TIMESTAMP "
            "FROM searches s, placement_version b"
        )
        return
    if not load_ids:
        return
    marks = ", ".join("?" for _ in load_ids)
    db.run(f"DELETE FROM search_placements WHERE load_id IN ({marks})", list(load_ids))
    db.run(
        f"INSERT INTO search_placements SELECT l.load_id, b.version, now()::TIMESTAMP "
        f"FROM loads l, placement_version b WHERE l.load_id IN ({marks})",
        list(load_ids),
    )


def searches_where(load_ids: Sequence[int] | None) -> tuple[str, list[object]]:
    """`` AND load_id IN (...)`` restricting searches to ``load_ids`` (empty for None: every search)."""
    if load_ids is None:
        return "", []
    if not load_ids:
        return " AND false", []
    return f" AND load_id IN ({', '.join('?' for _ in load_ids)})", list(load_ids)
