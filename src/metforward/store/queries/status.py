"""What the store holds, as the web's health check and status pages read it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metforward.store.database import Database


def ping(db: Database) -> None:
    """Run the smallest query: raises when the connection cannot answer."""
    db.scalar("SELECT 1")


def latest_street_month(db: Database) -> dt.date | Any:
    """The last month of police.uk street crimes loaded (None: none)."""
    return db.scalar("SELECT max(month) FROM crimes")


def latest_datastore_month(db: Database) -> dt.date | Any:
    """The last month of London Datastore area counts loaded (None: none)."""
    return db.scalar("SELECT max(month) FROM area_counts")


def reject_counts(db: Database) -> tuple[Any, ...]:
    """(rejected rows, loads with rejected rows)."""
    return db.execute("SELECT count(*), count(DISTINCT load_id) FROM rejects")[0]


def live_load_count(db: Database) -> Any:
    """How many loads are current (not replaced)."""
    return db.execute("SELECT count(*) FROM loads WHERE replaced_by IS NULL")[0][0]


def load_version(db: Database) -> str:
    """What the store holds, as a short string: schema version, number of loads and the latest load id.

    Loads are only ever added, so this changes whenever the data does; the web app keys its
    caches and cache headers (ETag) to it.
    """
    loads, latest = db.execute("SELECT count(*), coalesce(max(load_id), 0) FROM loads")[0]
    return f"s{db.schema_version}-l{loads}-{latest}"
