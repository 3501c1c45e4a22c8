"""The records tests' two backends: SQLite files and a real PostgreSQL server.

``postgres_server`` starts, once per session and only when a test asks for it, a throwaway cluster with
Debian's PostgreSQL binaries (``/usr/lib/postgresql/*/bin``) in a temporary folder, listening on a unix
socket in that folder only (no TCP port), with fsync off; it is stopped and removed at the end. PostgreSQL
refuses to run as root, so under root (as CI runs) the cluster belongs to ``nobody`` and its commands run
through ``runuser``. Where the binaries are absent the PostgreSQL cases are skipped, loudly.

``records_db`` is a fresh, migrated records database per test, parametrised over both backends: a copy of
a template (a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), so each test pays no
migration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from metforward.records import migrate
from metforward.records.db import Database

BACKENDS = ("sqlite", "postgresql")


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class PostgresServer:
    """A throwaway PostgreSQL cluster on a unix socket in a temporary folder."""

    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        """``durable``: keep fsync and synchronous commits on, as a real server would (benchmarks/records.py);
        the tests turn them off."""
        self.bin = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="mf-pg-"))  # under /tmp: nobody can reach it
        self.data = self.folder / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "nobody", "nogroup")
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8", "--locale=C")
        options = f"-c listen_addresses='' -c unix_socket_directories={self.folder}"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "nobody", "--", *command]
        subprocess.run(command, check=True, cwd=self.folder, capture_output=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.folder}"

    def admin(self, statement: str) -> None:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (started on first use); skipped loudly without the binaries."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip(
            "SKIPPED: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
            "apt-get install postgresql (make system does) to run the PostgreSQL cases"
        )
    server = PostgresServer(bin_dir)
    try:
        yield server
    finally:
        server.stop()


class Templates:
    """Migrated template databases, one per backend, made on first use; :meth:`fresh` copies one."""

    def __init__(self, request: pytest.FixtureRequest, factory: pytest.TempPathFactory) -> None:
        self.request = request
        self.factory = factory
        self.made: dict[str, str] = {}

    def template(self, backend: str, cast: bool) -> str:
        key = f"{backend}-{'cast' if cast else 'empty'}"
        if key not in self.made:
            name = f"records_{key.replace('-', '_')}"
            if backend == "sqlite":
                url = f"sqlite:///{self.factory.mktemp('records-template') / f'{name}.records.sqlite'}"
            else:
                server: PostgresServer = self.request.getfixturevalue("postgres_server")
                server.admin(f"CREATE DATABASE {name}")
                url = server.url(name)
            with Database(url) as database:
                migrate.upgrade(database)
                if cast:
                    from tests.records.cast import add_cast

                    add_cast(database)
            self.made[key] = url
        return self.made[key]

    def fresh(
        self, backend: str, folder: Path, *, cast: bool = False, request: pytest.FixtureRequest | None = None
    ) -> str:
        """The URL of a new migrated database of ``backend`` (a SQLite file in ``folder``), holding the
        accounts of ``tests/records/cast.py`` when ``cast``. A PostgreSQL database is dropped when
        ``request``'s fixture ends (each copy is some 8 MB)."""
        template = self.template(backend, cast)
        if backend == "sqlite":
            path = folder / f"test-{uuid.uuid4().hex[:8]}.records.sqlite"
            shutil.copy(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        server: PostgresServer = self.request.getfixturevalue("postgres_server")
        name = f"t_{uuid.uuid4().hex[:12]}"
        source = f"records_{backend}_{'cast' if cast else 'empty'}"
        server.admin(f"CREATE DATABASE {name} TEMPLATE {source}")
        if request is not None:
            request.addfinalizer(lambda: server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        return server.url(name)


@pytest.fixture(scope="session")
def records_templates(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(request, tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def records_url(request: pytest.FixtureRequest, records_templates: Templates, tmp_path: Path) -> str:
    """A fresh, migrated records database's URL, once on SQLite and once on PostgreSQL."""
    return records_templates.fresh(request.param, tmp_path, request=request)


@pytest.fixture
def records_db(records_url: str) -> Iterator[Database]:
    """The fresh records database of ``records_url``, open."""
    with Database(records_url) as database:
        yield database


@pytest.fixture(params=BACKENDS)
def cast_url(request: pytest.FixtureRequest, records_templates: Templates, tmp_path: Path) -> str:
    """A fresh records database holding the accounts of tests/records/cast.py, on SQLite and PostgreSQL."""
    return records_templates.fresh(request.param, tmp_path, cast=True, request=request)


@pytest.fixture
def cast_db(cast_url: str) -> Iterator[Database]:
    with Database(cast_url) as database:
        yield database
