"""Migrations: applied programmatically, idempotent, matching the models, and checked before use."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from metforward.errors import RecordsOutOfDateError
from metforward.records import migrate
from metforward.records.db import Database
from metforward.records.models import Base


def test_the_migrated_schema_matches_the_models(records_db: Database) -> None:
    with records_db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert migrate.check(records_db) == migrate.head()


def test_upgrade_again_changes_nothing(records_db: Database) -> None:
    result = migrate.upgrade(records_db)
    assert (result.before, result.after, result.changed) == (migrate.head(), migrate.head(), False)


def test_a_new_database_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    with Database(f"sqlite:///{tmp_path / 'new.sqlite'}") as database:
        with pytest.raises(RecordsOutOfDateError, match="is not set up: run `metforward records upgrade --records"):
            migrate.check(database)
        assert migrate.upgrade(database).before is None
        assert migrate.check(database) == migrate.head()
