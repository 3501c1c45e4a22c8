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
    #: Web app: an optional raster tile URL template (``https://.../{z}/{x}/{y}.png``) drawn under the
    #: map explorer's boundaries. None (the default) keeps every request on the app's own origin.
    tile_url: str | None = None
    #: Web app: how many read-only store connections serve requests at once.
    pool_size: int = 16
    #: Web app: the targets file whose verdicts the pages and /api/v1/targets show (None: no targets).
    targets_file: Path | None = None
    #: Web app: the public address absolute links (the API's paging ``next``) are built on, e.g.
    #: ``https://figures.example.org``; never the request's Host header. None: links are relative.
    base_url: str | None = None
    #: The records database (the write side: accounts, sessions, audit, restricted records), a SQLAlchemy
    #: URL (``sqlite:///path`` or ``postgresql+psycopg://user@host/db``). None: :attr:`records` is a SQLite
    #: file beside the store.
    records_url: str | None = None
    #: Alerts of the registers by email (``metforward records alerts --send``): the SMTP server (None: no
    #: email), its port, the sender, the account to sign in with (its password only from
    #: ``METFORWARD_SMTP_PASSWORD``, never here), and whether to upgrade to TLS (STARTTLS) first.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "metforward@localhost"
    smtp_user: str | None = None
    smtp_starttls: bool = False

    @property
    def records(self) -> str:
        """The records database's URL: :attr:`records_url`, or ``sqlite:///<store>.records.sqlite`` beside the
        store (``metforward.duckdb`` -> ``metforward.records.sqlite``)."""
        if self.records_url:
            return self.records_url
        return f"sqlite:///{self.db_path.with_suffix('.records.sqlite')}"

    @property
    def records_key_file(self) -> Path:
        """Where the records' secret key is kept when ``METFORWARD_RECORDS_KEY`` is not set: beside the store."""
        return self.db_path.with_suffix(".records.key")

    @property
    def personal_key_file(self) -> Path:
        """Where the personal data key (:mod:`metforward.records.personal`) is kept when
        ``METFORWARD_PERSONAL_KEY`` is not set: beside the store, apart from the records key."""
        return self.db_path.with_suffix(".personal.key")

    @classmethod
    def from_env(cls, db: str | None = None, records: str | None = None) -> Settings:
        """Build settings from explicit values, then ``METFORWARD_DB``, ``METFORWARD_TILE_URL``,
        ``METFORWARD_TARGETS``, ``METFORWARD_BASE_URL`` and ``METFORWARD_RECORDS_URL``, and the
        ``METFORWARD_SMTP_HOST``, ``_PORT``, ``_SENDER``, ``_USER`` and ``_STARTTLS`` (1) of alert emails, then
        defaults."""
        return cls(
            records_url=records or os.environ.get("METFORWARD_RECORDS_URL") or None,
            db_path=Path(db or os.environ.get("METFORWARD_DB") or DEFAULT_DB),
            tile_url=os.environ.get("METFORWARD_TILE_URL") or None,
            targets_file=Path(os.environ["METFORWARD_TARGETS"]) if os.environ.get("METFORWARD_TARGETS") else None,
            base_url=os.environ.get("METFORWARD_BASE_URL") or None,
            smtp_host=os.environ.get("METFORWARD_SMTP_HOST") or None,
            smtp_port=int(os.environ.get("METFORWARD_SMTP_PORT") or 25),
            smtp_sender=os.environ.get("METFORWARD_SMTP_SENDER") or "metforward@localhost",
            smtp_user=os.environ.get("METFORWARD_SMTP_USER") or None,
            smtp_starttls=os.environ.get("METFORWARD_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        )
