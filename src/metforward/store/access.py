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

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from metforward.errors import StoreError, StoreLockedError, StoreMissingError, StoreOutOfDateError
from metforward.store.cubes import cubes_fresh, ensure_cubes
from metforward.store.database import Database, holder_command, latest_version

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
    """The write connection (created and migrated if need be); builds the cubes when the block ends normally.

    Writers take turns (:func:`_writers`). When nobody reads the store, the writer writes it in place.
    When readers hold it (``metforward serve``, a report), the writer does not wait for them: it copies
    the store to ``<store>.next-<pid>``, writes the copy, and moves it over the store in one atomic
    rename, so every reader sees the old version or the new one, never a mixture; readers that hold
    the old file keep reading it until they close it, and the file system frees it then. A failed or
    interrupted load removes its copy and leaves the store as it was.
    """
    if str(path) == ":memory:":
        with Database(path) as memory:
            yield memory
            ensure_cubes(memory)
        return
    with _writers(Path(path), wait=wait, notice=notice):
        db: Database | None = None
        try:
            db = Database(path, wait=0)
        except StoreLockedError as exc:
            if not exc.reading and wait <= 0:
                raise
            if not exc.reading:  # another program writes it: wait as told
                db = Database(path, wait=wait, notice=notice)
        if db is None:  # only readers hold it: write the next version beside it
            with _beside(Path(path)) as copy:
                yield copy
            return
        with db:
            yield db
            ensure_cubes(db)


@contextmanager
def _beside(path: Path) -> Iterator[Database]:
    """Write the next version of ``path`` in a copy beside it and move the copy into place at the end."""
    following = path.with_name(f"{path.name}.next-{os.getpid()}")
    log = path.with_name(path.name + ".wal")  # left by a writer that stopped before its checkpoint
    try:
        shutil.copyfile(path, following)
        if log.exists():  # what it committed is in the log only: the copy takes it along
            shutil.copyfile(log, following.with_name(following.name + ".wal"))
        with Database(following) as db:
            yield db
            ensure_cubes(db)
            db.run("CHECKPOINT")  # everything into the file itself: its write-ahead log does not move with it
        if following.with_name(following.name + ".wal").exists():
            raise StoreError(
                f"the next version of {path} was not written whole; the store is unchanged: run this again"
            )
        # the old version's log must not meet the new file (a reader opening it would replay it there):
        # gone first, so a reader opening in between sees the old version without its last commits
        log.unlink(missing_ok=True)
        os.replace(following, path)
    finally:
        for leftover in (following, following.with_name(following.name + ".wal")):
            leftover.unlink(missing_ok=True)


@contextmanager
def _writers(path: Path, *, wait: float, notice: Notice | None) -> Iterator[None]:
    """One metforward writer of ``path`` at a time: an exclusive lock on ``<store>.lock`` (a file that is
    never replaced, unlike the store), holding the writer's process id for the message of the next."""
    lock = path.with_name(f"{path.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                pid = int(handle.read().strip() or 0)
                command = holder_command(pid) if pid else None
                who = f"process {pid}" + (f" ({command})" if command else "") if pid else "another process"
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"the store {path} is being loaded by {who}: wait for it to finish and run this again, "
                        "or give metforward --wait SECONDS to wait longer",
                        pid=pid or None,
                        command=command,
                    ) from None
                if not told and notice is not None:
                    notice(f"waiting up to {wait:.0f} s for {who} to finish loading the store {path}")
                    told = True
                time.sleep(0.2)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
