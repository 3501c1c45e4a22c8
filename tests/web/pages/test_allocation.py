"""``/allocation``: the what-if page without JavaScript (form, table, map, CSV, a changed weight in the URL), and
once in a real Chromium: change a weight, the table and the URL change, nothing leaves loopback, axe clean."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.web.browser import Recorder, axe_violations
from tests.web.conftest import LiveServer


def officers(html: str) -> dict[str, str]:
    """Area -> officers cell of the page's table."""
    table = html[html.index('id="allocation-table"') :]
    rows = re.findall(
        r'<th scope="row" class="govuk-table__header">([^<]+)</th>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>([0-9,]+)', table
    )
    return dict(rows)


def test_the_page_draws_the_formula_table_and_map(client: TestClient) -> None:
    page = client.get("/allocation", params={"draws": 50})
    assert page.status_code == 200
    html = page.text
    assert 'name="need.weight" type="text" inputmode="decimal" value="0.4"' in html
    assert 'name="demand.crime.weight"' in html
    got = officers(html)
    assert len(got) == 32 and sum(int(v.replace(",", "")) for v in got.values()) == 19565
    assert html.count('<path d="M') == 32  # the map of change against current
    assert "Brent" in html and "Commissioner" in html
    assert "Open Government Licence" in html
    assert 'href="/allocation.csv?formula=mpa&amp;level=borough"' in html


def test_a_changed_weight_changes_the_table_and_is_in_the_links(client: TestClient) -> None:
    before = officers(client.get("/allocation", params={"formula": "demand-share"}).text)
    changed = client.get(
        "/allocation", params={"formula": "demand-share", "demand.harm.weight": "0", "explain": "Westminster"}
    )
    assert changed.status_code == 200
    after = officers(changed.text)
    assert after != before and sum(int(v.replace(",", "")) for v in after.values()) == 19276
    assert "demand.harm.weight=0" in changed.text and "set=demand.harm.weight%3D0" in changed.text  # page and API links
    assert "Why Westminster gets" in changed.text
    download = client.get("/allocation.csv", params={"formula": "demand-share", "demand.harm.weight": "0"})
    assert download.status_code == 200 and "Open Government Licence" in download.headers["x-attribution"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert {r["area_name"]: f"{int(r['allocation']):,}" for r in rows} == after


def test_a_bad_weight_keeps_the_form_and_says_why(client: TestClient) -> None:
    page = client.get("/allocation", params={"formula": "mpa", "need.weight": "lots"})
    assert page.status_code == 422
    assert "This allocation cannot be made" in page.text and "need.weight: &#39;lots&#39; is not a number" in page.text
    assert 'value="lots"' in page.text  # the form keeps what was typed
    assert client.get("/allocation", params={"formula": "mine"}).status_code == 422


def test_change_a_weight_in_a_browser(
    live_server: LiveServer, browser_page: tuple[Any, Recorder], tmp_path: Path
) -> None:
    page, recorder = browser_page
    response = page.goto(live_server.url + "/allocation?formula=demand-share")
    assert response is not None and response.status == 200
    first = page.locator("#allocation-table tbody tr").first.inner_text()
    page.fill("input[name='demand.harm.weight']", "0")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "demand.harm.weight=0" in page.url and "formula=demand-share" in page.url
    assert page.locator("#allocation-table tbody tr").count() == 32
    assert page.locator("#allocation-table tbody tr").first.inner_text() != first
    assert page.locator("input[name='demand.harm.weight']").input_value() == "0"
    assert page.locator("svg.mf-choropleth path").count() == 32
    page.screenshot(path=str(tmp_path / "allocation.png"), full_page=True)
    assert recorder.external == [] and recorder.console_errors == []
    context = page.context.browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        checked = context.new_page()
        checked.goto(page.url)
        assert axe_violations(checked) == []
    finally:
        context.close()
