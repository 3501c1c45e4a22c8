"""Borough contacts: the named people of a borough's partnership (police, council, charities) that its
Joint Engagement Meetings and agreed actions refer to. Personal data, so restricted: a borough's own
users read and change them, partners of the borough and analysts read them, and every read is audited
(through :mod:`metforward.records.service`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from metforward.errors import BadRequest
from metforward.records import service
from metforward.records.access import Principal
from metforward.records.db import Database
from metforward.records.models import Contact

#: The fields a form or command gives, with their longest lengths.
FIELDS = {"name": 200, "organisation": 200, "job_title": 200, "email": 320, "phone": 50}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9 +()\-]*$")


@dataclass(frozen=True)
class ContactView:
    id: int
    borough: str
    name: str
    organisation: str
    job_title: str
    email: str
    phone: str
    updated_at: dt.datetime
    updated_by: str


def _view(contact: Contact) -> ContactView:
    return ContactView(
        contact.id,
        contact.borough_code,
        contact.name,
        contact.organisation,
        contact.job_title,
        contact.email,
        contact.phone,
        contact.updated_at,
        contact.updated_by,
    )


def clean(values: Mapping[str, str]) -> dict[str, str]:
    """The contact's fields from a form, trimmed and checked (:class:`BadRequest` naming the field)."""
    found = {name: (values.get(name) or "").strip() for name in FIELDS}
    for name, longest in FIELDS.items():
        if len(found[name]) > longest:
            raise BadRequest(f"{name.replace('_', ' ')} is longer than {longest} characters", field=name)
    if not found["name"]:
        raise BadRequest("enter the contact's name", field="name")
    if found["email"] and not _EMAIL.fullmatch(found["email"]):
        raise BadRequest("enter an email address like name@example.org, or leave it empty", field="email")
    if not _PHONE.fullmatch(found["phone"]):
        raise BadRequest("a phone number has digits, spaces, +, brackets and hyphens only", field="phone")
    return found


def list_contacts(database: Database, principal: Principal, borough: str) -> list[ContactView]:
    with database.transaction() as session:
        return [_view(c) for c in service.list_records(session, principal, Contact, borough)]


def get_contact(database: Database, principal: Principal, borough: str, contact_id: int) -> ContactView:
    with database.transaction() as session:
        return _view(service.read(session, principal, Contact, borough, contact_id))


def add_contact(database: Database, principal: Principal, borough: str, values: Mapping[str, str]) -> ContactView:
    fields = clean(values)
    with database.transaction() as session:
        return _view(service.create(session, principal, Contact, borough, fields))


def update_contact(
    database: Database, principal: Principal, borough: str, contact_id: int, values: Mapping[str, str]
) -> ContactView:
    fields = clean(values)
    with database.transaction() as session:
        return _view(service.update(session, principal, Contact, borough, contact_id, fields))


def delete_contact(database: Database, principal: Principal, borough: str, contact_id: int) -> None:
    with database.transaction() as session:
        service.delete(session, principal, Contact, borough, contact_id)
