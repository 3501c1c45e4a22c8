"""Accounts: adding and managing them (administrators only), and signing in.

Signing in is two steps, so another way of proving who someone is (single sign-on) can reuse the second:
:func:`password_sign_in` checks an email, password and second factor with the rate limits and the
lockout, and :func:`sign_in` starts a session for an account already proven another way; both end in
:func:`start_session`, which makes the session and audits the sign-in.

Rate limits and lockout (OWASP ASVS 4.0.3 V2.2.1), counted in the database, so every server process sees
them: after :data:`LOCKOUT_FAILURES` failed sign-ins to one account within :data:`WINDOW` (since its last
success), sign-in to it is refused until the oldest of them is :data:`WINDOW` old; after
:data:`ADDRESS_FAILURES` failures from one address within :data:`WINDOW`, every sign-in from that address is
refused (HTTP 429) until then. Every refusal says the same thing (:data:`GENERIC`), whether the account
exists or not, is locked or disabled, or the password or code was wrong; an unknown account costs the same
Argon2id verification as a known one. Attempts are kept without the password, and with the email only as
its SHA-256 (someone who typed a password into the email field leaves no trace of it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from metforward.errors import BadRequest, NotFound, TooManyAttempts, Unauthenticated
from metforward.records import audit, boroughs, sessions
from metforward.records.access import SCOPED_ROLES, Action, Principal, Role, require
from metforward.records.db import Database
from metforward.records.keys import Keys
from metforward.records.models import RolePolicy, SignInAttempt, User, UserBorough, now
from metforward.records.passwords import check_policy, hash_password, needs_rehash, verify_password

LOCKOUT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW = dt.timedelta(minutes=15)
#: What every failed sign-in is told.
GENERIC = (
    "Sign-in failed. Check your email address, password and security code. After "
    f"{LOCKOUT_FAILURES} failed tries, sign-in is paused for {WINDOW.seconds // 60} minutes."
)
#: The failures that count towards the lockout and the address limit.
FAILURES = ("bad_credentials", "second_factor", "disabled")
TOTP_ISSUER = "metforward"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Account:
    """An account as the faces see it (never its password hash or second-factor secret)."""

    id: int
    email: str
    name: str
    role: Role
    boroughs: tuple[str, ...]
    enabled: bool
    totp: bool
    has_password: bool
    created_at: dt.datetime


def _account(user: User) -> Account:
    return Account(
        id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        boroughs=tuple(sorted(b.borough_code for b in user.boroughs)),
        enabled=user.enabled,
        totp=user.totp_secret is not None,
        has_password=user.password_hash is not None,
        created_at=user.created_at,
    )


def _audited(user: User) -> dict[str, object]:
    """What the audit log keeps of an account: no password hash, no second-factor secret."""
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "boroughs": sorted(b.borough_code for b in user.boroughs),
        "enabled": user.enabled,
        "totp": user.totp_secret is not None,
        "password_set": user.password_hash is not None,
    }


def normal_email(email: str) -> str:
    """An email address as accounts are keyed: trimmed, lower case; :class:`BadRequest` if malformed."""
    text = email.strip().lower()
    if not _EMAIL.fullmatch(text) or len(text) > 320:
        raise BadRequest(f"{email!r} is not an email address", field="email")
    return text


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise BadRequest(f"no role called {text!r}: one of {', '.join(r.value for r in Role)}", field="role") from None


def _scope(role: Role, names: list[str]) -> list[str]:
    codes = sorted({boroughs.resolve(name) for name in names})
    if role in SCOPED_ROLES and not codes:
        raise BadRequest(f"a {role} account needs its boroughs: give --borough NAME (one or more)", field="borough")
    if role not in SCOPED_ROLES and codes:
        raise BadRequest(f"a {role} account covers every borough: give no --borough", field="borough")
    return codes


def _user(session: Session, email: str) -> User:
    found = session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()
    if found is None:
        raise NotFound(f"no account {email.strip().lower()!r}: see `metforward users list`", field="email")
    return found


def add_user(
    database: Database,
    by: Principal,
    email: str,
    role: str,
    borough_names: list[str] | None = None,
    password: str | None = None,
    name: str = "",
) -> Account:
    """Add an account. Without a password it cannot sign in with one (until ``users reset-password``)."""
    require(by, Action.ADMIN)
    address, kind = normal_email(email), parse_role(role)
    codes = _scope(kind, borough_names or [])
    if password is not None:
        check_policy(password, address)
    with database.transaction() as session:
        if session.scalars(select(User.id).where(User.email == address)).first() is not None:
            raise BadRequest(f"{address} already has an account", field="email")
        user = User(
            email=address,
            name=name.strip(),
            role=kind.value,
            password_hash=hash_password(password) if password is not None else None,
            boroughs=[UserBorough(borough_code=code) for code in codes],
        )
        session.add(user)
        session.flush()
        audit.append(session, by, "user_add", record_type="user", record_id=user.id, after=_audited(user))
        return _account(user)


def list_users(database: Database, by: Principal) -> list[Account]:
    """Every account, by email (the listing is audited: accounts are personal data)."""
    require(by, Action.ADMIN)
    with database.transaction() as session:
        found = [_account(user) for user in session.scalars(select(User).order_by(User.email))]
        audit.append(session, by, "user_list", record_type="user", detail=f"{len(found)} accounts")
        return found


def account(database: Database, principal: Principal) -> Account:
    """The principal's own account (no access check: everyone may see themselves)."""
    if principal.user_id is None:
        raise NotFound("the operator at the command line has no account", field="email")
    with database.reading() as session:
        user = session.get(User, principal.user_id)
        if user is None:
            raise NotFound("this account no longer exists", field="email")
        return _account(user)


def _change(
    database: Database, by: Principal, email: str, action: str, change: Callable[[Session, User], None]
) -> Account:
    """Change an account with ``change(session, user)``, auditing it before and after."""
    require(by, Action.ADMIN)
    with database.transaction() as session:
        user = _user(session, email)
        before = _audited(user)
        change(session, user)
        user.updated_at = now()
        session.flush()
        audit.append(session, by, action, record_type="user", record_id=user.id, before=before, after=_audited(user))
        return _account(user)


def set_enabled(database: Database, by: Principal, email: str, enabled: bool) -> Account:
    """Disable an account (its sessions end at once) or enable it again."""

    def change(session: Session, user: User) -> None:
        user.enabled = enabled
        if not enabled:
            sessions.end_all(session, user.id)

    return _change(database, by, email, "user_enable" if enabled else "user_disable", change)


def reset_password(database: Database, by: Principal, email: str, password: str) -> Account:
    """Set a new password (checked against the policy): the account's sessions end and its lockout lifts."""
    check_policy(password, email.strip().lower())
    hashed = hash_password(password)

    def change(session: Session, user: User) -> None:
        user.password_hash = hashed
        sessions.end_all(session, user.id)
        session.add(SignInAttempt(email=_email_key(user.email), user_id=user.id, success=True, reason="reset"))

    return _change(database, by, email, "user_reset_password", change)


def set_totp(database: Database, keys: Keys, by: Principal, email: str, *, remove: bool = False) -> str | None:
    """Set up (or with ``remove``, take away) an account's second factor. Returns the provisioning URI
    (``otpauth://totp/...``, for an authenticator app or a QR code) to give its owner, once."""
    secret = None if remove else pyotp.random_base32()

    def change(session: Session, user: User) -> None:
        user.totp_secret = keys.encrypt(secret) if secret else None
        user.totp_last_step = None

    found = _change(database, by, email, "user_totp_remove" if remove else "user_totp_set", change)
    return pyotp.TOTP(secret).provisioning_uri(name=found.email, issuer_name=TOTP_ISSUER) if secret else None


def require_totp(database: Database, by: Principal, role: str, required: bool) -> None:
    """Require (or stop requiring) a second factor of every account of ``role`` at sign-in."""
    require(by, Action.ADMIN)
    kind = parse_role(role)
    with database.transaction() as session:
        policy = session.get(RolePolicy, kind.value) or RolePolicy(role=kind.value, require_totp=False)
        before = {"role": kind.value, "require_totp": policy.require_totp}
        policy.require_totp = required
        session.add(policy)
        audit.append(
            session,
            by,
            "role_policy",
            record_type="role",
            record_id=kind.value,
            before=before,
            after={"role": kind.value, "require_totp": required},
        )


def role_policies(database: Database) -> dict[Role, bool]:
    """Whether each role must sign in with a second factor."""
    with database.reading() as session:
        found = {Role(p.role): p.require_totp for p in session.scalars(select(RolePolicy))}
    return {role: found.get(role, False) for role in Role}


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _failures(session: Session, *conditions: object) -> tuple[int, dt.datetime | None]:
    """How many failures match, and the oldest one's time."""
    count, oldest = session.execute(
        select(func.count(), func.min(SignInAttempt.at)).where(
            SignInAttempt.success.is_(False),
            SignInAttempt.reason.in_(FAILURES),
            *conditions,  # type: ignore[arg-type]
        )
    ).one()
    return int(count), oldest


def _totp_step(keys: Keys, user: User, code: str, moment: float) -> int | None:
    """The time step ``code`` is valid for (this one, or one either side for clock drift), or None; a step
    already used is refused (no replay)."""
    if user.totp_secret is None or not re.fullmatch(r"\d{6}", code.strip()):
        return None
    totp = pyotp.TOTP(keys.decrypt(user.totp_secret))
    step = int(moment // totp.interval)
    for candidate in (step - 1, step, step + 1):
        if pyotp.utils.strings_equal(totp.at(candidate * totp.interval), code.strip()):
            return candidate if candidate > (user.totp_last_step or -1) else None
    return None


def password_sign_in(
    database: Database,
    keys: Keys,
    email: str,
    password: str,
    code: str = "",
    *,
    address: str = "",
    user_agent: str = "",
) -> tuple[str, Principal]:
    """Sign in with email, password and (where set up or required) a TOTP code: the session token for the
    cookie and the principal. Raises :class:`Unauthenticated` with :data:`GENERIC` for every failure, or
    :class:`TooManyAttempts` when the address is over its limit."""
    wanted = email.strip().lower()[:320]
    key = _email_key(wanted)
    address = address[:64]
    moment = now()
    with database.reading() as session:
        by_address, oldest_address = _failures(
            session, SignInAttempt.address == address, SignInAttempt.at > moment - WINDOW
        )
        last_ok = session.scalar(
            select(func.max(SignInAttempt.at)).where(SignInAttempt.email == key, SignInAttempt.success.is_(True))
        )
        since = max(moment - WINDOW, last_ok) if last_ok else moment - WINDOW
        by_account, _ = _failures(session, SignInAttempt.email == key, SignInAttempt.at > since)
        user = session.scalars(select(User).where(User.email == wanted)).one_or_none()
        stored = user.password_hash if user else None
        policy = session.get(RolePolicy, user.role) if user is not None else None
        required = policy is not None and policy.require_totp
    if by_address >= ADDRESS_FAILURES:
        reason = "rate_limited"
    else:
        matches = verify_password(stored, password)  # also when locked or unknown: the same time either way
        if by_account >= LOCKOUT_FAILURES:
            reason = "locked"
        elif user is None or not matches:
            reason = "bad_credentials"
        elif not user.enabled:
            reason = "disabled"
        elif user.totp_secret is None and required:
            reason = "second_factor"
        else:
            reason = "ok"
    with database.transaction() as session:
        current = session.get(User, user.id) if user else None
        step = None
        if reason == "ok" and current is not None and current.totp_secret is not None:
            step = _totp_step(keys, current, code, time.time())
            if step is None:
                reason = "second_factor"
        session.add(
            SignInAttempt(
                email=key,
                user_id=current.id if current else None,
                address=address,
                success=reason == "ok",
                reason=reason,
            )
        )
        if reason != "ok" or current is None:
            audit.append(
                session,
                None,
                "sign_in_failed",
                record_type="user",
                record_id=current.id if current else "",
                actor=current.email if current else "anonymous",
                address=address,
                detail=reason,
            )
        else:
            if step is not None:
                current.totp_last_step = step
            if stored is not None and needs_rehash(stored):
                current.password_hash = hash_password(password)
            return start_session(
                session, current, address, user_agent, "password+totp" if step is not None else "password"
            )
    if reason == "rate_limited":
        wait = int(((oldest_address or moment) + WINDOW - moment).total_seconds() // 60) + 1
        raise TooManyAttempts(f"too many failed sign-ins from this address: try again in {wait} minutes")
    raise Unauthenticated(GENERIC)


def start_session(session: Session, user: User, address: str, user_agent: str, method: str) -> tuple[str, Principal]:
    """Start a session for ``user`` in ``session``'s transaction and audit the sign-in."""
    token = sessions.start(session, user, address, user_agent, method)
    principal = sessions.principal_of(user, address, method)
    audit.append(session, principal, "sign_in", record_type="user", record_id=user.id, detail=method)
    return token, principal


def sign_in(
    database: Database, email: str, *, method: str, address: str = "", user_agent: str = ""
) -> tuple[str, Principal]:
    """Sign in the account ``email``, already proven by ``method`` (e.g. ``oidc:PROVIDER``): a new session
    (the token for the cookie) and the principal. For single sign-on, after the provider's token is
    verified; refuses a disabled or unknown account with :data:`GENERIC`."""
    with database.transaction() as session:
        user = session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()
        if user is None or not user.enabled:
            audit.append(
                session,
                None,
                "sign_in_failed",
                record_type="user",
                record_id=user.id if user else "",
                actor=user.email if user else "anonymous",
                address=address[:64],
                detail=f"{method}: disabled or unknown",
            )
        else:
            session.add(
                SignInAttempt(
                    email=_email_key(user.email), user_id=user.id, address=address[:64], success=True, reason="ok"
                )
            )
            return start_session(session, user, address[:64], user_agent, method)
    raise Unauthenticated(GENERIC)


def provision(
    database: Database, email: str, role: str, borough_names: list[str], *, name: str = "", source: str
) -> Account:
    """Create, or bring up to date, an account whose role and boroughs an identity provider asserts (single
    sign-on: its claims mapped to a role and boroughs by settings). No password is set. Audited as
    ``source`` (e.g. ``oidc:PROVIDER``), before and after, only when something changed."""
    address, kind = normal_email(email), parse_role(role)
    codes = _scope(kind, borough_names)
    by = Principal(actor=source, role=Role.ADMIN, address=source)
    with database.transaction() as session:
        user = session.scalars(select(User).where(User.email == address)).one_or_none()
        if user is None:
            user = User(email=address, name=name.strip(), role=kind.value, password_hash=None)
            user.boroughs = [UserBorough(borough_code=code) for code in codes]
            session.add(user)
            session.flush()
            audit.append(session, by, "user_add", record_type="user", record_id=user.id, after=_audited(user))
            return _account(user)
        before = _audited(user)
        if (
            user.role != kind.value
            or sorted(b.borough_code for b in user.boroughs) != codes
            or (name and name != user.name)
        ):
            user.role = kind.value
            user.boroughs = [b for b in user.boroughs if b.borough_code in codes]
            held = {b.borough_code for b in user.boroughs}
            user.boroughs += [UserBorough(borough_code=code) for code in codes if code not in held]
            user.name = name.strip() or user.name
            user.updated_at = now()
            session.flush()
            audit.append(
                session, by, "user_sync", record_type="user", record_id=user.id, before=before, after=_audited(user)
            )
        return _account(user)


def principal_as(database: Database, email: str, address: str) -> Principal:
    """The principal of the account ``email`` (for ``--as`` at the command line); :class:`Unauthenticated`
    when it does not exist or is disabled."""
    with database.reading() as session:
        user = session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()
        if user is None or not user.enabled:
            raise Unauthenticated(f"--as {email}: no enabled account of that name (see `metforward users list`)")
        return sessions.principal_of(user, address, "cli")
