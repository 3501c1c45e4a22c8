"""The service basics: health, security headers, ETag keyed to the load version, one error shape, concurrency."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from metforward.store.pool import ReadPool
from tests.web.conftest import LiveServer


def test_healthz_reports_the_load_version(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["load_version"].startswith("s") and "-l" in body["load_version"]
    assert response.headers["cache-control"] == "no-store"


def test_security_headers_forbid_inline_scripts_and_other_origins(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert "unsafe-inline" not in policy and "http" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_etag_revalidates_with_304(client: TestClient) -> None:
    first = client.get("/api/v1/openapi.json")
    etag = first.headers["etag"]
    assert client.get("/api/v1/openapi.json").headers["etag"] == etag  # same store, same URL, same tag
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/api/v1/openapi.json?x=1")
    assert other.headers["etag"] != etag


def test_large_responses_are_gzipped(client: TestClient) -> None:
    response = client.get("/static/vendor/govuk/govuk-frontend.min.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "GDS Transport" not in response.text  # the GOV.UK typeface is not ours to use


def test_api_errors_have_one_shape(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "no such page or resource", "details": []}
    }
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "Page not found" in page.text


def test_the_pool_serves_concurrent_readers_without_blocking(web_store: Path) -> None:
    pool = ReadPool(web_store, size=4)
    try:
        inside = threading.Barrier(4, timeout=10)
        counts: list[int] = []

        def reader() -> None:
            with pool.connection() as db:
                inside.wait()  # all four hold a connection at the same moment
                counts.append(int(db.scalar("SELECT count(*) FROM loads")))

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(counts) == 4 and len(set(counts)) == 1 and counts[0] > 0
    finally:
        pool.close()


def test_the_pool_is_read_only(web_store: Path) -> None:
    import pytest

    from metforward.errors import StoreError

    pool = ReadPool(web_store, size=1)
    try:
        with pool.connection() as db, pytest.raises(Exception, match="read-only"):
            db.run("DELETE FROM loads")
        with pytest.raises(StoreError, match="no free connection"):
            pool.timeout = 0.1
            with pool.connection(), pool.connection():
                pass
    finally:
        pool.timeout = 5
        pool.close()


def test_a_real_server_on_loopback(live_server: LiveServer) -> None:
    started = time.perf_counter()
    response = httpx.get(live_server.url + "/healthz", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert time.perf_counter() - started < 10
