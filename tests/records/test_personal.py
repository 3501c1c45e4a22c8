"""Personal data at rest: no plaintext name or date of birth in the database's bytes or rows, the blind
index finds a person however the name is typed, values bound to their column, and key rotation (after which
the old key opens nothing and finds nothing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text

from metforward.errors import StoreError
from metforward.records import personal
from metforward.records.db import Database, sqlite_path
from metforward.records.models import Base, OrderSubject
from metforward.records.personal import KeyRing, PersonalKey, blind_index, normalise_name

#: For tests whose SQL is the same on both backends (the crypto and key files are what they test).
SQLITE_ONLY = pytest.mark.parametrize("records_url", ["sqlite"], indirect=True)
NAME, BORN = "Quillon Fennimore-Ashgrove", dt.date(1987, 3, 14)
KEY = PersonalKey.from_secret(b"p" * 32)


def add_subject(database: Database, name: str = NAME, born: dt.date = BORN) -> int:
    with database.transaction() as session:
        subject = OrderSubject(
            name=name,
            date_of_birth=born,
            photo_ref="photo-store/ref-0007",
            person_index=personal.current().index(name, born),
            created_by="test",
        )
        session.add(subject)
        session.flush()
        return subject.id


def raw_rows(database: Database) -> list[str]:
    """Every value of every table as the database holds it (no type decorators in the way)."""
    found = []
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f"SELECT * FROM {table.name}")):
                found += [str(value) for value in row]
    return found


def test_the_database_holds_no_plaintext_name_or_date_of_birth(records_db: Database) -> None:
    records_db.personal = KeyRing(KEY)
    add_subject(records_db)
    values = "\n".join(raw_rows(records_db))
    for secret in (NAME, "Quillon", "Fennimore", BORN.isoformat(), "1987", "ref-0007"):
        assert secret not in values
    assert values.count("mfp1:" + KEY.key_id + ":") == 3  # name, date of birth, photo reference
    path = sqlite_path(records_db.url)
    if path is not None:  # the file's bytes too, its write-ahead log included
        records_db.close()
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"Quillon" not in raw and b"Fennimore" not in raw and b"1987-03-14" not in raw
        assert b"mfp1:" in raw  # (the check can fail: the ciphertexts are there)


def test_the_blind_index_finds_the_person_however_the_name_is_typed(records_db: Database) -> None:
    records_db.personal = KeyRing(KEY)
    added = add_subject(records_db)
    for typed in ("quillon fennimoreashgrove", "  QUILLON   Fennimore-Ashgrove ", "Quillón Fennimore\u2019Ashgrove"):
        with records_db.reading() as session:
            found = session.scalars(
                select(OrderSubject).where(OrderSubject.person_index == blind_index(KEY, typed, "1987-03-14"))
            ).all()
        assert [(s.id, s.name, s.date_of_birth) for s in found] == [(added, NAME, BORN)]
    assert blind_index(KEY, NAME, dt.date(1987, 3, 15)) != blind_index(KEY, NAME, BORN)
    assert blind_index(PersonalKey.from_secret(b"q" * 32), NAME, BORN) != blind_index(KEY, NAME, BORN)
    assert normalise_name("  Zara  O'Quill-Fenn ") == "zara oquillfenn"


@SQLITE_ONLY
def test_values_are_bound_to_their_column_and_never_read_without_a_key(records_db: Database) -> None:
    ring = KeyRing(KEY)
    sealed = ring.encrypt("order_subjects.name", NAME)
    assert ring.decrypt("order_subjects.name", sealed) == NAME
    assert ring.encrypt("order_subjects.name", NAME) != sealed  # a fresh nonce each time
    with pytest.raises(StoreError, match="integrity"):
        ring.decrypt("orders.conditions", sealed)  # moved to another column
    add_subject(_with(records_db, ring))
    records_db.personal = None
    with pytest.raises(StoreError, match="no personal data key"), records_db.reading() as session:
        session.scalars(select(OrderSubject)).all()


def _with(database: Database, ring: KeyRing) -> Database:
    database.personal = ring
    return database


def test_rotation_re_encrypts_everything_and_the_old_key_opens_nothing(records_db: Database, tmp_path: Path) -> None:
    key_file = tmp_path / "store.personal.key"
    old = personal.load(key_file)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    records_db.personal = old
    ids = [add_subject(records_db), add_subject(records_db, "Marrow Tindleby", dt.date(1990, 1, 2))]
    done = personal.rotate(records_db, key_file, Base.metadata, environ={})
    assert done.rows["order_subjects"] == 2 and done.old_key_ids == (old.active.key_id,)
    new = personal.load(key_file, environ={})
    assert new.active.key_id == done.new_key_id != old.active.key_id and new.others == ()
    assert not personal.next_file(key_file).exists()
    values = "\n".join(raw_rows(records_db))
    assert f"mfp1:{old.active.key_id}:" not in values and values.count(f"mfp1:{new.active.key_id}:") == 6
    records_db.personal = new
    with records_db.reading() as session:
        found = session.scalars(select(OrderSubject).where(OrderSubject.person_index == new.index(NAME, BORN))).all()
        assert [(s.id, s.name) for s in found] == [(ids[0], NAME)]
        assert (
            session.scalars(select(OrderSubject).where(OrderSubject.person_index == old.index(NAME, BORN))).all() == []
        )
    records_db.personal = old  # the old key: no value opens
    with records_db.engine.connect() as connection:
        sealed = [row[0] for row in connection.execute(text("SELECT name FROM order_subjects"))]
    for value in sealed:
        with pytest.raises(StoreError, match="not the key given"):
            old.decrypt("order_subjects.name", value)


@SQLITE_ONLY
def test_a_rotation_stopped_half_way_stays_readable_and_is_finished_by_running_it_again(
    records_db: Database, tmp_path: Path
) -> None:
    key_file = tmp_path / "store.personal.key"
    old = personal.load(key_file, environ={})
    records_db.personal = old
    add_subject(records_db)
    pending = PersonalKey.generate()
    personal.next_file(key_file).write_text(pending[1])
    # the database re-encrypted under the new key, but the key file not yet replaced (the process died)
    personal.reencrypt(records_db, KeyRing(pending[0], (old.active,)), Base.metadata)
    ring = personal.load(key_file, environ={})
    assert ring.active.key_id == old.active.key_id and [k.key_id for k in ring.others] == [pending[0].key_id]
    records_db.personal = ring
    with records_db.reading() as session:
        assert session.scalars(select(OrderSubject.name)).one() == NAME
    done = personal.rotate(records_db, key_file, Base.metadata, environ={})
    assert done.new_key_id == pending[0].key_id
    assert personal.load(key_file, environ={}).active.key_id == pending[0].key_id


@SQLITE_ONLY
def test_the_environment_key_and_its_rotation(records_db: Database, tmp_path: Path) -> None:
    first, first_text = PersonalKey.generate()
    second, second_text = PersonalKey.generate()
    env = {personal.ENV: first_text}
    records_db.personal = personal.load(tmp_path / "unused.key", env)
    assert records_db.personal.active == first and not (tmp_path / "unused.key").exists()
    add_subject(records_db)
    with pytest.raises(Exception, match=personal.ENV_NEXT):
        personal.rotate(records_db, tmp_path / "unused.key", Base.metadata, env)
    done = personal.rotate(records_db, tmp_path / "unused.key", Base.metadata, {**env, personal.ENV_NEXT: second_text})
    assert done.new_key_id == second.key_id and personal.ENV in done.key_at
    records_db.personal = personal.load(tmp_path / "unused.key", {personal.ENV: second_text})
    with records_db.reading() as session:
        assert session.scalars(select(OrderSubject.name)).one() == NAME


def test_rotate_key_from_the_command_line_is_audited(records_templates: object, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from metforward.cli import app
    from metforward.records import audit
    from tests.records_backends import Templates

    assert isinstance(records_templates, Templates)
    url = records_templates.fresh("sqlite", tmp_path)
    key_file = tmp_path / "store.personal.key"
    with Database(url) as database:
        database.personal = personal.load(key_file, environ={})
        add_subject(database)
        before = database.personal.active.key_id
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "store.duckdb"), "--records", url, "records", "rotate-key"]
    )
    assert result.exit_code == 0, result.output
    after = personal.load(key_file, environ={}).active.key_id
    assert f"re-encrypted under key {after} (order_subjects 1" in result.output and after != before
    with Database(url) as database, database.reading() as session:
        row = list(audit.rows_between(session, None, None))[-1]
        assert (row.action, row.record_type) == ("rotate_key", "personal_key") and f"{before} -> {after}" in row.detail
