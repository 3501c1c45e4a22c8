"""The exception tree. Every message says what went wrong, where, and what to do next."""

from __future__ import annotations


class MetforwardError(Exception):
    """Base class of every error metforward raises on purpose."""


class InputFileError(MetforwardError):
    """A whole input file could not be read or loaded; nothing from it was stored.

    ``path`` names the file (with the member inside a zip where there is one).
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class UnknownFormatError(InputFileError):
    """The header matches none of the formats metforward reads."""


class StoreError(MetforwardError):
    """The embedded store could not be opened, migrated or written."""


class FetchError(MetforwardError):
    """A download failed (HTTP error, checksum mismatch, unavailable month)."""
