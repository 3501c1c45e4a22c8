"""Single sign-on on the web: ``/login/oidc`` sends the browser to the OpenID Connect provider, and
``/login/oidc/callback`` signs it in when it comes back (see :mod:`metforward.records.oidc`).

Both routes exist only when :attr:`metforward.settings.Settings.oidc` is set (404 otherwise). The request's
secrets travel in the cookie :data:`PENDING_COOKIE` (encrypted, ``HttpOnly``, ``SameSite=Lax`` so it comes
back with the provider's redirect, limited to ``/login/oidc``, used once). A signed-in browser gets a new
session token (its old session ends), as with a password. Every refusal shows one message and is audited.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from metforward.errors import MetforwardError, Unauthenticated
from metforward.records import accounts, oidc, sessions
from metforward.settings import OidcSettings
from metforward.web import auth
from metforward.web.errors import WebError

log = logging.getLogger("metforward.web")

PENDING_COOKIE = "mf_oidc"
PENDING_PATH = "/login/oidc"
CALLBACK = "/login/oidc/callback"

router = APIRouter()


def _settings(request: Request) -> OidcSettings:
    found: OidcSettings | None = request.app.state.ctx.settings.oidc
    if found is None:
        raise WebError(404, "not_found", "single sign-on is not set up on this site")
    return found


def provider_of(request: Request) -> oidc.Provider:
    """The app's provider client (made on first use; it keeps the discovery document and keys)."""
    settings = _settings(request)
    found: oidc.Provider | None = getattr(request.app.state, "oidc", None)
    if found is None or found.settings is not settings:
        found = request.app.state.oidc = oidc.Provider(settings)
    return found


def redirect_uri(request: Request) -> str:
    """Where the provider sends the browser back: on the site's base URL (``--base-url``) when set."""
    base = request.app.state.ctx.settings.base_url or str(request.base_url).rstrip("/")
    return f"{base.rstrip('/')}{CALLBACK}"


def _page(request: Request, status: int) -> Response:
    """The sign-in page with :data:`metforward.records.oidc.GENERIC`, the pending cookie gone."""
    response = auth._render(
        request,
        "login.html",
        status_code=status,
        title="Sign in",
        error=oidc.GENERIC,
        csrf_token=auth.csrf_token(request),
        next="/account",
        email="",
    )
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return auth.keep_csrf_cookie(request, response)


def _refusal(request: Request, settings: OidcSettings, exc: oidc.Refused, status: int = 401) -> Response:
    """A refused sign-in: audited, logged without secrets, and one message for the browser."""
    database, _ = auth.records_of(request).require()
    oidc.refused(database, settings, exc, auth.address_of(request))
    log.warning("single sign-on refused: %s", exc.reason)
    return _page(request, status)


@router.get("/login/oidc")
def begin(request: Request, next: str | None = None) -> Response:
    """Send the browser to the provider with a new state, nonce and PKCE challenge."""
    settings = _settings(request)
    _, keys = auth.records_of(request).require()
    try:
        url, pending = provider_of(request).begin(redirect_uri(request), auth.safe_next(next))
    except oidc.Refused as exc:
        return _refusal(request, settings, exc, status=503)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        oidc.seal(keys, pending),
        max_age=oidc.PENDING_TTL,
        httponly=True,
        samesite="lax",
        secure=auth.secure(request),
        path=PENDING_PATH,
    )
    return response


@router.get("/login/oidc/callback", response_class=HTMLResponse)
def callback(request: Request) -> Response:
    """The provider's answer: check it, exchange the code, validate the ID token, map the claims, then
    make or update the account and sign it in."""
    settings = _settings(request)
    database, keys = auth.records_of(request).require()
    pending = oidc.unseal(keys, request.cookies.get(PENDING_COOKIE))
    params = {name: value[:4000] for name, value in request.query_params.items()}
    try:
        claims = provider_of(request).finish(params, pending, redirect_uri(request))
        who = oidc.identity(settings, claims)
        try:
            accounts.provision(database, who.email, who.role, list(who.boroughs), name=who.name, source=settings.method)
        except MetforwardError as exc:  # a malformed email, an unknown borough
            raise oidc.Refused(f"claims: {exc}"[:200], who.email) from None
    except oidc.Unreachable as exc:
        return _refusal(request, settings, exc, status=503)
    except oidc.Refused as exc:
        return _refusal(request, settings, exc)
    try:
        token, _ = accounts.sign_in(
            database,
            who.email,
            method=settings.method,
            address=auth.address_of(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except Unauthenticated:  # a disabled account (sign_in audited it)
        return _page(request, 401)
    sessions.end(database, request.cookies.get(auth.SESSION_COOKIE), None)  # the browser's old session, if any
    assert pending is not None  # finish() refused otherwise
    done = RedirectResponse(auth.safe_next(pending.next), status_code=303)
    auth.set_cookie(request, done, auth.SESSION_COOKIE, token)
    done.delete_cookie(auth.CSRF_COOKIE, path="/")
    done.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return done
