"""Signing in on the web: sessions, the access dependency every records route declares, and CSRF.

* **Sessions** are server-side (:mod:`metforward.records.sessions`): the cookie :data:`SESSION_COOKIE`
  holds a random token, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the site is served over HTTPS
  (``--base-url https://...`` or an HTTPS request), with no expiry of its own (the server ends a session
  after 30 minutes idle or 12 hours). Signing in always makes a new token and ends the session the browser
  had (no session fixation); signing out removes it.
* **Access**: a records route declares what it needs with ``Depends(Need(Action.READ))`` (or
  ``Need(None)``: any signed-in user). :class:`Need` finds the principal of the session, reads the borough
  from the path (``{borough}``), and asks the one access rule. Nobody signed in: a page redirects (303) to
  ``/login?next=...``, JSON gets 401; refused: 403 (and the refusal is audited). ``tests/web/test_auth.py``
  finds every route that declares a :class:`Need` and tries it as the wrong people; routes of the records
  area (:data:`PRIVATE_PREFIXES`) that declare none must be in :data:`PUBLIC`.
* **CSRF**: every POST, PUT, PATCH and DELETE to the app, whatever its route, goes through
  :func:`csrf_protect` (an app-wide dependency): its form field ``csrf_token`` (or header ``X-CSRF-Token``)
  must equal HMAC-SHA256 of the session token (or, before sign-in, of the :data:`CSRF_COOKIE` cookie)
  under the records key: a synchroniser token that changes with the session, checked without a lookup.
  Missing or wrong: 403.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from metforward.errors import (
    Forbidden,
    MetforwardError,
    RecordsOutOfDateError,
    StoreError,
    TooManyAttempts,
    Unauthenticated,
)
from metforward.records import accounts, audit, boroughs, migrate, personal, service, sessions
from metforward.records.access import Action, Principal, may_ask_need_to_know, require
from metforward.records.db import Database
from metforward.records.keys import Keys, load
from metforward.web.errors import WebError

log = logging.getLogger("metforward.web")

SESSION_COOKIE = "mf_session"
CSRF_COOKIE = "mf_csrf"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The largest form body read (bytes).
MAX_FORM = 64 * 1024
#: Paths of the records area: never cached, and every route under them declares a :class:`Need` unless
#: it is in :data:`PUBLIC`.
PRIVATE_PREFIXES = ("/login", "/logout", "/account", "/records")
#: The routes of the records area open to everyone: (method, path).
PUBLIC = frozenset(
    {
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/login/oidc"),  # single sign-on (metforward.web.oidc)
        ("GET", "/login/oidc/callback"),
    }
)
_UNSET = object()


class Records:
    """The web app's records side: the database and keys, or why there are none."""

    def __init__(self) -> None:
        self.database: Database | None = None
        self.keys: Keys | None = None
        self.problem = "the records database is not open"
        #: 409 while the records database is not set up (an honest state: the page says what to run),
        #: 503 while it cannot be reached.
        self.status = 503

    def open(self, url: str, key_file: Any, personal_key_file: Any = None) -> None:
        try:
            self.database = migrate.open_database(url)
            self.keys = load(key_file)
            if personal_key_file is not None:  # the registers' personal data key, loaded on first use
                self.database.personal = personal.lazy(personal_key_file)
        except StoreError as exc:  # not set up, behind the code, or unreachable: the public site still runs
            self.problem = str(exc)
            self.status = 409 if isinstance(exc, RecordsOutOfDateError) else 503
            log.warning("sign-in is off: %s", exc)

    def close(self) -> None:
        if self.database is not None:
            self.database.close()
            self.database = None

    def require(self) -> tuple[Database, Keys]:
        if self.database is None or self.keys is None:
            code = "records_not_set_up" if self.status == 409 else "records_unavailable"
            raise WebError(self.status, code, f"Sign-in is not available: {self.problem}")
        return self.database, self.keys


def records_of(request: Request) -> Records:
    found: Records = request.app.state.records
    return found


def address_of(request: Request) -> str:
    return request.client.host if request.client else ""


def secure(request: Request) -> bool:
    """Whether cookies get ``Secure``: the site is on HTTPS (its base URL, or this request)."""
    base = request.app.state.ctx.settings.base_url or ""
    return base.startswith("https://") or request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure(request), path="/")


def current(request: Request) -> Principal | None:
    """The principal of the request's session (None: nobody signed in), found once per request."""
    if getattr(request.state, "principal", _UNSET) is _UNSET:
        found = None
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            database, _ = records_of(request).require()
            found = sessions.resolve(database, token, address_of(request))
        request.state.principal = found
    principal: Principal | None = request.state.principal
    return principal


class Need:
    """The access a route needs: ``Depends(Need(Action.READ))`` on a route with a ``{borough}`` path
    parameter checks that borough; ``Need(Action.ADMIN)`` administration; ``Need(None)`` anyone signed in."""

    def __init__(self, action: Action | None, *, shared: str | None = None) -> None:
        self.action = action
        #: The path parameter naming a record of a shared register (``order_id``: an order): reading it is
        #: also allowed by the reader's recorded need-to-know reason for it (the one rule decides).
        self.shared = shared

    def __call__(self, request: Request) -> Principal:
        records_of(request).require()
        who = current(request)
        if who is None:
            raise Unauthenticated("sign in to see this page")
        if self.action is None:
            return who
        name = request.path_params.get("borough")
        borough = boroughs.resolve(name) if name is not None else None
        record, grant = None, None
        if self.shared is not None and borough is not None:
            record = f"{self.shared.removesuffix('_id')}:{request.path_params[self.shared]}"
            database, _ = records_of(request).require()
            grant = service.need_to_know_of(database, who, record, borough)
        try:
            return require(who, self.action, borough, record=record, need_to_know=grant)
        except Forbidden as exc:
            database, _ = records_of(request).require()
            audit.refused(database, who, f"{request.method} {request.url.path}", self.action, borough)
            if record is not None and may_ask_need_to_know(who) and request.method == "GET":
                raise NeedToKnowRequired(str(exc), path=request.url.path) from None
            raise

    def __repr__(self) -> str:
        return f"Need({self.action})" if self.shared is None else f"Need({self.action}, shared={self.shared!r})"


class NeedToKnowRequired(Forbidden):
    """Refused a record of a shared register that a recorded need-to-know reason would open: the page
    (403) offers the form to record one."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


def need_to_know_page(request: Request, exc: MetforwardError) -> Response | None:
    """The 403 page of :class:`NeedToKnowRequired`: why, and the form to record a reason."""
    if not isinstance(exc, NeedToKnowRequired):
        return None
    return _render(
        request,
        "need_to_know.html",
        status_code=403,
        title="Record why you need to see this",
        principal=current(request),
        message=str(exc),
        action=exc.path + "/need-to-know",
        csrf_token=csrf_token(request),
        values={},
        error=None,
    )


def csrf_binding(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)


def csrf_token(request: Request, response: Response | None = None) -> str:
    """The CSRF token for a form on this page. Before sign-in a browser without the :data:`CSRF_COOKIE`
    cookie gets one on ``response``."""
    _, keys = records_of(request).require()
    binding = csrf_binding(request)
    if binding is None:
        binding = request.state.new_csrf = secrets.token_urlsafe(32)
    return keys.sign("csrf", binding)


def keep_csrf_cookie(request: Request, response: Response) -> Response:
    """Set the pre-sign-in CSRF cookie made for this page (see :func:`csrf_token`)."""
    made = getattr(request.state, "new_csrf", None)
    if made:
        set_cookie(request, response, CSRF_COOKIE, made)
    return response


async def form_of(request: Request) -> dict[str, str]:
    """The request's form fields (``application/x-www-form-urlencoded``; the first value of each)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise WebError(413, "too_large", f"the form is larger than {MAX_FORM // 1024} KiB")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


async def csrf_protect(request: Request) -> None:
    """Every state-changing request (whatever its route): its CSRF token must match, else 403."""
    if request.method not in UNSAFE:
        return
    sent = request.headers.get("x-csrf-token") or (await form_of(request)).get(CSRF_FIELD, "")
    binding = csrf_binding(request)
    keys = records_of(request).keys
    if not sent or binding is None or keys is None or not hmac.compare_digest(sent, keys.sign("csrf", binding)):
        raise WebError(
            403,
            "csrf",
            "This form has expired or did not come from this site. Go back, reload the page and try again.",
        )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/account"
    return target


def sign_in_redirect(request: Request) -> RedirectResponse:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(path, safe='')}", status_code=303)


#: The dependencies routes declare (``who: Reader``): the access need, and the form fields.
SignedIn = Annotated[Principal, Depends(Need(None))]
Reader = Annotated[Principal, Depends(Need(Action.READ))]
Writer = Annotated[Principal, Depends(Need(Action.WRITE))]
Admin = Annotated[Principal, Depends(Need(Action.ADMIN))]
Form = Annotated[dict[str, str], Depends(form_of)]

router = APIRouter()


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    from metforward.web.app import render

    if template == "login.html":  # "Sign in with <provider>" when single sign-on is set up
        sso = request.app.state.ctx.settings.oidc
        values.setdefault("sso_name", sso.name if sso is not None else None)
    return render(request, template, status_code=status_code, **values)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    response = _render(
        request, "login.html", title="Sign in", csrf_token=csrf_token(request), next=safe_next(next), email=""
    )
    return keep_csrf_cookie(request, response)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, fields: Form) -> Response:
    database, keys = records_of(request).require()
    target = safe_next(fields.get("next"))
    email = fields.get("email", "")[:320]
    try:
        token, _ = accounts.password_sign_in(
            database,
            keys,
            email,
            fields.get("password", ""),
            fields.get("code", ""),
            address=address_of(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except (Unauthenticated, TooManyAttempts) as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        response = _render(
            request,
            "login.html",
            status_code=status,
            title="Sign in",
            error=str(exc),
            csrf_token=csrf_token(request),
            next=target,
            email=email,
        )
        return keep_csrf_cookie(request, response)
    sessions.end(database, request.cookies.get(SESSION_COOKIE), None)  # the browser's old session, if any
    done = RedirectResponse(target, status_code=303)
    set_cookie(request, done, SESSION_COOKIE, token)
    done.delete_cookie(CSRF_COOKIE, path="/")
    return done


@router.post("/logout")
def logout(request: Request) -> Response:
    database, _ = records_of(request).require()
    token = request.cookies.get(SESSION_COOKIE)
    sessions.end(database, token, current(request) if token else None)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, who: SignedIn) -> Response:
    database, _ = records_of(request).require()
    return _render(
        request,
        "account.html",
        title="Your account",
        principal=who,
        account=accounts.account(database, who) if who.user_id is not None else None,
        borough_names=[boroughs.name(code) for code in sorted(who.boroughs)],
        sign_ins=sessions.recent_sign_ins(database, who),
        csrf_token=csrf_token(request),
    )


def unauthenticated(request: Request, exc: MetforwardError) -> Response | None:
    """A page asked for by nobody signed in: to the sign-in page (API paths get the 401 error instead)."""
    if (
        isinstance(exc, Unauthenticated)
        and request.method in ("GET", "HEAD")
        and not request.url.path.startswith("/api/")
    ):
        return sign_in_redirect(request)
    return None
