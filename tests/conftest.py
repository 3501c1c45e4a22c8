"""Shared fixtures: a fresh store per test, the bundled sample, and the shared real-data corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from metforward.store.database import Database

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample"


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
