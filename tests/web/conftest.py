"""Web fixtures: one sample store per session, a TestClient, and a real uvicorn server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from metforward.settings import Settings
from metforward.web.app import create_app
from tests.conftest import REPO, TARGETS  # noqa: F401  (REPO: for the web tests that import it from here)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving the app on a free loopback port, in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(web_store: Path) -> Iterator[LiveServer]:
    """A real HTTP server on 127.0.0.1 for the browser and schema tests."""
    with LiveServer(Settings(db_path=web_store, targets_file=TARGETS)) as server:
        yield server


from tests.web.browser import browser, browser_page  # noqa: E402,F401  (fixtures for the browser tests)
