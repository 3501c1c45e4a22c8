"""Reference figures behind the borough profiles: population years and land areas."""

from __future__ import annotations

from metforward.store.database import Database


def population_year(db: Database, year: int) -> int:
    """The latest year at or before ``year`` with LSOA or borough population estimates (0: none)."""
    return int(
        db.scalar(
            "SELECT coalesce(max(year), 0) FROM population WHERE level IN ('lsoa', 'borough') AND year <= ?", [year]
        )
    )


def borough_areas(db: Database) -> dict[str, float]:
    """Each borough's land area in km² (the newest vintage; boroughs without a positive area are left out)."""
    return {
        str(c): float(a)
        for c, a in db.execute(
            """SELECT code, area_km2 FROM areas WHERE level = 'borough' AND area_km2 > 0
            QUALIFY row_number() OVER (PARTITION BY code ORDER BY vintage DESC, load_id DESC) = 1"""
        )
    }
