"""Bringing the records database up to the code's migrations, programmatically (no alembic.ini).

:func:`upgrade` applies the migrations shipped in :mod:`metforward.records.migrations` in one
transaction; :func:`check` is what ``serve`` and every records command call first: a database behind the
code (or never set up, or ahead of it) is refused with the command that fixes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from metforward.errors import RecordsOutOfDateError, StoreError
from metforward.records.db import Database, shown, sqlite_path


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("metforward.records").joinpath("migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest migration this code ships."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def revisions() -> list[str]:
    """Every migration this code ships, oldest first."""
    return [script.revision for script in reversed(list(ScriptDirectory.from_config(_config()).walk_revisions()))]


def current(database: Database) -> str | None:
    """The revision the database is at (None: never set up)."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True)
class Upgrade:
    """What :func:`upgrade` did: the revision before (None: a new database) and after."""

    url: str
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def upgrade(database: Database, to: str = "head") -> Upgrade:
    """Apply the migrations the database lacks, in one transaction (SQLite and PostgreSQL both run DDL in
    transactions: a failed upgrade leaves the database as it was)."""
    path = sqlite_path(database.url)
    if path is not None and not path.exists():  # personal data: readable by its owner only
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    before = current(database)
    with database.engine.begin() as connection:
        command.upgrade(_config(connection), to)
    return Upgrade(shown(database.url), before, current(database) or "")


def upgrade_command(url: URL) -> str:
    """The command line that brings the database at ``url`` up to date."""
    default = str(sqlite_path(url)) == "metforward.records.sqlite"  # beside the default store, ./metforward.duckdb
    return "metforward records upgrade" + ("" if default else f" --records '{shown(url)}'")


def check(database: Database) -> str:
    """The database's revision when it is the code's head; else :class:`RecordsOutOfDateError` naming the
    command to run."""
    at, wanted = current(database), head()
    if at == wanted:
        return at
    where = shown(database.url)
    if at is None:
        problem = "is not set up"
    elif at in revisions():
        problem = f"is at migration {at}, behind this version of metforward ({wanted})"
    else:
        raise RecordsOutOfDateError(
            f"the records database {where} is at migration {at}, which this version of metforward does not know "
            "(a newer version upgraded it): run that version, or restore a backup made before the upgrade"
        )
    raise RecordsOutOfDateError(
        f"the records database {where} {problem}: run `{upgrade_command(database.url)}` (back it up first "
        "with `metforward records backup PATH`)"
    )


def open_database(url: str, *, create: bool = False) -> Database:
    """The records database at ``url``, checked to be at this code's migrations. A SQLite file that does
    not exist is created and set up when ``create`` (``serve`` on the embedded default), and otherwise
    refused without being created (as is any database behind or ahead of the code)."""
    database = Database(url)
    try:
        path = sqlite_path(database.url)
        if path is not None and not path.exists():
            if not create:
                raise RecordsOutOfDateError(
                    f"the records database {path} does not exist: run `{upgrade_command(database.url)}` to create it"
                )
            upgrade(database)
        check(database)
    except OperationalError as exc:
        database.close()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise StoreError(
            f"cannot open the records database {shown(database.url)}: {reason} (check --records or METFORWARD_RECORDS_URL)"
        ) from exc
    except BaseException:
        database.close()
        raise
    return database
