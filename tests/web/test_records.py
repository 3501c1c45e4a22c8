"""The borough contacts pages: add, read, change and delete through forms that work without JavaScript,
errors shown the GOV.UK way, and each page showing only what its reader may do."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.records.cast import WESTMINSTER
from tests.web.test_auth import Site, browsers, site, token  # noqa: F401 (fixtures)


def test_a_borough_user_keeps_its_contacts_through_the_forms(site: Site, browsers: dict[str, TestClient]) -> None:  # noqa: F811
    client = browsers["borough-w@example.org"]
    page = f"/records/{WESTMINSTER}/contacts"
    bad = client.post(page, data={"csrf_token": token(client, page), "name": "", "email": "nope"})
    assert bad.status_code == 422 and "govuk-error-summary" in bad.text and "enter the contact&#39;s name" in bad.text
    added = client.post(
        page,
        data={
            "csrf_token": token(client, page),
            "name": "Grace Hopper",
            "organisation": "Council",
            "email": "grace@example.org",
        },
    )
    assert added.status_code == 303
    listing = client.get(page).text
    contact = re.search(r'href="/records/E09000033/contacts/(\d+)">Grace Hopper<', listing)
    assert contact, listing
    url = f"{page}/{contact.group(1)}"
    changed = client.post(
        url, data={"csrf_token": token(client, url), "name": "Grace B. Hopper", "phone": "020 7946 0000"}
    )
    assert changed.status_code == 303 and "Grace B. Hopper" in client.get(url).text
    partner = browsers["partner-w@example.org"].get(url)
    assert partner.status_code == 200 and "Grace B. Hopper" in partner.text and "Save changes" not in partner.text
    assert client.post(f"{url}/delete", data={"csrf_token": token(client, url)}).status_code == 303
    assert client.get(url).status_code == 404


def test_the_records_index_lists_only_the_readers_boroughs(site: Site, browsers: dict[str, TestClient]) -> None:  # noqa: F811
    partner = browsers["partner-w@example.org"].get("/records").text
    assert "Westminster" in partner and "Camden" not in partner
    analyst = browsers["analyst@example.org"].get("/records").text
    assert "Westminster" in analyst and "Camden" in analyst and "read and change" not in analyst
