"""Borough contacts through the audited record service: the access rule first, every read and change in
the audit log (changes with before and after), and another borough's records not even found."""

from __future__ import annotations

import json

import pytest

from metforward.errors import BadRequest, Forbidden, NotFound
from metforward.records import accounts, audit, contacts
from metforward.records.db import Database
from metforward.records.keys import Keys
from tests.records.cast import CAMDEN, OPERATOR, PASSWORD, WESTMINSTER

KEYS = Keys.from_secret(b"k" * 32)


def as_user(database: Database, email: str):  # type: ignore[no-untyped-def]
    return accounts.password_sign_in(database, KEYS, email, PASSWORD)[1]


def last(database: Database) -> audit.AuditRow:
    with database.reading() as session:
        return list(audit.rows_between(session, None, None))[-1]


def test_reads_and_changes_are_audited_with_before_and_after(cast_db: Database) -> None:
    editor = as_user(cast_db, "borough-w@example.org")
    added = contacts.add_contact(cast_db, editor, WESTMINSTER, {"name": " Ada Lovelace ", "email": "ada@example.org"})
    assert added.name == "Ada Lovelace" and added.updated_by == "borough-w@example.org"
    row = last(cast_db)
    assert (row.action, row.actor, row.borough, row.record_id) == (
        "create",
        "borough-w@example.org",
        WESTMINSTER,
        str(added.id),
    )
    assert json.loads(row.after)["email"] == "ada@example.org" and row.before == ""
    contacts.update_contact(cast_db, editor, WESTMINSTER, added.id, {"name": "Ada King", "email": "ada@example.org"})
    row = last(cast_db)
    assert (json.loads(row.before)["name"], json.loads(row.after)["name"]) == ("Ada Lovelace", "Ada King")
    partner = as_user(cast_db, "partner-w@example.org")
    assert contacts.get_contact(cast_db, partner, WESTMINSTER, added.id).name == "Ada King"
    assert (last(cast_db).action, last(cast_db).actor) == ("read", "partner-w@example.org")
    contacts.delete_contact(cast_db, editor, WESTMINSTER, added.id)
    assert last(cast_db).action == "delete" and json.loads(last(cast_db).before)["name"] == "Ada King"
    with cast_db.reading() as session:
        assert audit.verify(session).ok


def test_the_rule_is_asked_first_and_other_boroughs_records_are_not_found(cast_db: Database) -> None:
    added = contacts.add_contact(cast_db, OPERATOR, CAMDEN, {"name": "Camden person"})
    partner = as_user(cast_db, "partner-w@example.org")
    with pytest.raises(Forbidden):
        contacts.add_contact(cast_db, partner, WESTMINSTER, {"name": "x"})  # partners only read
    with pytest.raises(Forbidden):
        contacts.get_contact(cast_db, partner, CAMDEN, added.id)  # not their borough
    with pytest.raises(NotFound):
        contacts.get_contact(cast_db, partner, WESTMINSTER, added.id)  # a Camden record asked for as Westminster's
    with pytest.raises(BadRequest, match="name"):
        contacts.add_contact(cast_db, OPERATOR, CAMDEN, {"name": "  "})
    with pytest.raises(BadRequest, match="email"):
        contacts.add_contact(cast_db, OPERATOR, CAMDEN, {"name": "x", "email": "not-an-email"})
