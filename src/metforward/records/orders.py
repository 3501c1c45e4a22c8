"""The pan-London orders register: anti-social behaviour orders as they exist today (Criminal Behaviour
Orders, civil injunctions, Community Protection Notices, closure orders; legacy ASBOs by import only), their
subjects, exclusion zones and breaches, shared between boroughs so that orders are not breached unseen.

* **Subjects** hold the minimum personal data (name, date of birth, an optional photo reference), encrypted
  at rest, and are found by the keyed blind index of name and date of birth (:mod:`.personal`): one subject
  per person across London, whichever boroughs hold orders on them.
* **Search** (:func:`search`): anyone signed in whose role reads records searches by name and date of birth,
  with a reason; it learns that an order exists, its type, its owning borough and whom to contact, nothing
  more. Every search is audited with its reason (the blind index, never the name, is what the audit keeps).
* **Reading** an order whole (conditions, zones, breaches, the subject): the owning borough's readers, or
  someone who recorded a need-to-know reason for that order (:func:`record_need_to_know`), through the one
  access rule (:func:`metforward.records.service.read` with ``shared``); each read is audited with what
  opened it.
* **Zones** are polygons (GeoJSON geometry or WKT, WGS84 longitude/latitude), checked with shapely;
  **breaches** carry a date, a place (a point) and a source, and whether the place lies in one of the
  order's zones is decided geometrically when the breach is recorded (:func:`zone_containing`: the point on
  the boundary counts as inside), whichever borough the place is in.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.errors import GEOSException
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from metforward.errors import BadRequest, Forbidden
from metforward.records import audit, boroughs, personal, service
from metforward.records.access import Action, Principal, may, readable, require
from metforward.records.db import Database
from metforward.records.models import Order, OrderBreach, OrderSubject, OrderZone, now

#: The order types made today, with their names (the form's choices).
TYPES: dict[str, str] = {
    "cbo": "Criminal Behaviour Order",
    "injunction": "Civil injunction",
    "cpn": "Community Protection Notice",
    "closure": "Closure order",
}
#: Types that are imported only (no longer made): the anti-social behaviour order of 1998 to 2014.
LEGACY_TYPES: dict[str, str] = {"asbo": "Anti-social behaviour order (legacy)"}
ALL_TYPES = {**TYPES, **LEGACY_TYPES}
#: Where a report of a breach came from.
SOURCES: dict[str, str] = {
    "police": "Police",
    "council": "Council",
    "housing": "Housing provider",
    "cctv": "CCTV",
    "public": "Member of the public",
    "other": "Other",
}
#: Longitude and latitude a place in or near London lies within (Greater London with a margin).
LONDON_BOUNDS = (-0.62, 51.23, 0.39, 51.74)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9 +()\-]*$")
#: The youngest a subject can be (the age of criminal responsibility in England and Wales).
YOUNGEST = 10
FIELDS = {
    "name": 200,
    "date_of_birth": 10,
    "photo_ref": 200,
    "order_type": 20,
    "issued_by": 200,
    "reference": 100,
    "made_on": 10,
    "expires_on": 10,
    "conditions": 5000,
    "officer_name": 200,
    "officer_email": 320,
    "officer_phone": 50,
}


@dataclass(frozen=True)
class OrderSummary:
    """What anyone who searches learns of an order: it exists, its type, its owning borough, whom to
    contact, and whether it is still in force."""

    id: int
    borough: str
    borough_name: str
    order_type: str
    type_name: str
    in_force: bool
    officer_name: str
    officer_email: str
    officer_phone: str

    @property
    def url(self) -> str:
        return f"/records/{self.borough}/orders/{self.id}"


@dataclass(frozen=True)
class ZoneView:
    id: int
    label: str
    geojson: str


@dataclass(frozen=True)
class BreachView:
    id: int
    occurred_on: dt.date
    longitude: float | None
    latitude: float | None
    source: str
    source_name: str
    notes: str
    zone_id: int | None
    zone_label: str
    created_by: str

    @property
    def in_zone(self) -> bool:
        return self.zone_id is not None


@dataclass(frozen=True)
class OrderView:
    """An order whole: for its borough's readers, or after a need-to-know reason (``opened_by``)."""

    summary: OrderSummary
    subject_id: int
    name: str
    date_of_birth: dt.date
    photo_ref: str
    issued_by: str
    reference: str
    made_on: dt.date
    expires_on: dt.date | None
    conditions: str
    zones: tuple[ZoneView, ...]
    breaches: tuple[BreachView, ...]
    #: How this reader came to see it: "" (their own borough's) or "need to know: <reason>".
    opened_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def id(self) -> int:
        return self.summary.id

    @property
    def borough(self) -> str:
        return self.summary.borough


def in_force(order: Order, today: dt.date | None = None) -> bool:
    return order.expires_on is None or order.expires_on >= (today or dt.date.today())


def _summary(order: Order) -> OrderSummary:
    return OrderSummary(
        order.id,
        order.borough_code,
        boroughs.name(order.borough_code),
        order.order_type,
        ALL_TYPES.get(order.order_type, order.order_type),
        in_force(order),
        order.officer_name,
        order.officer_email,
        order.officer_phone,
    )


def _view(session: Session, order: Order, opened_by: str) -> OrderView:
    subject = session.get(OrderSubject, order.subject_id)
    assert subject is not None  # a foreign key
    labels = {z.id: z.label or f"Zone {n}" for n, z in enumerate(order.zones, 1)}
    return OrderView(
        _summary(order),
        subject.id,
        subject.name,
        subject.date_of_birth,
        subject.photo_ref or "",
        order.issued_by,
        order.reference,
        order.made_on,
        order.expires_on,
        order.conditions,
        tuple(ZoneView(z.id, labels[z.id], z.geojson) for z in order.zones),
        tuple(
            BreachView(
                b.id,
                b.occurred_on,
                b.longitude,
                b.latitude,
                b.source,
                SOURCES.get(b.source, b.source),
                b.notes,
                b.zone_id,
                labels.get(b.zone_id, "") if b.zone_id is not None else "",
                b.created_by,
            )
            for b in order.breaches
        ),
        opened_by,
        order.updated_at,
        order.updated_by,
    )


# --- checking what is given --------------------------------------------------------------------------------


def parse_date(text: str | None, field: str, label: str, *, required: bool = True) -> dt.date | None:
    value = (text or "").strip()
    if not value:
        if required:
            raise BadRequest(f"enter the {label} as YYYY-MM-DD", field=field)
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"the {label} must be a real date as YYYY-MM-DD, like 2025-03-31", field=field) from None


def date_of_birth(text: str | None, today: dt.date | None = None) -> dt.date:
    """A date of birth given in a form: a real date, of someone at least :data:`YOUNGEST` and at most 110."""
    born = parse_date(text, "date_of_birth", "date of birth")
    assert born is not None
    today = today or dt.date.today()
    if not (today.replace(year=today.year - 110) <= born <= today.replace(year=today.year - YOUNGEST)):
        raise BadRequest(f"the date of birth must be of someone aged {YOUNGEST} to 110", field="date_of_birth")
    return born


def clean_name(text: str | None) -> str:
    name = " ".join((text or "").split())
    if not personal.normalise_name(name):
        raise BadRequest("enter the subject's full name", field="name")
    if len(name) > FIELDS["name"]:
        raise BadRequest(f"the name is longer than {FIELDS['name']} characters", field="name")
    return name


def clean(values: Mapping[str, str], *, imported: bool = False, today: dt.date | None = None) -> dict[str, Any]:
    """An order's fields from a form or an import row, trimmed and checked (:class:`BadRequest` naming the
    field). Legacy types (ASBOs) only when ``imported``."""
    found = {name: (values.get(name) or "").strip() for name in FIELDS}
    for name, longest in FIELDS.items():
        if len(found[name]) > longest:
            raise BadRequest(f"{name.replace('_', ' ')} is longer than {longest} characters", field=name)
    today = today or dt.date.today()
    out: dict[str, Any] = {
        "name": clean_name(found["name"]),
        "date_of_birth": date_of_birth(found["date_of_birth"], today),
    }
    out["photo_ref"] = found["photo_ref"] or None
    kinds = ALL_TYPES if imported else TYPES
    if found["order_type"] not in kinds:
        legacy = " (ASBOs are imported only: they are no longer made)" if found["order_type"] in LEGACY_TYPES else ""
        raise BadRequest(f"choose the type of order: {', '.join(kinds.values())}{legacy}", field="order_type")
    out["order_type"] = found["order_type"]
    for name, label in (
        ("issued_by", "issuing court or authority"),
        ("conditions", "conditions"),
        ("officer_name", "officer's name"),
    ):
        if not found[name]:
            raise BadRequest(f"enter the {label}", field=name)
        out[name] = found[name]
    out["reference"] = found["reference"]
    made = parse_date(found["made_on"], "made_on", "date the order was made")
    assert made is not None
    if made > today:
        raise BadRequest("the date the order was made cannot be in the future", field="made_on")
    expires = parse_date(found["expires_on"], "expires_on", "expiry date", required=False)
    if expires is not None and expires < made:
        raise BadRequest("the expiry date is before the date the order was made", field="expires_on")
    out["made_on"], out["expires_on"] = made, expires
    if found["officer_email"] and not _EMAIL.fullmatch(found["officer_email"]):
        raise BadRequest("enter the officer's email like name@example.org", field="officer_email")
    if not _PHONE.fullmatch(found["officer_phone"]):
        raise BadRequest("a phone number has digits, spaces, +, brackets and hyphens only", field="officer_phone")
    if not (found["officer_email"] or found["officer_phone"]):
        raise BadRequest(
            "give the officer's email or phone: others need to know whom to contact", field="officer_email"
        )
    out["officer_email"], out["officer_phone"] = found["officer_email"], found["officer_phone"]
    return out


def parse_zone(text: str | None) -> BaseGeometry:
    """An exclusion zone given as a GeoJSON geometry (or Feature) or as WKT, in WGS84 longitude/latitude:
    a valid polygon or multipolygon in London (:class:`BadRequest` saying what is wrong)."""
    body = (text or "").strip()
    if not body:
        raise BadRequest("draw the zone on the map, or give it as GeoJSON or WKT", field="geometry")
    try:
        if body.startswith("{"):
            data = json.loads(body)
            geometry = shape(data.get("geometry", data) if isinstance(data, dict) else data)
        else:
            geometry = shapely.from_wkt(body)
    except (ValueError, TypeError, AttributeError, KeyError, GEOSException) as exc:
        raise BadRequest(
            f"the zone is not GeoJSON or WKT shapely can read: {str(exc)[:120]}", field="geometry"
        ) from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        raise BadRequest(f"a zone is a polygon (this is a {geometry.geom_type})", field="geometry")
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise BadRequest(f"the zone's outline crosses itself or is malformed ({reason}): redraw it", field="geometry")
    west, south, east, north = LONDON_BOUNDS
    x0, y0, x1, y1 = geometry.bounds
    if x0 < west or x1 > east or y0 < south or y1 > north:
        raise BadRequest(
            "the zone is not in London: give longitude then latitude (WGS84), e.g. -0.14 51.50", field="geometry"
        )
    return geometry


def parse_point(longitude: str | None, latitude: str | None) -> tuple[float, float] | None:
    """A breach's place (None if neither is given)."""
    lon, lat = (longitude or "").strip(), (latitude or "").strip()
    if not lon and not lat:
        return None
    try:
        x, y = float(lon), float(lat)
    except ValueError:
        raise BadRequest("the place is a longitude and a latitude in decimal degrees", field="longitude") from None
    west, south, east, north = LONDON_BOUNDS
    if not (west <= x <= east and south <= y <= north):
        raise BadRequest(
            "the place is not in London (longitude about -0.5 to 0.3, latitude 51.3 to 51.7)", field="longitude"
        )
    return x, y


def zone_containing(zones: Sequence[tuple[int, str]], longitude: float, latitude: float) -> int | None:
    """The first of ``zones`` (id, GeoJSON geometry) whose polygon covers the point (a point on the
    boundary is inside), or None."""
    point = Point(longitude, latitude)
    for zone_id, geojson in zones:
        if shape(json.loads(geojson)).covers(point):
            return zone_id
    return None


# --- the services ------------------------------------------------------------------------------------------


def _subject(session: Session, principal: Principal, name: str, born: dt.date, photo_ref: str | None) -> OrderSubject:
    """The subject of this name and date of birth (found through the blind index), or a new one."""
    index = personal.current().index(name, born)
    found = session.scalars(select(OrderSubject).where(OrderSubject.person_index == index).limit(1)).one_or_none()
    if found is not None:
        if photo_ref and not found.photo_ref:
            found.photo_ref = photo_ref
        return found
    subject = OrderSubject(
        name=name, date_of_birth=born, photo_ref=photo_ref, person_index=index, created_by=principal.actor
    )
    session.add(subject)
    session.flush()
    audit.append(session, principal, "create", record_type="order_subject", record_id=subject.id)
    return subject


def add_order(
    database: Database, principal: Principal, borough: str, values: Mapping[str, str], *, imported: bool = False
) -> OrderView:
    """A new order of ``borough`` (its subject found or added), audited; ``imported`` allows legacy types."""
    require(principal, Action.WRITE, borough)
    fields = clean(values, imported=imported)
    with database.transaction() as session:
        subject = _subject(session, principal, fields.pop("name"), fields.pop("date_of_birth"), fields.pop("photo_ref"))
        order = service.create(session, principal, Order, borough, {**fields, "subject_id": subject.id})
        return _view(session, order, "")


def list_orders(database: Database, principal: Principal, borough: str) -> list[OrderSummary]:
    """The borough's orders (the read audited), newest first."""
    with database.transaction() as session:
        found = service.list_records(session, principal, Order, borough)
        return [_summary(o) for o in sorted(found, key=lambda o: o.made_on, reverse=True)]


def get_order(database: Database, principal: Principal, borough: str, order_id: int) -> OrderView:
    """An order whole: for the owning borough's readers, or after a need-to-know reason (audited)."""
    with database.transaction() as session:
        order = service.read(session, principal, Order, borough, order_id, shared=True)
        grant = service.need_to_know(session, principal, f"order:{order_id}", borough)
        return _view(session, order, service.how_opened(principal, borough, grant))


def record_need_to_know(
    database: Database, principal: Principal, borough: str, order_id: int, reason: str | None
) -> None:
    """Record why ``principal`` needs to see one order of another borough (audited with the reason)."""
    with database.transaction() as session:
        service.grant_need_to_know(session, principal, Order, borough, order_id, reason)


def may_search(principal: Principal | None) -> bool:
    """Whether ``principal`` may search the register: anyone whose role reads some borough's records."""
    scope = readable(principal) if principal is not None else frozenset()
    return principal is not None and (scope is None or bool(scope))


def search(
    database: Database, principal: Principal, name: str | None, born: str | None, reason: str | None
) -> list[OrderSummary]:
    """The orders on the person of this name and date of birth across London, found through the blind
    index (nothing is decrypted); audited with the reason and the number found."""
    if not may_search(principal):
        raise Forbidden(f"{principal.actor} ({principal.role}) may not search the orders register")
    text = service.clean_reason(reason)
    person, dob = clean_name(name), date_of_birth(born)
    with database.transaction() as session:
        index = personal.current().index(person, dob)
        # the summaries' columns only: nothing encrypted is read, let alone decrypted
        found = session.execute(
            select(
                Order.id,
                Order.borough_code,
                Order.order_type,
                Order.expires_on,
                Order.officer_name,
                Order.officer_email,
                Order.officer_phone,
            )
            .join(OrderSubject, Order.subject_id == OrderSubject.id)
            .where(OrderSubject.person_index == index)
            .order_by(Order.made_on.desc(), Order.id)
        ).all()
        audit.append(
            session,
            principal,
            "search",
            record_type="order",
            detail=f"person {index[:16]}; found {','.join(str(o.id) for o in found) or 'none'}; reason: {text}",
        )
        today = dt.date.today()
        return [
            OrderSummary(
                o.id,
                o.borough_code,
                boroughs.name(o.borough_code),
                o.order_type,
                ALL_TYPES.get(o.order_type, o.order_type),
                o.expires_on is None or o.expires_on >= today,
                o.officer_name,
                o.officer_email,
                o.officer_phone,
            )
            for o in found
        ]


def add_zone(
    database: Database, principal: Principal, borough: str, order_id: int, label: str | None, geometry: str | None
) -> ZoneView:
    """An exclusion zone for an order of ``borough`` (audited with its outline)."""
    require(principal, Action.WRITE, borough)
    shaped = parse_zone(geometry)
    text = (label or "").strip()[:200]
    with database.transaction() as session:
        order = service.find(session, Order, borough, order_id)
        zone = OrderZone(
            order_id=order.id,
            label=text,
            geojson=json.dumps(mapping(shaped), separators=(",", ":")),
            created_by=principal.actor,
        )
        session.add(zone)
        session.flush()
        audit.append(
            session,
            principal,
            "create",
            record_type="order_zone",
            record_id=zone.id,
            borough=borough,
            after={"order_id": order.id, "label": text, "geojson": zone.geojson},
        )
        return ZoneView(zone.id, text or f"Zone {len(order.zones) + 1}", zone.geojson)


def record_breach(
    database: Database, principal: Principal, borough: str, order_id: int, values: Mapping[str, str]
) -> BreachView:
    """A breach of an order of ``borough``: date, place (optional), source and notes; whether the place is
    in one of the order's zones is checked here (audited)."""
    require(principal, Action.WRITE, borough)
    occurred = parse_date(values.get("occurred_on"), "occurred_on", "date of the breach")
    assert occurred is not None
    if occurred > dt.date.today():
        raise BadRequest("the breach's date cannot be in the future", field="occurred_on")
    source = (values.get("source") or "").strip()
    if source not in SOURCES:
        raise BadRequest(f"choose where the report came from: {', '.join(SOURCES.values())}", field="source")
    point = parse_point(values.get("longitude"), values.get("latitude"))
    notes = (values.get("notes") or "").strip()[:2000]
    with database.transaction() as session:
        order = service.find(session, Order, borough, order_id)
        if occurred < order.made_on:
            raise BadRequest("the breach's date is before the order was made", field="occurred_on")
        zone_id = zone_containing([(z.id, z.geojson) for z in order.zones], *point) if point else None
        breach = OrderBreach(
            order_id=order.id,
            occurred_on=occurred,
            longitude=point[0] if point else None,
            latitude=point[1] if point else None,
            source=source,
            notes=notes,
            zone_id=zone_id,
            created_at=now(),
            created_by=principal.actor,
        )
        session.add(breach)
        session.flush()
        audit.append(
            session,
            principal,
            "create",
            record_type="order_breach",
            record_id=breach.id,
            borough=borough,
            after={
                "order_id": order.id,
                "occurred_on": occurred,
                "longitude": breach.longitude,
                "latitude": breach.latitude,
                "source": source,
                "zone_id": zone_id,
            },
        )
        session.refresh(order)
        return next(b for b in _view(session, order, "").breaches if b.id == breach.id)


def may_write(principal: Principal, borough: str) -> bool:
    return may(principal, Action.WRITE, borough)
