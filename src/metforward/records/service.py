"""Reading and writing restricted per-borough records: the access rule first, then the work, with the
audit row in the same transaction. Every kind of record (contacts now; actions, registers and responses
later) is a model with :class:`~metforward.records.models.BoroughRecord` mixed in, read and written only
through these functions.

The borough comes first: a principal who may not see a borough's records is refused (:class:`Forbidden`)
before anything is looked up, and a record is looked for only among its borough's, so a record of another
borough is simply not found (no one learns which ids exist elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from metforward.errors import NotFound
from metforward.records import audit
from metforward.records.access import Action, Principal, require
from metforward.records.models import BoroughRecord, now

R = TypeVar("R", bound=BoroughRecord)


def snapshot(record: BoroughRecord) -> dict[str, Any]:
    """The record's audited fields (what the audit log keeps before and after a change)."""
    return {name: getattr(record, name) for name in record.audited}


def _find(session: Session, model: type[R], borough: str, record_id: int) -> R:
    found = session.scalars(select(model).where(model.id == record_id, model.borough_code == borough)).one_or_none()
    if found is None:
        raise NotFound(f"no {model.record_type} {record_id} in this borough's records", field="id")
    return found


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


def read(session: Session, principal: Principal, model: type[R], borough: str, record_id: int) -> R:
    """One record (the read audited)."""
    require(principal, Action.READ, borough)
    found = _find(session, model, borough, record_id)
    audit.append(session, principal, "read", record_type=model.record_type, record_id=found.id, borough=borough)
    return found


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
