"""Single sign-on's pieces without a provider: claims mapped to a role and boroughs, and the pending-sign-in
cookie (encrypted, authenticated, short-lived). The flow itself runs end to end in tests/web/test_oidc.py."""

from __future__ import annotations

import json
import time

import pytest

from metforward.records import oidc
from metforward.records.access import Role
from metforward.records.keys import Keys
from metforward.settings import OidcSettings

SETTINGS = OidcSettings(
    issuer="https://idp.example",
    client_id="metforward",
    client_secret="s",
    roles=(("council-staff", "borough"), ("analysts", "analyst"), ("leads", "analyst"), ("oops", "superuser")),
    role_claim="groups",
    boroughs_claim="boroughs",
)
KEYS = Keys.from_secret(b"k" * 32)


def refusal(settings: OidcSettings, claims: dict[str, object]) -> str:
    with pytest.raises(oidc.Refused) as caught:
        oidc.identity(settings, claims)
    return caught.value.reason


def test_claims_map_to_one_role_and_the_boroughs_of_a_scoped_role() -> None:
    jo = oidc.identity(
        SETTINGS,
        {
            "sub": "1",
            "email": " Jo@Council.Example ",
            "name": "Jo",
            "groups": ["staff", "council-staff"],
            "boroughs": ["Westminster", "Camden"],
        },
    )
    assert (jo.email, jo.name, jo.role, jo.boroughs, jo.subject) == (
        "jo@council.example",
        "Jo",
        Role.BOROUGH,
        ("Westminster", "Camden"),
        "1",
    )
    assert oidc.identity(
        SETTINGS, {"email": "a@x.example", "groups": "council-staff", "boroughs": "Hackney, Camden"}
    ).boroughs == ("Hackney", "Camden")
    # two values mapping to the same role are one role; an unscoped role ignores any boroughs claim
    analyst = oidc.identity(SETTINGS, {"email": "a@x.example", "groups": ["analysts", "leads"], "boroughs": ["Camden"]})
    assert (analyst.role, analyst.boroughs) == (Role.ANALYST, ())
    # without a mapping, the claim is the role's own name
    plain = OidcSettings(issuer="https://idp.example", client_id="c", client_secret="s")
    assert (
        oidc.identity(
            plain, {"email": "a@x.example", "metforward_role": "Partner", "metforward_boroughs": ["E09000033"]}
        ).role
        == Role.PARTNER
    )


def test_claims_that_do_not_map_are_refused_with_a_reason_for_the_audit_log() -> None:
    base = {"email": "a@x.example", "boroughs": ["Camden"]}
    assert refusal(SETTINGS, {**base, "groups": ["visitors"]}) == "unmapped role"
    assert refusal(SETTINGS, {**base}) == "unmapped role"
    assert refusal(SETTINGS, {**base, "groups": ["analysts", "council-staff"]}) == "several roles"
    assert refusal(SETTINGS, {**base, "groups": ["oops"]}) == "role claim maps to no role called 'superuser'"
    assert (
        refusal(SETTINGS, {"email": "a@x.example", "groups": ["council-staff"]})
        == "a borough account with no boroughs claim"
    )
    assert refusal(SETTINGS, {"groups": ["analysts"]}) == "no email claim"
    unverified = {**base, "groups": ["analysts"], "email_verified": False}
    assert refusal(SETTINGS, unverified) == "email not verified"
    with pytest.raises(oidc.Refused) as caught:
        oidc.identity(SETTINGS, {**base, "groups": ["visitors"]})
    assert caught.value.actor == "a@x.example"


def test_the_pending_cookie_is_sealed_and_expires() -> None:
    pending = oidc.Pending(state="st", nonce="no", verifier="v" * 64, next="/records")
    sealed = oidc.seal(KEYS, pending)
    assert oidc.unseal(KEYS, sealed) == pending
    assert "st" not in sealed and "v" * 64 not in sealed
    assert oidc.unseal(Keys.from_secret(b"x" * 32), sealed) is None  # another site's key
    assert oidc.unseal(KEYS, sealed[:-4] + "AAAA") is None  # changed
    assert oidc.unseal(KEYS, None) is None and oidc.unseal(KEYS, "") is None
    body = json.dumps({"s": "st", "n": "no", "v": "v", "t": "/"}).encode()
    stale = oidc._cookie_key(KEYS).encrypt_at_time(body, int(time.time()) - oidc.PENDING_TTL - 5)
    assert oidc.unseal(KEYS, stale.decode()) is None
    fresh = oidc._cookie_key(KEYS).encrypt_at_time(body, int(time.time()) - oidc.PENDING_TTL + 60)
    assert oidc.unseal(KEYS, fresh.decode()) is not None


def test_a_refusal_keeps_no_control_characters_for_the_logs() -> None:
    refusal = oidc.Refused("provider: access_denied\r\nINFO forged line", "a@x.example\n")
    assert "\n" not in refusal.reason and "\r" not in refusal.reason and refusal.actor == "a@x.example?"
