"""Names and codes of areas from the ONS lookups (``lsoa_places``), for the one area resolver."""

from __future__ import annotations

from typing import Any

from metforward.store.database import Database

#: The code and name columns of each level in ``lsoa_places``.
_COLUMNS = {
    "borough": ("borough_code", "borough_name"),
    "ward": ("ward_code", "ward_name"),
    "lsoa": ("lsoa21_code", "lsoa21_name"),
}


def lookups_loaded(db: Database) -> bool:
    """Whether any LSOA lookup rows are loaded."""
    return bool(db.scalar("SELECT count(*) FROM (SELECT 1 FROM lsoa_places LIMIT 1)"))


def name_of(db: Database, level: str, code: str) -> str | None:
    """The name of the ``level`` area with GSS ``code``, None when the lookups do not hold it."""
    code_col, name_col = _COLUMNS[level]
    name = db.scalar(f"SELECT max({name_col}) FROM lsoa_places WHERE {code_col} = ?", [code])
    return None if name is None else str(name)


def named(db: Database, level: str, key: str) -> list[tuple[Any, ...]]:
    """London ``level`` areas whose name, in lower case, is ``key``: (code, name, borough name), by code."""
    code_col, name_col = _COLUMNS[level]
    return db.execute(
        f"SELECT DISTINCT {code_col}, {name_col}, borough_name FROM lsoa_places "
        f"WHERE lower({name_col}) = ? AND borough_code LIKE 'E09%' ORDER BY 1",
        [key],
    )
