"""The one access rule, against the roles table written out by hand (tests/records/cast.py)."""

from __future__ import annotations

import pytest

from metforward.errors import Forbidden, Unauthenticated
from metforward.records.access import Action, Principal, Role, may, readable, require
from tests.records.cast import CAMDEN, CAST, EXPECTED, WESTMINSTER, allowed


def principal(email: str) -> Principal:
    role, _ = CAST[email]
    scope = EXPECTED[email][1] or set()
    return Principal(
        actor=email, role=Role(role), boroughs=frozenset(scope) if role in ("borough", "partner") else frozenset()
    )


@pytest.mark.parametrize("email", sorted(CAST))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("borough", [WESTMINSTER, CAMDEN, "E09000001"])
def test_the_rule_matches_the_roles_table(email: str, action: Action, borough: str) -> None:
    who = principal(email)
    assert may(who, action, borough) is allowed(email, action, borough)
    if allowed(email, action, borough):
        assert require(who, action, borough) is who
    else:
        with pytest.raises(Forbidden, match=email):
            require(who, action, borough)


def test_nobody_may_do_anything_and_is_told_to_sign_in() -> None:
    assert not any(may(None, action, WESTMINSTER) for action in Action)
    with pytest.raises(Unauthenticated):
        require(None, Action.READ, WESTMINSTER)


def test_a_list_across_london_is_for_roles_of_every_borough_only() -> None:
    assert may(principal("analyst@example.org"), Action.READ, None)
    assert not may(principal("borough-w@example.org"), Action.READ, None)
    assert readable(principal("analyst@example.org")) is None
    assert readable(principal("partner-w@example.org")) == {WESTMINSTER}


@pytest.mark.parametrize("email", sorted(CAST))
def test_a_need_to_know_reason_opens_one_record_to_read_for_its_holder_until_it_lapses(email: str) -> None:
    import datetime as dt

    from metforward.records.access import NeedToKnow, may_ask_need_to_know

    who = principal(email)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    grant = NeedToKnow(email, WESTMINSTER, "order:7", "a breach reported in our borough", later)
    own = allowed(email, Action.READ, WESTMINSTER)
    assert may(who, Action.READ, WESTMINSTER, record="order:7", need_to_know=grant) is True  # any reader
    assert may(who, Action.WRITE, WESTMINSTER, record="order:7", need_to_know=grant) is allowed(
        email, Action.WRITE, WESTMINSTER
    )  # reading only
    for wrong in (
        NeedToKnow(email, WESTMINSTER, "order:8", grant.reason, later),  # another record
        NeedToKnow(email, CAMDEN, "order:7", grant.reason, later),  # another borough
        NeedToKnow("someone-else@example.org", WESTMINSTER, "order:7", grant.reason, later),  # another account
        NeedToKnow(email, WESTMINSTER, "order:7", grant.reason, later - dt.timedelta(hours=2)),  # lapsed
    ):
        assert may(who, Action.READ, WESTMINSTER, record="order:7", need_to_know=wrong) is own
    assert may(who, Action.READ, WESTMINSTER, need_to_know=grant) is own  # no record named: no grant applies
    assert may_ask_need_to_know(who) and not may_ask_need_to_know(None)
