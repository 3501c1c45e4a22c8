"""The orders register's main path in a real headless Chromium: sign in, add an order, draw an exclusion
zone on the map, place and record a breach by clicking the map, see the alert, search across London;
axe clean on every page, the CSP held (no violation, nothing leaving loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metforward.settings import Settings
from metforward.store.database import Database as Store
from tests.records.cast import PASSWORD, WESTMINSTER
from tests.records_backends import Templates
from tests.web.browser import Recorder, axe_violations
from tests.web.conftest import LiveServer


@pytest.fixture(scope="module")
def records_site(records_templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("orders-e2e")
    url = records_templates.fresh("sqlite", folder, cast=True)
    store = folder / "store.duckdb"
    Store(store).close()
    with LiveServer(Settings(db_path=store, records_url=url)) as server:
        yield server


def clean(page: Any, recorder: Recorder) -> None:
    assert axe_violations(page) == [], page.url
    assert recorder.external == [] and recorder.console_errors == [], (page.url, recorder.console_errors)


def test_create_search_view_breach_and_alert(
    records_site: LiveServer, browser_page: tuple[Any, Recorder], tmp_path: Path
) -> None:
    page, recorder = browser_page
    base = records_site.url
    page.goto(f"{base}/login?next=/records/{WESTMINSTER}/orders/new")
    page.get_by_label("Email").fill("borough-w@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/records/{WESTMINSTER}/orders/new")
    clean(page, recorder)
    for label, value in [
        ("Full name", "Perpetua Gallowmere"),
        ("Date of birth", "1989-09-09"),
        ("Issuing court or authority", "Westminster Magistrates' Court"),
        ("Date made", "2025-03-01"),
        ("Conditions", "Not to enter the zone on the map."),
        ("Officer's name", "PC Lorcan Whitbury"),
        ("Email address (optional)", "asb@westminster.example.org"),
    ]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Type of order").select_option("cbo")
    page.get_by_role("button", name="Add order").click()
    page.wait_for_url("**/orders/*")
    order_url = page.url
    response = page.request.get(order_url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator("body[data-map-ready='1']").wait_for(state="attached", timeout=15_000)
    clean(page, recorder)

    page.get_by_text("Add an exclusion zone").click()
    page.locator("#order-map").scroll_into_view_if_needed()
    box = page.locator("#order-map canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in [(-90, -70), (90, -70), (90, 70), (-90, 70)]:
        page.mouse.click(cx + dx, cy + dy)
    assert page.locator("#geometry").input_value().startswith("POLYGON((")
    page.get_by_label("Name of the zone (optional)").fill("Leicester Square")
    page.get_by_role("button", name="Add zone").click()
    page.wait_for_url("**#zones")
    page.locator("body[data-map-ready='1']").wait_for(state="attached", timeout=15_000)
    assert "1 exclusion zone" in page.locator("#order-map-status").inner_text()

    page.locator("#order-map").scroll_into_view_if_needed()
    box = page.locator("#order-map canvas").bounding_box()
    page.get_by_label("places a breach").check()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.locator("#latitude").input_value() and page.locator("#longitude").input_value()
    page.get_by_label("Date of the breach").fill("2025-06-01")
    page.get_by_label("Reported by").select_option("cctv")
    page.get_by_label("Notes").fill("Seen on camera 4")
    page.get_by_role("button", name="Record breach").click()
    page.wait_for_url("**#breaches")
    assert "Yes: Leicester Square" in page.locator("#breach-table").inner_text()
    page.locator("body[data-map-ready='1']").wait_for(state="attached", timeout=15_000)
    clean(page, recorder)

    page.goto(f"{base}/records/{WESTMINSTER}/orders")
    alerts = page.locator("#alert-list").inner_text()
    assert "Breach" in alerts and "inside exclusion zone Leicester Square" in alerts
    clean(page, recorder)

    page.goto(f"{base}/records/orders")
    page.get_by_label("Full name").fill("PERPETUA gallowmere")
    page.get_by_label("Date of birth").fill("1989-09-09")
    page.get_by_label("Why you are searching").fill("checking before a case conference")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("heading", name="1 order found").is_visible()
    assert "Perpetua" not in page.url and "PC Lorcan Whitbury" in page.locator("table").inner_text()
    clean(page, recorder)
    page.screenshot(path=str(tmp_path / "search.png"))
