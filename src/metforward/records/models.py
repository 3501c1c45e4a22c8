"""The records database's tables, as SQLAlchemy 2 typed models.

Private to :mod:`metforward.records`: the services return frozen dataclasses, never these objects, so a
face cannot reach the database through a lazy attribute. Every change here needs an Alembic migration in
``migrations/versions`` (``tests/records/test_migrate.py`` compares the models with the migrated schema).

Times are UTC: stored without a zone (SQLite has none) and read back as aware ``datetime``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC ``datetime`` kept as a naive UTC timestamp (to the microsecond) on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("records times are aware UTC datetimes")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def now() -> dt.datetime:
    """The time now, UTC, to the microsecond (what every backend keeps)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dt.datetime: UTCDateTime()}


class User(Base):
    """An account: who may sign in, with what role and for which boroughs."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower case, unique: the sign-in name.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    #: admin, analyst, borough or partner (:class:`metforward.records.access.Role`).
    role: Mapped[str] = mapped_column(String(20))
    #: Argon2id (PHC string); None: no password sign-in (an account for single sign-on only).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(default=True)
    #: The TOTP secret, encrypted with the records key (Fernet); None: no second factor set up.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    #: The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
    boroughs: Mapped[list[UserBorough]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserBorough.borough_code"
    )


class UserBorough(Base):
    """A borough an account's role applies to (borough and partner roles)."""

    __tablename__ = "user_boroughs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: The borough's GSS code (E09...).
    borough_code: Mapped[str] = mapped_column(String(9), primary_key=True)


class RolePolicy(Base):
    """What an administrator requires of a role: a second factor (TOTP) at sign-in."""

    __tablename__ = "role_policies"

    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    require_totp: Mapped[bool] = mapped_column(default=False)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored here, so a copy of
    this table cannot be used to sign in."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    #: How the user signed in: password (with or without TOTP), or a single sign-on provider's name.
    method: Mapped[str] = mapped_column(String(40), default="password")


class SignInAttempt(Base):
    """One sign-in attempt, kept for the rate limits, the lockout and the account page's "last sign-ins"
    (never the password tried)."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    #: The email given, lower case (an address that has no account too, so unknown names are limited alike).
    email: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(64), default="", index=True)
    success: Mapped[bool] = mapped_column(default=False)
    #: ok, reset (an administrator set a new password: the lockout count starts again), bad_credentials,
    #: locked, rate_limited, disabled, second_factor.
    reason: Mapped[str] = mapped_column(String(30))


class AuditEntry(Base):
    """One row of the append-only, hash-chained audit log (see :mod:`metforward.records.audit`)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    #: Who: an account's email, ``cli:LOGIN`` for the operator at the command line, or ``anonymous``.
    actor: Mapped[str] = mapped_column(String(320))
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    #: From where: the client's address, or ``cli`` with the host name.
    address: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str] = mapped_column(String(40), default="")
    record_id: Mapped[str] = mapped_column(String(64), default="")
    borough: Mapped[str] = mapped_column(String(9), default="")
    #: Canonical JSON of the record before and after a change ("" where there is none).
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head (one row): the last sequence number and hash. Appenders lock it, so the chain never
    forks; ``audit verify`` compares it with the last row, so rows removed from the end are found too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


class BoroughRecord:
    """The columns every restricted, per-borough record has: the borough it belongs to (which the access
    rule reads), and who made and last changed it, when. Mix into a model with ``Base``; read and write it
    through :mod:`metforward.records.service`, which checks access and audits."""

    #: The record kind's name in the audit log and in messages.
    record_type: str = "record"
    #: The columns the audit log keeps of it, before and after a change (personal fields included:
    #: the audit log is restricted too; secrets never).
    audited: tuple[str, ...] = ()

    id: Mapped[int] = mapped_column(primary_key=True)

    @declared_attr
    def borough_code(cls) -> Mapped[str]:
        return mapped_column(String(9), index=True)

    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_by: Mapped[str] = mapped_column(String(320))


class Contact(BoroughRecord, Base):
    """A borough's contact: a named person in the borough's partnership (police, council, a charity), for
    its Joint Engagement Meetings and actions. Personal data: restricted to the borough's users."""

    __tablename__ = "borough_contacts"
    record_type = "contact"
    audited = ("borough_code", "name", "organisation", "job_title", "email", "phone")

    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
