"""Areas from the ONS lookups (``lsoa_places``): which borough holds an area, London's codes at a level."""

from __future__ import annotations

from typing import Any

from metforward.store.database import Database

_COLUMN = {"borough": "borough_code", "ward": "ward_code", "lsoa": "lsoa21_code"}


def borough_of(db: Database, level: str, code: str) -> str | None:
    """The borough (GSS code) that holds the ward or LSOA ``code`` (None when the lookups do not know it)."""
    value = db.scalar(f"SELECT max(borough_code) FROM lsoa_places WHERE {_COLUMN[level]} = ?", [code])
    return str(value) if value else None


def london_codes(db: Database, level: str) -> list[str]:
    """The codes of ``level`` in London, from the LSOA lookups (boroughs: E09), sorted."""
    column = _COLUMN[level]
    rows = db.execute(
        f"SELECT DISTINCT {column} FROM lsoa_places WHERE borough_code LIKE 'E09%' AND {column} IS NOT NULL ORDER BY 1"
    )
    return [str(c) for (c,) in rows]


def london_lsoa_wards(db: Database) -> list[tuple[str, str]]:
    """Every London LSOA (2021) with its ward: (lsoa21_code, ward_code)."""
    rows = db.execute(
        "SELECT DISTINCT lsoa21_code, ward_code FROM lsoa_places WHERE borough_code LIKE 'E09%' AND ward_code IS NOT NULL"
    )
    return [(str(lsoa), str(ward)) for lsoa, ward in rows]


def london_places(db: Database) -> list[tuple[Any, ...]]:
    """Every London LSOA with its ward and borough: (borough_code, borough_name, ward_code, ward_name, lsoa21_code,
    lsoa21_name), distinct, unordered."""
    return db.execute(
        "SELECT DISTINCT borough_code, borough_name, ward_code, ward_name, lsoa21_code, lsoa21_name "
        "FROM lsoa_places WHERE borough_code LIKE 'E09%'"
    )


def members(db: Database, level: str | None = None, code: str | None = None) -> list[tuple[Any, ...]]:
    """Every LSOA of London (or of the ``level`` area ``code``) with its ward and borough: (borough_code,
    borough_name, ward_code, ward_name, lsoa21_code, lsoa21_name), distinct, by LSOA."""
    where, params = ("borough_code LIKE 'E09%'", []) if level is None else (f"{_COLUMN[level]} = ?", [code])
    return db.execute(
        "SELECT DISTINCT borough_code, borough_name, ward_code, ward_name, lsoa21_code, lsoa21_name "
        f"FROM lsoa_places WHERE {where} ORDER BY lsoa21_code",
        params,
    )
