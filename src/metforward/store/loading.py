"""Writing one load into the store: rows, rejects and provenance, in a single transaction.

A *load* is what came from one input file. Its rows go to one or more canonical tables
(:class:`Batch`); each batch names the unit it replaces (for police.uk data, the file's own force
and month, whole), so loading a newer snapshot of the same file replaces the earlier rows instead
of doubling them, and never touches another month. Everything happens in one transaction: if anything fails, nothing is kept.

Reference data built into metforward (:mod:`metforward.ingest.builtin`) is loaded like any file, with
a ``source_path`` starting :data:`BUILT_IN`. A later load of a real file retires the built-in rows it
stands in for, whatever their vintage: boundaries of the same level, ward lookups of the same LSOAs
(the LSOA 2011 lookup is keyed by its LSOA 2011 code already). So a user's files always win, and a
built-in set never shadows a user's set of another vintage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from metforward.store.database import Database

#: Canonical tables a load may write to, with their columns in order (``load_id`` first, implied).
TABLES: dict[str, tuple[str, ...]] = {
    "crimes": (
        "line",
        "crime_id",
        "month",
        "force",
        "reported_by",
        "falls_within",
        "longitude",
        "latitude",
        "location",
        "lsoa_code",
        "lsoa_name",
        "crime_type",
        "last_outcome",
        "context",
    ),
    "outcomes": (
        "line",
        "crime_id",
        "month",
        "force",
        "reported_by",
        "falls_within",
        "longitude",
        "latitude",
        "location",
        "lsoa_code",
        "lsoa_name",
        "outcome_type",
    ),
    "searches": (
        "line",
        "force",
        "month",
        "search_type",
        "occurred_at",
        "part_of_operation",
        "operation",
        "latitude",
        "longitude",
        "gender",
        "age_range",
        "self_defined_ethnicity",
        "officer_defined_ethnicity",
        "legislation",
        "object_of_search",
        "outcome",
        "outcome_linked",
        "removal_of_clothing",
        "lsoa_code",
    ),
    "area_counts": (
        "line",
        "kind",
        "level",
        "area_code",
        "area_name",
        "borough_code",
        "borough_name",
        "month",
        "major",
        "minor",
        "count",
    ),
    "areas": ("level", "code", "name", "vintage", "area_km2", "geometry"),
    "lsoa_lookup": ("lsoa11_code", "lsoa21_code", "lsoa21_name", "change", "lad_code", "lad_name"),
    "lsoa_wards": (
        "vintage",
        "lsoa21_code",
        "lsoa21_name",
        "ward_code",
        "ward_name",
        "lad_code",
        "lad_name",
    ),
    "population": ("level", "area_code", "area_name", "year", "population", "source"),
    "dashboard_counts": (
        "line",
        "month",
        "area_type",
        "area_code",
        "area_name",
        "borough_code",
        "crime_type",
        "crime_subtype",
        "measure",
        "count",
        "refresh_date",
    ),
    "population_groups": (
        "level",
        "area_code",
        "area_name",
        "year",
        "group_code",
        "group_name",
        "population",
        "source",
    ),
    "indicators": ("line", "name", "area_code", "month", "value", "n", "unit", "source"),
    # 0007: the strands' MPS dashboards (violence against women and girls, business crime, custody, homicide)
    "vawg_counts": (
        "line",
        "measure",
        "breakdown",
        "month",
        "committed_month",
        "bcu",
        "borough_code",
        "borough_name",
        "ward_name",
        "crime_group",
        "offence_type",
        "offence",
        "vawg_offence",
        "age_group",
        "ethnic_group",
        "count",
    ),
    "business_crime": (
        "line",
        "measure",
        "day",
        "month",
        "borough_code",
        "borough_name",
        "crime_section",
        "crime_group",
        "outcome",
        "positive",
        "count",
        "refresh_date",
    ),
    "custody_disposals": ("line", "month", "gender", "age_group", "ethnicity", "offence_group", "disposal", "count"),
    "homicide_proceedings": (
        "line",
        "month",
        "borough_code",
        "borough_name",
        "gender",
        "age_group",
        "ethnicity",
        "offence_type",
        "charged_summonsed",
        "count",
    ),
    "area_measures": (
        "line",
        "dataset",
        "level",
        "area_code",
        "area_name",
        "borough_code",
        "year",
        "measure",
        "value",
        "unit",
        "source",
    ),
    "survey": (
        "line",
        "dataset",
        "period_start",
        "period_end",
        "period_kind",
        "level",
        "area_code",
        "area_name",
        "neighbourhood",
        "measure",
        "response",
        "group_name",
        "proportion",
        "n",
        "successes",
    ),
    "homicide_victims": (
        "line",
        "month",
        "borough_code",
        "borough_name",
        "age_group",
        "sex",
        "method",
        "domestic_abuse",
        "offence_type",
        "solved_status",
        "ethnicity",
        "victims",
    ),
    "front_counters": (
        "line",
        "name",
        "borough_code",
        "borough_name",
        "longitude",
        "latitude",
        "status",
        "current",
        "proposed",
    ),
    "police_stations": ("line", "name", "longitude", "latitude"),
}

REJECT_COLUMNS = ("line", "field", "value", "reason")

#: How the ``source_path`` of a load of built-in reference data starts (``built-in:<file name>``).
BUILT_IN = "built-in:"

#: Tables whose built-in rows a real load retires, and the columns that say which: a real boundary
#: set retires the built-in set of its level; a real ward lookup the built-in rows of its LSOAs.
_BUILT_IN_RETIRED_BY: dict[str, tuple[str, ...]] = {"areas": ("level",), "lsoa_wards": ("lsoa21_code",)}


@dataclass(frozen=True)
class Batch:
    """Rows for one canonical table, and the unit they replace.

    ``replace_matching`` names key columns: rows already in the table whose values in those
    columns equal those of any new row are deleted before the new rows go in (for police.uk
    data ``("force", "month")``: a newer snapshot of a month replaces the older one). Empty:
    the rows are added.

    ``replace_unit`` instead names one unit by its key values (a police.uk file's
    ``{"force": ..., "month": ...}``): every row of the table in that unit is deleted, and every
    new row must lie in it, so the load replaces its own unit whole and no other.
    """

    table: str
    rows: pa.Table
    replace_matching: tuple[str, ...] = ()
    replace_unit: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Load:
    """Everything that came from one input file."""

    kind: str
    source_path: str
    member: str | None
    sha256: str
    bytes: int
    rows_read: int
    batches: Sequence[Batch]
    rejects: pa.Table  # columns REJECT_COLUMNS
    force: str | None = None
    months: Sequence[dt.date] = ()

    @property
    def rows_loaded(self) -> int:
        """Rows that went into the store: every input row not rejected."""
        return self.rows_read - int(self.rejects.num_rows)

    @property
    def built_in(self) -> bool:
        """True for reference data built into metforward (its ``source_path`` starts :data:`BUILT_IN`)."""
        return self.source_path.startswith(BUILT_IN)


def store_load(db: Database, load: Load, *, in_transaction: bool = True) -> int:
    """Write ``load`` into the store and return its ``load_id``.

    The row counts are checked (``rows_read = rows_loaded + rows_rejected``) before anything
    is written. With ``in_transaction`` (the default) the whole write is one transaction.
    """
    loaded = sum(b.rows.num_rows for b in load.batches if b.table in _ROW_TABLES)
    if load.kind in _ROW_KINDS and loaded != load.rows_loaded:
        raise AssertionError(
            f"{load.source_path}: {load.rows_read} rows read but {loaded} loaded "
            f"+ {load.rejects.num_rows} rejected; this is a bug in metforward, please report it"
        )
    if in_transaction:
        with db.transaction():
            return _write(db, load)
    return _write(db, load)


#: Tables whose rows are counted one-to-one against input rows.
_ROW_TABLES = {"crimes", "outcomes", "searches", "area_counts"}
_ROW_KINDS = {"street", "outcomes", "stop-and-search"}


def _write(db: Database, load: Load) -> int:
    load_id = int(db.scalar("SELECT nextval('load_ids')"))
    replaced: set[int] = set()
    for batch in load.batches:
        columns = TABLES[batch.table]
        name = f"_batch_{batch.table}"
        db.register(name, batch.rows.select(list(columns)))
        try:
            if batch.replace_unit is not None:
                replaced.update(_replace_unit(db, load, batch))
            elif batch.replace_matching:
                replaced.update(_replace(db, batch, name))
            if not load.built_in and batch.table in _BUILT_IN_RETIRED_BY and batch.rows.num_rows:
                replaced.update(_retire_built_in(db, batch, name))
            db.run(
                f"INSERT INTO {batch.table} (load_id, {', '.join(columns)}) "
                f"SELECT {load_id}, {', '.join(columns)} FROM {name}"
            )
        finally:
            db.unregister(name)
    if load.rejects.num_rows:
        db.register("_rejects", load.rejects.select(list(REJECT_COLUMNS)))
        try:
            db.run(
                "INSERT INTO rejects (load_id, source, line, field, value, reason) "
                "SELECT ?, ?, line, field, value, reason FROM _rejects",
                [load_id, _display(load)],
            )
        finally:
            db.unregister("_rejects")
    db.run(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, NULL)",
        [
            load_id,
            load.kind,
            load.force,
            sorted(load.months),
            load.source_path,
            load.member,
            load.sha256,
            load.bytes,
            load.rows_read,
            load.rows_loaded,
            load.rejects.num_rows,
            sorted(replaced),
        ],
    )
    if replaced:
        ids = sorted(replaced)
        db.run(
            f"UPDATE loads SET replaced_by = ? WHERE load_id IN ({', '.join('?' for _ in ids)})",
            [load_id, *ids],
        )
    return load_id


#: Above this many distinct keys, matching rows are found by a join instead of literal predicates.
_LITERAL_KEYS = 64


def _replace(db: Database, batch: Batch, name: str) -> set[int]:
    """Delete the rows of ``batch.table`` that match the new rows on the key columns; return their loads.

    A police.uk load has a handful of (force, month) keys: those become plain predicates, which
    DuckDB answers from its per-row-group min/max statistics without reading the whole table, so
    a load costs the same however large the store has grown. Large key sets (lookups) use a join.
    """
    columns = batch.replace_matching
    keys = batch.rows.select(list(columns)).group_by(list(columns)).aggregate([]).to_pylist()
    if not keys:
        return set()
    if len(keys) <= _LITERAL_KEYS:
        clauses, params = [], []
        for key in keys:
            parts = []
            for column in columns:
                if key[column] is None:
                    parts.append(f"{column} IS NULL")
                else:
                    parts.append(f"{column} = ?")
                    params.append(key[column])
            clauses.append("(" + " AND ".join(parts) + ")")
        where = " OR ".join(clauses)
        found = {int(r[0]) for r in db.execute(f"SELECT DISTINCT load_id FROM {batch.table} WHERE {where}", params)}
        if found:
            db.run(f"DELETE FROM {batch.table} WHERE {where}", params)
        return found
    match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM b.{k}" for k in columns)
    matched = f"FROM {batch.table} t JOIN (SELECT DISTINCT {', '.join(columns)} FROM {name}) b ON {match}"
    found = {int(r[0]) for r in db.execute(f"SELECT DISTINCT t.load_id {matched}")}
    if found:
        db.run(f"DELETE FROM {batch.table} WHERE rowid IN (SELECT t.rowid {matched})")
    return found


def _retire_built_in(db: Database, batch: Batch, name: str) -> set[int]:
    """Delete the built-in rows of ``batch.table`` that the real rows of ``batch`` stand in for; return their loads."""
    columns = _BUILT_IN_RETIRED_BY[batch.table]
    match = " AND ".join(f"t.{k} = b.{k}" for k in columns)
    matched = (
        f"FROM {batch.table} t JOIN (SELECT DISTINCT {', '.join(columns)} FROM {name}) b ON {match} "
        "WHERE t.load_id IN (SELECT load_id FROM loads WHERE starts_with(source_path, ?))"
    )
    found = {int(r[0]) for r in db.execute(f"SELECT DISTINCT t.load_id {matched}", [BUILT_IN])}
    if found:
        db.run(f"DELETE FROM {batch.table} WHERE rowid IN (SELECT t.rowid {matched})", [BUILT_IN])
    return found


def _replace_unit(db: Database, load: Load, batch: Batch) -> set[int]:
    """Delete every row of ``batch.table`` in ``batch.replace_unit``; return the loads they came from.

    Each new row must lie in the unit: a load that replaced one unit and added rows to another
    would erase nothing there today but be erased by that unit's next load in part.
    """
    unit = dict(batch.replace_unit or {})
    for column, value in unit.items():
        inside = pc.all(pc.equal(batch.rows.column(column), pa.scalar(value))).as_py()
        if batch.rows.num_rows and not inside:
            raise AssertionError(
                f"{_display(load)}: a row outside its unit {unit} reached the store; "
                "this is a bug in metforward, please report it"
            )
    where = " AND ".join(f'"{column}" = ?' for column in unit)
    params = list(unit.values())
    found = {int(r[0]) for r in db.execute(f"SELECT DISTINCT load_id FROM {batch.table} WHERE {where}", params)}
    if found:
        db.run(f"DELETE FROM {batch.table} WHERE {where}", params)
    return found


def _display(load: Load) -> str:
    return f"{load.source_path}!{load.member}" if load.member else load.source_path
