"""One typed error, the same verdict on every face: the CLI's exit status and JSON code, the API's
HTTP status and code, the Python API's exception, all from the error's kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import metforward
from metforward.cli import app
from metforward.errors import KINDS, BadRequest, MetforwardError, NotFound

runner = CliRunner()

CASES = [
    ({"before": "2024-13:2024-14", "after": "2024-01"}, BadRequest, "invalid_parameter", "before"),
    ({"before": "2024-01", "after": "2024-02", "area": "Atlantis"}, NotFound, "not_found", "area"),
    ({"before": "2024-01", "after": "2024-02", "level": "county"}, BadRequest, "invalid_parameter", "level"),
]


@pytest.mark.parametrize(("options", "error", "code", "field"), CASES)
def test_every_face_reports_the_same_error(
    options: dict[str, str],
    error: type[MetforwardError],
    code: str,
    field: str,
    web_store: Path,
    client: TestClient,
) -> None:
    kind = KINDS[error.kind]
    with pytest.raises(error) as raised:
        metforward.open(web_store).compare(**options)
    assert raised.value.field == field and raised.value.code == code

    args = [x for k, v in options.items() for x in (f"--{k}", v)]
    done = runner.invoke(app, ["--db", str(web_store), "compare", *args, "--json"])
    assert done.exit_code == kind.exit_status, done.output
    assert json.loads(done.stdout)["error"] == {"code": code, "message": str(raised.value)}

    response = client.get("/api/v1/compare", params=options)
    if field in ("before", "level"):  # the API's own pattern or vocabulary check answers first, same status
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_parameter"
        return
    assert response.status_code == kind.http_status
    body = response.json()["error"]
    assert (body["code"], body["message"]) == (code, str(raised.value))
    assert body["details"][0]["field"] == f"query.{field}"


def test_an_option_the_question_does_not_have_is_a_bad_request(web_store: Path) -> None:
    with pytest.raises(BadRequest, match="compare has no option colour"):
        metforward.open(web_store).compare(colour="red")
    with pytest.raises(AttributeError, match="no such question"):
        metforward.open(web_store).horoscope  # noqa: B018
