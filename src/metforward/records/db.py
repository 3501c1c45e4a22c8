"""Opening the records database: a SQLAlchemy engine per URL and a transaction per unit of work.

SQLite (the embedded default) runs in WAL mode (readers never wait for the writer) with foreign keys on,
and every transaction that may write begins ``IMMEDIATE``: it takes the write lock at its start, so two
writers queue (for up to :data:`BUSY_SECONDS`) instead of failing half-way, and the audit chain is appended
by one at a time. Transactions that only read (:meth:`Database.reading`) begin deferred and never wait. PostgreSQL (the server option) is reached through psycopg 3; a bare ``postgresql://`` URL is read
as ``postgresql+psycopg://``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from metforward.errors import BadRequest
from metforward.records import personal

#: How long a SQLite writer waits for another to finish before giving up.
BUSY_SECONDS = 30


def parse_url(url: str) -> URL:
    """``url`` as a SQLAlchemy URL of a backend metforward supports (SQLite or PostgreSQL through psycopg)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadRequest(
            f"{url!r} is not a database URL: give sqlite:///PATH or postgresql://USER@HOST/DB", field="records"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend != "sqlite":
        raise BadRequest(
            f"{shown(parsed)}: the records database is SQLite (sqlite:///PATH) or PostgreSQL "
            f"(postgresql://USER@HOST/DB), not {backend}",
            field="records",
        )
    return parsed


def shown(url: URL | str) -> str:
    """``url`` for a message or a log line: its password hidden."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL, or SQLite in memory)."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def create(url: str | URL) -> Engine:
    """An engine for the records database at ``url`` (nothing is connected or created yet)."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)
    engine = create_engine(parsed, connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own transaction handling off: we begin
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        reading = connection.get_execution_options().get("metforward_reading", False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


class Database:
    """An open records database: its engine and sessions. Close it with :meth:`close` (or ``with``)."""

    def __init__(self, url: str | URL) -> None:
        self.url = parse_url(url) if isinstance(url, str) else url
        self.engine = create(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(metforward_reading=True), expire_on_commit=False)
        #: The personal data keys its transactions put in effect for encrypted columns
        #: (:mod:`metforward.records.personal`); None: personal fields can be neither read nor written.
        self.personal: personal.KeyRing | personal.LazyRing | None = None

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with personal.using(self.personal), self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session in one transaction that only reads (on SQLite it takes no write lock)."""
        with personal.using(self.personal), self._readers.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
