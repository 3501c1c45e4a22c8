"""The catalog's answers about what the store holds, on real DuckDB files."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from metforward.cli import app
from metforward.store import catalog
from metforward.store.database import Database


def test_is_empty_until_something_is_loaded(db: Database, sample: Path) -> None:
    assert catalog.is_empty(db)
    path = db.path
    db.close()
    result = CliRunner().invoke(app, ["--db", str(path), "ingest", str(sample / "population")])
    assert result.exit_code == 0, result.output
    again = Database(path)
    try:
        assert not catalog.is_empty(again)
    finally:
        again.close()
