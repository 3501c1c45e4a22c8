"""How the faces open the store: :func:`reading` for every command that only reads, :func:`writing` for loads.

* A reader opens the file read-only, so any number of readers (and ``metforward serve``) share it,
  a read-only file or folder is enough, and a mistyped ``--db`` creates nothing: a missing store
  raises :class:`~metforward.errors.StoreMissingError`.
* A writer takes DuckDB's write lock (one writer at a time, and no readers meanwhile), applies the
  migrations, and builds the counts cubes when its work is done, so readers never need to write.
* Either waits up to ``wait`` seconds while another process holds the lock, then raises
  :class:`~metforward.errors.StoreLockedError` naming that process and what to do.

A store that is behind (made by an older metforward, or loaded by a run that was stopped before it
built the cubes) is brought up to date by a reader only when it can take the write lock for a
moment; when it cannot, the reader raises :class:`~metforward.errors.StoreOutOfDateError` saying to
run ``metforward upgrade``. A reader never fails for want of write access when nothing is out of date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from metforward.errors import StoreError, StoreLockedError, StoreMissingError, StoreOutOfDateError
from metforward.store.cubes import cubes_fresh, ensure_cubes
from metforward.store.database import Database, latest_version

#: Seconds a command waits for another process to release the store before it gives up.
DEFAULT_WAIT = 10.0

Notice = Callable[[str], None]


def _exists(path: str | Path) -> None:
    if str(path) == ":memory:":
        return
    p = Path(path)
    if p.is_dir():
        raise StoreError(f"{p} is a folder, not a store file: give --db a file, e.g. {p / 'metforward.duckdb'}")
    if not p.exists():
        raise StoreMissingError(
            f"{p}: no store there (nothing was created): load data with metforward --db {p} ingest PATH, "
            "or give --db the store you meant"
        )


def behind(db: Database) -> str | None:
    """Why the store needs a writer before it can be read (None when it is up to date)."""
    version, latest = db.schema_version, latest_version()
    if version > latest:
        raise StoreError(
            f"{db.path} was written by a newer metforward (schema {version}; this one knows up to {latest}): "
            "upgrade metforward to read it"
        )
    if version < latest:
        return f"its schema is version {version}, this metforward needs {latest}"
    if not cubes_fresh(db):
        return "its counts cubes are older than its latest load"
    return None


def upgrade(path: str | Path, *, wait: float = DEFAULT_WAIT, notice: Notice | None = None) -> bool:
    """Apply migrations and rebuild stale cubes of an existing store; True if anything changed."""
    _exists(path)
    with Database(path, read_only=True, wait=wait, notice=notice) as db:
        if behind(db) is None:
            return False
    with Database(path, wait=wait, notice=notice) as db:
        ensure_cubes(db)
    return True


def open_for_reading(path: str | Path, *, wait: float = DEFAULT_WAIT, notice: Notice | None = None) -> Database:
    """A read-only connection to an existing, up-to-date store (see the module notes); the caller closes it."""
    _exists(path)
    db = Database(path, read_only=True, wait=wait, notice=notice)
    try:
        reason = behind(db)
    except BaseException:
        db.close()
        raise
    if reason is None:
        return db
    db.close()
    try:
        with Database(path, wait=wait, notice=notice) as writer:
            ensure_cubes(writer)
    except StoreLockedError:
        raise
    except (StoreError, OSError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreOutOfDateError(
            f"{path} is out of date ({reason}) and this command cannot update it ({detail}): "
            f"run metforward --db {path} upgrade as a user who can write it"
        ) from exc
    return Database(path, read_only=True, wait=wait, notice=notice)


@contextmanager
def reading(path: str | Path, *, wait: float = DEFAULT_WAIT, notice: Notice | None = None) -> Iterator[Database]:
    """A read-only connection for the length of the block."""
    db = open_for_reading(path, wait=wait, notice=notice)
    try:
        yield db
    finally:
        db.close()


@contextmanager
def writing(path: str | Path, *, wait: float = DEFAULT_WAIT, notice: Notice | None = None) -> Iterator[Database]:
    """The write connection (created and migrated if need be); builds the cubes when the block ends normally."""
    with Database(path, wait=wait, notice=notice) as db:
        yield db
        ensure_cubes(db)
