"""The browser harness itself, and the API reference page as Chromium renders it, nothing leaving loopback."""

from __future__ import annotations

from typing import Any

from tests.web.browser import Recorder
from tests.web.conftest import LiveServer


def test_chromium_loads_a_page_offline(live_server: LiveServer, browser_page: tuple[Any, Recorder]) -> None:
    page, recorder = browser_page
    response = page.goto(live_server.url + "/healthz")
    assert response is not None and response.status == 200
    assert '"status":"ok"' in page.content().replace(" ", "")
    assert recorder.external == []
    assert recorder.console_errors == []


def test_chromium_opens_the_api_docs_offline(live_server: LiveServer, browser_page: tuple[Any, Recorder]) -> None:
    """/api shows every GET operation of the served OpenAPI schema: its path, summary and parameters."""
    page, recorder = browser_page
    schema = page.request.get(live_server.url + "/api/v1/openapi.json").json()
    operations = {
        path: ops["get"] for path, ops in schema["paths"].items() if path.startswith("/api/v1") and "get" in ops
    }
    assert len(operations) >= 10  # the API has more than a handful of routes: an empty schema must not pass
    response = page.goto(live_server.url + "/api")
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "The metforward API"
    sections = page.locator("main section")
    assert sections.count() == len(operations)
    links = page.get_by_role("navigation", name="Endpoints").get_by_role("link")
    anchors = {link.inner_text(): link.get_attribute("href") for link in links.all()}
    assert sorted(anchors) == sorted(operations) and links.count() == len(operations)
    for path, op in operations.items():
        heading = page.get_by_role("heading", name=f"GET {path}", exact=True)
        assert heading.count() == 1 and heading.is_visible(), path
        section = sections.filter(has=heading)
        text = section.inner_text()
        assert op["summary"] and op["summary"] in text, (path, op["summary"])
        names = [p["name"] for p in op.get("parameters", [])]
        shown = section.locator("tbody th code").all_inner_texts()
        assert shown == names, (path, shown, names)
        if not names:
            assert "No parameters." in text
        # the endpoint list links to this section
        anchor = anchors[path]
        assert anchor and section.get_attribute("id") == anchor.removeprefix("#"), (path, anchor)
    assert recorder.external == []
    assert recorder.console_errors == []
