"""Settings from the environment: single sign-on's ``METFORWARD_OIDC_*``."""

from __future__ import annotations

from pathlib import Path

import pytest

from metforward.errors import BadRequest
from metforward.settings import OidcSettings

BASE = {
    "METFORWARD_OIDC_ISSUER": "https://login.example.org/tenant/",
    "METFORWARD_OIDC_CLIENT_ID": "metforward",
    "METFORWARD_OIDC_CLIENT_SECRET": "shh",
}


def test_single_sign_on_is_off_without_an_issuer() -> None:
    assert OidcSettings.from_env({}) is None
    assert OidcSettings.from_env({"METFORWARD_OIDC_CLIENT_ID": "x"}) is None


def test_single_sign_on_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    found = OidcSettings.from_env(
        BASE
        | {
            "METFORWARD_OIDC_NAME": "Met Police (Entra ID)",
            "METFORWARD_OIDC_SCOPES": "email profile groups",
            "METFORWARD_OIDC_ROLE_CLAIM": "groups",
            "METFORWARD_OIDC_ROLES": "mps-analysts=analyst, council staff=Borough",
            "METFORWARD_OIDC_BOROUGHS_CLAIM": "boroughs",
            "METFORWARD_OIDC_LEEWAY": "30",
        }
    )
    assert found is not None
    assert found.issuer == "https://login.example.org/tenant"
    assert found.scopes == ("openid", "email", "profile", "groups")
    assert found.roles == (("mps-analysts", "analyst"), ("council staff", "borough"))
    assert (found.role_claim, found.boroughs_claim, found.leeway) == ("groups", "boroughs", 30)
    assert found.method == "oidc:met-police-entra-id"
    assert found.role_for("council staff") == "borough" and found.role_for("visitors") is None
    assert "shh" not in repr(found)
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    from_file = OidcSettings.from_env(
        {k: v for k, v in BASE.items() if "SECRET" not in k} | {"METFORWARD_OIDC_CLIENT_SECRET_FILE": str(secret)}
    )
    assert from_file is not None and from_file.client_secret == "from-a-file"
    plain = OidcSettings.from_env(BASE)
    assert plain is not None and plain.role_for("analyst") == "analyst" and plain.method == "oidc:single-sign-on"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"METFORWARD_OIDC_CLIENT_ID": ""}, "oidc_client_id"),
        ({"METFORWARD_OIDC_CLIENT_SECRET": ""}, "oidc_client_id"),
        (
            {"METFORWARD_OIDC_CLIENT_SECRET": "", "METFORWARD_OIDC_CLIENT_SECRET_FILE": "/no/such/file"},
            "oidc_client_secret",
        ),
        ({"METFORWARD_OIDC_ISSUER": "http://login.example.org"}, "oidc_issuer"),
        ({"METFORWARD_OIDC_ROLES": "analysts"}, "oidc_roles"),
        ({"METFORWARD_OIDC_LEEWAY": "a minute"}, "oidc_leeway"),
    ],
)
def test_single_sign_on_settings_that_cannot_work_are_refused_in_one_line(change: dict[str, str], field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        OidcSettings.from_env(BASE | change)
    assert caught.value.field == field and "\n" not in str(caught.value)


def test_plain_http_is_allowed_on_loopback_only() -> None:
    found = OidcSettings.from_env(BASE | {"METFORWARD_OIDC_ISSUER": "http://127.0.0.1:8080"})
    assert found is not None and found.issuer == "http://127.0.0.1:8080"
