"""The records database's tables, as SQLAlchemy 2 typed models.

Private to :mod:`metforward.records`: the services return frozen dataclasses, never these objects, so a
face cannot reach the database through a lazy attribute. Every change here needs an Alembic migration in
``migrations/versions`` (``tests/records/test_migrate.py`` compares the models with the migrated schema).

Times are UTC: stored without a zone (SQLite has none) and read back as aware ``datetime``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, MetaData, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from metforward.records.personal import EncryptedDate, EncryptedText, blind_index_column


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


# --- the orders register (anti-social behaviour orders; see metforward.records.orders) -----------------------


class OrderSubject(Base):
    """A person subject to an order: the minimum personal data (name, date of birth, an optional photo
    reference), each encrypted at rest, and the keyed blind index of name and date of birth that searches
    use (:mod:`metforward.records.personal`). Pan-London: one row per person, whichever boroughs hold
    orders on them (the orders carry the borough)."""

    __tablename__ = "order_subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(EncryptedText("order_subjects.name"))
    date_of_birth: Mapped[dt.date] = mapped_column(EncryptedDate("order_subjects.date_of_birth"))
    #: Where a photograph is kept (a document system's reference, never the image).
    photo_ref: Mapped[str | None] = mapped_column(EncryptedText("order_subjects.photo_ref"))
    person_index: Mapped[str] = blind_index_column("name", "date_of_birth")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by: Mapped[str] = mapped_column(String(320))


class Order(BoroughRecord, Base):
    """An order on a subject, owned by a borough: its type, who made it, its dates, its conditions
    (encrypted: they may name people and places) and whom to contact about it."""

    __tablename__ = "orders"
    record_type = "order"
    audited = (
        "borough_code",
        "subject_id",
        "order_type",
        "issued_by",
        "reference",
        "made_on",
        "expires_on",
        "officer_name",
        "officer_email",
        "officer_phone",
    )

    subject_id: Mapped[int] = mapped_column(ForeignKey("order_subjects.id", ondelete="RESTRICT"), index=True)
    #: cbo, injunction, cpn, closure, or asbo (legacy: imported only).
    order_type: Mapped[str] = mapped_column(String(20))
    #: The issuing court or authority.
    issued_by: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(100), default="")
    made_on: Mapped[dt.date] = mapped_column(Date)
    #: None: until further order.
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    conditions: Mapped[str] = mapped_column(EncryptedText("orders.conditions"))
    officer_name: Mapped[str] = mapped_column(String(200))
    officer_email: Mapped[str] = mapped_column(String(320), default="")
    officer_phone: Mapped[str] = mapped_column(String(50), default="")
    zones: Mapped[list[OrderZone]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OrderZone.id"
    )
    breaches: Mapped[list[OrderBreach]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OrderBreach.id"
    )


class OrderZone(Base):
    """An exclusion zone of an order: a polygon (GeoJSON geometry, WGS84 longitude and latitude)."""

    __tablename__ = "order_zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    geojson: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by: Mapped[str] = mapped_column(String(320))


class OrderBreach(Base):
    """A breach of an order: when, where (a point, WGS84), who reported it, and whether the place is inside
    one of the order's exclusion zones (checked when recorded)."""

    __tablename__ = "order_breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    #: police, council, housing, cctv, public or other.
    source: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(EncryptedText("order_breaches.notes"))
    #: The exclusion zone the place falls in (None: in none, or no place given).
    zone_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    created_by: Mapped[str] = mapped_column(String(320))


class NeedToKnowGrant(Base):
    """A recorded need-to-know reason: one account may read one record of a borough not its own until
    ``expires_at`` (:class:`metforward.records.access.NeedToKnow`). The reason is audited too."""

    __tablename__ = "need_to_know"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(320), index=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(64))
    borough: Mapped[str] = mapped_column(String(9))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime] = mapped_column()


class AlertSent(Base):
    """An alert already emailed (its key, e.g. ``expiring:12:2026-05-01:E09000033``), so a scheduled
    ``metforward records alerts --send`` sends each once."""

    __tablename__ = "alerts_sent"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(default=now)
    recipients: Mapped[int] = mapped_column(default=0)
