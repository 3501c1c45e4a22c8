"""Shared fixtures: a fresh store per test, the bundled sample, the sample ingested once per session
(``web_store``) with an in-process app on it (``client``), and the shared real-data corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward.cli import app as cli_app
from metforward.settings import Settings
from metforward.store.database import Database
from metforward.web.app import create_app

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample"
TARGETS = REPO / "examples" / "targets-2010-11.yaml"


def corpus_path() -> Path:
    """The shared corpus: ``METFORWARD_CORPUS`` or ``../shared/data`` beside the repository."""
    return Path(os.environ.get("METFORWARD_CORPUS") or REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real-data corpus; tests that need it skip, loudly, where it is absent."""
    path = corpus_path()
    if not (path / "policeuk").is_dir():
        pytest.skip(
            f"SKIPPED: the shared real-data corpus is not at {path} "
            "(set METFORWARD_CORPUS to its folder to run the corpus tests)"
        )
    return path


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A fresh store file in a temporary folder."""
    database = Database(tmp_path / "test.duckdb")
    yield database
    database.close()


@pytest.fixture(scope="session")
def sample() -> Path:
    """The small real sample bundled in the repository."""
    return SAMPLE


@pytest.fixture(scope="session")
def web_store(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample, ingested once for all web tests (they only read it)."""
    path = tmp_path_factory.mktemp("web") / "sample.duckdb"
    result = CliRunner().invoke(cli_app, ["--db", str(path), "ingest", str(sample)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="session")
def client(web_store: Path) -> Iterator[TestClient]:
    """The app in-process (lifespan run, so the read-only pool is open)."""
    with TestClient(
        create_app(Settings(db_path=web_store, targets_file=TARGETS)), raise_server_exceptions=False
    ) as test_client:
        yield test_client
