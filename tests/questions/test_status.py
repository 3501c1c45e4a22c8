"""status, counts and areas: what the store holds, answered once for every face."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward.cli import app
from metforward.errors import BadRequest, NotFound
from metforward.questions import areas, counts, status
from metforward.store.database import Database
from metforward.store.pool import ReadPool

runner = CliRunner()


@pytest.fixture(scope="module")
def db(web_store: Path) -> Iterator[Database]:
    with Database(web_store, read_only=True) as opened:
        yield opened


def test_status_selects_a_force_and_kind_and_names_the_load_version(db: Database, web_store: Path) -> None:
    whole = status.ask(db, status.Query())
    met = status.ask(db, status.Query(kind="street", force="metropolitan"))
    assert met.items and {(r["kind"], r["force"]) for r in met.items} == {("street", "metropolitan")}
    assert met.items == [r for r in whole.items if (r["kind"], r["force"]) == ("street", "metropolitan")]
    assert [s["force"] for s in met.meta["series"]] == ["metropolitan"]
    assert met.meta["datastore"] == whole.meta["datastore"] and met.meta["reference"] == whole.meta["reference"]
    pool = ReadPool(web_store, 1)
    try:
        assert whole.meta["load_version"] == pool.load_version
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("query", "field"), [(status.Query(kind="bicycles"), "kind"), (status.Query(force="x"), "force")]
)
def test_status_refuses_an_unknown_kind_or_force(db: Database, query: status.Query, field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        status.ask(db, query)
    assert caught.value.field == field


def test_counts_json_is_the_envelope_of_the_csv_rows(web_store: Path, db: Database) -> None:
    done = runner.invoke(app, ["--db", str(web_store), "counts", "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert body == counts.ask(db, counts.Query()).to_json()
    assert body["items"] and set(body["items"][0]) == set(counts.COLUMNS)
    street = status.ask(db, status.Query(kind="street")).items
    assert sum(r["count"] for r in body["items"]) == sum(r["rows"] for r in street)


def test_areas_select_by_level_text_and_code(db: Database) -> None:
    boroughs = areas.ask(db, areas.Query(level="borough")).items
    assert len(boroughs) == 33 and all(a["level"] == "borough" for a in boroughs)
    west = areas.ask(db, areas.Query(level="ward", q="WEST END")).items
    assert west and all("west end" in str(a["name"]).lower() for a in west)
    assert areas.ask(db, areas.Query(code="e09000033")).items == [
        {"code": "E09000033", "name": "Westminster", "level": "borough", "parent": None}
    ]
    with pytest.raises(NotFound) as missing:
        areas.ask(db, areas.Query(code="E09999999"))
    assert missing.value.field == "code"
    with pytest.raises(BadRequest):
        areas.ask(db, areas.Query(level="county"))
