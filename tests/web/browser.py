"""A real headless Chromium (Debian's, driven by Playwright) that records what would leave loopback.

Use the ``browser_page`` fixture (from ``tests/web/conftest.py``): a fresh page whose
``requests`` lists every URL it asked for, ``external`` those not on 127.0.0.1, and
``console_errors`` every console error and uncaught exception. :func:`axe_violations` runs the
vendored axe-core on the page and returns the serious and critical violations.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("METFORWARD_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Recorder:
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def external(self) -> list[str]:
        return [
            u
            for u in self.requests
            if urlsplit(u).hostname not in ("127.0.0.1", None) and not u.startswith(("data:", "blob:"))
        ]


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: `make system` installs Debian's chromium")
        pytest.skip(
            f"SKIPPED LOUDLY: no Chromium at {CHROMIUM}; install Debian's chromium (make system) to run browser tests"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = chromium_or_skip()
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=FLAGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[tuple[Any, Recorder]]:
    """A fresh page (1280x900) and the recorder of its requests and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    recorder = Recorder()
    page.on("request", lambda request: recorder.requests.append(request.url))
    page.on("console", lambda msg: recorder.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: recorder.console_errors.append(f"uncaught: {exc}"))
    yield page, recorder
    context.close()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core on the page; the violations of the given impacts (id, impact, help, targets)."""
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")  # from the app itself: the CSP forbids inline scripts
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]
