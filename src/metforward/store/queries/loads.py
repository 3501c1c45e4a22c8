"""The record of loads (the ``loads`` table) as the reports cite it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metforward.store.database import Database


def police_months_loaded(db: Database, first: dt.date, last: dt.date) -> list[tuple[Any, ...]]:
    """Months from ``first`` to ``last`` with live police.uk street, outcomes or stop-and-search loads.

    Each row: (kind, force, months), by kind and force.
    """
    return db.execute(
        """SELECT kind, "force", count(DISTINCT m) FROM (SELECT kind, "force", unnest(months) AS m FROM loads
        WHERE replaced_by IS NULL AND kind IN ('street', 'outcomes', 'stop-and-search'))
        WHERE m BETWEEN ? AND ? GROUP BY kind, "force" ORDER BY kind, "force\"""",
        [first, last],
    )


def live_loads(db: Database) -> list[tuple[Any, ...]]:
    """Every load not replaced: (kind, force, sorted months, source_path, member, sha256, rows_loaded)."""
    return db.execute(
        """SELECT kind, "force", list_sort(months), source_path, member, sha256, rows_loaded FROM loads
        WHERE replaced_by IS NULL ORDER BY kind, "force" NULLS FIRST, source_path, member NULLS FIRST, sha256"""
    )
