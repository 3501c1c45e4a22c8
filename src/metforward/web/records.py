"""The records pages: sign-in and account (:mod:`metforward.web.auth`), and each borough's restricted
records, borough contacts first. Every route declares its access with :class:`~metforward.web.auth.Need`;
the pages call the records services (which check the same rule again and audit), never the database."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.errors import BadRequest
from metforward.records import boroughs, contacts
from metforward.records.access import Action, Principal, may, readable
from metforward.web import auth, oidc, orders
from metforward.web.auth import Form, Reader, SignedIn, Writer, csrf_token, records_of

router = APIRouter()


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    from metforward.web.app import render

    return render(request, template, status_code=status_code, principal=values.pop("who"), **values)


@router.get("/records", response_class=HTMLResponse)
def index(request: Request, who: SignedIn) -> Response:
    """The boroughs whose records this user may read."""
    scope = readable(who)
    codes = sorted(LONDON_BOROUGHS if scope is None else scope, key=boroughs.name)
    return _render(
        request,
        "records.html",
        title="Records",
        who=who,
        boroughs=[(code, boroughs.name(code), may(who, Action.WRITE, code)) for code in codes],
        csrf_token=csrf_token(request),
    )


def _contacts_page(
    request: Request,
    who: Principal,
    code: str,
    status_code: int = 200,
    error: BadRequest | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    database, _ = records_of(request).require()
    return _render(
        request,
        "contacts.html",
        status_code=status_code,
        title=f"Contacts: {boroughs.name(code)}",
        who=who,
        code=code,
        borough_name=boroughs.name(code),
        contacts=contacts.list_contacts(database, who, code),
        can_write=may(who, Action.WRITE, code),
        error=error,
        values=values or {},
        csrf_token=csrf_token(request),
    )


@router.get("/records/{borough}/contacts", response_class=HTMLResponse)
def contact_list(request: Request, borough: str, who: Reader) -> Response:
    """A borough's contacts (the read is audited), with the form to add one for those who may."""
    return _contacts_page(request, who, boroughs.resolve(borough))


@router.post("/records/{borough}/contacts", response_class=HTMLResponse)
def contact_add(
    request: Request,
    borough: str,
    fields: Form,
    who: Writer,
) -> Response:
    database, _ = records_of(request).require()
    code = boroughs.resolve(borough)
    try:
        contacts.add_contact(database, who, code, fields)
    except BadRequest as exc:
        return _contacts_page(request, who, code, 422, exc, fields)
    return RedirectResponse(f"/records/{code}/contacts", status_code=303)


def _contact_page(
    request: Request,
    who: Principal,
    code: str,
    contact_id: int,
    status_code: int = 200,
    error: BadRequest | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    database, _ = records_of(request).require()
    contact = contacts.get_contact(database, who, code, contact_id)
    return _render(
        request,
        "contact.html",
        status_code=status_code,
        title=f"{contact.name}: {boroughs.name(code)}",
        who=who,
        code=code,
        borough_name=boroughs.name(code),
        contact=contact,
        can_write=may(who, Action.WRITE, code),
        error=error,
        values=values or {name: getattr(contact, name) for name in contacts.FIELDS},
        csrf_token=csrf_token(request),
    )


@router.get("/records/{borough}/contacts/{contact_id}", response_class=HTMLResponse)
def contact_view(request: Request, borough: str, contact_id: int, who: Reader) -> Response:
    """One contact (the read is audited), with the form to change it for those who may."""
    return _contact_page(request, who, boroughs.resolve(borough), contact_id)


@router.post("/records/{borough}/contacts/{contact_id}", response_class=HTMLResponse)
def contact_update(
    request: Request,
    borough: str,
    contact_id: int,
    fields: Form,
    who: Writer,
) -> Response:
    database, _ = records_of(request).require()
    code = boroughs.resolve(borough)
    try:
        contacts.update_contact(database, who, code, contact_id, fields)
    except BadRequest as exc:
        return _contact_page(request, who, code, contact_id, 422, exc, fields)
    return RedirectResponse(f"/records/{code}/contacts/{contact_id}", status_code=303)


@router.post("/records/{borough}/contacts/{contact_id}/delete")
def contact_delete(request: Request, borough: str, contact_id: int, who: Writer) -> Response:
    database, _ = records_of(request).require()
    code = boroughs.resolve(borough)
    contacts.delete_contact(database, who, code, contact_id)
    return RedirectResponse(f"/records/{code}/contacts", status_code=303)


ROUTERS: tuple[APIRouter, ...] = (auth.router, oidc.router, router, orders.router)
