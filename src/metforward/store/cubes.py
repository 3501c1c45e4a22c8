"""Counts cubes: the narrow waist between raw rows and the statistics.

Every analysis reads these small tables, never the raw rows:

* ``cube_police``: police.uk street-level counts by force x level (force, borough, ward, LSOA
  2021) x area x month x crime type, with the rows that have no location (force level only) and
  ``home``: whether the force is the one that polices the area (an area's figures count only its
  own force's rows unless a force is asked for; another force's few rows there stay in its totals);
* ``cube_places``: police.uk street-level counts by force x month x crime type x snap point (its
  ``Location`` text, longitude and latitude, WGS84) with the point's LSOA 2021, ward and borough:
  the "by location" cube behind hot streets, repeat locations, hot spots and near-repeat analysis;
* ``cube_datastore``: London Datastore counts by kind x level (force, borough, ward, LSOA) x
  area x month x major x minor category.

The SELECTs below are written in the portable core of SQL (no DuckDB-only syntax), and a test
transpiles each with SQLGlot to Spark SQL, so the raw layer can move to a distributed engine
without touching the statistics. Cubes are rebuilt when the ``loads`` table has changed since
they were built (:func:`ensure_cubes`).

Over 400 lines on purpose: the cubes' definitions, their freshness check and every read of them
live together so the portable SQL (checked by SQLGlot in tests/store) is in one file.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from metforward.domain.forces import FORCES
from metforward.errors import StoreOutOfDateError
from metforward.store.database import Database

_POLICE_LEVELS = {
    "borough": ("borough_code", "borough_name"),
    "ward": ("ward_code", "ward_name"),
    "lsoa": ("lsoa21_code", "lsoa21_code"),
}


#: Whether a row was recorded by the force that polices its area (the City of London Police for the
#: City, the Met for the other 32 London boroughs; any force elsewhere).
_HOME = """CASE WHEN borough_code = 'E09000001' THEN "force" = 'city-of-london'
                WHEN borough_code LIKE 'E09%' THEN "force" = 'metropolitan'
                ELSE TRUE END"""


def _police_level_sql(level: str, code: str, name: str, source: str) -> str:
    return f"""
    SELECT "force", '{level}' AS level, {code} AS area_code, max({name}) AS area_name, month,
           crime_type AS category, count(*) AS n, 0 AS n_no_location, {_HOME} AS home
    FROM {source}
    WHERE {code} IS NOT NULL
    GROUP BY "force", {code}, month, crime_type, {_HOME}"""


def _police_sql(source: str) -> str:
    return "\nUNION ALL".join(
        [
            f"""
    SELECT "force", 'force' AS level, "force" AS area_code, "force" AS area_name, month,
           crime_type AS category, count(*) AS n,
           sum(CASE WHEN lsoa_code IS NULL THEN 1 ELSE 0 END) AS n_no_location, TRUE AS home
    FROM {source}
    GROUP BY "force", month, crime_type""",
            *(_police_level_sql(level, code, name, source) for level, (code, name) in _POLICE_LEVELS.items()),
        ]
    )


def _places_sql(source: str) -> str:
    return f"""
    SELECT "force", month, crime_type AS category, location, longitude, latitude, lsoa21_code,
           ward_code, max(ward_name) AS ward_name, borough_code, max(borough_name) AS borough_name,
           {_HOME} AS home, count(*) AS n
    FROM {source}
    WHERE longitude IS NOT NULL AND latitude IS NOT NULL
    GROUP BY "force", month, crime_type, location, longitude, latitude, lsoa21_code, ward_code, borough_code,
             {_HOME}"""


#: The police.uk cubes' definitions over a relation of placed street crimes: the whole raw layer
#: (``crimes_placed``), or only the (force, month) slices a load changed (:func:`refresh_cubes`).
_POLICE_CUBES: dict[str, Callable[[str], str]] = {"cube_police": _police_sql, "cube_places": _places_sql}

#: The placed street crimes of the slices in ``cube_slices`` (a temporary table of the refresh).
_SLICE_ROWS = 'SELECT c.* FROM crimes_placed c JOIN cube_slices s ON c."force" = s."force" AND c.month = s.month'

#: The cube definitions: name -> SELECT over the raw layer (portable SQL).
CUBE_SQL: dict[str, str] = {
    **{name: make("crimes_placed") for name, make in _POLICE_CUBES.items()},
    "cube_datastore": """
    SELECT kind, level, area_code, max(area_name) AS area_name, month, major, minor, sum(count) AS n
    FROM area_counts
    WHERE area_code IS NOT NULL
    GROUP BY kind, level, area_code, month, major, minor
    UNION ALL
    SELECT kind, 'force' AS level, 'metropolitan' AS area_code, 'Metropolitan Police Service' AS area_name,
           month, major, minor, sum(count) AS n
    FROM area_counts
    GROUP BY kind, month, major, minor""",
}

#: Load kinds whose rows a cube never reads (police.uk outcomes and searches: no cube is built from
#: them), and the kind whose rows the police.uk cubes read slice by slice (street crimes, each load
#: one force and its months). A load of any other kind (reference data, which places every crime;
#: Datastore tables; anything new) rebuilds every cube that is not sure to be untouched, whole.
_UNREAD: dict[str, frozenset[str]] = {
    "cube_police": frozenset({"outcomes", "stop-and-search"}),
    "cube_places": frozenset({"outcomes", "stop-and-search"}),
    "cube_datastore": frozenset({"street", "outcomes", "stop-and-search"}),
}
_STREET = "street"

_STATE = "CREATE TABLE IF NOT EXISTS cube_builds (cube VARCHAR PRIMARY KEY, fingerprint VARCHAR, built_at TIMESTAMP)"


def _fingerprint(db: Database, name: str) -> str:
    """What a cube was built from: the highest load id (loads are only ever added) and its SQL's hash."""
    loads = int(db.scalar("SELECT coalesce(max(load_id), 0) FROM loads"))
    return f"{loads}:{_digest(name)}"


def _digest(name: str) -> str:
    """The hash of a cube's SQL: a cube built by other SQL is rebuilt whole."""
    return hashlib.sha256(CUBE_SQL[name].encode()).hexdigest()[:16]


def refresh_cubes(db: Database, *, whole: bool = True) -> None:
    """Rebuild every cube from the raw layer, in one transaction.

    With ``whole=False`` (what :func:`ensure_cubes` does after a load), a cube is rebuilt slice by
    slice when every load since it was built is one it reads by (force, month) or never reads
    (:data:`_UNREAD`): adding a month of street crimes to a store of years recounts that month only,
    in a fraction of the time and memory of a rebuild; otherwise it is rebuilt whole. Both give the
    same table (tests/store/test_cubes.py). Whole is the default, for a raw layer changed other than
    by a load (the benchmarks do).
    """
    _MEMO.pop(db, None)
    with db.transaction():
        db.run(_STATE)
        for name, sql in CUBE_SQL.items():
            slices = None if whole else _stale_slices(db, name)
            if slices is None:
                db.run(f"CREATE OR REPLACE TABLE {name} AS {sql} ORDER BY 1, 2, 3, 5")
            elif slices:
                _rebuild_slices(db, name, slices)
            db.run("INSERT OR REPLACE INTO cube_builds VALUES (?, ?, now()::TIMESTAMP)", [name, _fingerprint(db, name)])
        names = ", ".join(f"('{slug}', '{full}')" for slug, full in FORCES.items())
        db.run(
            f"UPDATE cube_police SET area_name = f.name FROM (VALUES {names}) f(slug, name) "
            "WHERE cube_police.level = 'force' AND cube_police.area_code = f.slug"
        )


def _stale_slices(db: Database, name: str) -> set[tuple[str, dt.date]] | None:
    """The (force, month) slices of ``name`` the loads since its build changed (empty: none), or None
    when it must be rebuilt whole (never built, built by other SQL, or a load it cannot slice)."""
    built = db.scalar(
        "SELECT fingerprint FROM cube_builds WHERE cube = ? AND cube IN (SELECT table_name FROM information_schema.tables)",
        [name],
    )
    since, _, digest = str(built or "").partition(":")
    if not since.isdigit() or digest != _digest(name):
        return None
    new = db.execute('SELECT kind, "force", months, replaces FROM loads WHERE load_id > ?', [int(since)])
    replaced = sorted({i for *_, replaces in new for i in replaces or []})
    changed = [(kind, force, months) for kind, force, months, _ in new]
    if replaced:
        marks = ", ".join("?" * len(replaced))
        changed += db.execute(f'SELECT kind, "force", months FROM loads WHERE load_id IN ({marks})', replaced)  # noqa: S608
    slices: set[tuple[str, dt.date]] = set()
    for kind, force, months in changed:
        if kind in _UNREAD[name]:
            continue
        if kind != _STREET or name not in _POLICE_CUBES or not force:
            return None
        slices.update((force, month) for month in months or [])
    return slices


def _rebuild_slices(db: Database, name: str, slices: set[tuple[str, dt.date]]) -> None:
    """Replace the rows of ``slices`` in the police.uk cube ``name`` with a fresh count of them."""
    db.run('CREATE OR REPLACE TEMP TABLE cube_slices ("force" VARCHAR, month DATE)')
    for force, month in sorted(slices):
        db.run("INSERT INTO cube_slices VALUES (?, ?)", [force, month])
    db.run(f'DELETE FROM {name} USING cube_slices s WHERE {name}."force" = s."force" AND {name}.month = s.month')
    db.run(f"CREATE OR REPLACE TEMP TABLE cube_sliced AS {_SLICE_ROWS}")
    sql = _POLICE_CUBES[name]("cube_sliced")
    db.run(f"INSERT INTO {name} {sql}")
    db.run("DROP TABLE cube_sliced")
    db.run("DROP TABLE cube_slices")


def cubes_fresh(db: Database) -> bool:
    """True when every cube was built after the latest load, by the SQL metforward has now."""
    if not db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'cube_builds'"):
        return False
    built = dict(db.execute("SELECT cube, fingerprint FROM cube_builds"))
    return all(built.get(name) == _fingerprint(db, name) for name in CUBE_SQL)


#: Per open store: the latest load id the cubes were last found fresh at, and the small reference
#: reads (months present, coverage, population, Datastore kinds) made since, which change only with a
#: load or a rebuild of the cubes. A comparison makes a dozen of these reads; repeating them on every
#: call was most of a warm comparison's time.
_MEMO: weakref.WeakKeyDictionary[Database, tuple[int, dict[tuple[Any, ...], Any]]] = weakref.WeakKeyDictionary()
_T = TypeVar("_T")


def _latest_load(db: Database) -> int:
    return int(db.scalar("SELECT coalesce(max(load_id), 0) FROM loads"))


def ensure_cubes(db: Database) -> None:
    """Rebuild the cubes if any load happened since they were built.

    Writers build them when they finish (:func:`metforward.store.access.writing`), so a read-only
    connection finds them fresh; if it does not, it cannot rebuild them and says what to run.
    """
    loads = _latest_load(db)
    held = _MEMO.get(db)
    if held is not None and held[0] == loads:
        return
    if not cubes_fresh(db):
        if getattr(db, "read_only", False):
            raise StoreOutOfDateError(
                f"the counts cubes of {db.path} are older than its latest load and this command only reads: "
                f"run metforward --db {db.path} upgrade"
            )
        refresh_cubes(db, whole=False)
    _MEMO[db] = (loads, {})


def _remembered(db: Database, key: tuple[Any, ...], read: Callable[[], _T]) -> _T:
    """``read()`` once per load for this open store (a shallow copy each time, so callers may change it)."""
    ensure_cubes(db)
    memo = _MEMO[db][1]
    if key not in memo:
        memo[key] = read()
    return copy.copy(memo[key])  # type: ignore[no-any-return]


# --- reading the cubes -------------------------------------------------------------------------

#: Where each source's counts live, and its category columns.
SOURCES = {
    "police-uk": ("cube_police", ("category",)),
    "datastore": ("cube_datastore", ("major", "minor")),
}


def _where(
    source: str, level: str, first: dt.date, last: dt.date, *, force: str | None, kind: str | None, home: bool
) -> tuple[list[str], list[object]]:
    """The WHERE clauses shared by the cube queries: level, months, and the source's own filters.

    police.uk: one force's rows when ``force`` is given; otherwise, with ``home``, an area's figures
    are those of the force that polices it. Datastore: one file kind when ``kind`` is given.
    """
    where = ["level = ?", "month BETWEEN ? AND ?"]
    params: list[object] = [level, first, last]
    if source == "police-uk" and force:
        where.append('"force" = ?')
        params.append(force)
    elif source == "police-uk" and home:
        where.append("home")
    if source == "datastore" and kind:
        where.append("kind = ?")
        params.append(kind)
    return where, params


def _two_periods(
    db: Database,
    source: str,
    level: str,
    before: tuple[dt.date, dt.date],
    after: tuple[dt.date, dt.date],
    by: tuple[str, ...],
    areas: list[str] | None,
    force: str | None,
    kind: str | None,
) -> tuple[str, list[str], list[Any]]:
    """The cube, WHERE clauses and parameters of a two-period read (:func:`period_counts`, :func:`period_squares`)."""
    table, categories = SOURCES[source]
    if not set(by) <= set(categories):
        raise ValueError(f"{source} has categories {categories}, not {by}")
    ensure_cubes(db)
    where, params = _where(
        source, level, min(before[0], after[0]), max(before[1], after[1]), force=force, kind=kind, home=True
    )
    if areas:
        where.append(f"area_code IN ({', '.join('?' for _ in areas)})")
        params.extend(areas)
    return table, where, params


def period_counts(
    db: Database,
    *,
    source: str,
    level: str,
    before: tuple[dt.date, dt.date],
    after: tuple[dt.date, dt.date],
    by: tuple[str, ...],
    areas: list[str] | None = None,
    force: str | None = None,
    kind: str | None = None,
) -> list[tuple[Any, ...]]:
    """Counts in two periods by area and category: ``(area_code, area_name, *by, before, after, forces)``.

    ``forces`` (police.uk only) lists the forces whose rows make up the counts.

    ``by`` names the category columns to keep (``("category",)`` for police.uk; ``("major",)``,
    ``("minor",)`` or both for the Datastore). Areas and categories with no count in either
    period do not appear (their counts are zero).
    """
    table, where, params = _two_periods(db, source, level, before, after, by, areas, force, kind)
    keys = ", ".join(by)
    forces = 'list(DISTINCT "force" ORDER BY "force")' if source == "police-uk" else "NULL"
    sql = f"""
        SELECT area_code, max(area_name), {keys},
               sum(CASE WHEN month BETWEEN ? AND ? THEN n ELSE 0 END) AS before,
               sum(CASE WHEN month BETWEEN ? AND ? THEN n ELSE 0 END) AS after,
               {forces} AS forces
        FROM {table}
        WHERE {" AND ".join(where)}
        GROUP BY area_code, {keys}
        ORDER BY area_code, {keys}
    """
    return db.execute(sql, [before[0], before[1], after[0], after[1], *params])


def period_squares(
    db: Database,
    *,
    source: str,
    level: str,
    before: tuple[dt.date, dt.date],
    after: tuple[dt.date, dt.date],
    by: tuple[str, ...],
    areas: list[str] | None = None,
    force: str | None = None,
    kind: str | None = None,
) -> dict[tuple[Any, ...], tuple[float, float]]:
    """Sums of squared monthly counts in each period, keyed ``(area_code, *by)``, for the rows of :func:`period_counts`.

    With a period's total and months of data these give the month-to-month variation the
    dispersion estimate needs (:mod:`metforward.analyse.dispersion`); a month with no row adds 0.
    """
    table, where, params = _two_periods(db, source, level, before, after, by, areas, force, kind)
    keys = ", ".join(by)
    sql = f"""
        SELECT area_code, {keys},
               sum(CASE WHEN month BETWEEN ? AND ? THEN n * n ELSE 0 END),
               sum(CASE WHEN month BETWEEN ? AND ? THEN n * n ELSE 0 END)
        FROM (SELECT area_code, {keys}, month, CAST(sum(n) AS DOUBLE) AS n FROM {table}
              WHERE {" AND ".join(where)} GROUP BY ALL)
        GROUP BY ALL
    """
    rows = db.execute(sql, [before[0], before[1], after[0], after[1], *params])
    return {tuple(r[:-2]): (float(r[-2]), float(r[-1])) for r in rows}


def months_present(
    db: Database, *, source: str, first: dt.date, last: dt.date, force: str | None = None, kind: str | None = None
) -> list[dt.date]:
    """The months between ``first`` and ``last`` in which the source has any data at all."""
    table, _ = SOURCES[source]
    where, params = _where(source, "force", first, last, force=force, kind=kind, home=False)
    return _remembered(
        db,
        ("months_present", source, first, last, force, kind),
        lambda: [
            m
            for (m,) in db.execute(f"SELECT DISTINCT month FROM {table} WHERE {' AND '.join(where)} ORDER BY 1", params)
        ],
    )


def no_location_share(db: Database, *, first: dt.date, last: dt.date, force: str | None = None) -> dict[str, float]:
    """Share of police.uk street rows with no location, by crime type, over a span of months."""
    where, params = _where("police-uk", "force", first, last, force=force, kind=None, home=False)
    sql = f"SELECT category, sum(n_no_location) / sum(n) FROM cube_police WHERE {' AND '.join(where)} GROUP BY 1"
    return _remembered(
        db, ("no_location_share", first, last, force), lambda: {c: float(s) for c, s in db.execute(sql, params)}
    )


def datastore_kinds(db: Database) -> list[tuple[str, dt.date, dt.date]]:
    """The Datastore kinds in the cube with their first and last month."""
    return _remembered(
        db,
        ("datastore_kinds",),
        lambda: db.execute("SELECT kind, min(month), max(month) FROM cube_datastore GROUP BY 1 ORDER BY 1"),
    )


def area_lookup(db: Database, *, source: str, level: str) -> dict[str, str]:
    """Area code -> name at a level, as the cube knows them."""
    ensure_cubes(db)
    table, _ = SOURCES[source]
    return dict(db.execute(f"SELECT area_code, max(area_name) FROM {table} WHERE level = ? GROUP BY 1", [level]))


def population(db: Database, *, level: str, year: int) -> dict[str, float]:
    """Resident population by area at a level, from the latest estimate in or before ``year``.

    For boroughs, where the LSOA estimates (summed through the lookups) are more recent than the
    borough estimates, the LSOA sums are used.
    """
    return _remembered(db, ("population", level, year), lambda: _population(db, level, year))


def _population(db: Database, level: str, year: int) -> dict[str, float]:
    sql = """
        SELECT area_code, arg_max(population, year), max(year) FROM population
        WHERE level = ? AND year <= ? GROUP BY 1
    """
    found = {code: (float(value), int(y)) for code, value, y in db.execute(sql, [level, year])}
    if level == "borough":
        summed = """
            SELECT p.borough_code, sum(x.value), min(x.y)
            FROM (SELECT area_code, arg_max(population, year) AS value, max(year) AS y FROM population
                  WHERE level = 'lsoa' AND year <= ? GROUP BY 1) x
            JOIN lsoa_places p ON p.lsoa_code = x.area_code
            WHERE p.borough_code IS NOT NULL GROUP BY 1
        """
        for code, value, y in db.execute(summed, [year]):
            if code not in found or int(y) > found[code][1]:
                found[code] = (float(value), int(y))
    return {code: value for code, (value, _) in found.items()}


def monthly_series(
    db: Database,
    *,
    source: str,
    level: str,
    first: dt.date,
    last: dt.date,
    by: str,
    force: str | None = None,
    kind: str | None = None,
) -> list[tuple[Any, ...]]:
    """Counts by ``(area_code, area_name, category, month, n)`` over a span of months (zero months absent)."""
    table, categories = SOURCES[source]
    if by not in categories:
        raise ValueError(f"{source} has categories {categories}, not {by}")
    ensure_cubes(db)
    where, params = _where(source, level, first, last, force=force, kind=kind, home=True)
    sql = f"""
        SELECT area_code, max(area_name), {by}, month, sum(n)
        FROM {table} WHERE {" AND ".join(where)}
        GROUP BY area_code, {by}, month ORDER BY 1, 3, 4
    """
    return db.execute(sql, params)


def coverage(db: Database, *, first: dt.date, last: dt.date) -> dict[tuple[str, str], set[dt.date]]:
    """police.uk: the months in which each force published any row of each crime type.

    A force's file that lacks a crime type (or a month's file that is missing) is not a zero: the
    statistics count exposure only over the months a force actually published the type.
    """

    def read() -> dict[tuple[str, str], set[dt.date]]:
        rows = db.execute(
            'SELECT "force", category, list(DISTINCT month) FROM cube_police '
            "WHERE level = 'force' AND month BETWEEN ? AND ? GROUP BY ALL",
            [first, last],
        )
        return {(force, category): set(months) for force, category, months in rows}

    return _remembered(db, ("coverage", first, last), read)


def force_categories(db: Database, *, first: dt.date, last: dt.date) -> dict[str, set[str]]:
    """police.uk: the crime types each force published any row of between ``first`` and ``last``."""
    ensure_cubes(db)
    rows = db.execute(
        "SELECT \"force\", category FROM cube_police WHERE level = 'force' AND month BETWEEN ? AND ? GROUP BY ALL",
        [first, last],
    )
    out: dict[str, set[str]] = {}
    for force, category in rows:
        out.setdefault(force, set()).add(category)
    return out


def latest_month(db: Database, *, source: str, force: str | None = None, kind: str | None = None) -> dt.date | None:
    """The last month for which the source has data."""
    months = months_present(
        db, source=source, first=dt.date(1900, 1, 1), last=dt.date(2999, 12, 1), force=force, kind=kind
    )
    return months[-1] if months else None
