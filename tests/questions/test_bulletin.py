"""The bulletin's data equal the CLI's ``compare --json`` and ``exceptions --json`` for the same specs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from metforward.cli import app
from metforward.questions.bulletin import bulletin_data
from metforward.store.database import Database
from tests.conftest import SampleStores

runner = CliRunner()
JUNE = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> str:
    return str(sample_stores.copy(name="bulletin"))  # the sample ingested through the CLI


def cli_json(store: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", store, *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_bulletin_equals_the_cli(store: str) -> None:
    with Database(Path(store)) as db:
        data = bulletin_data(db, JUNE)
    assert data.month_loaded
    assert data.results_kind == "datastore-borough"
    compare_args = ("compare", "--source", "datastore", "--by", "major", "--before", "2024-04:2024-06")
    london = cli_json(store, *compare_args, "--after", "2025-04:2025-06", "--level", "force", "--json")["items"]
    assert [r.as_dict() for r in data.results] == london
    assert len(data.results) == 13  # the 13 current Datastore major categories
    for row in data.results:
        assert row.verdict in ("up", "down", "can't tell")
        assert row.q_value is not None and (row.verdict == "can't tell") == (row.q_value >= 0.05)
        assert row.ci_low is not None and row.ci_high is not None and row.ci_low <= row.rate_ratio <= row.ci_high  # type: ignore[operator]
    boroughs = cli_json(store, *compare_args, "--after", "2025-04:2025-06", "--level", "borough", "--json")["items"]
    assert isinstance(boroughs, list)
    significant = [r for r in boroughs if r["q_value"] is not None and r["q_value"] < 0.05]
    assert data.borough_rows_tested == len(boroughs)
    assert sorted(json.dumps(r.as_dict(), sort_keys=True) for r in data.notable) == sorted(
        json.dumps(r, sort_keys=True) for r in significant
    )
    changes = [abs(r.change) for r in data.notable]
    # three months against three on the sample: with the quasi-Poisson default no borough change is
    # told from chance (the exact Poisson test called some); the order is still largest change first
    assert changes == sorted(changes, reverse=True) and data.borough_rows_tested > 0
    flags = cli_json(store, "exceptions", "--source", "datastore", "--latest", "2025-06", "--json")
    assert isinstance(flags, dict)
    assert [f.as_dict() for f in data.exceptions] == flags["items"]
    assert data.exceptions_tested == flags["meta"]["tests"]
    ds = next(c for c in data.completeness if c.source == "datastore datastore-borough")
    assert ds.months_before == ["2024-04", "2024-05", "2024-06"] and ds.months_after == [
        "2025-04",
        "2025-05",
        "2025-06",
    ]
    as_json = json.loads(json.dumps(data.as_dict()))
    assert as_json["financial_year"] == "2025/26" and as_json["results"] == london


def test_month_not_loaded_says_so(store: str) -> None:
    with Database(Path(store)) as db:
        data = bulletin_data(db, dt.date(2026, 6, 1))
    assert not data.month_loaded
    assert data.notes[0].startswith("2026-06 is not loaded")
    assert "load a newer Datastore file" in data.notes[0]
    ds = next(c for c in data.completeness if c.source == "datastore datastore-borough")
    assert ds.months_after == [] and ds.months_before == ["2025-04", "2025-05", "2025-06"]
    assert all(r.verdict == "can't tell" for r in data.results)


def test_the_bulletin_defaults_to_the_latest_month_and_its_json_is_the_results(store: str) -> None:
    from metforward.questions import bulletin

    with Database(Path(store)) as db:
        latest = bulletin.ask(db, bulletin.Query())
        june = bulletin.ask(db, bulletin.Query(month="2025-06")).to_json()
    assert latest.query["month"] == latest.meta["latest_month"] == "2026-02"
    done = runner.invoke(app, ["--db", store, "report", "bulletin", "--month", "2025-06", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == june
    compare_args = ("compare", "--source", "datastore", "--by", "major", "--before", "2024-04:2024-06")
    assert (
        june["items"]
        == cli_json(store, *compare_args, "--after", "2025-04:2025-06", "--level", "force", "--json")["items"]
    )
    assert june["meta"]["financial_year"] == "2025/26" and june["meta"]["inputs"]["results"].startswith(
        "metforward compare"
    )
