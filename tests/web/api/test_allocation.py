"""``/api/v1/allocation``: the body is ``metforward allocate --json`` for the same options (changes, level,
method, explanation), and a formula is one shipped with metforward, never a path on the server."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward.cli import app

PAGING = ("limit", "offset", "next")


def test_the_api_body_is_the_cli_json(web_store: Path, client: TestClient) -> None:
    args = ["--formula", "mpa", "--level", "bcu", "--set", "need.weight=0.5", "--set", "demand.harm.weight=0.1"]
    args += ["--method", "webster", "--explain", "North West", "--draws", "150"]
    done = CliRunner().invoke(app, ["--db", str(web_store), "allocate", *args, "--json"])
    assert done.exit_code == 0, done.output
    params = {"formula": "mpa", "level": "bcu", "set": ["need.weight=0.5", "demand.harm.weight=0.1"]}
    params |= {"method": "webster", "explain": "North West", "draws": 150, "limit": 1000}
    response = client.get("/api/v1/allocation", params=params)
    assert response.status_code == 200, response.text[:300]
    body = {k: v for k, v in response.json().items() if k not in PAGING}
    assert body == json.loads(done.stdout)
    assert body["meta"]["explain"]["area_code"] == "NW" and body["query"]["method"] == "webster"


def test_only_shipped_formulas_and_typed_errors(client: TestClient) -> None:
    assert client.get("/api/v1/allocation", params={"formula": "/etc/passwd"}).status_code == 422
    bad = client.get("/api/v1/allocation", params={"formula": "mpa", "set": "need.colour=red"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_parameter"
    missing = client.get("/api/v1/allocation", params={"weights": "asb=1", "total": 100, "draws": 10})
    assert missing.status_code == 409 and "indicator asb" in missing.json()["error"]["message"]
