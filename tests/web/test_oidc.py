"""Single sign-on end to end against a real OpenID Connect provider on loopback (the npm package
oidc-provider, vendored in tests/web/oidc/: ``npm ci`` there on first use, skipped loudly without Node.js).

The app runs in process (TestClient); the provider is a Node.js process on 127.0.0.1; a browser (httpx)
goes from the app to the provider, through its sign-in and consent pages, and back to the app's callback.
The provider's three clients give an honest ID token, one for another audience and one already expired
(see provider.js): the app's own validation refuses the last two. On SQLite only: nothing here is SQL.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from metforward.records import audit, oidc
from metforward.records.db import Database
from metforward.records.keys import load
from metforward.settings import OidcSettings, Settings
from metforward.store.database import Database as Store
from metforward.web.app import create_app
from metforward.web.auth import SESSION_COOKIE
from metforward.web.oidc import PENDING_COOKIE
from tests.records_backends import Templates

PROVIDER = Path(__file__).parent / "oidc"
#: provider.js's client secret (a test value, not a credential).
SECRET = "test-client-secret-not-for-production-use-0123456789"
APP = "http://testserver"
WESTMINSTER, CAMDEN = "E09000033", "E09000007"


def install_provider() -> None:
    """oidc-provider into tests/web/oidc/node_modules (from npm's cache, else the registry), once."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip(
            "SKIPPED: Node.js is not installed (no node/npm): apt-get install nodejs npm (make system does) "
            "to run the single sign-on tests against a real OpenID Connect provider"
        )
    if (PROVIDER / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    done = None
    for offline in (["--offline"], []):
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", *offline],
            cwd=PROVIDER,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode == 0:
            return
    pytest.fail(f"npm ci in {PROVIDER} failed:\n{done.stderr if done else ''}")


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    """A real OpenID Connect provider on 127.0.0.1 (its issuer URL), for the module."""
    install_provider()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            ["node", "provider.js", f"{APP}/login/oidc/callback"],
            cwd=PROVIDER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        assert process.stdout is not None and process.stdin is not None
        timer = threading.Timer(30, process.kill)  # a provider that never says it is ready
        timer.start()
        line = process.stdout.readline()
        timer.cancel()
        try:
            if not line:
                log.seek(0)
                pytest.fail(f"the OpenID Connect provider did not start:\n{log.read().decode(errors='replace')}")
            yield json.loads(line)["issuer"]
        finally:
            process.stdin.close()  # provider.js stops when its standard input closes
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()


class Site:
    """The app (one per provider client) over one store and one records database."""

    def __init__(self, issuer: str, folder: Path, records_url: str, stack: ExitStack) -> None:
        self.issuer = issuer
        self.folder = folder
        self.records_url = records_url
        self.stack = stack
        self.store = folder / "store.duckdb"
        Store(self.store).close()
        self.apps: dict[str, TestClient] = {}
        self.database = stack.enter_context(Database(records_url))
        self.keys = load(self.store.with_suffix(".records.key"))

    def settings(self, client_id: str) -> OidcSettings:
        return OidcSettings(
            issuer=self.issuer,
            client_id=client_id,
            client_secret=SECRET,
            name="Test IdP",
            scopes=("openid", "email", "profile", "metforward"),
            roles=(("council-borough-staff", "borough"), ("met-analysts", "analyst")),
        )

    def browser(self, client_id: str = "metforward") -> TestClient:
        """A new browser on the app whose single sign-on is the provider's client ``client_id``."""
        if client_id not in self.apps:
            settings = Settings(db_path=self.store, records_url=self.records_url, oidc=self.settings(client_id))
            self.apps[client_id] = self.stack.enter_context(TestClient(create_app(settings)))
        return TestClient(self.apps[client_id].app, follow_redirects=False)

    def audit_rows(self) -> list[audit.AuditRow]:
        with self.database.reading() as session:
            return list(audit.rows_between(session, None, None))


@pytest.fixture(scope="module")
def site(issuer: str, records_templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("oidc")
    with ExitStack() as stack:
        yield Site(issuer, folder, records_templates.fresh("sqlite", folder), stack)


FORM = re.compile(r'<form[^>]*action="([^"]+)"')
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


def at_provider(start: str, login: str) -> str:
    """Go through the provider's pages from ``start`` as a person would (sign in as ``login``, consent);
    returns the URL the provider sends the browser back to the app with."""
    with httpx.Client(follow_redirects=False, timeout=10) as person:
        response = person.get(start)
        for _ in range(12):
            if response.is_redirect:
                target = str(response.url.join(response.headers["location"]))
                if target.startswith(APP):
                    return target
                response = person.get(target)
                continue
            assert response.status_code == 200, response.text[:500]
            action = FORM.search(response.text)
            assert action, response.text[:500]
            fields = {name: html.unescape(value) for name, value in HIDDEN.findall(response.text)}
            if fields.get("prompt") == "login":
                fields |= {"login": login, "password": "any password"}
            response = person.post(str(response.url.join(html.unescape(action.group(1)))), data=fields)
    raise AssertionError("the provider never sent the browser back")


def begin(browser: TestClient, next_path: str = "/account") -> str:
    started = browser.get("/login/oidc", params={"next": next_path})
    assert started.status_code == 303, started.text
    return started.headers["location"]


def sign_in(
    site: Site, login: str, client_id: str = "metforward", tamper: Callable[[str], str] = lambda url: url
) -> tuple[TestClient, httpx.Response]:
    """A browser through the whole flow; ``tamper`` may change the provider's answer on its way back."""
    browser = site.browser(client_id)
    back = tamper(at_provider(begin(browser), login))
    return browser, browser.get(back.removeprefix(APP))


def refused(site: Site, response: httpx.Response, reason: str) -> None:
    """A refusal: the one message, no session, the pending cookie gone, and ``reason`` in the audit log."""
    assert response.status_code == 401, response.text[:300]
    assert oidc.GENERIC in html.unescape(response.text)
    assert SESSION_COOKIE not in response.cookies
    assert f'{PENDING_COOKIE}=""' in response.headers.get("set-cookie", "")
    failed = [row.detail for row in site.audit_rows() if row.action == "sign_in_failed"]
    assert failed and failed[-1] == f"oidc:test-idp: {reason}", failed


# ---- the flow ---------------------------------------------------------------------------------------------


def test_signing_in_with_the_provider_makes_the_account_with_its_mapped_role_and_boroughs(site: Site) -> None:
    browser = site.browser()
    assert "Sign in with Test IdP" in browser.get("/login").text
    browser.cookies.set(SESSION_COOKIE, "attacker-chosen-session-id", domain="testserver.local", path="/")
    started = browser.get("/login/oidc", params={"next": "/records"})
    request = parse_qs(urlsplit(started.headers["location"]).query)
    assert request["client_id"] == ["metforward"] and request["redirect_uri"] == [f"{APP}/login/oidc/callback"]
    assert request["code_challenge_method"] == ["S256"] and len(request["code_challenge"][0]) == 43
    assert len(request["state"][0]) >= 32 and len(request["nonce"][0]) >= 32
    pending = started.headers["set-cookie"]
    assert "HttpOnly" in pending and "SameSite=lax" in pending and "Path=/login/oidc" in pending
    assert request["state"][0] not in pending and request["nonce"][0] not in pending  # encrypted

    done = browser.get(at_provider(started.headers["location"], "jo").removeprefix(APP))
    assert done.status_code == 303 and done.headers["location"] == "/records"
    token = done.cookies.get(SESSION_COOKIE)
    assert token and token != "attacker-chosen-session-id"  # a new session: no fixation
    page = browser.get("/account")
    assert page.status_code == 200 and "jo.sso@council.example" in page.text
    assert "Westminster" in page.text and "Camden" in page.text
    assert browser.get(f"/records/{WESTMINSTER}/contacts").status_code == 200
    assert browser.get("/records/E09000001/contacts").status_code == 403  # the City: not one of hers

    rows = site.audit_rows()
    added = next(row for row in rows if row.action == "user_add" and "jo.sso@council.example" in row.after)
    assert added.actor == "oidc:test-idp"
    after = json.loads(added.after)
    assert (after["role"], after["boroughs"], after["password_set"]) == ("borough", [CAMDEN, WESTMINSTER], False)
    assert any(row.action == "sign_in" and row.actor == "jo.sso@council.example" for row in rows)
    assert not any(SECRET in repr(row) or token in repr(row) for row in rows)


def test_a_second_sign_in_keeps_the_account_and_its_disabling_holds(site: Site) -> None:
    from metforward.records import accounts
    from tests.records.cast import OPERATOR

    _, first = sign_in(site, "jo")
    assert first.status_code == 303
    accounts.set_enabled(site.database, OPERATOR, "jo.sso@council.example", False)
    try:
        _, again = sign_in(site, "jo")
        assert again.status_code == 401 and oidc.GENERIC in html.unescape(again.text)
        assert SESSION_COOKIE not in again.cookies
    finally:
        accounts.set_enabled(site.database, OPERATOR, "jo.sso@council.example", True)
    assert sum(1 for a in accounts.list_users(site.database, OPERATOR) if a.email == "jo.sso@council.example") == 1


# ---- refusals ---------------------------------------------------------------------------------------------


def test_an_id_token_for_another_audience_is_refused(site: Site) -> None:
    _, response = sign_in(site, "jo", "metforward-wrong-aud")
    refused(site, response, "id token: wrong audience")


def test_an_expired_id_token_is_refused(site: Site) -> None:
    _, response = sign_in(site, "jo", "metforward-expired")
    refused(site, response, "id token: expired")


def test_a_bad_state_is_refused(site: Site) -> None:
    _, response = sign_in(site, "jo", tamper=lambda url: re.sub(r"state=[^&]+", "state=forged-state", url))
    refused(site, response, "state: does not match")
    # an answer brought to a browser that began no sign-in (login CSRF): refused before the code is used
    back = at_provider(begin(site.browser()), "jo")
    response = site.browser().get(back.removeprefix(APP))
    refused(site, response, "state: no sign-in was begun in this browser, or it took too long")


def test_a_bad_nonce_is_refused(site: Site) -> None:
    browser = site.browser()
    start = begin(browser)
    pending = oidc.unseal(site.keys, browser.cookies.get(PENDING_COOKIE))
    assert pending is not None
    forged = oidc.Pending(state=pending.state, nonce="another-nonce", verifier=pending.verifier, next=pending.next)
    browser.cookies.set(PENDING_COOKIE, oidc.seal(site.keys, forged), domain="testserver.local", path="/login/oidc")
    response = browser.get(at_provider(start, "jo").removeprefix(APP))
    refused(site, response, "id token: wrong nonce")


def test_a_role_the_mapping_does_not_name_is_refused(site: Site) -> None:
    _, response = sign_in(site, "sam")
    refused(site, response, "unmapped role")
    assert site.audit_rows()[-1].actor == "sam.sso@police.example"
    from metforward.records import accounts
    from tests.records.cast import OPERATOR

    assert "sam.sso@police.example" not in {a.email for a in accounts.list_users(site.database, OPERATOR)}


def test_without_single_sign_on_there_is_no_button_and_no_route(tmp_path: Path, records_templates: Templates) -> None:
    store = tmp_path / "store.duckdb"
    Store(store).close()
    app = create_app(Settings(db_path=store, records_url=records_templates.fresh("sqlite", tmp_path)))
    with TestClient(app, follow_redirects=False) as browser:
        page = browser.get("/login")
        assert page.status_code == 200 and "Sign in with" not in page.text
        assert browser.get("/login/oidc").status_code == 404
        assert browser.get("/login/oidc/callback?code=x&state=y").status_code == 404
