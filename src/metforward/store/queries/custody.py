"""Reads of the MPS custody disposals (``custody_disposals``, migration 0007)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metforward.store.database import Database


def months(db: Database) -> list[dt.date]:
    """The months with custody disposals loaded, in order."""
    return [r[0] for r in db.execute("SELECT DISTINCT month FROM custody_disposals ORDER BY 1")]


def values(db: Database, column: str) -> list[str]:
    """The distinct values of ``column`` (``disposal``, ``age_group``, ``offence_group``), in order."""
    if column not in ("disposal", "age_group", "offence_group", "ethnicity"):
        raise ValueError(f"not a custody_disposals grouping: {column}")
    return [r[0] for r in db.execute(f"SELECT DISTINCT {column} FROM custody_disposals ORDER BY 1")]


def counts(
    db: Database,
    first: dt.date,
    last: dt.date,
    *,
    disposal: str | None = None,
    age_group: str | None = None,
    offence_group: str | None = None,
) -> list[tuple[Any, ...]]:
    """Disposals from ``first`` to ``last`` (of one ``disposal``, ``age_group``, ``offence_group`` where given) by
    disposal, ethnicity and month: (disposal, ethnicity, month, count), in order."""
    where: list[str] = ["month BETWEEN ? AND ?"]
    params: list[object] = [first, last]
    for column, value in (("disposal", disposal), ("age_group", age_group), ("offence_group", offence_group)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return db.execute(
        f"SELECT disposal, ethnicity, month, sum(count) FROM custody_disposals WHERE {' AND '.join(where)} "
        "GROUP BY ALL ORDER BY ALL",
        params,
    )
