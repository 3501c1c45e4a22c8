"""Accounts and signing in, on SQLite and PostgreSQL: roles and boroughs, lockout, rate limits, TOTP."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import text

from metforward.errors import BadRequest, Forbidden, NotFound, TooManyAttempts, Unauthenticated
from metforward.records import accounts, audit, sessions
from metforward.records.db import Database
from metforward.records.keys import Keys
from tests.records.cast import CAMDEN, OPERATOR, PASSWORD, WESTMINSTER

KEYS = Keys.from_secret(b"k" * 32)


def sign_in(database: Database, email: str, password: str = PASSWORD, code: str = "", address: str = "10.0.0.1") -> str:
    token, _ = accounts.password_sign_in(database, KEYS, email, password, code, address=address)
    return token


def test_accounts_carry_their_role_and_boroughs_resolved_by_the_one_resolver(cast_db: Database) -> None:
    found = {a.email: a for a in accounts.list_users(cast_db, OPERATOR)}
    assert found["partner-w@example.org"].boroughs == (WESTMINSTER,)  # "City of Westminster"
    assert found["borough-c@example.org"].boroughs == (CAMDEN,)
    assert found["analyst@example.org"].boroughs == ()
    with pytest.raises(BadRequest, match="needs its boroughs"):
        accounts.add_user(cast_db, OPERATOR, "x@example.org", "partner", [], PASSWORD)
    with pytest.raises(BadRequest, match="covers every borough"):
        accounts.add_user(cast_db, OPERATOR, "x@example.org", "analyst", ["Camden"], PASSWORD)
    with pytest.raises(NotFound, match="no London borough called 'Gotham'"):
        accounts.add_user(cast_db, OPERATOR, "x@example.org", "borough", ["Gotham"], PASSWORD)
    with pytest.raises(BadRequest, match="no role called 'chief'"):
        accounts.add_user(cast_db, OPERATOR, "x@example.org", "chief", [], PASSWORD)
    with pytest.raises(BadRequest, match="already has an account"):
        accounts.add_user(cast_db, OPERATOR, "ADMIN@example.org", "admin", [], PASSWORD)


def test_only_administrators_manage_accounts(cast_db: Database) -> None:
    _, analyst = accounts.password_sign_in(cast_db, KEYS, "analyst@example.org", PASSWORD)
    with pytest.raises(Forbidden):
        accounts.add_user(cast_db, analyst, "new@example.org", "analyst", [], PASSWORD)
    with pytest.raises(Forbidden):
        accounts.list_users(cast_db, analyst)


def test_a_sign_in_makes_a_session_and_disabling_the_account_ends_it(cast_db: Database) -> None:
    token = sign_in(cast_db, "borough-w@example.org")
    who = sessions.resolve(cast_db, token, "10.0.0.1")
    assert who is not None and who.boroughs == {WESTMINSTER} and who.role == "borough"
    accounts.set_enabled(cast_db, OPERATOR, "borough-w@example.org", False)
    assert sessions.resolve(cast_db, token, "10.0.0.1") is None
    with pytest.raises(Unauthenticated, match="Sign-in failed"):
        sign_in(cast_db, "borough-w@example.org")


def test_brute_force_locks_the_account_out_after_the_documented_tries(cast_db: Database) -> None:
    for _ in range(accounts.LOCKOUT_FAILURES):
        with pytest.raises(Unauthenticated) as wrong:
            sign_in(cast_db, "analyst@example.org", "not the password at all")
    with pytest.raises(Unauthenticated) as locked:
        sign_in(cast_db, "analyst@example.org")  # the right password, refused while locked
    with pytest.raises(Unauthenticated) as unknown:
        sign_in(cast_db, "nobody@example.org")
    assert str(wrong.value) == str(locked.value) == str(unknown.value) == accounts.GENERIC  # no enumeration
    sign_in(cast_db, "admin@example.org")  # other accounts are not locked
    accounts.reset_password(cast_db, OPERATOR, "analyst@example.org", "quiet meadow copper 77")
    assert sign_in(cast_db, "analyst@example.org", "quiet meadow copper 77")


def test_the_lockout_window_passes(cast_db: Database) -> None:
    for _ in range(accounts.LOCKOUT_FAILURES):
        with pytest.raises(Unauthenticated):
            sign_in(cast_db, "analyst@example.org", "not the password at all")
    with cast_db.transaction() as session:  # the failures become older than the window
        session.execute(
            text("UPDATE sign_in_attempts SET at = at - INTERVAL '16 minutes'")
            if cast_db.backend == "postgresql"
            else text("UPDATE sign_in_attempts SET at = datetime(at, '-16 minutes')")
        )
    assert sign_in(cast_db, "analyst@example.org")


def test_one_address_is_limited_across_accounts(cast_db: Database) -> None:
    for n in range(accounts.ADDRESS_FAILURES):
        with pytest.raises(Unauthenticated):
            sign_in(cast_db, f"guess{n}@example.org", "not the password at all", address="192.0.2.9")
    with pytest.raises(TooManyAttempts, match="try again in"):
        sign_in(cast_db, "guess@example.org", "not the password at all", address="192.0.2.9")


def test_a_second_factor_is_asked_for_once_set_up_or_required(cast_db: Database) -> None:
    uri = accounts.set_totp(cast_db, KEYS, OPERATOR, "partner-w@example.org")
    assert uri is not None
    totp = pyotp.parse_uri(uri)
    with pytest.raises(Unauthenticated):
        sign_in(cast_db, "partner-w@example.org")  # no code
    code = totp.now()
    assert sign_in(cast_db, "partner-w@example.org", code=code)
    if totp.now() == code:  # the same code again, in the same 30 s: a replay
        with pytest.raises(Unauthenticated):
            sign_in(cast_db, "partner-w@example.org", code=code)
    with cast_db.reading() as session:  # the secret is kept encrypted
        stored = session.execute(text("SELECT totp_secret FROM users WHERE email = 'partner-w@example.org'")).scalar()
    assert totp.secret not in stored and KEYS.decrypt(stored) == totp.secret
    accounts.require_totp(cast_db, OPERATOR, "analyst", True)
    with pytest.raises(Unauthenticated):
        sign_in(cast_db, "analyst@example.org")  # required, and none set up
    accounts.require_totp(cast_db, OPERATOR, "analyst", False)
    assert sign_in(cast_db, "analyst@example.org")


def test_single_sign_on_provisions_the_account_and_signs_in_through_the_same_function(cast_db: Database) -> None:
    def rows() -> list[str]:
        with cast_db.reading() as session:
            return [r.action for r in audit.rows_between(session, None, None)]

    made = accounts.provision(cast_db, "SSO@Police.example", "partner", ["Hackney"], name="Sam", source="oidc:test")
    assert (made.email, made.role, made.boroughs, made.has_password) == (
        "sso@police.example",
        "partner",
        ("E09000012",),
        False,
    )
    before = len(rows())
    accounts.provision(cast_db, "sso@police.example", "partner", ["Hackney"], source="oidc:test")
    assert len(rows()) == before  # nothing changed, nothing logged
    moved = accounts.provision(cast_db, "sso@police.example", "borough", ["Hackney", "Camden"], source="oidc:test")
    assert (moved.role, moved.boroughs) == ("borough", (CAMDEN, "E09000012")) and rows()[-1] == "user_sync"
    token, who = accounts.sign_in(cast_db, "sso@police.example", method="oidc:test", address="10.0.0.2")
    assert sessions.resolve(cast_db, token, "10.0.0.2") == who and rows()[-1] == "sign_in"
    with pytest.raises(Unauthenticated):
        sign_in(cast_db, "sso@police.example", "no password at all")  # no password sign-in for it
    accounts.set_enabled(cast_db, OPERATOR, "sso@police.example", False)
    with pytest.raises(Unauthenticated):
        accounts.sign_in(cast_db, "sso@police.example", method="oidc:test")
