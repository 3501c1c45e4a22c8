"""Web hardening (issue 13): links that ignore the Host header, log lines a client cannot forge,
HEAD wherever GET works, security headers on every response (the app's 304s and the server's own
400s), closed vocabularies checked with a 422, and an honest welcome page on an empty store."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from metforward.analyse.compare import DATASTORE_PREFERENCE
from metforward.domain.categories import ALL_CRIME_TYPES
from metforward.domain.forces import FORCES
from metforward.settings import Settings
from metforward.store.database import Database
from metforward.web.app import create_app
from tests.web.conftest import REPO, _free_port

SECURITY_HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "cross-origin-opener-policy",
    "permissions-policy",
)


def assert_secure(headers: httpx.Headers | dict[str, str], what: str) -> None:
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [h for h in SECURITY_HEADERS if h not in lowered]
    assert not missing, f"{what}: no {', '.join(missing)}"
    if isinstance(headers, httpx.Headers):  # each header once (a repeated COOP is ignored by browsers)
        repeated = [h for h in SECURITY_HEADERS if len(headers.get_list(h)) != 1]
        assert not repeated, f"{what}: {', '.join(repeated)} sent more than once"


# --- 1. paging links do not reflect the Host header -------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/areas?level=lsoa&limit=5", "/api/v1/compare?around=2024-06&limit=2"])
def test_next_link_ignores_a_hostile_host_header(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200, response.text
    following = response.json()["next"]
    assert following and "evil.example" not in following
    assert following.startswith("/api/v1/"), following  # no base URL configured: a relative link
    assert client.get(following).status_code == 200


def test_next_link_uses_the_configured_base_url(web_store: Path) -> None:
    settings = Settings(db_path=web_store, base_url="https://figures.example.org/")
    with TestClient(create_app(settings)) as client:
        body = client.get("/api/v1/areas?level=lsoa&limit=5", headers={"Host": "evil.example"}).json()
    assert body["next"].startswith("https://figures.example.org/api/v1/areas?"), body["next"]
    assert "offset=5" in body["next"]


# --- 2. the request log cannot be forged -------------------------------------------------------------


def test_a_newline_in_the_path_does_not_forge_a_log_line(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    forged = "/x%0a2030-01-01 GET /admin 200 1.0 ms%0d%0a?q=%0aFAKE"
    with caplog.at_level(logging.INFO, logger="metforward.web"):
        client.get(forged)
    lines = [r.getMessage() for r in caplog.records if r.name == "metforward.web" and "/x" in r.getMessage()]
    assert lines, "the request was not logged"
    for line in lines:
        assert "\n" not in line and "\r" not in line, repr(line)
        assert "/x\\n2030-01-01" in line or "/x%0A2030-01-01" in line, repr(line)


# --- 3. HEAD wherever GET is supported --------------------------------------------------------------

#: A value for each path parameter of the app's routes.
PATH_VALUES = {"borough": "westminster", "code": "E09000033", "contact_id": "1", "order_id": "1"}


def get_routes(client: TestClient) -> list[str]:
    paths = []
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if route.path is None:
            continue
        if route.methods is None:  # a mount: the static files
            paths.append(route.path + "/css/pages.css")
        elif "GET" in route.methods:
            paths.append(re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PATH_VALUES[m[1]], route.path))
    return paths


def test_head_is_answered_wherever_get_is(client: TestClient) -> None:
    paths = get_routes(client)
    assert "/" in paths and "/api/v1/areas" in paths and "/static/css/pages.css" in paths
    for path in paths:
        if path.endswith(".pdf"):
            continue  # built on demand; checked once below
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code, f"HEAD {path}: {head.status_code}, GET {got.status_code}"
        assert head.content == b"", f"HEAD {path} has a body"
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        assert_secure(head.headers, f"HEAD {path}")
    pdf = client.head("/boroughs/westminster/summary.pdf")
    assert pdf.status_code == 200 and pdf.content == b"" and pdf.headers["content-type"] == "application/pdf"


# --- 4. security headers on every response ----------------------------------------------------------


def test_a_304_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/v1/status"):
        etag = client.get(path).headers["etag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert_secure(again.headers, f"304 on {path}")


@pytest.fixture(scope="module")
def served(web_store: Path) -> Iterator[str]:
    """``metforward serve`` itself in a subprocess on a free loopback port (its own uvicorn options)."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "metforward", "--db", str(web_store), "serve", "--port", str(port)]
    process = subprocess.Popen([*command, "--workers", "1"], env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"metforward serve did not start: {process.stderr.read() if process.stderr else ''}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def raw_request(url: str, data: bytes) -> tuple[int, dict[str, list[str]]]:
    """Send ``data`` on a raw socket; the status and headers of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(head[0].split()[1]), headers


def test_the_servers_own_400_carries_the_security_headers(served: str) -> None:
    status, headers = raw_request(served, b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400
    assert_secure({k: v[0] for k, v in headers.items()}, "uvicorn's 400 for an over-long request line")
    status, headers = raw_request(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200
    repeated = [h for h in SECURITY_HEADERS if len(headers.get(h, [])) != 1]
    assert not repeated, f"sent other than once: {repeated}"


def test_the_served_app_answers_head_304_and_ignores_the_host(served: str) -> None:
    head = httpx.head(served + "/")
    assert head.status_code == 200 and head.content == b""
    assert_secure(head.headers, "HEAD / from metforward serve")
    etag = httpx.get(served + "/api/v1/status").headers["etag"]
    again = httpx.get(served + "/api/v1/status", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert_secure(again.headers, "304 from metforward serve")
    body = httpx.get(served + "/api/v1/areas?level=lsoa&limit=5", headers={"Host": "evil.example"}).json()
    assert body["next"].startswith(served + "/api/v1/areas?"), body["next"]  # the bound address by default


# --- 5. closed vocabularies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "allowed"),
    [
        ("/api/v1/compare?around=2024-06&force=nowhere", "force", "metropolitan"),
        ("/api/v1/compare?around=2024-06&source=datastore&kind=datastore-county", "kind", DATASTORE_PREFERENCE[0]),
        ("/api/v1/exceptions?force=nowhere", "force", "city-of-london"),
        ("/api/v1/searches?force=nowhere", "force", "metropolitan"),
        ("/api/v1/hotstreets?area=Westminster&period=2024-01:2024-06&category=Burglarly", "category", "Burglary"),
        ("/api/v1/hotstreets?area=Westminster&period=2024-01:2024-06&force=nowhere", "force", "metropolitan"),
        ("/api/v1/outcomes?period=2024-01:2024-06&category=Burglary&category=Arson", "category", "Burglary"),
        ("/api/v1/outcomes?period=2024-01:2024-06&force=nowhere", "force", "metropolitan"),
        ("/api/v1/geo/areas?category=Burglarly", "category", "Burglary"),
    ],
)
def test_an_unknown_value_of_a_closed_vocabulary_is_a_422(
    client: TestClient, path: str, field: str, allowed: str
) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.text[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    detail = next(d for d in error["details"] if d["field"] == f"query.{field}")
    assert allowed in detail["message"], detail["message"]
    assert "Value error" not in detail["message"]


def test_the_vocabularies_are_those_of_the_domain(client: TestClient) -> None:
    message = client.get("/api/v1/searches?force=nowhere").json()["error"]["details"][0]["message"]
    assert all(force in message for force in FORCES)
    message = client.get("/api/v1/geo/areas?category=nothing").json()["error"]["details"][0]["message"]
    assert all(category in message for category in ALL_CRIME_TYPES)
    # a known value with no rows is still an honest 200 (the analyse notes say what is missing)
    assert client.get("/api/v1/searches?force=kent").status_code == 200
    assert client.get("/api/v1/outcomes?period=2024-01:2024-06&category=Bicycle theft").status_code == 200


# --- 6. an empty store -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    with Database(path):
        pass
    with TestClient(create_app(Settings(db_path=path)), raise_server_exceptions=False) as client:
        yield client


def test_an_empty_store_gets_a_welcome_page(empty_client: TestClient) -> None:
    response = empty_client.get("/")
    assert response.status_code == 200
    text = response.text
    assert "Nothing is loaded yet" in text
    assert "metforward fetch --force metropolitan --from" in text
    assert "metforward ingest PATH" in text
    assert "fetch datastore" not in text


def test_every_page_on_an_empty_store_degrades_honestly(empty_client: TestClient) -> None:
    for path in get_routes(empty_client):
        response = empty_client.get(path)
        assert response.status_code < 500, f"{path}: {response.status_code} {response.text[:200]}"
        assert "fetch datastore" not in response.text, path
