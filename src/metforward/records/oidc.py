"""Single sign-on with an OpenID Connect provider: the authorization code flow with PKCE (Authlib).

:meth:`Provider.begin` makes the request's secrets (``state``, ``nonce``, the PKCE verifier) and the URL to
send the browser to; :func:`seal` keeps them, encrypted and good for :data:`PENDING_TTL`, in a cookie.
:meth:`Provider.finish` checks the provider's answer against them, exchanges the code (with the verifier
and the client's secret), validates the ID token (its signature by a key of the provider's JWKS, issuer,
audience, expiry, nonce) and reads the user's claims (the ID token's, with the UserInfo endpoint's beside
them), and :func:`identity` maps the claims to an email, role and boroughs by the settings
(:class:`metforward.settings.OidcSettings`). The account is then made or brought up to date
(:func:`metforward.records.accounts.provision`) and signed in (:func:`~metforward.records.accounts.sign_in`)
by the web face. Every refusal is a :class:`Refused` whose reason is for the audit log only: the browser
is told :data:`GENERIC`.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from cryptography.fernet import Fernet, InvalidToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from metforward.records import audit
from metforward.records.access import SCOPED_ROLES, Role
from metforward.records.db import Database
from metforward.records.keys import Keys
from metforward.settings import OidcSettings

#: What the browser is told of every refusal (the reason goes to the audit log).
GENERIC = "Single sign-on failed. Try again, or sign in with your email address and password, or ask your metforward administrator."
#: How long a sign-in begun may take to come back from the provider (seconds).
PENDING_TTL = 600
#: Signature algorithms accepted for ID tokens (asymmetric only: never ``none``, never a shared secret).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519")
TIMEOUT = 10.0
#: The ID token's claims as a refusal names them.
CLAIM_NAMES = {"aud": "audience", "iss": "issuer", "exp": "expiry", "azp": "authorised party"}


_PRINTABLE = re.compile(r"[^\w .,:;=@'()/+-]")


class Refused(Exception):
    """A sign-in refused; ``reason`` says why (for the audit log), ``actor`` who, once known."""

    def __init__(self, reason: str, actor: str = "") -> None:
        reason = _PRINTABLE.sub("?", reason)[:200]  # parts come from the provider or the query string
        super().__init__(reason)
        self.reason = reason
        self.actor = _PRINTABLE.sub("?", actor)[:320]


class Unreachable(Refused):
    """The provider could not be reached, or answered nonsense."""


@dataclass(frozen=True)
class Pending:
    """A sign-in begun: the secrets the provider's answer is checked against, and where to go after."""

    state: str
    nonce: str
    verifier: str
    next: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, mapped to an account's fields."""

    email: str
    name: str
    role: Role
    boroughs: tuple[str, ...]
    subject: str


def _cookie_key(keys: Keys) -> Fernet:
    """A Fernet key for the pending-sign-in cookie, apart from the one that encrypts second-factor secrets."""
    return Fernet(base64.urlsafe_b64encode(bytes.fromhex(keys.sign("oidc-pending-cookie", "v1"))))


def seal(keys: Keys, pending: Pending) -> str:
    """``pending`` as a cookie value: encrypted and authenticated (the verifier stays secret), timestamped."""
    body = {"s": pending.state, "n": pending.nonce, "v": pending.verifier, "t": pending.next}
    return _cookie_key(keys).encrypt(json.dumps(body).encode()).decode()


def unseal(keys: Keys, value: str | None) -> Pending | None:
    """The pending sign-in of a cookie value, or None (absent, forged, or older than :data:`PENDING_TTL`)."""
    if not value or len(value) > 2000:
        return None
    try:
        body = json.loads(_cookie_key(keys).decrypt(value.encode(), ttl=PENDING_TTL))
        return Pending(state=body["s"], nonce=body["n"], verifier=body["v"], next=body["t"])
    except (InvalidToken, ValueError, KeyError, TypeError):
        return None


def _strings(value: object) -> list[str]:
    """A claim as strings: a string is one (for boroughs, split at commas), a list is each of its strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def identity(settings: OidcSettings, claims: Mapping[str, Any]) -> Identity:
    """Map a provider's claims to an account: the email (``email``, refused when ``email_verified`` is
    false), the name, the one role :attr:`~OidcSettings.role_claim` maps to (refused when it maps to none,
    or to more than one), and, for roles scoped to boroughs, :attr:`~OidcSettings.boroughs_claim`."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise Refused("no email claim")
    email = email.strip().lower()
    if claims.get("email_verified") is False:
        raise Refused("email not verified", email)
    found: set[Role] = set()
    for value in _strings(claims.get(settings.role_claim)):
        target = settings.role_for(value)
        if target is None:
            continue
        try:
            found.add(Role(target.strip().lower()))
        except ValueError:
            raise Refused(f"role claim maps to no role called {target!r}", email) from None
    if len(found) != 1:
        raise Refused("unmapped role" if not found else "several roles", email)
    role = found.pop()
    names: list[str] = []
    if role in SCOPED_ROLES:
        raw = claims.get(settings.boroughs_claim)
        names = [p.strip() for v in _strings(raw) for p in (v.split(",") if isinstance(raw, str) else [v])]
        names = [name for name in names if name]
        if not names:
            raise Refused(f"a {role} account with no boroughs claim", email)
    name = claims.get("name")
    return Identity(
        email=email,
        name=name.strip()[:200] if isinstance(name, str) else "",
        role=role,
        boroughs=tuple(names),
        subject=str(claims.get("sub", "")),
    )


def refused(database: Database, settings: OidcSettings, exc: Refused, address: str) -> None:
    """Audit a refused single sign-on (``sign_in_failed``, the reason in its detail)."""
    with database.transaction() as session:
        audit.append(
            session,
            None,
            "sign_in_failed",
            record_type="user",
            actor=exc.actor or "anonymous",
            address=address[:64],
            detail=f"{settings.method}: {exc.reason}"[:500],
        )


class Provider:
    """An OpenID Connect provider as a client sees it: its discovery document and keys (read once, the keys
    again when a token names a key not seen), and the flow's two halves."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None
        self._lock = threading.RLock()

    # ---- HTTP to the provider ----

    def _json(self, url: str, data: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None) -> Any:
        if not url.startswith(("https://", "http://")):
            raise Unreachable(f"not an http(s) URL: {url[:100]}")
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(data).encode() if data is not None else None,
            headers={"Accept": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (http(s) only, above)
                return json.loads(response.read(1_000_000))
        except urllib.error.HTTPError as exc:
            try:
                error = json.loads(exc.read(10_000)).get("error", "")
            except (ValueError, AttributeError):
                error = ""
            raise Refused(f"{urllib.parse.urlsplit(url).path} answered {exc.code} {str(error)[:60]}".strip()) from None
        except (OSError, ValueError) as exc:
            raise Unreachable(f"{urllib.parse.urlsplit(url).netloc}: {str(exc)[:100]}") from None

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (its issuer must be the configured one, exactly)."""
        with self._lock:
            if self._metadata is None:
                found = self._json(f"{self.settings.issuer}/.well-known/openid-configuration")
                if not isinstance(found, dict) or found.get("issuer") != self.settings.issuer:
                    raise Unreachable("the discovery document names another issuer")
                for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(found.get(endpoint), str):
                        raise Unreachable(f"the discovery document has no {endpoint}")
                self._metadata = found
            return self._metadata

    def _keys(self, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._jwks is None or refresh:
                found = self._json(self.metadata()["jwks_uri"])
                if not isinstance(found, dict) or not isinstance(found.get("keys"), list):
                    raise Unreachable("the provider's JWKS is not a key set")
                self._jwks = found
            return KeySet.import_key_set(cast(Any, self._jwks))

    # ---- the flow ----

    def begin(self, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
        """The URL to send the browser to, and what to keep until it comes back."""
        pending = Pending(
            state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64), next=next_path
        )
        url = add_params_to_uri(
            self.metadata()["authorization_endpoint"],
            [
                ("response_type", "code"),
                ("client_id", self.settings.client_id),
                ("redirect_uri", redirect_uri),
                ("scope", " ".join(self.settings.scopes)),
                ("state", pending.state),
                ("nonce", pending.nonce),
                ("code_challenge", create_s256_code_challenge(pending.verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
        return url, pending

    def finish(self, params: Mapping[str, str], pending: Pending | None, redirect_uri: str) -> dict[str, Any]:
        """The claims of the user the provider's answer (the callback's query ``params``) signs in, after
        every check; :class:`Refused` otherwise."""
        if pending is None:
            raise Refused("state: no sign-in was begun in this browser, or it took too long")
        if not hmac.compare_digest(params.get("state", ""), pending.state):
            raise Refused("state: does not match")
        metadata = self.metadata()
        if "iss" in params and params["iss"] != self.settings.issuer:  # RFC 9207: a mix-up of providers
            raise Refused("issuer: the answer came from another provider")
        if params.get("error"):
            raise Refused(f"provider: {params['error'][:60]}")
        if not params.get("code"):
            raise Refused("provider: no code")
        basic = base64.b64encode(
            f"{urllib.parse.quote_plus(self.settings.client_id)}:{urllib.parse.quote_plus(self.settings.client_secret)}".encode()
        ).decode()
        token = self._json(
            metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": redirect_uri,
                "code_verifier": pending.verifier,
            },
            headers={"Authorization": f"Basic {basic}"},
        )
        if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
            raise Refused("token: no ID token")
        claims = self.validate(token["id_token"], pending.nonce, token.get("access_token"))
        endpoint = metadata.get("userinfo_endpoint")
        if isinstance(endpoint, str) and isinstance(token.get("access_token"), str):
            extra = self._json(endpoint, headers={"Authorization": f"Bearer {token['access_token']}"})
            if not isinstance(extra, dict) or extra.get("sub") != claims.get("sub"):
                raise Refused("userinfo: another subject")
            claims = {**extra, **claims}
        return claims

    def validate(self, id_token: str, nonce: str, access_token: object = None) -> dict[str, Any]:
        """The claims of an ID token whose signature (a key of the provider's JWKS), issuer, audience (this
        client), expiry and nonce are right; :class:`Refused` naming the check that failed otherwise."""
        offered = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in offered if alg in ALGORITHMS] or ["RS256"]
        registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
        try:
            try:
                decoded = jwt.decode(id_token, key=self._keys(), registry=registry)
            except InvalidKeyIdError:  # the provider rotated its keys
                decoded = jwt.decode(id_token, key=self._keys(refresh=True), registry=registry)
            params: dict[str, Any] = {"nonce": nonce, "client_id": self.settings.client_id}
            if isinstance(access_token, str):
                params["access_token"] = access_token
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": self.settings.issuer},
                    "aud": {"essential": True, "value": self.settings.client_id},
                },
                params,
            )
            claims.validate(leeway=self.settings.leeway)
        except ExpiredTokenError:
            raise Refused("id token: expired") from None
        except ClaimError as exc:
            problem = "missing" if isinstance(exc, MissingClaimError) else "wrong"
            raise Refused(f"id token: {problem} {CLAIM_NAMES.get(exc.claim, exc.claim)}") from None
        except BadSignatureError:
            raise Refused("id token: bad signature") from None
        except JoseError as exc:
            raise Refused(f"id token: {type(exc).__name__}") from None
        return dict(claims)
