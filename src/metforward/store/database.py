"""The embedded DuckDB store: the only module that opens a database connection.

A :class:`Database` owns one DuckDB connection to one file, applies the numbered
migrations in ``store/migrations`` on open, and runs writes inside transactions, so a
failed or killed load leaves the file as it was.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from metforward.errors import StoreError, StoreLockedError

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


#: DuckDB's message when another process holds the file's lock (it names the holder's PID).
_LOCK_HELD = re.compile(r"Could not set lock on file .*?Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _is_metforward(args: list[str]) -> bool:
    return any(a == "metforward" or a.endswith("/metforward") for a in args)


def holder_pid(pid: int) -> int:
    """The process to name for ``pid``: itself, or the metforward command that started it.

    ``metforward serve --workers N`` runs its workers as multiprocessing children, and DuckDB names
    the child that holds the lock; stopping the server means stopping the parent.
    """
    here = pid
    for _ in range(4):
        if _is_metforward(_cmdline(here)):
            return here
        try:
            status = Path(f"/proc/{here}/status").read_text(errors="replace")
        except OSError:
            break
        parent = re.search(r"^PPid:\s*(\d+)", status, flags=re.MULTILINE)
        if parent is None or int(parent[1]) <= 1:
            break
        here = int(parent[1])
    return pid


def holder_command(pid: int) -> str | None:
    """The command line of process ``pid`` (from /proc), shortened for a message; None if unknown."""
    args = _cmdline(pid)
    if not args:
        return None
    # "python -m metforward ..." or ".../bin/metforward ...": show it as the user typed it
    for i, arg in enumerate(args):
        if arg == "metforward" or arg.endswith("/metforward"):
            args = ["metforward", *args[i + 1 :]]
            break
    else:
        args[0] = Path(args[0]).name
    text = " ".join(args)
    return text if len(text) <= 100 else text[:97] + "..."


def _lock_error(path: str, message: str, *, read_only: bool) -> StoreLockedError:
    """One actionable line for a lock held by another process."""
    match = _LOCK_HELD.search(message)
    pid = holder_pid(int(match["pid"])) if match else None
    command = holder_command(pid) if pid is not None else None
    who = f"process {pid}" + (f" ({command})" if command else "") if pid is not None else "another process"
    holder_reads = "read-only mode" in message  # DuckDB says so when the holder only reads
    if command and " serve" in f" {command}":
        todo = (
            f"stop the server (Ctrl-C where it runs, or kill {pid}) before loading; read commands work while it serves"
            if not read_only
            else f"stop the server (Ctrl-C where it runs, or kill {pid}) and run this again"
        )
    elif holder_reads:
        todo = "wait for it to finish (or stop it) and run this again; give metforward --wait SECONDS to wait longer"
    else:
        todo = (
            "it is writing: wait for it to finish and run this again, or give metforward --wait SECONDS to wait longer"
        )
    return StoreLockedError(
        f"the store {path} is in use by {who}: {todo}", pid=pid, command=command, reading=holder_reads
    )


def _connect(
    path: str, *, read_only: bool, wait: float, notice: Callable[[str], None] | None
) -> duckdb.DuckDBPyConnection:
    """Open ``path``, waiting up to ``wait`` seconds while another process holds its lock."""
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if _LOCK_HELD.search(str(exc)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _lock_error(path, str(exc), read_only=read_only) from exc
                if not told and notice is not None:
                    match = _LOCK_HELD.search(str(exc))
                    pid = holder_pid(int(match["pid"])) if match else 0
                    command = holder_command(pid)
                    notice(
                        f"waiting up to {wait:.0f} s for process {pid}"
                        + (f" ({command})" if command else "")
                        + f" to release the store {path} (metforward --wait SECONDS changes this)"
                    )
                    told = True
                time.sleep(min(0.2, max(left, 0.01)))
                continue
            if "not a valid DuckDB database file" in message:
                raise StoreError(
                    f"{path} is not a metforward store (not a DuckDB file): check --db, or move the file away"
                ) from exc
            raise StoreError(f"cannot open the store {path}: {message}") from exc


@contextmanager
def _guard(path: str) -> Iterator[None]:
    """Engine failures as the exceptions callers know.

    Ctrl-C during a query: DuckDB stops it and raises ``RuntimeError('Query interrupted')``; it is
    raised as the KeyboardInterrupt it is. An I/O error (a full disk, a file size limit) becomes a
    :class:`StoreError` naming the store; the open transaction has been rolled back by then.
    """
    try:
        yield
    except RuntimeError as exc:
        if str(exc) == "Query interrupted":
            raise KeyboardInterrupt from exc
        raise
    except duckdb.Error as exc:  # an I/O failure can surface as an IOException or, at COMMIT, a TransactionException
        text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        if not isinstance(exc, duckdb.IOException) and not any(
            marker in text for marker in ("No space left", "Disk quota", "File too large")
        ):
            raise
        if "No space left" in text or "Disk quota" in text:
            error = StoreError(
                f"the store {path} could not be written, the disk is full ({text}): the unfinished work was rolled "
                "back; free some space and run this again"
            )
            error.code = "disk_full"
        elif "File too large" in text:
            error = StoreError(
                f"the store {path} could not be written, the file size limit (ulimit -f) was reached: the unfinished "
                "work was rolled back; raise the limit or use another disk"
            )
            error.code = "file_too_large"
        else:
            error = StoreError(f"the store {path} could not be read or written ({text}): check the disk and the file")
            error.code = "store_io"
        raise error from exc


class Database:
    """One DuckDB store file.

    Parameters
    ----------
    path
        The store file; created (with its parent folder) if absent and ``read_only`` is false.
        ``":memory:"`` for a throw-away store.
    read_only
        Open without taking the write lock (several readers may share the file); no migrations.
    wait
        Seconds to wait while another process holds the file's lock before raising
        :class:`~metforward.errors.StoreLockedError` (0: fail at once).
    notice
        Called once with a message when the open has to wait for another process.

    Commands open the store through :mod:`metforward.store.access` (``reading`` / ``writing``),
    which adds the checks a face needs (a missing store, an out-of-date one).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        wait: float = 0.0,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        if self.path != ":memory:":
            if Path(self.path).is_dir():
                raise StoreError(
                    f"{self.path} is a folder, not a store file: give --db a file, e.g. {Path(self.path) / 'metforward.duckdb'}"
                )
            if not read_only:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.con = _connect(self.path, read_only=read_only, wait=wait, notice=notice)
        if not read_only:
            try:
                self._migrate()
            except BaseException:
                self.con.close()
                raise

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
        if not self.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"):
            return 0
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
        with _guard(self.path):
            self.con.execute(sql, params or [])
            self.con.complete()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return all its rows."""
        with _guard(self.path):
            return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run one statement and return the first column of its first row (None if no row)."""
        with _guard(self.path):
            rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run one query and return its result as an Arrow table."""
        with _guard(self.path):
            return self.con.sql(sql, params=params or None).to_arrow_table()

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under ``name`` on this connection."""
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        """Drop a name made by :meth:`register`.

        Called from ``finally`` blocks: when the statement before it failed or was interrupted, the
        transaction is aborted and DuckDB refuses even this; the name then goes with the rollback, and
        the first error (not this one) is the one the caller sees.
        """
        with suppress(duckdb.TransactionException):
            self.con.unregister(name)

    def cursor(self) -> Database:
        """Another connection to the same open database (its own transactions; safe to use from another thread)."""
        other = object.__new__(Database)
        other.path = self.path
        other.read_only = self.read_only
        other.con = self.con.cursor()
        return other

    def close(self) -> None:
        """Close the connection (checkpointing the write-ahead log)."""
        self.con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
