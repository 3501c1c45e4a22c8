"""Settings shared by the faces: where the store lives and where the corpus is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "metforward.duckdb"


@dataclass(frozen=True)
class Settings:
    """Explicit settings, built once by a face and passed down (no import-time globals)."""

    db_path: Path

    @classmethod
    def from_env(cls, db: str | None = None) -> Settings:
        """Build settings from an explicit value, then ``METFORWARD_DB``, then the default."""
        return cls(db_path=Path(db or os.environ.get("METFORWARD_DB") or DEFAULT_DB))
