"""Alerts of the orders register: orders expiring within 28 days, breaches, subjects with orders in two
boroughs; for a borough's page and by email, through a real SMTP server on loopback (aiosmtpd), each alert
sent once and none carrying personal data."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from metforward.cli import app
from metforward.errors import Forbidden, StoreError
from metforward.records import accounts, alerts, orders
from metforward.records.db import Database
from metforward.records.keys import Keys
from metforward.records.personal import KeyRing, PersonalKey
from tests.records.cast import CAMDEN, OPERATOR, PASSWORD, WESTMINSTER
from tests.records.test_orders import order_form

KEYS = Keys.from_secret(b"k" * 32)
TODAY = dt.date.today()


class Inbox:
    """An aiosmtpd handler that keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 (aiosmtpd's name)
        self.received.append((list(envelope.rcpt_tos), envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def register(cast_db: Database) -> Database:
    cast_db.personal = KeyRing(PersonalKey.from_secret(b"a" * 32))
    return cast_db


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def fill(database: Database) -> dict[str, int]:
    """Orders with a known set of alerts: expiring in 10 and in 28 days (alerted), in 29 (not), expired
    (not); a breach inside a zone; one subject with orders in Westminster and Camden."""
    made = {
        "soon": orders.add_order(
            database, OPERATOR, WESTMINSTER, order_form(name="Ottoline Sparrowdyke", expires_on=day(10))
        ),
        "edge": orders.add_order(
            database, OPERATOR, WESTMINSTER, order_form(name="Fenwick Marrowgate", expires_on=day(28))
        ),
        "later": orders.add_order(
            database, OPERATOR, WESTMINSTER, order_form(name="Tamsin Quillbarrow", expires_on=day(29))
        ),
        "gone": orders.add_order(
            database, OPERATOR, WESTMINSTER, order_form(name="Old Order Person", expires_on=day(-1))
        ),
        "both_w": orders.add_order(
            database, OPERATOR, WESTMINSTER, order_form(name="Brindle Oakhampshaw", expires_on="")
        ),
        "both_c": orders.add_order(
            database,
            OPERATOR,
            CAMDEN,
            order_form(name="Brindle Oakhampshaw", expires_on="", officer_name="PC Camden Contact"),
        ),
    }
    zone = "POLYGON((-0.14 51.51, -0.13 51.51, -0.13 51.52, -0.14 51.52, -0.14 51.51))"
    orders.add_zone(database, OPERATOR, WESTMINSTER, made["later"].id, "Soho", zone)
    orders.record_breach(
        database,
        OPERATOR,
        WESTMINSTER,
        made["later"].id,
        {
            "occurred_on": day(-2),
            "source": "cctv",
            "longitude": "-0.135",
            "latitude": "51.515",
            "notes": "Seen by Ottoline",
        },
    )
    return {k: v.id for k, v in made.items()}


def test_the_alerts_are_exactly_the_expected_ones(register: Database) -> None:
    ids = fill(register)
    reader = accounts.password_sign_in(register, KEYS, "partner-w@example.org", PASSWORD)[1]
    found = alerts.for_borough(register, reader, WESTMINSTER, TODAY)
    assert sorted((a.kind, a.order_id) for a in found) == sorted(
        [("expiring", ids["soon"]), ("expiring", ids["edge"]), ("breach", ids["later"]), ("elsewhere", ids["both_w"])]
    )
    text = {a.kind: a.message for a in found if a.order_id != ids["edge"]}
    assert "in 10 days" in text["expiring"] and "inside exclusion zone Soho" in text["breach"]
    assert "in Camden: contact PC Camden Contact" in text["elsewhere"]
    camden = alerts.for_borough(register, OPERATOR, CAMDEN, TODAY)
    assert [(a.kind, a.order_id) for a in camden] == [("elsewhere", ids["both_c"])]
    with pytest.raises(Forbidden):
        alerts.for_borough(register, reader, CAMDEN, TODAY)
    assert len(alerts.pending(register, OPERATOR, TODAY)) == 5


@pytest.mark.parametrize("cast_url", ["sqlite"], indirect=True)
def test_alerts_are_emailed_once_to_the_boroughs_accounts_without_personal_data(
    register: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    inbox.received.clear()
    fill(register)
    mailer = alerts.Mailer("127.0.0.1", port, "alerts@metforward.example", base_url="https://records.example")
    done = alerts.send(register, OPERATOR, mailer, TODAY)
    assert (done.messages, done.alerts) == (2, 5)
    by_borough = {message_from_bytes(body)["Subject"]: (to, message_from_bytes(body)) for to, body in inbox.received}
    to, mail = by_borough["Orders register: 4 alerts for Westminster"]
    assert to == ["borough-w@example.org"] and mail["From"] == "alerts@metforward.example"
    body = mail.get_payload()
    assert "https://records.example/records/E09000033/orders/" in body
    for personal_data in ("Ottoline", "Sparrowdyke", "Brindle", "1994"):
        assert all(personal_data not in b.decode() for _, b in inbox.received)
    assert by_borough["Orders register: 1 alert for Camden"][0] == ["borough-c@example.org"]
    again = alerts.send(register, OPERATOR, mailer, TODAY)
    assert (again.messages, again.alerts) == (0, 0) and len(inbox.received) == 2
    with pytest.raises(Forbidden):
        alerts.send(
            register, accounts.password_sign_in(register, KEYS, "analyst@example.org", PASSWORD)[1], mailer, TODAY
        )
    with pytest.raises(StoreError, match="cannot send alerts"):
        orders.add_order(register, OPERATOR, CAMDEN, order_form(name="New Soon Person", expires_on=day(3)))
        alerts.send(register, OPERATOR, alerts.Mailer("127.0.0.1", free_port(), timeout=2), TODAY)


@pytest.mark.parametrize("cast_url", ["sqlite"], indirect=True)
def test_the_alerts_command_lists_and_sends(
    cast_url: str, register: Database, smtp: tuple[Inbox, int], tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from metforward.records import personal

    inbox, port = smtp
    inbox.received.clear()
    key_file = tmp_path / "store.personal.key"
    register.personal = personal.load(key_file, environ={})
    fill(register)
    base = ["--db", str(tmp_path / "store.duckdb"), "--records", cast_url, "records", "alerts"]
    listed = CliRunner().invoke(app, base)
    assert listed.exit_code == 0 and listed.output.strip().endswith("5 alerts") and "Expiring" in listed.output
    refused = CliRunner().invoke(app, base[:4] + ["--as", "borough-w@example.org", *base[4:]])
    assert refused.exit_code == 77
    no_server = CliRunner().invoke(app, [*base, "--send"])
    assert no_server.exit_code == 2 and "METFORWARD_SMTP_HOST" in no_server.output
    monkeypatch.setenv("METFORWARD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("METFORWARD_SMTP_PORT", str(port))
    sent = CliRunner().invoke(app, [*base, "--send"])
    assert sent.exit_code == 0 and "sent 5 alerts in 2 messages" in sent.output and len(inbox.received) == 2
