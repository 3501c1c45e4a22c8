"""The embedded DuckDB store: the only module that opens a database connection.

A :class:`Database` owns one DuckDB connection to one file, applies the numbered
migrations in ``store/migrations`` on open, and runs writes inside transactions, so a
failed or killed load leaves the file as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from metforward.errors import StoreError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def _migrations() -> list[tuple[int, str, str]]:
    """The packaged migrations as ``(version, name, sql)``, in order."""
    found = []
    for entry in resources.files("metforward.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    """The highest migration this version of metforward has."""
    return _migrations()[-1][0]


class Database:
    """One DuckDB store file.

    Parameters
    ----------
    path
        The store file; created (with its parent folder) if absent. ``":memory:"`` for a
        throw-away store.
    read_only
        Open without taking the write lock (several readers may share the file).
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:" and not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot open the store {self.path}: {exc}. Is another metforward process writing to it?"
            ) from exc
        if not read_only:
            self._migrate()

    def _migrate(self) -> None:
        self.run(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        applied = {row[0] for row in self.con.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, name, sql in _migrations():
            if version in applied:
                continue
            with self.transaction():
                self.run(sql)
                self.run("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name])

    @property
    def schema_version(self) -> int:
        """The highest migration applied to this store."""
        row = self.con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one transaction: all of it is stored, or none of it."""
        self.run("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.abort()  # drop any half-read result before rolling back
            self.run("ROLLBACK")
            raise
        self.run("COMMIT")

    def run(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run statements that return no rows (DDL, INSERT, UPDATE, DELETE, transaction control)."""
        self.con.execute(sql, params or [])
        self.con.complete()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return all its rows."""
        return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run one statement and return the first column of its first row (None if no row)."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run one query and return its result as an Arrow table."""
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under ``name`` on this connection."""
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        """Drop a name made by :meth:`register`."""
        self.con.unregister(name)

    def cursor(self) -> Database:
        """Another connection to the same open database (its own transactions; safe to use from another thread)."""
        other = object.__new__(Database)
        other.path = self.path
        other.con = self.con.cursor()
        return other

    def close(self) -> None:
        """Close the connection (checkpointing the write-ahead log)."""
        self.con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
