"""Public Attitude Survey figures (the ``survey`` table) and the survey rows rejected by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metforward.store.database import Database


def measures(db: Database) -> list[tuple[Any, ...]]:
    """Every survey measure: (measure, datasets, levels, groups, first, last, figures), by dataset then name."""
    return db.execute(
        "SELECT measure, string_agg(DISTINCT dataset, ', ' ORDER BY dataset), "
        "string_agg(DISTINCT level, ', ' ORDER BY level), string_agg(DISTINCT group_name, ', ' ORDER BY group_name), "
        "min(period_end), max(period_end), count(*) FROM survey GROUP BY measure ORDER BY 2, 1"
    )


def unmatched_names(db: Database) -> list[tuple[str, int, str]]:
    """Survey rows rejected because their borough name matched no London borough: (file, line, name)."""
    rows = db.execute(
        "SELECT r.source, r.line, r.value FROM rejects r JOIN loads l USING (load_id) "
        "WHERE l.kind LIKE 'survey-%' AND r.reason LIKE '%does not match any London borough%' ORDER BY 1, 2"
    )
    return [(str(source), int(line), str(value)) for source, line, value in rows]


def figures(
    db: Database,
    measure: str,
    *,
    area: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    group: str | None = None,
) -> list[tuple[Any, ...]]:
    """The survey rows of ``measure`` (in ``area``, ending within ``start``..``end``, of ``group``), oldest first.

    Each row: dataset, measure, period_start, period_end, period_kind, level, area_code, area_name,
    neighbourhood, group_name, proportion, n.
    """
    where: list[str] = ["measure = ?"]
    params: list[object] = [measure]
    if area is not None:
        where.append("area_code = ?")
        params.append(area)
    if start is not None:
        where.append("period_end >= ?")
        params.append(start)
    if end is not None:
        where.append("period_end <= ?")
        params.append(end)
    if group is not None:
        where.append("lower(group_name) = lower(?)")
        params.append(group)
    return db.execute(
        "SELECT dataset, measure, period_start, period_end, period_kind, level, area_code, area_name, neighbourhood, "
        f"group_name, proportion, n FROM survey WHERE {' AND '.join(where)} "
        "ORDER BY period_end, level DESC, area_code, neighbourhood, group_name, dataset",
        params,
    )
