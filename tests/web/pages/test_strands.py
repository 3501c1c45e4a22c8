"""The strand pages: the index lists the registry, each page renders its chart with the chart's numbers beside
it, its table (the question's answer) and the attribution; bad options are the error page; and in a real
browser nothing leaves loopback and axe finds nothing serious."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from metforward import ATTRIBUTION
from metforward.questions.strands import STRANDS
from tests.web.browser import Recorder, axe_violations
from tests.web.conftest import LiveServer

PAGES = (
    "/strands/vawg?measure=victims&by=ethnicity",
    "/strands/business-crime?by=borough&area=Camden",
    "/strands/fairness?period=2024-01:2024-03",
)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_index_lists_every_strand(client: TestClient) -> None:
    response = client.get("/strands")
    assert response.status_code == 200
    for s in STRANDS:
        assert f'href="/strands/{s.slug}"' in response.text and s.title in response.text
    assert ATTRIBUTION in _text(response.text)
    assert 'href="/strands" aria-current="page"' in response.text  # the menu marks the section


def test_each_page_shows_its_chart_its_numbers_its_table_and_the_attribution(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        text = _text(response.text)
        assert ATTRIBUTION in text
        assert response.text.count("<svg") >= 1, path
        assert "Same figures as" in text and "/api/v1/strands/" in response.text
    vawg = client.get(PAGES[0]).text
    assert "The chart's numbers" in vawg and "Black" in vawg and "ratio low" in vawg
    business = client.get(PAGES[1]).text
    assert "positive rate" in business and re.search(r"mf-verdict--(up|down|cant-tell)", business)
    fairness = _text(client.get(PAGES[2]).text)
    assert "search ratio" in fairness and "White" in fairness


def test_the_borough_page_has_the_strands_sections(client: TestClient) -> None:
    page = client.get("/boroughs/westminster?year=2024").text
    for s in STRANDS:
        assert f'id="strand-{s.slug}"' in page and f'href="#strand-{s.slug}"' in page


def test_bad_options_are_the_error_page_and_a_422_on_the_api(client: TestClient) -> None:
    page = client.get("/strands/vawg?by=colour")
    assert page.status_code == 422 and "by must be one of" in page.text
    api = client.get("/api/v1/strands/vawg?by=colour")
    assert api.status_code == 422 and api.json()["error"]["code"] == "invalid_parameter"
    assert client.get("/api/v1/strands/fairness?disposal=Sent%20home").status_code == 422


def test_in_a_real_browser_nothing_leaves_loopback_and_axe_is_clean(
    live_server: LiveServer, browser_page: tuple[Any, Recorder]
) -> None:
    """Every strand page under its CSP: nothing leaves loopback, no console error. axe (injected as a script, so in
    a context that bypasses the CSP) on the two templates: the index and a strand page with both its charts."""
    page, recorder = browser_page
    for path in ("/strands", *PAGES):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
    assert recorder.external == [] and recorder.console_errors == []
    context = page.context.browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        checked = context.new_page()
        for path in ("/strands", PAGES[0]):
            checked.goto(live_server.url + path)
            assert axe_violations(checked) == [], path
    finally:
        context.close()


def test_the_youth_and_policing_pages_show_the_api_numbers(client: TestClient) -> None:
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
    assert {"youth-violence", "visible-policing"} <= {s.slug for s in STRANDS}


def test_a_bad_choice_on_the_youth_and_policing_pages_is_an_error_page(client: TestClient) -> None:
    assert client.get("/strands/youth-violence", params={"area": "Atlantis"}).status_code == 404
    assert client.get("/strands/youth-violence", params={"before": "2022-13:2022-14"}).status_code == 422
    assert client.get("/strands/visible-policing", params={"threshold_km": "0"}).status_code == 422


def test_the_youth_and_policing_pages_in_chromium_offline_with_no_serious_axe_finding(
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
