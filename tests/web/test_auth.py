"""Sign-in on the web, on SQLite and PostgreSQL: the generated access test over the app's route table, and
the security tests (CSRF, session fixation, brute force, passwords kept out of logs and the audit log,
cookie flags, timeouts)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text

from metforward.records import accounts, audit, contacts, orders, personal
from metforward.records.access import Action
from metforward.records.db import Database
from metforward.records.models import Base
from metforward.records.sessions import token_hash
from metforward.settings import Settings
from metforward.store.database import Database as Store
from metforward.web.app import create_app
from metforward.web.auth import CSRF_COOKIE, PRIVATE_PREFIXES, PUBLIC, SESSION_COOKIE, Need
from tests.records.cast import CAST, OPERATOR, PASSWORD, WESTMINSTER, allowed
from tests.records_backends import BACKENDS, Templates

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    app: FastAPI
    url: str
    database: Database


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, records_templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The app on an empty store, with a records database holding the cast (one per backend per module)."""
    folder = tmp_path_factory.mktemp("auth")
    url = records_templates.fresh(request.param, folder, cast=True, request=request)
    store = folder / "store.duckdb"
    Store(store).close()
    settings = Settings(db_path=store, records_url=url)
    app = create_app(settings)
    with TestClient(app), Database(url) as database:  # the lifespan opens the store and the records database
        database.personal = personal.lazy(settings.personal_key_file)  # the app's personal data key
        yield Site(app, url, database)


def browser(site: Site, https: bool = False) -> TestClient:
    return TestClient(
        site.app,
        raise_server_exceptions=False,
        follow_redirects=False,
        base_url="https://testserver" if https else "http://testserver",
    )


def set_session(client: TestClient, value: str) -> None:
    """Put a session cookie in ``client`` as a browser would hold one (any earlier one replaced)."""
    for cookie in list(client.cookies.jar):
        if cookie.name == SESSION_COOKIE:
            client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    client.cookies.set(SESSION_COOKIE, value, domain="testserver.local", path="/")


def session_of(client: TestClient) -> str | None:
    return next((c.value for c in client.cookies.jar if c.name == SESSION_COOKIE), None)


def token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    found = TOKEN.search(page.text)
    assert found, f"no csrf_token in {path}"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    done = client.post("/login", data={"csrf_token": token(client), "email": email, "password": password})
    assert done.status_code == 303, done.text
    return client


@pytest.fixture(scope="module")
def browsers(site: Site) -> dict[str, TestClient]:
    """A signed-in browser for each account of the cast."""
    return {email: sign_in(browser(site), email) for email in CAST}


# ---- the generated access test ----------------------------------------------------------------------------

#: A record of each kind a route's path names (a new one per request), and the form each POST route needs
#: to succeed for the people allowed it (otherwise it gets a form with ``name``).
RECORDS = {
    "contact_id": lambda database: contacts.add_contact(database, OPERATOR, WESTMINSTER, {"name": "Route Check"}).id,
    "order_id": lambda database: orders.add_order(database, OPERATOR, WESTMINSTER, ORDER).id,
}
ORDER = {
    "name": "Route Check Person",
    "date_of_birth": "1990-01-01",
    "order_type": "cbo",
    "issued_by": "A court",
    "made_on": "2025-01-01",
    "conditions": "Route check conditions",
    "officer_name": "Route Check",
    "officer_email": "asb@example.org",
}
REASON = {"reason": "checking every route's access"}
FORMS: dict[str, dict[str, str]] = {
    "/records/orders": {**REASON, "name": ORDER["name"], "date_of_birth": ORDER["date_of_birth"]},
    "/records/{borough}/orders": ORDER,
    "/records/{borough}/orders/{order_id}/need-to-know": REASON,
    "/records/{borough}/orders/{order_id}/zones": {
        "geometry": "POLYGON((-0.14 51.51, -0.13 51.51, -0.13 51.52, -0.14 51.51))"
    },
    "/records/{borough}/orders/{order_id}/breaches": {"occurred_on": "2025-06-01", "source": "police"},
}


def needs(dependant: Dependant) -> list[Need]:
    found = []
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Need):
            found.append(dependency.call)
        found += needs(dependency)
    return found


def routes(app: FastAPI) -> list[tuple[str, str, list[Need]]]:
    """(method, path, the access needs it declares) of every route of the app."""
    return [
        (method, route.path, needs(route.original_route.dependant))
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and route.path and route.methods
        for method in sorted(route.methods - {"HEAD"})
    ]


def undeclared(found: list[tuple[str, str, list[Need]]]) -> list[str]:
    """Routes of the records area that declare no access need and are not in the public list, and routes
    that declare one outside the records area (whose pages would be cached)."""
    return [
        f"{method} {path}"
        for method, path, declared in found
        if path.startswith(PRIVATE_PREFIXES) != bool(declared) and (method, path) not in PUBLIC
    ]


def test_every_route_of_the_records_area_declares_its_access(site: Site) -> None:
    found = routes(site.app)
    assert undeclared(found) == []
    assert sum(1 for *_, declared in found if declared) >= 7
    assert undeclared([("GET", "/records/naked", [])]) == ["GET /records/naked"]  # the check can fail
    assert undeclared([("GET", "/compare", [Need(Action.READ)])]) == ["GET /compare"]


def test_every_route_refuses_the_wrong_people_and_allows_the_right(site: Site, browsers: dict[str, TestClient]) -> None:
    checked, wrong = 0, []
    for method, path, declared in routes(site.app):
        if not declared:
            continue
        action = declared[0].action
        for email, client in [("anonymous", None), *browsers.items()]:
            url = re.sub(r"\{borough\}", WESTMINSTER, path)
            for name in re.findall(r"\{(\w+)\}", url):
                url = url.replace(f"{{{name}}}", str(RECORDS[name](site.database)))
            if client is None:
                client = browser(site)
                form_token = token(client)
            else:
                form_token = token(client, "/account")
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(
                    url, data={"csrf_token": form_token, "name": "Route Check", **FORMS.get(path, {})}
                )
            status, location = response.status_code, response.headers.get("location", "")
            if email == "anonymous":
                ok = status == 401 or (status == 303 and location.startswith("/login?next="))
            elif allowed(email, action, WESTMINSTER):
                ok = status < 400 and not location.startswith("/login")
            else:
                ok = status == 403
            checked += 1
            if not ok:
                wrong.append(f"{method} {url} as {email}: {status} {location}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 7 * 7
    with site.database.reading() as session:
        assert any(row.action == "refused" for row in audit.rows_between(session, None, None))


# ---- security ---------------------------------------------------------------------------------------------


def test_csrf_missing_or_wrong_is_refused(site: Site, browsers: dict[str, TestClient]) -> None:
    client = browsers["borough-w@example.org"]
    url = f"/records/{WESTMINSTER}/contacts"
    assert client.post(url, data={"name": "No token"}).status_code == 403
    assert client.post(url, data={"name": "Wrong", "csrf_token": "0" * 64}).status_code == 403
    other = token(browsers["admin@example.org"], "/account")  # another session's token
    assert client.post(url, data={"name": "Theirs", "csrf_token": other}).status_code == 403
    assert client.post(url, data={"name": "Right", "csrf_token": token(client, "/account")}).status_code == 303
    anonymous = browser(site)
    assert anonymous.post("/login", data={"email": "admin@example.org", "password": PASSWORD}).status_code == 403


def test_a_session_id_set_before_sign_in_is_not_kept(site: Site) -> None:
    client = browser(site)
    set_session(client, "attacker-chosen-session-id")
    pre_token = token(client)
    sign_in(client, "analyst@example.org")
    assert session_of(client) not in (None, "attacker-chosen-session-id")
    assert client.get("/account").status_code == 200
    attacker = browser(site)
    set_session(attacker, "attacker-chosen-session-id")
    assert attacker.get("/account").status_code == 303
    # the token of before sign-in is bound to the old id: no use after
    assert client.post("/logout", data={"csrf_token": pre_token}).status_code == 403
    # signing in again (as someone else) ends the browser's previous session
    old = session_of(client)
    sign_in(client, "partner-w@example.org")
    stale = browser(site)
    set_session(stale, old or "")
    assert stale.get("/account").status_code == 303


def test_brute_force_locks_out_after_the_documented_tries_with_one_message(site: Site) -> None:
    accounts.add_user(site.database, OPERATOR, "target@example.org", "analyst", [], PASSWORD)
    client = browser(site)
    pages = []
    for _ in range(accounts.LOCKOUT_FAILURES):
        wrong = client.post(
            "/login", data={"csrf_token": token(client), "email": "target@example.org", "password": "guess guess guess"}
        )
        pages.append((wrong.status_code, wrong.text.count(accounts.GENERIC.split(".")[0])))
    locked = client.post(
        "/login", data={"csrf_token": token(client), "email": "target@example.org", "password": PASSWORD}
    )
    unknown = client.post(
        "/login", data={"csrf_token": token(client), "email": "no-one@example.org", "password": PASSWORD}
    )
    assert set(pages) == {(401, 1)}
    assert locked.status_code == unknown.status_code == 401
    assert "Sign-in failed" in locked.text and "Sign-in failed" in unknown.text
    assert SESSION_COOKIE not in locked.cookies


def test_passwords_never_reach_the_logs_or_the_audit_log_or_any_table(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    secret_wrong, secret_right = "Canary-Wrong-Password-5150", "Canary-Right-Password-8088"
    accounts.add_user(site.database, OPERATOR, "watcher@example.org", "analyst", [], secret_right)
    client = browser(site)
    with caplog.at_level(logging.DEBUG):
        client.post(
            "/login", data={"csrf_token": token(client), "email": "watcher@example.org", "password": secret_wrong}
        )
        client.post(
            "/login", data={"csrf_token": token(client), "email": secret_wrong, "password": "x"}
        )  # typed in the wrong box
        sign_in(client, "watcher@example.org", secret_right)
        accounts.reset_password(site.database, OPERATOR, "watcher@example.org", secret_right + "-new")
    assert caplog.records  # the request log did run
    for secret in (secret_wrong, secret_right):
        assert secret not in caplog.text
        with site.database.reading() as session:
            for row in audit.rows_between(session, None, None):
                assert secret not in repr(row)
            for table in Base.metadata.sorted_tables:
                for values in session.execute(table.select()):
                    assert secret not in repr(tuple(values)), table.name


def test_cookies_carry_httponly_samesite_lax_and_secure_over_https(site: Site) -> None:
    plain = browser(site)
    first = plain.get("/login").headers["set-cookie"]
    assert f"{CSRF_COOKIE}=" in first and "HttpOnly" in first and "SameSite=lax" in first and "Secure" not in first
    signed = plain.post("/login", data={"csrf_token": token(plain), "email": "admin@example.org", "password": PASSWORD})
    cookie = signed.headers["set-cookie"]
    assert (
        f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    )
    secure = browser(site, https=True)
    signed = secure.post(
        "/login", data={"csrf_token": token(secure), "email": "admin@example.org", "password": PASSWORD}
    )
    session_cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie


def test_idle_and_absolute_timeouts_end_a_session(site: Site) -> None:
    for column, age in (("last_seen_at", dt.timedelta(minutes=31)), ("created_at", dt.timedelta(hours=12, minutes=1))):
        client = sign_in(browser(site), "analyst@example.org")
        assert client.get("/account").status_code == 200
        old = (dt.datetime.now(dt.UTC) - age).replace(tzinfo=None)
        with site.database.transaction() as session:
            session.execute(
                text(f"UPDATE sessions SET {column} = :old WHERE token_hash = :key"),
                {"old": old, "key": token_hash(session_of(client) or "")},
            )
        assert client.get("/account").status_code == 303, column


def test_sign_out_ends_the_session_and_needs_a_post(site: Site) -> None:
    client = sign_in(browser(site), "partner-c@example.org")
    assert client.get("/logout").status_code == 405
    done = client.post("/logout", data={"csrf_token": token(client, "/account")})
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert client.get("/account").status_code == 303


def test_the_account_page_says_who_you_are_and_is_never_cached(site: Site, browsers: dict[str, TestClient]) -> None:
    page = browsers["partner-w@example.org"].get("/account")
    assert page.status_code == 200 and "partner-w@example.org" in page.text and "Westminster" in page.text
    assert "partner" in page.text and "signed in" in page.text
    assert page.headers["cache-control"] == "no-store" and "etag" not in page.headers


def test_public_pages_and_the_open_data_api_stay_public(site: Site) -> None:
    anonymous = browser(site)
    assert anonymous.get("/api/v1/status").status_code == 200
    home = anonymous.get("/")
    assert home.status_code == 200 and 'href="/login"' in home.text


def test_without_a_records_database_sign_in_is_off_and_the_rest_works(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    Store(store).close()
    with TestClient(create_app(Settings(db_path=store)), raise_server_exceptions=False) as client:
        assert client.get("/login").status_code == 409
        assert "metforward records upgrade" in client.get("/login").text
        assert client.get("/").status_code == 200
    assert not store.with_suffix(".records.sqlite").exists()  # nothing was created
