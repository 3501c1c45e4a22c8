"""The browser harness itself: Chromium loads a page from the live server, nothing leaves loopback."""

from __future__ import annotations

from typing import Any

from tests.web.browser import Recorder
from tests.web.conftest import LiveServer


def test_chromium_opens_the_api_docs_offline(live_server: LiveServer, browser_page: tuple[Any, Recorder]) -> None:
    page, recorder = browser_page
    response = page.goto(live_server.url + "/healthz")
    assert response is not None and response.status == 200
    assert '"status":"ok"' in page.content().replace(" ", "")
    assert recorder.external == []
    assert recorder.console_errors == []
