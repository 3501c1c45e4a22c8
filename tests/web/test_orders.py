"""The orders register's pages, on SQLite and PostgreSQL, through forms that work without JavaScript: a
borough adds an order, a zone and a breach; another borough's user searches (by POST: no name in any URL),
is refused the conditions and zones until it records a reason, then sees them; the alerts on the borough's
page; a disabled account loses access at once."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from metforward.records import accounts, audit
from tests.records.cast import OPERATOR, PASSWORD, WESTMINSTER
from tests.web.test_auth import Site, browser, browsers, sign_in, site, token  # noqa: F401 (fixtures)

ZONE = "POLYGON((-0.14 51.51, -0.13 51.51, -0.13 51.52, -0.14 51.52, -0.14 51.51))"
ORDER = {
    "name": "Wendeline Corrowmarsh",
    "date_of_birth": "1991-11-05",
    "order_type": "cbo",
    "issued_by": "Westminster Magistrates' Court",
    "made_on": "2025-02-01",
    "conditions": "Not to enter Soho; not to beg.",
    "officer_name": "PC Odile Farnsbury",
    "officer_email": "asb@westminster.example.org",
}


#: The pages on SQLite (the services and the generated access test run on PostgreSQL too).
pytestmark = pytest.mark.parametrize("site", ["sqlite"], indirect=True)


def test_an_order_shared_across_london_with_need_to_know(site: Site, browsers: dict[str, TestClient]) -> None:  # noqa: F811
    owner = browsers["borough-w@example.org"]
    new = f"/records/{WESTMINSTER}/orders/new"
    bad = owner.post(
        f"/records/{WESTMINSTER}/orders", data={"csrf_token": token(owner, new), **ORDER, "order_type": "asbo"}
    )
    assert bad.status_code == 422 and "govuk-error-summary" in bad.text and "imported only" in bad.text
    made = owner.post(f"/records/{WESTMINSTER}/orders", data={"csrf_token": token(owner, new), **ORDER})
    assert made.status_code == 303
    url = made.headers["location"]
    assert re.fullmatch(rf"/records/{WESTMINSTER}/orders/\d+", url)
    assert (
        owner.post(
            f"{url}/zones", data={"csrf_token": token(owner, url), "label": "Soho", "geometry": ZONE}
        ).status_code
        == 303
    )
    breach = {
        "occurred_on": "2025-06-01",
        "source": "police",
        "latitude": "51.515",
        "longitude": "-0.135",
        "notes": "seen",
    }
    assert owner.post(f"{url}/breaches", data={"csrf_token": token(owner, url), **breach}).status_code == 303
    page = owner.get(url).text
    assert "Not to enter Soho" in page and "Yes: Soho" in page and 'data-geojson="{' in page
    assert "Wendeline Corrowmarsh" in page and "Record a breach" in page

    outsider = browsers["borough-c@example.org"]
    search = {"name": "wendeline corrowmarsh", "date_of_birth": "1991-11-05", "reason": "case conference in Camden"}
    found = outsider.post("/records/orders", data={"csrf_token": token(outsider, "/records/orders"), **search})
    assert found.status_code == 200 and "1 order found" in found.text and "Westminster" in found.text
    assert "asb@westminster.example.org" in found.text and "Not to enter Soho" not in found.text
    refused = outsider.get(url)
    assert refused.status_code == 403 and "Record why you need to see this order" in refused.text
    assert "Not to enter Soho" not in refused.text and "Soho" not in refused.text
    blank = outsider.post(f"{url}/need-to-know", data={"csrf_token": token(outsider, "/account"), "reason": ""})
    assert blank.status_code == 422 and "govuk-error-summary" in blank.text
    reason = "subject seen in Camden breaching"
    given = outsider.post(f"{url}/need-to-know", data={"csrf_token": token(outsider, "/account"), "reason": reason})
    assert given.status_code == 303 and given.headers["location"] == url
    shown = outsider.get(url)
    assert shown.status_code == 200 and "Not to enter Soho" in shown.text and reason in shown.text
    assert "Record a breach" not in shown.text  # reading only
    with site.database.reading() as session:
        rows = list(audit.rows_between(session, None, None))
    mine = [r for r in rows if r.actor == "borough-c@example.org" and r.record_type == "order"]
    assert any(r.action == "search" and r.detail.endswith("reason: case conference in Camden") for r in mine)
    assert any(r.action == "need_to_know" and r.detail == f"reason: {reason}" for r in mine)
    assert any(r.action == "read" and r.detail == f"need to know: {reason}" for r in mine)
    assert not any("Wendeline" in r.detail or "1991-11-05" in r.detail for r in rows)

    dashboard = owner.get(f"/records/{WESTMINSTER}/orders").text
    assert re.search(
        r"Breach</strong> <a class=\"govuk-link\" href=\""
        + url
        + r"\">breach of Criminal Behaviour Order \d+ on 1 June 2025 inside exclusion zone Soho",
        dashboard,
    )


def test_a_disabled_account_loses_access_at_once(site: Site) -> None:  # noqa: F811
    accounts.add_user(site.database, OPERATOR, "soon-gone@example.org", "borough", ["Westminster"], PASSWORD)
    client = sign_in(browser(site), "soon-gone@example.org")
    page = f"/records/{WESTMINSTER}/orders"
    assert client.get(page).status_code == 200
    accounts.set_enabled(site.database, OPERATOR, "soon-gone@example.org", False)
    gone = client.get(page)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    assert client.get("/records/orders").status_code == 303
