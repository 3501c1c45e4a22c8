"""Police front counters and stations, and the LSOA shapes and residents the visible-policing strand measures from."""

from __future__ import annotations

from typing import Any

from metforward.store.database import Database


def front_counters(db: Database) -> list[tuple[Any, ...]]:
    """Every front counter loaded: (name, borough code, borough name, longitude, latitude, status, current,
    proposed), by borough and name."""
    return db.execute(
        "SELECT name, borough_code, borough_name, longitude, latitude, status, current, proposed "
        "FROM front_counters ORDER BY borough_name, name"
    )


def police_stations(db: Database) -> list[tuple[Any, ...]]:
    """Every police station loaded: (name, longitude, latitude), by name."""
    return db.execute("SELECT name, longitude, latitude FROM police_stations ORDER BY name")


def lsoa_shapes(db: Database) -> list[tuple[Any, ...]]:
    """The newest LSOA boundaries loaded with their London borough: (code, name, WKB in WGS84, borough code,
    borough name), by code; LSOAs no lookup places in a London borough are left out."""
    return db.execute(
        """
        WITH newest AS (
            SELECT code, arg_max(name, load_id) AS name, arg_max(geometry, load_id) AS geometry
            FROM areas
            WHERE level = 'lsoa' AND geometry IS NOT NULL
              AND vintage = (SELECT max(vintage) FROM areas WHERE level = 'lsoa' AND geometry IS NOT NULL)
            GROUP BY code
        ),
        place AS (
            SELECT lsoa_code, max(borough_code) AS borough_code, max(borough_name) AS borough_name
            FROM lsoa_places WHERE borough_code LIKE 'E09%' GROUP BY lsoa_code
        )
        SELECT n.code, n.name, n.geometry, p.borough_code, p.borough_name
        FROM newest n JOIN place p ON p.lsoa_code = n.code
        ORDER BY n.code
        """
    )


def lsoa_population(db: Database, year: int) -> list[tuple[Any, ...]]:
    """Each LSOA's residents from the latest estimate in or before ``year`` (else the earliest after it):
    (code, population, year of the estimate)."""
    return db.execute(
        """
        SELECT area_code,
               coalesce(arg_max(population, year) FILTER (WHERE year <= ?), arg_min(population, year)),
               coalesce(max(year) FILTER (WHERE year <= ?), min(year))
        FROM population WHERE level = 'lsoa' GROUP BY area_code
        """,
        [year, year],
    )
