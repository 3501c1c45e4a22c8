"""The orders register's pages: search across London (``/records/orders``), a borough's orders with its
alerts, an order's page with its exclusion zones on a MapLibre map and its breaches, and the forms to add
an order, a zone, a breach and a need-to-know reason. Every route declares its access with
:class:`~metforward.web.auth.Need` (an order's page with ``shared="order_id"``, so a recorded need-to-know
reason opens it through the one rule); the pages call :mod:`metforward.records.orders`, never the database.

Searches are POSTed (with the CSRF token), so names and dates of birth never appear in a URL or a log.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from metforward.errors import BadRequest
from metforward.records import alerts, boroughs, orders
from metforward.records.access import Action, Principal, may
from metforward.web.auth import Form, Need, Reader, SignedIn, Writer, csrf_token, records_of

router = APIRouter()
#: An order's page: its borough's readers, or a reader with a recorded need-to-know reason for it.
OrderReader = Annotated[Principal, Depends(Need(Action.READ, shared="order_id"))]


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    from metforward.web.app import render

    return render(request, template, status_code=status_code, principal=values.pop("who"), **values)


@router.get("/records/orders", response_class=HTMLResponse)
def search_form(request: Request, who: SignedIn) -> Response:
    """The search of the register across London: a name, a date of birth and a reason."""
    return _search_page(request, who)


def _search_page(
    request: Request,
    who: Principal,
    status_code: int = 200,
    error: BadRequest | None = None,
    values: dict[str, str] | None = None,
    hits: list[orders.OrderSummary] | None = None,
) -> HTMLResponse:
    return _render(
        request,
        "orders_search.html",
        status_code=status_code,
        title="Search the orders register",
        who=who,
        error=error,
        values=values or {},
        hits=hits,
        may_search=orders.may_search(who),
        csrf_token=csrf_token(request),
    )


@router.post("/records/orders", response_class=HTMLResponse)
def search(request: Request, fields: Form, who: SignedIn) -> Response:
    database, _ = records_of(request).require()
    kept = {name: fields.get(name, "") for name in ("name", "date_of_birth", "reason")}
    try:
        hits = orders.search(database, who, fields.get("name"), fields.get("date_of_birth"), fields.get("reason"))
    except BadRequest as exc:
        return _search_page(request, who, 422, exc, kept)
    return _search_page(request, who, values=kept, hits=hits)


@router.get("/records/{borough}/orders", response_class=HTMLResponse)
def borough_orders(request: Request, borough: str, who: Reader) -> Response:
    """A borough's dashboard of orders: its alerts (expiring, breaches, subjects with orders elsewhere)
    and its orders (the read audited)."""
    database, _ = records_of(request).require()
    code = boroughs.resolve(borough)
    return _render(
        request,
        "orders.html",
        title=f"Orders: {boroughs.name(code)}",
        who=who,
        code=code,
        borough_name=boroughs.name(code),
        alerts=alerts.for_borough(database, who, code, dt.date.today()),
        orders=orders.list_orders(database, who, code),
        can_write=may(who, Action.WRITE, code),
    )


def _new_page(
    request: Request,
    who: Principal,
    code: str,
    status_code: int = 200,
    error: BadRequest | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    return _render(
        request,
        "order_new.html",
        status_code=status_code,
        title=f"Add an order: {boroughs.name(code)}",
        who=who,
        code=code,
        borough_name=boroughs.name(code),
        types=orders.TYPES,
        error=error,
        values=values or {},
        csrf_token=csrf_token(request),
    )


@router.get("/records/{borough}/orders/new", response_class=HTMLResponse)
def new_order(request: Request, borough: str, who: Writer) -> Response:
    return _new_page(request, who, boroughs.resolve(borough))


@router.post("/records/{borough}/orders", response_class=HTMLResponse)
def add_order(request: Request, borough: str, fields: Form, who: Writer) -> Response:
    database, _ = records_of(request).require()
    code = boroughs.resolve(borough)
    try:
        made = orders.add_order(database, who, code, fields)
    except BadRequest as exc:
        return _new_page(request, who, code, 422, exc, {k: v for k, v in fields.items() if k != "csrf_token"})
    return RedirectResponse(f"/records/{code}/orders/{made.id}", status_code=303)


def _order_page(
    request: Request,
    who: Principal,
    code: str,
    order_id: int,
    status_code: int = 200,
    error: BadRequest | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    database, _ = records_of(request).require()
    order = orders.get_order(database, who, code, order_id)
    features = [
        {"type": "Feature", "properties": {"kind": "zone", "label": z.label}, "geometry": json.loads(z.geojson)}
        for z in order.zones
    ] + [
        {
            "type": "Feature",
            "properties": {"kind": "breach", "label": f"Breach {b.occurred_on}", "in_zone": b.in_zone},
            "geometry": {"type": "Point", "coordinates": [b.longitude, b.latitude]},
        }
        for b in order.breaches
        if b.longitude is not None and b.latitude is not None
    ]
    return _render(
        request,
        "order.html",
        status_code=status_code,
        title=f"{order.summary.type_name}: {boroughs.name(code)}",
        who=who,
        code=code,
        borough_name=boroughs.name(code),
        order=order,
        geojson=json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")),
        sources=orders.SOURCES,
        can_write=may(who, Action.WRITE, code),
        today=dt.date.today().isoformat(),
        error=error,
        values=values or {},
        csrf_token=csrf_token(request),
    )


@router.get("/records/{borough}/orders/{order_id}", response_class=HTMLResponse)
def order_view(request: Request, borough: str, order_id: int, who: OrderReader) -> Response:
    """An order whole (the read audited with what opened it); another borough's reader is offered the
    need-to-know form (403) instead."""
    return _order_page(request, who, boroughs.resolve(borough), order_id)


@router.post("/records/{borough}/orders/{order_id}/need-to-know", response_class=HTMLResponse)
def need_to_know(request: Request, borough: str, order_id: int, fields: Form, who: SignedIn) -> Response:
    """Record why one needs to see an order of another borough (audited), then show it."""
    database, _ = records_of(request).require()
    code = boroughs.resolve(borough)
    try:
        orders.record_need_to_know(database, who, code, order_id, fields.get("reason"))
    except BadRequest as exc:
        return _render(
            request,
            "need_to_know.html",
            status_code=422,
            title="Record why you need to see this",
            who=who,
            message="",
            action=request.url.path,
            error=exc,
            values={"reason": fields.get("reason", "")},
            csrf_token=csrf_token(request),
        )
    return RedirectResponse(f"/records/{code}/orders/{order_id}", status_code=303)


@router.post("/records/{borough}/orders/{order_id}/zones", response_class=HTMLResponse)
def add_zone(request: Request, borough: str, order_id: int, fields: Form, who: Writer) -> Response:
    database, _ = records_of(request).require()
    code = boroughs.resolve(borough)
    try:
        orders.add_zone(database, who, code, order_id, fields.get("label"), fields.get("geometry"))
    except BadRequest as exc:
        return _order_page(request, who, code, order_id, 422, exc, fields)
    return RedirectResponse(f"/records/{code}/orders/{order_id}#zones", status_code=303)


@router.post("/records/{borough}/orders/{order_id}/breaches", response_class=HTMLResponse)
def add_breach(request: Request, borough: str, order_id: int, fields: Form, who: Writer) -> Response:
    database, _ = records_of(request).require()
    code = boroughs.resolve(borough)
    try:
        orders.record_breach(database, who, code, order_id, fields)
    except BadRequest as exc:
        return _order_page(request, who, code, order_id, 422, exc, fields)
    return RedirectResponse(f"/records/{code}/orders/{order_id}#breaches", status_code=303)
