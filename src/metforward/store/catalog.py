"""What is in the store: coverage by source kind, force and month; reference tables; simple counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from metforward.domain.periods import missing_months, month_text
from metforward.store import placements
from metforward.store.database import Database
from metforward.store.loading import BUILT_IN

_POLICE_ROWS = """
WITH data AS (
    SELECT 'street' AS kind, "force", month, count(*) AS n,
           count(*) FILTER (WHERE lsoa_code IS NULL) AS no_lsoa,
           count(*) FILTER (WHERE longitude IS NULL) AS no_xy, 0 AS pending
    FROM crimes GROUP BY ALL
    UNION ALL
    SELECT 'outcomes', "force", month, count(*), count(*) FILTER (WHERE lsoa_code IS NULL),
           count(*) FILTER (WHERE longitude IS NULL), 0
    FROM outcomes GROUP BY ALL
    UNION ALL
    -- a search has no LSOA code of its own: "not placed" is outside every borough or without coordinates;
    -- "pending" has coordinates but is not yet placed against the current boundaries
    SELECT 'stop-and-search', "force", month, count(*), count(*) FILTER (WHERE borough_code IS NULL AND NOT pending),
           count(*) FILTER (WHERE latitude IS NULL), count(*) FILTER (WHERE pending)
    FROM (
        SELECT s.force, s.month, s.borough_code, s.latitude, s.latitude IS NOT NULL AND p.load_id IS NULL AS pending
        FROM searches s LEFT JOIN ({placed}) p ON p.load_id = s.load_id
    )
    GROUP BY ALL
),
rejected AS (
    SELECT kind, "force", months[1] AS month, sum(rows_rejected) AS rejected
    FROM loads
    WHERE replaced_by IS NULL AND len(months) = 1
    GROUP BY ALL
)
SELECT d.kind, d.force, d.month, d.n, coalesce(r.rejected, 0), d.no_lsoa, d.no_xy, d.pending
FROM data d LEFT JOIN rejected r USING (kind, "force", month)
ORDER BY d.kind, d.force, d.month
"""


@dataclass(frozen=True)
class MonthCoverage:
    """One (source kind, force, month) of police.uk data."""

    kind: str
    force: str
    month: dt.date
    rows: int
    rejected: int
    no_lsoa: int
    no_coordinates: int
    pending: int = 0  # searches with coordinates not yet placed against the current boundaries

    def as_dict(self) -> dict[str, object]:
        """The JSON form, shares rounded to 4 places."""
        return {
            "kind": self.kind,
            "force": self.force,
            "month": month_text(self.month),
            "rows": self.rows,
            "rejected": self.rejected,
            "no_lsoa_share": round(self.no_lsoa / self.rows, 4) if self.rows else None,
            "no_coordinates_share": round(self.no_coordinates / self.rows, 4) if self.rows else None,
            **({"not_yet_placed": self.pending} if self.kind == "stop-and-search" else {}),
        }


@dataclass(frozen=True)
class SeriesCoverage:
    """The months of one (kind, force) series, from the first to the last, and the gaps inside."""

    kind: str
    force: str
    months: tuple[dt.date, ...]

    @property
    def missing(self) -> list[dt.date]:
        """Months absent inside the covered range."""
        return missing_months(self.months)

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "kind": self.kind,
            "force": self.force,
            "first": month_text(self.months[0]),
            "last": month_text(self.months[-1]),
            "months": len(self.months),
            "missing_months": [month_text(m) for m in self.missing],
        }


def police_coverage(db: Database) -> list[MonthCoverage]:
    """Row counts, rejects and location completeness by police.uk kind, force and month."""
    if placements.has_record(db):
        placed = "SELECT p.load_id FROM search_placements p, placement_version b WHERE p.boundaries = b.version"
    else:  # a store older than the placement record: nothing is known to be placed
        placed = "SELECT NULL::BIGINT AS load_id WHERE false"
    return [MonthCoverage(*row) for row in db.execute(_POLICE_ROWS.format(placed=placed))]


def series(rows: list[MonthCoverage]) -> list[SeriesCoverage]:
    """Group month rows into series by (kind, force)."""
    grouped: dict[tuple[str, str], list[dt.date]] = {}
    for row in rows:
        grouped.setdefault((row.kind, row.force), []).append(row.month)
    return [SeriesCoverage(k, f, tuple(sorted(ms))) for (k, f), ms in sorted(grouped.items())]


def datastore_coverage(db: Database) -> list[dict[str, object]]:
    """London Datastore counts by kind: areas, months, total count, rows not placed in an area."""
    out = []
    sql = """
        SELECT kind, level, count(DISTINCT area_code), min(month), max(month),
               list(DISTINCT month ORDER BY month), sum(count), count(*) FILTER (WHERE area_code IS NULL)
        FROM area_counts GROUP BY kind, level ORDER BY kind
    """
    for kind, level, areas, first, last, months, total, unplaced in db.execute(sql):
        out.append(
            {
                "kind": kind,
                "level": level,
                "areas": areas,
                "first": month_text(first),
                "last": month_text(last),
                "months": len(months),
                "missing_months": [month_text(m) for m in missing_months(months)],
                "total_count": int(total),
                "cells_without_area": unplaced,
            }
        )
    return out


def reference_coverage(db: Database) -> list[dict[str, object]]:
    """Boundaries, lookups and population tables: what is loaded, and whether it is metforward's built-in copy.

    ``source`` is ``built-in`` for reference data that came with metforward (loaded because the store
    had none), ``file`` for files the user loaded.
    """
    rows: list[dict[str, object]] = []
    origin = "CASE WHEN starts_with(l.source_path, ?) THEN 'built-in' ELSE 'file' END"
    sql = f"SELECT t.level, t.vintage, {origin}, count(*) FROM areas t JOIN loads l USING (load_id) GROUP BY ALL ORDER BY ALL"
    for level, vintage, source, n in db.execute(sql, [BUILT_IN]):
        rows.append({"table": "areas", "what": f"{level} boundaries ({vintage})", "rows": n, "source": source})
    sql = f"SELECT {origin}, count(*) FROM lsoa_lookup t JOIN loads l USING (load_id) GROUP BY ALL ORDER BY ALL"
    for source, n in db.execute(sql, [BUILT_IN]):
        rows.append({"table": "lsoa_lookup", "what": "LSOA 2011 -> LSOA 2021", "rows": n, "source": source})
    sql = (
        f"SELECT t.vintage, {origin}, count(*) FROM lsoa_wards t JOIN loads l USING (load_id) GROUP BY ALL ORDER BY ALL"
    )
    for vintage, source, n in db.execute(sql, [BUILT_IN]):
        what = f"LSOA 2021 -> ward ({vintage}) -> borough"
        rows.append({"table": "lsoa_wards", "what": what, "rows": n, "source": source})
    sql = "SELECT source, level, min(year), max(year), count(*) FROM population GROUP BY ALL ORDER BY ALL"
    for source, level, first, last, n in db.execute(sql):
        rows.append({"table": "population", "what": f"{source}: {level}, {first}-{last}", "rows": n, "source": "file"})
    return rows


def reference_held(db: Database) -> set[tuple[str, str | None]]:
    """The reference tables holding any rows, boundaries by level: ``("lsoa_lookup", None)``,
    ``("lsoa_wards", None)``, ``("areas", "borough")``, ...; whoever loaded them."""
    rows = db.execute(
        "SELECT 'areas', level FROM areas GROUP BY level "
        "UNION ALL SELECT 'lsoa_lookup', NULL FROM (SELECT 1 FROM lsoa_lookup LIMIT 1) "
        "UNION ALL SELECT 'lsoa_wards', NULL FROM (SELECT 1 FROM lsoa_wards LIMIT 1)"
    )
    return {(str(table), None if level is None else str(level)) for table, level in rows}


def police_counts_by_borough(db: Database) -> list[tuple[str, str, str, int]]:
    """police.uk street-level counts by (borough code, borough name, crime type), all loaded months.

    Rows whose LSOA is unknown or not in the loaded lookups are counted under borough ``None``.
    """
    sql = """
        SELECT coalesce(borough_code, '-'), coalesce(borough_name, '(no LSOA / not placed)'),
               crime_type, count(*)
        FROM crimes_placed GROUP BY ALL ORDER BY 2, 3
    """
    return [(c, n, t, int(k)) for c, n, t, k in db.execute(sql)]


def police_months(db: Database) -> tuple[dt.date | None, dt.date | None]:
    """The first and last month of street-level data loaded."""
    row = db.execute("SELECT min(month), max(month) FROM crimes")[0]
    return row[0], row[1]


def is_empty(db: Database) -> bool:
    """True when nothing has ever been loaded into the store (no loads, of any kind)."""
    return int(db.scalar("SELECT count(*) FROM loads")) == 0
