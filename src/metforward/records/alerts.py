"""Alerts of the orders register, for each borough: orders expiring within :data:`EXPIRY_DAYS`, breaches
recorded in the last :data:`BREACH_DAYS`, and subjects of the borough's orders who have orders in force in
another borough too (with whom to contact there).

They are listed on the borough's orders page (:func:`for_borough`, the read audited) and emailed by
``metforward records alerts --send`` (:func:`send`, for cron): one message per borough to its enabled
accounts of the borough role, each alert sent once (its key kept in ``alerts_sent``). Emails leave the
system, so they carry no personal data: order numbers, types, dates, zones and contacts, and the link to
the order's page, where the reader signs in.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from metforward.errors import StoreError
from metforward.records import audit, boroughs, orders
from metforward.records.access import Action, Principal, readable, require
from metforward.records.db import Database
from metforward.records.models import AlertSent, Order, OrderBreach, OrderZone, User, UserBorough, now

#: An order expiring within this many days is alerted.
EXPIRY_DAYS = 28
#: A breach recorded within this many days is alerted.
BREACH_DAYS = 28
KINDS = {"expiring": "Expiring", "breach": "Breach", "elsewhere": "Orders in another borough"}


@dataclass(frozen=True)
class Alert:
    kind: str
    borough: str
    order_id: int
    #: What happened, in words, without personal data.
    message: str
    #: Stable: the alert is emailed once per key.
    key: str

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind]

    @property
    def url(self) -> str:
        return f"/records/{self.borough}/orders/{self.order_id}"


def when(day: dt.date) -> str:
    """``1 June 2025``."""
    return f"{day.day} {day:%B %Y}"


def _type(order: Order) -> str:
    return f"{orders.ALL_TYPES.get(order.order_type, order.order_type)} {order.id}"


def compute(session: Session, scope: frozenset[str] | None, today: dt.date) -> list[Alert]:
    """The alerts of the boroughs in ``scope`` (None: every borough) as of ``today``."""
    found: list[Alert] = []
    live = select(Order).where((Order.expires_on.is_(None)) | (Order.expires_on >= today))
    mine = live if scope is None else live.where(Order.borough_code.in_(scope))
    for order in session.scalars(
        mine.where(Order.expires_on <= today + dt.timedelta(days=EXPIRY_DAYS)).order_by(Order.expires_on, Order.id)
    ):
        assert order.expires_on is not None
        days = (order.expires_on - today).days
        found.append(
            Alert(
                "expiring",
                order.borough_code,
                order.id,
                f"{_type(order)} expires on {when(order.expires_on)} ({'today' if days == 0 else f'in {days} days'}): "
                "apply to renew or vary it, or let it end",
                f"expiring:{order.id}:{order.expires_on}",
            )
        )
    since = dt.datetime.combine(today - dt.timedelta(days=BREACH_DAYS), dt.time(), dt.UTC)
    breaches = (
        select(OrderBreach, Order, OrderZone.label)
        .join(Order, OrderBreach.order_id == Order.id)
        .outerjoin(OrderZone, OrderBreach.zone_id == OrderZone.id)
        .where(OrderBreach.created_at >= since)
        .order_by(OrderBreach.created_at.desc(), OrderBreach.id)
    )
    if scope is not None:
        breaches = breaches.where(Order.borough_code.in_(scope))
    for breach, order, label in session.execute(breaches):
        where = (
            f" inside exclusion zone {label or breach.zone_id}"
            if breach.zone_id is not None
            else (" outside its exclusion zones" if breach.longitude is not None else "")
        )
        found.append(
            Alert(
                "breach",
                order.borough_code,
                order.id,
                f"breach of {_type(order)} on {when(breach.occurred_on)}{where}, reported by "
                f"{orders.SOURCES.get(breach.source, breach.source).lower()}",
                f"breach:{breach.id}",
            )
        )
    by_subject: dict[int, list[Order]] = defaultdict(list)
    for order in session.scalars(live.order_by(Order.id)):
        by_subject[order.subject_id].append(order)
    for held in by_subject.values():
        if len({o.borough_code for o in held}) < 2:
            continue
        for order in held:
            if scope is not None and order.borough_code not in scope:
                continue
            for other in held:
                if other.borough_code == order.borough_code:
                    continue
                contact = ", ".join(x for x in (other.officer_name, other.officer_email, other.officer_phone) if x)
                found.append(
                    Alert(
                        "elsewhere",
                        order.borough_code,
                        order.id,
                        f"the subject of {_type(order)} also has a {orders.ALL_TYPES.get(other.order_type, other.order_type)} "
                        f"in {boroughs.name(other.borough_code)}: contact {contact}",
                        f"elsewhere:{order.id}:{other.id}",
                    )
                )
    return found


def for_borough(database: Database, principal: Principal, borough: str, today: dt.date) -> list[Alert]:
    """The borough's alerts (for its orders page; the read audited)."""
    require(principal, Action.READ, borough)
    with database.transaction() as session:
        found = compute(session, frozenset({borough}), today)
        audit.append(
            session,
            principal,
            "read_alerts",
            record_type="order",
            borough=borough,
            detail=f"{len(found)} alerts",
        )
    return found


def pending(database: Database, principal: Principal, today: dt.date) -> list[Alert]:
    """Every alert the principal may read, across its boroughs (the read audited)."""
    scope = readable(principal)
    with database.transaction() as session:
        found = compute(session, scope, today)
        audit.append(session, principal, "read_alerts", record_type="order", detail=f"{len(found)} alerts")
    return found


@dataclass(frozen=True)
class Mailer:
    """Where alerts are sent from: an SMTP server (``starttls``: upgrade the connection before
    ``user``/``password`` sign in)."""

    host: str
    port: int = 25
    sender: str = "metforward@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    #: The site's public address, for links in the message (None: paths only).
    base_url: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Sent:
    """What :func:`send` did: messages sent, alerts in them, and alerts of boroughs with no one to send to."""

    messages: int
    alerts: int
    unaddressed: int


def recipients(session: Session, borough: str) -> list[str]:
    """The enabled accounts of the borough role for ``borough``: who is sent its alerts."""
    return list(
        session.scalars(
            select(User.email)
            .join(UserBorough, UserBorough.user_id == User.id)
            .where(UserBorough.borough_code == borough, User.enabled.is_(True), User.role == "borough")
            .order_by(User.email)
        )
    )


def message(mailer: Mailer, borough: str, to: Sequence[str], alerts: Iterable[Alert]) -> EmailMessage:
    listed = list(alerts)
    mail = EmailMessage()
    mail["From"] = mailer.sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = (
        f"Orders register: {len(listed)} alert{'s' if len(listed) != 1 else ''} for {boroughs.name(borough)}"
    )
    base = (mailer.base_url or "").rstrip("/")
    lines = [f"Alerts of the orders register for {boroughs.name(borough)}:", ""]
    for alert in listed:
        lines += [f"* {alert.kind_name}: {alert.message}", f"  {base}{alert.url}", ""]
    lines += ["Sign in to see the orders. This message holds no personal data; do not add any when forwarding it."]
    mail.set_content("\n".join(lines))
    return mail


def send(database: Database, principal: Principal, mailer: Mailer, today: dt.date) -> Sent:
    """Email every alert not sent before to its borough's accounts (one message per borough), then mark them
    sent (audited). An alert of a borough with no one to send it to stays unsent (counted)."""
    require(principal, Action.ADMIN)
    with database.reading() as session:
        sent = set(session.scalars(select(AlertSent.key)))
        due: dict[str, list[Alert]] = defaultdict(list)
        for alert in compute(session, None, today):
            if alert.key not in sent:
                due[alert.borough].append(alert)
        addressed = {borough: recipients(session, borough) for borough in due}
    messages, count, unaddressed = 0, 0, 0
    try:
        with smtplib.SMTP(mailer.host, mailer.port, timeout=mailer.timeout) as smtp:
            if mailer.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if mailer.user:
                smtp.login(mailer.user, mailer.password or "")
            for borough, alerts in sorted(due.items()):
                to = addressed[borough]
                if not to:
                    unaddressed += len(alerts)
                    continue
                smtp.send_message(message(mailer, borough, to, alerts))
                with database.transaction() as session:
                    session.add_all(AlertSent(key=a.key, sent_at=now(), recipients=len(to)) for a in alerts)
                    audit.append(
                        session,
                        principal,
                        "alerts_sent",
                        record_type="order",
                        borough=borough,
                        detail=f"{len(alerts)} alerts to {len(to)} accounts: {' '.join(a.key for a in alerts)}",
                    )
                messages += 1
                count += len(alerts)
    except (OSError, smtplib.SMTPException) as exc:
        raise StoreError(
            f"cannot send alerts through {mailer.host}:{mailer.port}: {exc} (check METFORWARD_SMTP_HOST and its "
            f"settings); {messages} messages were sent before"
        ) from exc
    return Sent(messages, count, unaddressed)
