"""The audit log's hash chain: appended by every change, and ``audit verify`` finds a row changed, removed
or moved through raw SQL (the triggers that refuse such changes are dropped first, as an owner could)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from metforward.cli import app
from metforward.records import audit, contacts
from metforward.records.db import Database
from tests.records.cast import OPERATOR, WESTMINSTER


def fill(database: Database, rows: int = 6) -> None:
    for n in range(rows):
        contacts.add_contact(database, OPERATOR, WESTMINSTER, {"name": f"Person {n}"})


def verify(database: Database) -> audit.Verdict:
    with database.reading() as session:
        return audit.verify(session)


def tamper(database: Database, *statements: str) -> None:
    drop = (
        ["DROP TRIGGER audit_log_no_update ON audit_log"]
        if database.backend == "postgresql"
        else ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]
    )
    with database.transaction() as session:
        for statement in (*drop, *statements):
            session.execute(text(statement))


def test_an_intact_chain_verifies_and_the_log_refuses_changes(records_db: Database) -> None:
    fill(records_db)
    verdict = verify(records_db)
    assert verdict.ok and verdict.rows == 6
    with pytest.raises(DBAPIError, match="append-only"), records_db.transaction() as session:
        session.execute(text("UPDATE audit_log SET actor = 'someone' WHERE seq = 2"))
    with pytest.raises(DBAPIError, match="append-only"), records_db.transaction() as session:
        session.execute(text("DELETE FROM audit_log WHERE seq = 2"))


def test_a_changed_row_is_named(records_db: Database) -> None:
    fill(records_db)
    tamper(records_db, "UPDATE audit_log SET actor = 'someone.else@example.org' WHERE seq = 3")
    verdict = verify(records_db)
    assert (verdict.ok, verdict.broken) == (False, 3) and "changed" in verdict.problem


def test_a_changed_row_with_its_hash_recomputed_breaks_the_next(records_db: Database) -> None:
    fill(records_db)
    with records_db.reading() as session:
        row = dict(session.execute(text("SELECT * FROM audit_log WHERE seq = 3")).mappings().one())
    at = row["at"]
    row["at"] = (dt.datetime.fromisoformat(at) if isinstance(at, str) else at).replace(tzinfo=dt.UTC)
    row["detail"] = "forged"
    forged = audit.row_hash(row)
    tamper(records_db, f"UPDATE audit_log SET detail = 'forged', hash = '{forged}' WHERE seq = 3")
    verdict = verify(records_db)
    assert (verdict.ok, verdict.broken) == (False, 4) and "does not follow row 3" in verdict.problem


def test_a_deleted_row_is_named(records_db: Database) -> None:
    fill(records_db)
    tamper(records_db, "DELETE FROM audit_log WHERE seq = 4")
    verdict = verify(records_db)
    assert (verdict.ok, verdict.broken) == (False, 5) and "row 4 removed" in verdict.problem


def test_rows_removed_from_the_end_are_found_by_the_head(records_db: Database) -> None:
    fill(records_db)
    tamper(records_db, "DELETE FROM audit_log WHERE seq >= 5")
    verdict = verify(records_db)
    assert (verdict.ok, verdict.broken) == (False, 4) and "removed from the end" in verdict.problem


def test_reordered_rows_are_named(records_db: Database) -> None:
    fill(records_db)
    tamper(
        records_db,
        "UPDATE audit_log SET seq = 100 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = 100",
    )
    verdict = verify(records_db)
    assert (verdict.ok, verdict.broken) == (False, 2)


def test_audit_verify_exits_0_then_1_naming_the_row_and_export_keeps_every_field(
    records_db: Database, records_url: str, tmp_path: Path
) -> None:
    fill(records_db, 3)
    base = ["--db", str(tmp_path / "s.duckdb"), "--records", records_url]
    ok = CliRunner().invoke(app, [*base, "audit", "verify"])
    assert ok.exit_code == 0 and "audit log intact: 3 rows" in ok.output
    out = tmp_path / "audit.json"
    exported = CliRunner().invoke(
        app, [*base, "audit", "export", "--from", "2000-01-01", "--format", "json", "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    rows = json.loads(out.read_text())
    assert [r["seq"] for r in rows] == [1, 2, 3] and all(
        audit.row_hash(r | {"at": __import__("datetime").datetime.fromisoformat(r["at"])}) == r["hash"] for r in rows
    )
    tamper(records_db, "UPDATE audit_log SET after = '{}' WHERE seq = 2")
    broken = CliRunner().invoke(app, [*base, "audit", "verify"])
    assert broken.exit_code == 1 and "audit log broken at row 2" in broken.output
