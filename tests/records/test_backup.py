"""Backups are consistent while the database is in use, and restore puts them back (SQLite's online
backup API; pg_dump and pg_restore for PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from metforward.errors import BadRequest
from metforward.records import audit, backup, contacts
from metforward.records.db import Database
from tests.records.cast import OPERATOR, WESTMINSTER


def names(database: Database) -> list[str]:
    return [c.name for c in contacts.list_contacts(database, OPERATOR, WESTMINSTER)]


def test_a_backup_taken_mid_write_holds_the_committed_state_and_restores(records_db: Database, tmp_path: Path) -> None:
    contacts.add_contact(records_db, OPERATOR, WESTMINSTER, {"name": "Kept"})
    path = tmp_path / "records.backup"
    with Database(records_db.url) as other:
        # another writer is mid-transaction (uncommitted) while the backup runs (PostgreSQL: it holds a row lock;
        # SQLite: the backup reads from its own snapshot while the writer waits)
        writer = other.engine.connect()
        if records_db.backend == "postgresql":
            writer.begin()
            writer.execute(
                text(
                    "INSERT INTO borough_contacts (borough_code, name, organisation, job_title, email, phone, created_at, created_by, updated_at, updated_by) VALUES ('E09000033', 'Uncommitted', '', '', '', '', now(), 'x', now(), 'x')"
                )
            )
        done = backup.backup(records_db, OPERATOR, path)
        writer.close()
    assert done.size > 0 and path.exists()
    with pytest.raises(BadRequest, match="never overwritten"):
        backup.backup(records_db, OPERATOR, path)
    contacts.add_contact(records_db, OPERATOR, WESTMINSTER, {"name": "After the backup"})
    assert names(records_db) == ["Kept", "After the backup"]
    backup.restore(records_db, OPERATOR, path)
    assert names(records_db) == ["Kept"]
    with records_db.reading() as session:
        verdict = audit.verify(session)
        actions = [row.action for row in audit.rows_between(session, None, None)]
    assert verdict.ok, verdict.problem
    assert actions == ["create", "backup", "restore", "read_list"]  # the backup's chain, the restore on it


def test_restore_refuses_a_file_that_is_not_a_backup(records_db: Database, tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all" * 100)
    with pytest.raises(BadRequest, match="not a"):
        backup.restore(records_db, OPERATOR, junk)
