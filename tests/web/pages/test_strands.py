"""The strand pages: the same numbers as their API routes, typed errors as pages, and (in a real Chromium) nothing
leaves loopback, the CSP holds and axe finds nothing serious."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from metforward import ATTRIBUTION
from metforward.web.pages.strands import STRANDS
from tests.web.browser import Recorder, axe_violations
from tests.web.conftest import LiveServer


def test_the_pages_show_the_api_numbers(client: TestClient) -> None:
    page = client.get("/strands/youth-violence", params={"area": "E09000022"})
    assert page.status_code == 200 and ATTRIBUTION.split(".")[0] in page.text
    body = client.get("/api/v1/strands/youth-violence", params={"area": "E09000022"}).json()
    for row in body["items"]:
        assert (
            row["category"] in page.text
            and f'<td class="govuk-table__cell govuk-table__cell--numeric">{row["before"]:,}</td>' in page.text
        )
    access = client.get("/strands/visible-policing", params={"area": "E09000007"})
    assert access.status_code == 200 and 'id="lsoas"' in access.text
    london = client.get("/api/v1/strands/visible-policing").json()["items"][0]
    assert f"{100 * london['share_beyond_after']:.1f}%" in access.text
    assert {path for path, *_ in STRANDS} == {"/strands/youth-violence", "/strands/visible-policing"}


def test_a_bad_choice_is_an_error_page(client: TestClient) -> None:
    assert client.get("/strands/youth-violence", params={"area": "Atlantis"}).status_code == 404
    assert client.get("/strands/youth-violence", params={"before": "2022-13:2022-14"}).status_code == 422
    assert client.get("/strands/visible-policing", params={"threshold_km": "0"}).status_code == 422


def test_in_chromium_offline_with_no_serious_axe_finding(
    live_server: LiveServer, browser_page: tuple[Any, Recorder], tmp_path: Path
) -> None:
    page, recorder = browser_page
    response = page.goto(live_server.url + "/strands/youth-violence?area=E09000033")
    assert response is not None and response.status == 200
    page.select_option("#area", "E09000007")  # the form works without JavaScript: a GET of the choices
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "area=E09000007" in page.url and "Camden" in page.locator("h1").inner_text()
    context = page.context.browser.new_context(bypass_csp=True)  # axe is an inline script: the CSP blocks it
    try:
        checked = context.new_page()
        for path in (page.url, live_server.url + "/strands/visible-policing?area=E09000012"):
            checked.goto(path)
            assert axe_violations(checked) == [], path
    finally:
        context.close()
    page.goto(live_server.url + "/strands/visible-policing?area=E09000012")
    assert recorder.external == [] and recorder.console_errors == []
