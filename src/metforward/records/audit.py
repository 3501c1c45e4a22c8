"""The audit log: append-only and hash-chained (as Certificate Transparency, RFC 6962, and git chain their
records), so a row changed, removed or moved is found by :func:`verify`.

Each row holds who (the account, or ``cli:LOGIN``), from where, when, the action, the record (type, id,
borough), the record before and after a change (canonical JSON of its audited fields: never a password,
its hash or a second-factor secret), and ``prev_hash``, the hash of the row before it. Its own ``hash`` is
SHA-256 of the previous hash and the canonical JSON of its fields (:func:`row_hash`). The first row's
previous hash is :data:`GENESIS`. Appenders lock the one-row ``audit_head`` table in the same transaction
as their change (a row lock, ``FOR UPDATE``, on PostgreSQL; SQLite transactions already begin with the write
lock), so the chain never forks and an audit row exists exactly when its change was committed. The
database refuses to change or delete the log's rows (triggers); whoever owns the database could drop them, which
is what the chain is for.

What is logged: sign-ins and failed sign-ins, sign-outs, every read of a restricted record, every change
(with before and after), account and policy changes, audit exports, backups and restores.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from metforward.records.access import Principal
from metforward.records.db import Database
from metforward.records.models import AuditEntry, AuditHead, now

GENESIS = "0" * 64
#: The fields of a row its hash covers, in this order (the hash itself aside).
FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_role",
    "address",
    "action",
    "record_type",
    "record_id",
    "borough",
    "before",
    "after",
    "detail",
    "prev_hash",
)


def canonical(value: Any) -> str:
    """Canonical JSON: keys sorted, no spaces, UTF-8 as is (the same text for the same value, always)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def stamp(moment: dt.datetime) -> str:
    """A time as the chain hashes it: UTC, ISO 8601 to the microsecond."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a row: its previous hash, a line break, and the canonical JSON of :data:`FIELDS`."""
    body = {name: stamp(values["at"]) if name == "at" else values[name] for name in FIELDS}
    return hashlib.sha256((values["prev_hash"] + "\n" + canonical(body)).encode()).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in FIELDS}


def append(
    session: Session,
    who: Principal | None,
    action: str,
    *,
    record_type: str = "",
    record_id: object = "",
    borough: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: str = "",
    actor: str | None = None,
    address: str | None = None,
) -> AuditEntry:
    """Add a row to the chain in ``session``'s transaction (it commits or rolls back with the change).

    ``who`` is the principal acting (None: nobody signed in, e.g. a failed sign-in; then ``actor`` and
    ``address`` say who tried and from where).
    """
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    entry = AuditEntry(
        seq=head.seq + 1,
        at=now(),
        actor=actor or (who.actor if who else "anonymous"),
        actor_role=str(who.role) if who else "",
        address=(address if address is not None else (who.address if who else ""))[:100],
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        borough=borough or "",
        before=canonical(before) if before is not None else "",
        after=canonical(after) if after is not None else "",
        detail=detail,
        prev_hash=head.hash,
    )
    entry.hash = row_hash(_fields(entry))
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: ``ok``, the rows read, and where the chain first breaks (``broken``, the
    row's sequence number, with ``problem`` in words)."""

    ok: bool
    rows: int
    head: str
    broken: int | None = None
    problem: str = ""


def verify(session: Session) -> Verdict:
    """Walk the chain from its first row: each row must follow the one before (sequence number and previous
    hash) and match its own hash, and the last must be the head. The first break is reported."""
    expected_seq, previous, rows = 1, GENESIS, 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)):
        rows += 1
        if entry.seq != expected_seq:
            gone = f"row {expected_seq}" if entry.seq == expected_seq + 1 else f"rows {expected_seq} to {entry.seq - 1}"
            problem = f"{gone} removed or renumbered" if entry.seq > expected_seq else f"row {entry.seq} out of order"
            return Verdict(
                False, rows, previous, entry.seq, f"row {entry.seq} follows row {expected_seq - 1}: {problem}"
            )
        if entry.prev_hash != previous:
            return Verdict(
                False,
                rows,
                previous,
                entry.seq,
                f"row {entry.seq} does not follow row {entry.seq - 1} (its previous-row hash differs): "
                f"row {entry.seq - 1} was changed, or rows were removed or moved",
            )
        if row_hash(_fields(entry)) != entry.hash:
            return Verdict(
                False, rows, previous, entry.seq, f"row {entry.seq} was changed (it no longer matches its hash)"
            )
        expected_seq, previous = entry.seq + 1, entry.hash
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1)).one_or_none()
    if head is None or head.seq != expected_seq - 1 or head.hash != previous:
        recorded = f"row {head.seq}" if head else "no head"
        return Verdict(
            False,
            rows,
            previous,
            expected_seq - 1,
            f"the log ends at row {expected_seq - 1} but its head records {recorded}: rows were removed from the end",
        )
    return Verdict(True, rows, previous)


@dataclass(frozen=True)
class AuditRow:
    """One audit row, as an export shows it."""

    seq: int
    at: str
    actor: str
    actor_role: str
    address: str
    action: str
    record_type: str
    record_id: str
    borough: str
    before: str
    after: str
    detail: str
    prev_hash: str
    hash: str

    @staticmethod
    def columns() -> tuple[str, ...]:
        return (*FIELDS, "hash")


def rows_between(session: Session, start: dt.datetime | None, end: dt.datetime | None) -> Iterator[AuditRow]:
    """The rows from ``start`` (inclusive) to ``end`` (exclusive), in order."""
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    for entry in session.scalars(query.execution_options(yield_per=1000)):
        yield AuditRow(**{**_fields(entry), "at": stamp(entry.at), "hash": entry.hash})


def refused(database: Database, who: Principal, what: str, action: str, borough: str | None) -> None:
    """Record that the access rule refused ``who`` (OWASP ASVS V7.1.3: access control failures are logged)."""
    with database.transaction() as session:
        append(session, who, "refused", borough=borough, detail=f"{action}: {what}")
