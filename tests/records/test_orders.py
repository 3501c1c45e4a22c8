"""The orders register through its services, on SQLite and PostgreSQL: search across London by name and
date of birth (through the blind index), what a searcher of another borough learns and what only a recorded
need-to-know reason opens, every search and view audited with its reason; zones and breaches checked
geometrically against shapely, zones crossing borough boundaries included."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from metforward.errors import BadRequest, Forbidden, NotFound
from metforward.records import accounts, audit, orders
from metforward.records.db import Database
from metforward.records.keys import Keys
from metforward.records.personal import KeyRing, PersonalKey
from tests.records.cast import CAMDEN, OPERATOR, PASSWORD, WESTMINSTER

#: For tests of checks made before any SQL (the rule, shapely, the form's fields).
SQLITE_ONLY = pytest.mark.parametrize("cast_url", ["sqlite"], indirect=True)
KEYS = Keys.from_secret(b"k" * 32)
RING = KeyRing(PersonalKey.from_secret(b"o" * 32))
BOUNDARIES = Path(__file__).parents[2] / "sample" / "boundaries" / "boroughs_2024.geojson"
#: A zone across the Westminster/Camden boundary (Tottenham Court Road and Oxford Street), lon/lat.
ACROSS = "POLYGON((-0.140 51.512, -0.125 51.512, -0.125 51.524, -0.140 51.524, -0.140 51.512))"


def order_form(**changes: str) -> dict[str, str]:
    values = {
        "name": "Brindle Oakhampshaw",
        "date_of_birth": "1994-06-02",
        "order_type": "cbo",
        "issued_by": "Westminster Magistrates' Court",
        "reference": "WMC/2025/0001",
        "made_on": (dt.date.today() - dt.timedelta(days=300)).isoformat(),
        "expires_on": (dt.date.today() + dt.timedelta(days=400)).isoformat(),
        "conditions": "Not to enter the exclusion zone marked on the map.",
        "officer_name": "PC Nadia Thornquist",
        "officer_email": "asb-team@westminster.example.org",
        "officer_phone": "020 7946 0000",
    }
    return {**values, **changes}


def as_user(database: Database, email: str):  # type: ignore[no-untyped-def]
    return accounts.password_sign_in(database, KEYS, email, PASSWORD)[1]


def rows(database: Database) -> list[audit.AuditRow]:
    with database.reading() as session:
        return list(audit.rows_between(session, None, None))


@pytest.fixture
def register(cast_db: Database) -> Database:
    cast_db.personal = RING
    return cast_db


def test_search_across_london_tells_only_that_an_order_exists_and_whom_to_contact(register: Database) -> None:
    westminster = orders.add_order(register, as_user(register, "borough-w@example.org"), WESTMINSTER, order_form())
    camden_user = as_user(register, "borough-c@example.org")
    camden = orders.add_order(register, camden_user, CAMDEN, order_form(name="BRINDLE  oakhampshaw", order_type="cpn"))
    assert camden.subject_id == westminster.subject_id  # one person, found by the blind index
    hits = orders.search(register, camden_user, "Brindle Oakhampshaw", "1994-06-02", "ASB case conference today")
    assert {(h.borough, h.type_name, h.officer_email) for h in hits} == {
        (WESTMINSTER, "Criminal Behaviour Order", "asb-team@westminster.example.org"),
        (CAMDEN, "Community Protection Notice", "asb-team@westminster.example.org"),
    }
    assert not any(hasattr(h, "conditions") for h in hits)
    assert orders.search(register, camden_user, "Brindle Oakhampshaw", "1994-06-03", "ASB case conference today") == []
    row = rows(register)[-1]
    assert (row.action, row.actor) == (
        "search",
        "borough-c@example.org",
    ) and "reason: ASB case conference" in row.detail
    assert "Brindle" not in row.detail and "1994" not in row.detail
    with pytest.raises(BadRequest, match="say why"):
        orders.search(register, camden_user, "Brindle Oakhampshaw", "1994-06-02", "why")
    partner = as_user(register, "partner-c@example.org")
    assert len(orders.search(register, partner, "brindle oakhampshaw", "1994-06-02", "housing tenancy check")) == 2


def test_another_borough_reads_conditions_and_zones_only_after_a_recorded_reason(register: Database) -> None:
    owner = as_user(register, "borough-w@example.org")
    made = orders.add_order(register, owner, WESTMINSTER, order_form())
    orders.add_zone(register, owner, WESTMINSTER, made.id, "Soho", ACROSS)
    outsider = as_user(register, "borough-c@example.org")
    with pytest.raises(Forbidden):
        orders.get_order(register, outsider, WESTMINSTER, made.id)
    with pytest.raises(Forbidden):
        orders.add_zone(register, outsider, WESTMINSTER, made.id, "x", ACROSS)
    with pytest.raises(BadRequest, match="say why"):
        orders.record_need_to_know(register, outsider, WESTMINSTER, made.id, "  ")
    with pytest.raises(NotFound):
        orders.record_need_to_know(register, outsider, CAMDEN, made.id, "a breach seen in Camden")
    orders.record_need_to_know(register, outsider, WESTMINSTER, made.id, "subject seen breaching in Camden")
    seen = orders.get_order(register, outsider, WESTMINSTER, made.id)
    assert seen.conditions.startswith("Not to enter") and len(seen.zones) == 1 and seen.name == "Brindle Oakhampshaw"
    assert seen.opened_by == "need to know: subject seen breaching in Camden"
    last = rows(register)[-1]
    assert (last.action, last.actor, last.record_id, last.detail) == (
        "read",
        "borough-c@example.org",
        str(made.id),
        "need to know: subject seen breaching in Camden",
    )
    assert any(r.action == "need_to_know" and "reason: subject seen" in r.detail for r in rows(register))
    with pytest.raises(Forbidden):  # the reason opens reading only
        orders.record_breach(
            register, outsider, WESTMINSTER, made.id, {"occurred_on": "2025-01-01", "source": "police"}
        )
    other = orders.add_order(register, owner, WESTMINSTER, order_form(name="Someone Else Entirely"))
    with pytest.raises(Forbidden):  # and one order only
        orders.get_order(register, outsider, WESTMINSTER, other.id)
    assert orders.get_order(register, owner, WESTMINSTER, made.id).opened_by == ""


@SQLITE_ONLY
def test_a_disabled_account_loses_access_at_once(register: Database) -> None:
    made = orders.add_order(register, OPERATOR, WESTMINSTER, order_form())
    token, reader = accounts.password_sign_in(register, KEYS, "borough-w@example.org", PASSWORD)
    from metforward.records import sessions

    assert orders.get_order(register, reader, WESTMINSTER, made.id).id == made.id
    accounts.set_enabled(register, OPERATOR, "borough-w@example.org", False)
    assert sessions.resolve(register, token, "") is None  # its session ended: no principal to ask with


@SQLITE_ONLY
def test_orders_are_checked_and_legacy_asbos_are_imported_only(register: Database) -> None:
    for changes, field in [
        ({"name": " "}, "name"),
        ({"date_of_birth": "2020-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"order_type": "asbo"}, "order_type"),
        ({"expires_on": "2000-01-01"}, "expires_on"),
        ({"officer_email": "", "officer_phone": ""}, "officer_email"),
        ({"conditions": ""}, "conditions"),
    ]:
        with pytest.raises(BadRequest) as caught:
            orders.add_order(register, OPERATOR, WESTMINSTER, order_form(**changes))
        assert caught.value.field == field, changes
    legacy = orders.add_order(
        register,
        OPERATOR,
        WESTMINSTER,
        order_form(order_type="asbo", made_on="2012-05-01", expires_on="2017-05-01"),
        imported=True,
    )
    assert legacy.summary.type_name.startswith("Anti-social behaviour order") and not legacy.summary.in_force


@SQLITE_ONLY
def test_zones_are_checked_with_shapely(register: Database) -> None:
    made = orders.add_order(register, OPERATOR, WESTMINSTER, order_form())
    for text, message in [
        ("POINT(-0.13 51.51)", "polygon"),
        ("POLYGON((-0.13 51.51, -0.12 51.52, -0.12 51.51, -0.13 51.52, -0.13 51.51))", "crosses itself"),
        ("POLYGON((51.51 -0.13, 51.52 -0.13, 51.52 -0.12, 51.51 -0.13))", "not in London"),
        ("{not json", "GeoJSON or WKT"),
    ]:
        with pytest.raises(BadRequest, match=message):
            orders.add_zone(register, OPERATOR, WESTMINSTER, made.id, "", text)
    geojson = json.dumps({"type": "Feature", "geometry": json.loads(json.dumps(shape_of(ACROSS)))})
    zone = orders.add_zone(register, OPERATOR, WESTMINSTER, made.id, "", geojson)
    assert shape(json.loads(zone.geojson)).equals(shape(shape_of(ACROSS)))


def shape_of(wkt: str) -> dict[str, object]:
    import shapely
    from shapely.geometry import mapping

    return dict(mapping(shapely.from_wkt(wkt)))


@SQLITE_ONLY
def test_breaches_in_zones_equal_shapely_including_zones_across_borough_boundaries(register: Database) -> None:
    boroughs = {
        f["properties"]["LAD24CD"]: shape(f["geometry"]) for f in json.loads(BOUNDARIES.read_text())["features"]
    }
    across = shape(shape_of(ACROSS))
    assert across.intersects(boroughs[WESTMINSTER]) and across.intersects(boroughs[CAMDEN])  # it does cross
    donut = "POLYGON((-0.20 51.49, -0.16 51.49, -0.16 51.52, -0.20 51.52, -0.20 51.49),(-0.19 51.50, -0.17 51.50, -0.17 51.51, -0.19 51.51, -0.19 51.50))"
    made = orders.add_order(register, OPERATOR, WESTMINSTER, order_form())
    zones = [
        orders.add_zone(register, OPERATOR, WESTMINSTER, made.id, label, text)
        for label, text in (("across", ACROSS), ("donut", donut))
    ]
    shapes = [(z.id, shape(json.loads(z.geojson))) for z in zones]
    rng = random.Random(22)
    points = [(rng.uniform(-0.21, -0.12), rng.uniform(51.485, 51.53)) for _ in range(150)]
    points += [(-0.140, 51.515), (-0.13, 51.524), (-0.18, 51.505)]  # on an edge, on an edge, in the hole
    expected, camden_hits = [], 0
    for x, y in points:
        want = next((zid for zid, geometry in shapes if geometry.covers(Point(x, y))), None)
        expected.append(want)
        camden_hits += want == zones[0].id and boroughs[CAMDEN].contains(Point(x, y))
        assert orders.zone_containing([(z.id, z.geojson) for z in zones], x, y) == want
    assert camden_hits > 0 and expected.count(None) > 0 and expected.count(zones[1].id) > 0
    for (x, y), want in list(zip(points, expected, strict=True))[:12]:
        breach = orders.record_breach(
            register,
            OPERATOR,
            WESTMINSTER,
            made.id,
            {
                "occurred_on": dt.date.today().isoformat(),
                "source": "police",
                "longitude": str(x),
                "latitude": str(y),
                "notes": "seen",
            },
        )
        assert breach.zone_id == want
    assert orders.get_order(register, OPERATOR, WESTMINSTER, made.id).breaches[0].notes == "seen"
