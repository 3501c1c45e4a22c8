"""Shared fixtures: a fresh store per test, the bundled sample, the sample (or parts of it) ingested once
per session into templates that tests copy (``sample_stores``, ``web_store``), an in-process app on the
sample (``client``), and the shared real-data corpus."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward.cli import app as cli_app
from metforward.ingest.pipeline import IngestSummary, ingest_paths
from metforward.settings import Settings
from metforward.store.database import Database
from metforward.web.app import create_app
from tests.records_backends import (  # noqa: F401 (fixtures)
    cast_db,
    cast_url,
    postgres_server,
    records_db,
    records_templates,
    records_url,
)

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


def copy_store(template: Path, folder: Path) -> Path:
    """A byte copy of the store file ``template`` (and of its WAL, if one was left) in ``folder``."""
    path = folder / template.name
    shutil.copy(template, path)
    wal = template.with_name(template.name + ".wal")
    if wal.exists():
        shutil.copy(wal, path.with_name(wal.name))
    return path


class SampleStores:
    """The bundled sample, or parts of it, each distinct set ingested once per session into a template
    store that no test opens; tests get private, writable copies of it (a file copy, not a 40 s ingest).

    ``parts`` are paths under ``sample/`` ("policeuk", "datastore/x.csv.gz"), ingested in that order;
    none is the whole sample. Through the CLI (``metforward ingest``, asserted to exit 0) unless
    ``cli`` is false: then through :func:`ingest_paths`, whose summary :meth:`summary` gives.
    """

    def __init__(self, sample: Path, factory: pytest.TempPathFactory) -> None:
        self.sample = sample
        self.factory = factory
        self.templates: dict[tuple[tuple[str, ...], bool], tuple[Path, IngestSummary | None]] = {}

    def _template(self, parts: tuple[str, ...], cli: bool) -> tuple[Path, IngestSummary | None]:
        if (parts, cli) not in self.templates:
            path = self.factory.mktemp("template") / "sample.duckdb"
            paths = [self.sample / part for part in parts] or [self.sample]
            summary = None
            if cli:
                result = CliRunner().invoke(cli_app, ["--db", str(path), "ingest", *map(str, paths)])
                assert result.exit_code == 0, result.output
            else:
                with Database(path) as db:
                    summary = ingest_paths(db, paths)
            self.templates[parts, cli] = (path, summary)
        return self.templates[parts, cli]

    def copy(self, *parts: str, cli: bool = True, name: str = "store") -> Path:
        """A fresh, writable copy of the store with ``parts`` of the sample ingested, in a new folder."""
        template, _ = self._template(parts, cli)
        return copy_store(template, self.factory.mktemp(name))

    def summary(self, *parts: str) -> IngestSummary:
        """What :func:`ingest_paths` reported when it made the template of ``parts`` (``cli=False``)."""
        _, summary = self._template(parts, False)
        assert summary is not None
        return summary


@pytest.fixture(scope="session")
def sample_stores(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> SampleStores:
    """Copies of the sample (or of parts of it), each set ingested once per session."""
    return SampleStores(sample, tmp_path_factory)


@pytest.fixture(scope="session")
def web_store(sample_stores: SampleStores) -> Path:
    """The bundled sample (ingested through the CLI), one copy for all web tests (they only read it)."""
    return sample_stores.copy(name="web")


@pytest.fixture(scope="session")
def client(web_store: Path) -> Iterator[TestClient]:
    """The app in-process (lifespan run, so the read-only pool is open)."""
    with TestClient(
        create_app(Settings(db_path=web_store, targets_file=TARGETS)), raise_server_exceptions=False
    ) as test_client:
        yield test_client
