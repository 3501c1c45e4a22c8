"""Sanction detection (``crimes_placed`` joined to ``outcomes`` by Crime ID) and the MPS dashboard counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from metforward.domain.outcomes import OUTCOME_CLASS, SANCTION_CLASSES
from metforward.store.database import Database

#: Grouping keys and the columns they read.
BY = {
    "borough": ("c.borough_code", "c.borough_name"),
    "ward": ("c.ward_code", "c.ward_name"),
    "category": ("c.crime_type",),
    "month": ("strftime(c.month, '%Y-%m')",),
}
#: Outcome types that close a crime (every class but under investigation).
FINAL = tuple(sorted(t for t, c in OUTCOME_CLASS.items() if c not in ("under_investigation",)))


def sanction_counts(
    db: Database,
    *,
    level: str | None,
    code: str | None,
    forces: Sequence[str],
    first: dt.date,
    last: dt.date,
    categories: Sequence[str] | None,
    by: Sequence[str],
) -> list[Any]:
    """Crimes with a Crime ID in the area (``level`` None: London's boroughs), by the :data:`BY` keys ``by``.

    Each row: the keys, then crimes, sanctioned, with an outcome, under investigation, outcome
    missing, sanctioned in the street file, one count per sanction class, and the quartiles of
    months to the first sanction.
    """
    if level is None:
        where = ["c.borough_code LIKE 'E09%'"]
        params: list[object] = []
    else:
        column = {"borough": "c.borough_code", "ward": "c.ward_code", "lsoa": "c.lsoa21_code"}[level]
        where = [f"{column} = ?"]
        params = [code]
    where += [
        f'c."force" IN ({", ".join("?" for _ in forces)})',
        "c.month BETWEEN ? AND ?",
        "c.crime_id IS NOT NULL",
        "c.crime_id <> ''",
    ]
    params += [*forces, first, last]
    if categories:
        where.append(f"c.crime_type IN ({', '.join('?' for _ in categories)})")
        params.extend(categories)
    keys = [column for b in by for column in BY[b]]
    return _query(db, where, params, keys, list(forces))


def _query(db: Database, where: list[str], params: list[object], keys: list[str], forces: list[str]) -> list[Any]:
    marks = ", ".join("?" for _ in forces)
    sanction_types = [t for t, c in OUTCOME_CLASS.items() if c in SANCTION_CLASSES]
    sanction_marks = ", ".join("?" for _ in sanction_types)
    final_marks = ", ".join("?" for _ in FINAL)
    class_case = (
        "CASE "
        + " ".join(f"WHEN o.first_sanction_type IN ({_marks(cls)}) THEN '{cls}'" for cls in SANCTION_CLASSES)
        + " END"
    )
    class_params = [t for cls in SANCTION_CLASSES for t, c in OUTCOME_CLASS.items() if c == cls]
    class_counts = ", ".join(f"count(*) FILTER (WHERE o.sanction_class = '{cls}')" for cls in SANCTION_CLASSES)
    select_keys = ", ".join(keys) + ", " if keys else ""
    group = ("GROUP BY " + ", ".join(keys) + " ORDER BY " + ", ".join(f"{k} NULLS LAST" for k in keys)) if keys else ""
    sql = f"""
    WITH c AS (
        SELECT * FROM crimes_placed c WHERE {" AND ".join(where)}
    ),
    o AS (
        SELECT crime_id,
               min(month) FILTER (WHERE outcome_type IN ({sanction_marks})) AS first_sanction,
               arg_min(outcome_type, month) FILTER (WHERE outcome_type IN ({sanction_marks})) AS first_sanction_type
        FROM outcomes
        WHERE "force" IN ({marks}) AND crime_id IN (SELECT crime_id FROM c)
        GROUP BY crime_id
    ),
    oc AS (SELECT *, {class_case} AS sanction_class FROM o)
    SELECT {select_keys}
        count(*) AS crimes,
        count(o.first_sanction) AS sanctioned,
        count(o.crime_id) AS with_outcome,
        count(*) FILTER (WHERE o.crime_id IS NULL AND (c.last_outcome IS NULL OR c.last_outcome NOT IN ({final_marks})))
            AS under_investigation,
        count(*) FILTER (WHERE o.crime_id IS NULL AND c.last_outcome IN ({final_marks})) AS outcome_missing,
        count(*) FILTER (WHERE c.last_outcome IN ({sanction_marks})) AS street_sanctioned,
        {class_counts},
        quantile_cont(date_diff('month', c.month, o.first_sanction), 0.25),
        quantile_cont(date_diff('month', c.month, o.first_sanction), 0.5),
        quantile_cont(date_diff('month', c.month, o.first_sanction), 0.75)
    FROM c LEFT JOIN oc o USING (crime_id)
    {group}
    """
    all_params = [
        *params,
        *sanction_types,
        *sanction_types,
        *forces,
        *class_params,
        *FINAL,
        *FINAL,
        *sanction_types,
    ]
    return db.execute(sql, all_params)


def _marks(cls: str) -> str:
    return ", ".join("?" for t, c in OUTCOME_CLASS.items() if c == cls)


def outcome_months(db: Database, forces: Sequence[str]) -> tuple[Any, ...]:
    """The first and last outcome month loaded for ``forces`` (both None when none is)."""
    return db.execute(
        f'SELECT min(month), max(month) FROM outcomes WHERE "force" IN ({", ".join("?" for _ in forces)})',
        list(forces),
    )[0]


def forces_with_outcomes(db: Database) -> set[str]:
    """Every force with outcome rows loaded."""
    return {str(r[0]) for r in db.execute('SELECT DISTINCT "force" FROM outcomes')}


def forces_with_crimes(db: Database) -> set[str]:
    """Every force with street crime rows loaded."""
    return {str(r[0]) for r in db.execute('SELECT DISTINCT "force" FROM crimes')}


def loads_used(db: Database, forces: Sequence[str], first: dt.date, last: dt.date) -> list[tuple[Any, ...]]:
    """Current street loads of ``first``..``last`` and outcomes loads from ``first`` on, of ``forces``.

    Each row: kind, force, first month, last month, files, first and last loaded_at.
    """
    marks = ", ".join("?" for _ in forces)
    return db.execute(
        f"""SELECT kind, "force", min(m), max(m), count(DISTINCT load_id), min(loaded_at), max(loaded_at)
        FROM (SELECT load_id, kind, "force", loaded_at, unnest(months) AS m FROM loads
              WHERE replaced_by IS NULL AND kind IN ('street', 'outcomes') AND "force" IN ({marks}))
        WHERE (kind = 'street' AND m BETWEEN ? AND ?) OR (kind = 'outcomes' AND m >= ?)
        GROUP BY kind, "force" ORDER BY kind DESC, "force\"""",
        [*forces, first, last, first],
    )


# --- the MPS Monthly Crime Dashboard ---------------------------------------------------------------

DASHBOARD_BY = {"borough": ("borough_code", "area_name"), "month": ("strftime(month, '%Y-%m')",)}


def dashboard_kinds(db: Database) -> list[tuple[Any, ...]]:
    """Every crime type and subtype with dashboard borough rows: (crime_type, crime_subtype), sorted."""
    return db.execute(
        "SELECT DISTINCT crime_type, crime_subtype FROM dashboard_counts WHERE area_type = 'Borough' ORDER BY 1, 2"
    )


def _dashboard_where(crime_type: str, subtype: str, borough: str | None) -> tuple[list[str], list[object]]:
    where = ["area_type = 'Borough'", "lower(crime_type) = lower(?)", "lower(crime_subtype) = lower(?)"]
    params: list[object] = [crime_type, subtype]
    if borough is not None:
        where.append("borough_code = ?")
        params.append(borough)
    return where, params


def dashboard_months(
    db: Database, crime_type: str, subtype: str, borough: str | None, first: dt.date, last: dt.date
) -> list[Any]:
    """The months from ``first`` to ``last`` with dashboard borough rows of the type (in ``borough``; None: any)."""
    where, params = _dashboard_where(crime_type, subtype, borough)
    return [
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT month FROM dashboard_counts WHERE {' AND '.join(where)} AND month BETWEEN ? AND ? "
            "ORDER BY 1",
            [*params, first, last],
        )
    ]


def dashboard_sums(
    db: Database,
    crime_type: str,
    subtype: str,
    borough: str | None,
    first: dt.date,
    last: dt.date,
    by: Sequence[str],
) -> tuple[list[tuple[Any, ...]], tuple[Any, Any], list[Any]]:
    """Offences and positive outcomes by the :data:`DASHBOARD_BY` keys ``by`` (no rows without keys), the total
    (offences, positive outcomes), and the refresh dates of the rows, from ``first`` to ``last``."""
    where, params = _dashboard_where(crime_type, subtype, borough)
    where.append("month BETWEEN ? AND ?")
    params += [first, last]
    keys = [column for b in by for column in DASHBOARD_BY[b]]
    sums = (
        "sum(count) FILTER (WHERE measure = 'Offences'), sum(count) FILTER (WHERE measure = 'Positive Outcomes') "
        f"FROM dashboard_counts WHERE {' AND '.join(where)}"
    )
    rows: list[tuple[Any, ...]] = []
    if keys:
        grouped = (
            f"SELECT {', '.join(keys)}, {sums} GROUP BY {', '.join(keys)} "
            f"ORDER BY {', '.join(f'{k} NULLS LAST' for k in keys)}"
        )
        rows = db.execute(grouped, params)
    offences, positive = db.execute(f"SELECT {sums}", params)[0]
    refresh = [
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT refresh_date FROM dashboard_counts WHERE {' AND '.join(where)} ORDER BY 1", params
        )
    ]
    return rows, (offences, positive), refresh


def dashboard_latest(db: Database, crime_type: str, subtype: str) -> Any:
    """The last month with dashboard borough rows of ``crime_type`` / ``subtype`` (exact names; None: none)."""
    return db.scalar(
        "SELECT max(month) FROM dashboard_counts WHERE area_type = 'Borough' AND crime_type = ? AND crime_subtype = ?",
        [crime_type, subtype],
    )
