"""A cast of accounts for the records tests: one of each role, scoped to Westminster or Camden."""

from __future__ import annotations

from metforward.records import accounts
from metforward.records.access import Action, operator
from metforward.records.db import Database

WESTMINSTER, CAMDEN = "E09000033", "E09000007"
PASSWORD = "violet harbour lantern 42"
OPERATOR = operator("tester", "testhost")

#: email -> (role, boroughs)
CAST: dict[str, tuple[str, list[str]]] = {
    "admin@example.org": ("admin", []),
    "analyst@example.org": ("analyst", []),
    "borough-w@example.org": ("borough", ["Westminster"]),
    "borough-c@example.org": ("borough", ["Camden"]),
    "partner-w@example.org": ("partner", ["City of Westminster"]),
    "partner-c@example.org": ("partner", ["E09000007"]),
}

#: What each account may do, written out by hand from docs/records.md (not computed by the rule under
#: test): the actions, and the boroughs (None: every borough).
EXPECTED: dict[str, tuple[set[Action], set[str] | None]] = {
    "admin@example.org": ({Action.READ, Action.WRITE, Action.ADMIN}, None),
    "analyst@example.org": ({Action.READ}, None),
    "borough-w@example.org": ({Action.READ, Action.WRITE}, {WESTMINSTER}),
    "borough-c@example.org": ({Action.READ, Action.WRITE}, {CAMDEN}),
    "partner-w@example.org": ({Action.READ}, {WESTMINSTER}),
    "partner-c@example.org": ({Action.READ}, {CAMDEN}),
}


def allowed(email: str, action: Action | None, borough: str | None) -> bool:
    actions, scope = EXPECTED[email]
    if action is None:
        return True
    if action not in actions:
        return False
    return action is Action.ADMIN or scope is None or borough in scope


def add_cast(database: Database) -> None:
    for email, (role, boroughs) in CAST.items():
        accounts.add_user(database, OPERATOR, email, role, boroughs, PASSWORD)
