"""The pages in a real Chromium: use the controls, screenshot, nothing leaves loopback, no console errors, axe clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.browser import Recorder, axe_violations
from tests.web.conftest import LiveServer


def _clean(page: Any, recorder: Recorder, shot: Path) -> None:
    """Screenshot; nothing left loopback; no console errors (the CSP was enforced); axe finds nothing serious.

    axe is injected as an inline script, which the pages' CSP blocks, so it runs on the same address
    in a second context of the same browser that bypasses the CSP.
    """
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert recorder.external == []
    assert recorder.console_errors == []
    context = page.context.browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        checked = context.new_page()
        checked.goto(page.url)
        assert axe_violations(checked) == []
    finally:
        context.close()


def test_overview_change_period_and_measure(
    live_server: LiveServer, browser_page: tuple[Any, Recorder], tmp_path: Path
) -> None:
    page, recorder = browser_page
    response = page.goto(live_server.url + "/")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text().startswith("Results so far")
    page.fill("#month", "2025-06")
    page.select_option("#measure", "count")
    page.select_option("#category", "ROBBERY")
    with page.expect_navigation():
        page.click("form.mf-controls button[type=submit]")
    assert "month=2025-06" in page.url and "measure=count" in page.url
    assert "June 2025" in page.locator("h1").inner_text()
    assert page.locator("h2#boroughs").inner_text() == "Boroughs: ROBBERY"
    assert page.locator("svg.mf-choropleth path").count() == 32
    _clean(page, recorder, tmp_path / "overview.png")


def test_choose_a_borough_and_change_the_year(
    live_server: LiveServer, browser_page: tuple[Any, Recorder], tmp_path: Path
) -> None:
    page, recorder = browser_page
    page.goto(live_server.url + "/boroughs")
    _clean(page, recorder, tmp_path / "boroughs.png")
    page.select_option("#borough", "westminster")
    with page.expect_navigation():
        page.click("text=Open the borough page")
    assert page.url.endswith("/boroughs/westminster")
    page.fill("#year", "2024")
    with page.expect_navigation():
        page.click("form.mf-controls button[type=submit]")
    assert page.url.endswith("/boroughs/westminster?year=2024")
    assert page.locator("h1").inner_text() == "Westminster, 2024"
    assert page.locator("a[href='/boroughs/westminster/summary.pdf?year=2024']").count() == 1
    _clean(page, recorder, tmp_path / "borough.png")


def test_compare_submit_and_share(live_server: LiveServer, browser_page: tuple[Any, Recorder], tmp_path: Path) -> None:
    page, recorder = browser_page
    page.goto(live_server.url + "/compare")
    page.select_option("#source", "police-uk")
    page.fill("#area", "Camden")
    page.fill("#before", "2023-01:2023-12")
    page.fill("#after", "2024-01:2024-12")
    page.select_option("#by", "")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "area=Camden" in page.url and "source=police-uk" in page.url
    page.check("input[name=category][value=Burglary]")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "category=Burglary" in page.url
    shared = page.url
    rows = page.locator("table.mf-table tbody tr")
    assert rows.count() == 1 and "Burglary" in rows.first.inner_text()
    _clean(page, recorder, tmp_path / "compare.png")
    page.goto(shared)  # the shared address gives the same table
    assert page.locator("table.mf-table tbody tr").first.inner_text() == rows.first.inner_text()


def test_data_page(live_server: LiveServer, browser_page: tuple[Any, Recorder], tmp_path: Path) -> None:
    page, recorder = browser_page
    page.goto(live_server.url + "/data")
    assert page.locator("table.mf-grid td.mf-grid__cell--loaded").count() > 12
    _clean(page, recorder, tmp_path / "data.png")
