"""Server-side sessions of signed-in browsers, kept in the records database.

A session is a random token (256 bits) that the browser holds in a cookie; the database keeps only its
SHA-256. A new token is made at every sign-in (a token set before sign-in is never kept: no session
fixation), and a session ends at sign-out, after :data:`IDLE` without a request, :data:`ABSOLUTE` after its
sign-in whatever the activity (OWASP ASVS 4.0.3 V3.3 level 2), when its account is disabled, and when its
password is reset.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from metforward.records import audit
from metforward.records.access import Principal, Role
from metforward.records.db import Database
from metforward.records.models import SignInAttempt, User, WebSession, now

#: A session ends after this long without a request...
IDLE = dt.timedelta(minutes=30)
#: ...and this long after its sign-in, whatever the activity.
ABSOLUTE = dt.timedelta(hours=12)
#: A session's last-seen time is written at most this often (not on every request).
TOUCH_EVERY = dt.timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_of(user: User, address: str, method: str = "") -> Principal:
    """The principal an account acts as (its boroughs only for the roles scoped to boroughs)."""
    return Principal(
        actor=user.email,
        role=Role(user.role),
        boroughs=frozenset(b.borough_code for b in user.boroughs),
        user_id=user.id,
        address=address,
        context=(("signed_in_with", method),) if method else (),
    )


def start(session: Session, user: User, address: str, user_agent: str, method: str) -> str:
    """A new session for ``user`` in ``session``'s transaction; returns the token for the cookie. Sessions of
    any account that have expired are removed on the way."""
    moment = now()
    session.execute(
        delete(WebSession).where(
            (WebSession.last_seen_at < moment - IDLE) | (WebSession.created_at < moment - ABSOLUTE)
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=moment,
            last_seen_at=moment,
            address=address[:64],
            user_agent=user_agent[:200],
            method=method,
        )
    )
    return token


def expired(web_session: WebSession, moment: dt.datetime) -> bool:
    return web_session.last_seen_at + IDLE <= moment or web_session.created_at + ABSOLUTE <= moment


def resolve(database: Database, token: str | None, address: str) -> Principal | None:
    """The principal a session token stands for, or None (no such session, expired, or account disabled)."""
    if not token or len(token) > 100:
        return None
    key = token_hash(token)
    moment = now()
    with database.reading() as session:
        found = session.execute(
            select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.token_hash == key)
        ).one_or_none()
        if found is None:
            return None
        web_session, user = found
        if expired(web_session, moment) or not user.enabled:
            stale, fresh = True, False
        else:
            stale, fresh = False, web_session.last_seen_at + TOUCH_EVERY > moment
        principal = None if stale else principal_of(user, address, web_session.method)
    if stale:
        with database.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == key))
    elif not fresh:
        with database.transaction() as session:
            row = session.get(WebSession, key)
            if row is not None:
                row.last_seen_at = moment
    return principal


def end(database: Database, token: str | None, principal: Principal | None) -> None:
    """Sign out: the session is removed (and the sign-out audited)."""
    if not token:
        return
    with database.transaction() as session:
        removed = session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token))).rowcount  # type: ignore[attr-defined]
        if removed and principal is not None:
            audit.append(session, principal, "sign_out", record_type="user", record_id=principal.user_id or "")


def end_all(session: Session, user_id: int) -> None:
    """Remove every session of an account (disabled, or its password reset)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


@dataclass(frozen=True)
class SignInRecord:
    """One sign-in attempt on an account, as its owner sees it on the account page."""

    at: dt.datetime
    address: str
    success: bool
    reason: str


def recent_sign_ins(database: Database, principal: Principal, limit: int = 10) -> list[SignInRecord]:
    """The account's last sign-in attempts, successful or not, newest first (its own: no access check)."""
    if principal.user_id is None:
        return []
    with database.reading() as session:
        rows = session.scalars(
            select(SignInAttempt)
            .where(SignInAttempt.user_id == principal.user_id, SignInAttempt.reason != "reset")
            .order_by(SignInAttempt.at.desc(), SignInAttempt.id.desc())
            .limit(limit)
        )
        return [SignInRecord(r.at, r.address, r.success, r.reason) for r in rows]
