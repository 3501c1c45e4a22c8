"""Reading and writing restricted per-borough records: the access rule first, then the work, with the
audit row in the same transaction. Every kind of record (contacts now; actions, registers and responses
later) is a model with :class:`~metforward.records.models.BoroughRecord` mixed in, read and written only
through these functions.

The borough comes first: a principal who may not see a borough's records is refused (:class:`Forbidden`)
before anything is looked up, and a record is looked for only among its borough's, so a record of another
borough is simply not found (no one learns which ids exist elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from metforward.errors import BadRequest, Forbidden, NotFound
from metforward.records import audit
from metforward.records.access import NEED_TO_KNOW_HOURS, Action, NeedToKnow, Principal, may_ask_need_to_know, require
from metforward.records.db import Database
from metforward.records.models import BoroughRecord, NeedToKnowGrant, now

R = TypeVar("R", bound=BoroughRecord)


def snapshot(record: BoroughRecord) -> dict[str, Any]:
    """The record's audited fields (what the audit log keeps before and after a change)."""
    return {name: getattr(record, name) for name in record.audited}


def _find(session: Session, model: type[R], borough: str, record_id: int) -> R:
    found = session.scalars(select(model).where(model.id == record_id, model.borough_code == borough)).one_or_none()
    if found is None:
        raise NotFound(f"no {model.record_type} {record_id} in this borough's records", field="id")
    return found


def find(session: Session, model: type[R], borough: str, record_id: int) -> R:
    """One record of ``borough`` for a change the caller has already been allowed (not audited as a read):
    :class:`NotFound` if the borough has no such record."""
    return _find(session, model, borough, record_id)


def list_records(session: Session, principal: Principal, model: type[R], borough: str) -> Sequence[R]:
    """The borough's records of ``model`` (the read audited: which records were shown)."""
    require(principal, Action.READ, borough)
    found = session.scalars(select(model).where(model.borough_code == borough).order_by(model.id)).all()
    audit.append(
        session,
        principal,
        "read_list",
        record_type=model.record_type,
        borough=borough,
        detail="ids " + ",".join(str(r.id) for r in found) if found else "none",
    )
    return found


def read(
    session: Session, principal: Principal, model: type[R], borough: str, record_id: int, *, shared: bool = False
) -> R:
    """One record (the read audited). A ``shared`` kind of record (the registers) may also be read by
    someone of another borough who recorded a need-to-know reason for it (:func:`grant_need_to_know`): the
    rule is asked with the grant, and the audit row says which reason opened it."""
    record = f"{model.record_type}:{record_id}"
    grant = need_to_know(session, principal, record, borough) if shared else None
    require(principal, Action.READ, borough, record=record, need_to_know=grant)
    found = _find(session, model, borough, record_id)
    opened = how_opened(principal, borough, grant)
    audit.append(
        session, principal, "read", record_type=model.record_type, record_id=found.id, borough=borough, detail=opened
    )
    return found


def how_opened(principal: Principal, borough: str, grant: NeedToKnow | None) -> str:
    """How a read was allowed, for the audit log: the reader's own access, or its need-to-know reason."""
    from metforward.records.access import may

    if may(principal, Action.READ, borough) or grant is None:
        return ""
    return f"need to know: {grant.reason}"


def need_to_know(session: Session, principal: Principal, record: str, borough: str) -> NeedToKnow | None:
    """The principal's newest need-to-know grant for ``record`` (``type:id``) of ``borough`` that has not
    lapsed (None: none)."""
    row = session.scalars(
        select(NeedToKnowGrant)
        .where(
            NeedToKnowGrant.actor == principal.actor,
            NeedToKnowGrant.record_type == record.split(":", 1)[0],
            NeedToKnowGrant.record_id == record.split(":", 1)[1],
            NeedToKnowGrant.borough == borough,
            NeedToKnowGrant.expires_at > now(),
        )
        .order_by(NeedToKnowGrant.expires_at.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return NeedToKnow(row.actor, row.borough, f"{row.record_type}:{row.record_id}", row.reason, row.expires_at)


def need_to_know_of(database: Database, principal: Principal, record: str, borough: str) -> NeedToKnow | None:
    """:func:`need_to_know` in a reading transaction of its own (for a face's access check)."""
    with database.reading() as session:
        return need_to_know(session, principal, record, borough)


#: The shortest need-to-know reason accepted (a few words: a reason, not a tick).
REASON_MIN = 10


def clean_reason(reason: str | None) -> str:
    """A reason given for a search or a need-to-know, trimmed and checked."""
    text = " ".join((reason or "").split())
    if len(text) < REASON_MIN:
        raise BadRequest(
            f"say why you need this, in a few words (at least {REASON_MIN} characters): it is kept in the audit log",
            field="reason",
        )
    return text[:500]


def grant_need_to_know(
    session: Session, principal: Principal, model: type[R], borough: str, record_id: int, reason: str | None
) -> NeedToKnow:
    """Record ``principal``'s need-to-know reason for one record of ``borough`` (audited with the reason);
    the grant lasts :data:`~metforward.records.access.NEED_TO_KNOW_HOURS`."""
    if not may_ask_need_to_know(principal):
        raise Forbidden(f"{principal.actor} ({principal.role}) may not read records")
    text = clean_reason(reason)
    found = _find(session, model, borough, record_id)
    moment = now()
    row = NeedToKnowGrant(
        actor=principal.actor,
        record_type=model.record_type,
        record_id=str(found.id),
        borough=borough,
        reason=text,
        granted_at=moment,
        expires_at=moment + dt.timedelta(hours=NEED_TO_KNOW_HOURS),
    )
    session.add(row)
    audit.append(
        session,
        principal,
        "need_to_know",
        record_type=model.record_type,
        record_id=found.id,
        borough=borough,
        detail=f"reason: {text}",
    )
    return NeedToKnow(principal.actor, borough, f"{model.record_type}:{found.id}", text, row.expires_at)


def create(session: Session, principal: Principal, model: type[R], borough: str, values: Mapping[str, Any]) -> R:
    """A new record of ``borough`` (audited with its values)."""
    require(principal, Action.WRITE, borough)
    moment = now()
    # a model is BoroughRecord mixed into Base, whose constructor takes the columns
    record = model(  # type: ignore[call-arg]
        borough_code=borough,
        created_at=moment,
        created_by=principal.actor,
        updated_at=moment,
        updated_by=principal.actor,
        **values,
    )
    session.add(record)
    session.flush()
    audit.append(
        session,
        principal,
        "create",
        record_type=model.record_type,
        record_id=record.id,
        borough=borough,
        after=snapshot(record),
    )
    return record


def update(
    session: Session, principal: Principal, model: type[R], borough: str, record_id: int, values: Mapping[str, Any]
) -> R:
    """Change a record (audited before and after)."""
    require(principal, Action.WRITE, borough)
    record = _find(session, model, borough, record_id)
    before = snapshot(record)
    for name, value in values.items():
        setattr(record, name, value)
    record.updated_at, record.updated_by = now(), principal.actor
    session.flush()
    audit.append(
        session,
        principal,
        "update",
        record_type=model.record_type,
        record_id=record.id,
        borough=borough,
        before=before,
        after=snapshot(record),
    )
    return record


def delete(session: Session, principal: Principal, model: type[R], borough: str, record_id: int) -> None:
    """Remove a record (audited with what it held)."""
    require(principal, Action.WRITE, borough)
    record = _find(session, model, borough, record_id)
    audit.append(
        session,
        principal,
        "delete",
        record_type=model.record_type,
        record_id=record.id,
        borough=borough,
        before=snapshot(record),
    )
    session.delete(record)
