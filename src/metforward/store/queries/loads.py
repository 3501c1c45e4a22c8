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


def loads_used(db: Database, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """What an answer rests on: for each live kind (police.uk ``street``, ``datastore-borough``, ...) and
    force among ``kinds``, the files loaded, their first and last month, rows loaded and when the newest
    file was loaded. A kind ending in ``*`` stands for every kind that starts with it (``datastore-*``)."""
    exact = [k for k in kinds if not k.endswith("*")]
    prefixes = [k[:-1] for k in kinds if k.endswith("*")]
    if not exact and not prefixes:
        return []
    conditions = []
    params: list[Any] = []
    if exact:
        conditions.append(f"kind IN ({', '.join('?' for _ in exact)})")
        params.extend(exact)
    for prefix in prefixes:
        conditions.append("starts_with(kind, ?)")
        params.append(prefix)
    rows = db.execute(
        f"""SELECT kind, "force", count(*), min(list_min(months)), max(list_max(months)), sum(rows_loaded),
        max(loaded_at) FROM loads WHERE replaced_by IS NULL AND ({" OR ".join(conditions)})
        GROUP BY kind, "force" ORDER BY kind, "force" NULLS FIRST""",
        params,
    )
    return [
        {
            "kind": kind,
            "force": force,
            "files": int(files),
            "first_month": None if first is None else f"{first:%Y-%m}",
            "last_month": None if last is None else f"{last:%Y-%m}",
            "rows": int(loaded or 0),
            "loaded_at": None if at is None else at.isoformat(timespec="seconds"),
        }
        for kind, force, files, first, last, loaded, at in rows
    ]
