"""The one access rule: who may read or change which borough's records.

Every service in :mod:`metforward.records` that touches a record, and every route and command of the
write side, goes through :func:`require` (or asks :func:`may`). Nothing else decides access.

| role      | read                 | write (create, change, delete) | administer (accounts, audit, backups) |
|-----------|----------------------|--------------------------------|---------------------------------------|
| admin     | every borough        | every borough                  | yes                                   |
| analyst   | every borough        | no                             | no                                    |
| borough   | its boroughs         | its boroughs                   | no                                    |
| partner   | its named boroughs   | no                             | no                                    |

**Need to know.** A reader may also read one record of a borough not its own after recording why it needs
to (:class:`NeedToKnow`: the reason is kept and audited, and lapses after :data:`NEED_TO_KNOW_HOURS`).
The rule checks the grant itself (this account, this record, this borough, not lapsed): callers look the
grant up and pass it, never decide. Only reading is ever granted so; a role that may not read may not
record a reason either.

A disabled account never becomes a :class:`Principal` (it cannot sign in, and its sessions end), so the
rule never sees one. At the command line the operator (whoever can open the records database: its file or
its credentials) acts as an administrator, ``cli:LOGIN`` in the audit log, unless ``--as EMAIL`` names an
account whose role then applies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    BOROUGH = "borough"
    PARTNER = "partner"


class Action(StrEnum):
    #: Read a borough's restricted records (each read is audited).
    READ = "read"
    #: Create, change or delete a borough's records.
    WRITE = "write"
    #: Administer the system: accounts, role policies, the audit log, backups and migrations.
    ADMIN = "admin"


#: What each role may do, and whether on every borough (True) or only on its own (False).
GRANTS: dict[Role, tuple[frozenset[Action], bool]] = {
    Role.ADMIN: (frozenset({Action.READ, Action.WRITE, Action.ADMIN}), True),
    Role.ANALYST: (frozenset({Action.READ}), True),
    Role.BOROUGH: (frozenset({Action.READ, Action.WRITE}), False),
    Role.PARTNER: (frozenset({Action.READ}), False),
}

#: Roles whose accounts name the boroughs they apply to (at least one).
SCOPED_ROLES = frozenset(role for role, (_, everywhere) in GRANTS.items() if not everywhere)


@dataclass(frozen=True)
class Principal:
    """Someone acting: a signed-in account, or the operator at the command line."""

    #: The account's email, or ``cli:LOGIN`` for the operator: the audit log's "who".
    actor: str
    role: Role
    #: GSS codes of the boroughs a borough or partner role applies to (empty for the other roles).
    boroughs: frozenset[str] = frozenset()
    #: The account's id (None for the operator).
    user_id: int | None = None
    #: Where from: the client's address on the web, ``cli@HOST`` at the command line.
    address: str = ""
    #: Extra facts for the audit log (e.g. how the session signed in); not used by the rule.
    context: tuple[tuple[str, str], ...] = field(default=())


#: How long a recorded need-to-know reason opens its record.
NEED_TO_KNOW_HOURS = 8


@dataclass(frozen=True)
class NeedToKnow:
    """A recorded reason for ``actor`` to read one record (``record``: ``type:id``) of ``borough``, until
    ``until`` (aware UTC)."""

    actor: str
    borough: str
    record: str
    reason: str
    until: dt.datetime


def may(
    principal: Principal | None,
    action: Action,
    borough: str | None = None,
    *,
    record: str | None = None,
    need_to_know: NeedToKnow | None = None,
) -> bool:
    """Whether ``principal`` may do ``action`` on the records of ``borough`` (a GSS code; None: records of
    no one borough, e.g. a list across London, which only roles of every borough may see whole). Reading
    ``record`` (``type:id``) of another borough is allowed by a :class:`NeedToKnow` of this principal for
    that record that has not lapsed."""
    if principal is None:
        return False
    actions, everywhere = GRANTS[principal.role]
    if action not in actions:
        return False
    if action is Action.ADMIN or everywhere:
        return True
    if borough is not None and borough in principal.boroughs:
        return True
    return (
        action is Action.READ
        and need_to_know is not None
        and record is not None
        and (need_to_know.actor, need_to_know.borough, need_to_know.record) == (principal.actor, borough, record)
        and need_to_know.until > dt.datetime.now(dt.UTC)
    )


def may_ask_need_to_know(principal: Principal | None) -> bool:
    """Whether ``principal`` may record a need-to-know reason at all (a role that reads some records)."""
    return principal is not None and Action.READ in GRANTS[principal.role][0]


def require(
    principal: Principal | None,
    action: Action,
    borough: str | None = None,
    *,
    record: str | None = None,
    need_to_know: NeedToKnow | None = None,
) -> Principal:
    """``principal`` when :func:`may` allows the action; else :class:`Unauthenticated` (nobody signed in)
    or :class:`Forbidden` (saying who, what and where, never more)."""
    if principal is None:
        raise Unauthenticated("sign in first: this page is for signed-in users")
    if not may(principal, action, borough, record=record, need_to_know=need_to_know):
        where = f" of {LONDON_BOROUGHS.get(borough, borough)}" if borough else ""
        what = {Action.READ: "read records", Action.WRITE: "change records", Action.ADMIN: "administer metforward"}
        raise Forbidden(f"{principal.actor} ({principal.role}) may not {what[action]}{where}")
    return principal


def readable(principal: Principal) -> frozenset[str] | None:
    """The boroughs whose records ``principal`` may read (None: every borough)."""
    actions, everywhere = GRANTS[principal.role]
    if Action.READ not in actions:
        return frozenset()
    return None if everywhere else principal.boroughs


def operator(login: str, host: str) -> Principal:
    """The operator at the command line: an administrator, named ``cli:LOGIN`` in the audit log."""
    return Principal(actor=f"cli:{login}", role=Role.ADMIN, address=f"cli@{host}")
