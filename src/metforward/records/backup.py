"""Backups of the records database, consistent while the server runs, and restoring one.

* SQLite: SQLite's online backup API copies the database page by page from a read transaction, so the
  copy is the database as of one moment, however many writers are busy (they wait only while each batch
  of pages is copied). The copy is written beside its destination and renamed into place when whole.
* PostgreSQL: ``pg_dump`` (custom format) reads one snapshot of the database (its default, a repeatable-read
  transaction); ``pg_restore --clean --single-transaction`` puts it back. The newest Debian PostgreSQL
  client (``/usr/lib/postgresql/*/bin``) is used, else the one on ``PATH``; it must be at least the
  server's version. The password, if the URL has one, is passed in ``PGPASSWORD``, never on a command line.

A backup records itself in the audit log (before it is taken, so the backup holds that row too), and a
restore adds a row to the restored chain. The records key (``METFORWARD_RECORDS_KEY`` or the key file) is
not in the backup: keep it apart.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from metforward.errors import BadRequest, StoreError
from metforward.records import audit, migrate
from metforward.records.access import Action, Principal, require
from metforward.records.db import Database, shown, sqlite_path


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    backend: str
    audit_rows: int


def _client(program: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{program}"), key=lambda p: int(p.parent.parent.name))
    if found:
        return str(found[-1])
    on_path = shutil.which(program)
    if on_path is None:
        raise StoreError(f"{program} is not installed: apt-get install postgresql-client (it backs up PostgreSQL)")
    return on_path


def _libpq(database: Database) -> tuple[str, dict[str, str]]:
    """The database's libpq connection URI (without its password) and the environment that carries it."""
    url = database.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
        url = url.set(password=None)
    return url.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise StoreError(f"{what} failed: {message}")


def backup(database: Database, by: Principal, path: Path) -> BackupResult:
    """Write a consistent copy of the records database to ``path`` (which must not exist yet)."""
    require(by, Action.ADMIN)
    if path.exists():
        raise BadRequest(f"{path} exists: give a new file name (backups are never overwritten)", field="path")
    migrate.check(database)
    with database.transaction() as session:
        entry = audit.append(session, by, "backup", detail=f"to {path.name}")
        rows = entry.seq
    source = sqlite_path(database.url)
    if source is not None:
        draft = path.with_name(f".{path.name}.partial")
        draft.unlink(missing_ok=True)
        with sqlite3.connect(source) as live, sqlite3.connect(draft) as copy:
            live.backup(copy, pages=1024)
            if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise StoreError(f"the backup {path} failed its integrity check: try again")
        live.close()
        copy.close()
        draft.replace(path)
    else:
        uri, env = _libpq(database)
        _run([_client("pg_dump"), "--format=custom", "--no-owner", f"--file={path}", f"--dbname={uri}"], env, "pg_dump")
    return BackupResult(path, path.stat().st_size, database.backend, rows)


def restore(database: Database, by: Principal, path: Path) -> migrate.Upgrade:
    """Replace the records database's contents with the backup at ``path`` (of the same backend), bring it
    up to this version's migrations, and audit the restore. Sessions in the backup are kept (they expire)."""
    require(by, Action.ADMIN)
    if not path.is_file():
        raise BadRequest(f"{path}: no such backup file", field="path")
    target = sqlite_path(database.url)
    if target is not None:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
            try:
                probe.execute("PRAGMA quick_check").fetchone()
                versioned = bool(probe.execute("PRAGMA table_info(alembic_version)").fetchall())
            except sqlite3.DatabaseError as exc:
                raise BadRequest(f"{path} is not a SQLite backup of a records database", field="path") from exc
        probe.close()
        if not versioned:
            raise BadRequest(f"{path} is not a backup of a records database (no migrations recorded)", field="path")
        database.engine.dispose()  # our own pooled connections do not hold the old pages
        with sqlite3.connect(path) as source, sqlite3.connect(target) as live:
            source.backup(live)
        source.close()
        live.close()
    else:
        if path.read_bytes()[:5] != b"PGDMP":
            raise BadRequest(f"{path} is not a pg_dump backup (custom format)", field="path")
        uri, env = _libpq(database)
        _run(
            [
                _client("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={uri}",
                str(path),
            ],
            env,
            "pg_restore",
        )
        database.engine.dispose()
    result = migrate.upgrade(database)
    with database.transaction() as session:
        audit.append(session, by, "restore", detail=f"from {path.name} into {shown(database.url)}")
    return result
